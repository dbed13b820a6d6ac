"""A small client for a running ``legalret serve`` (standard library only: it must start in milliseconds).

Usage::

    from legalret.serve.client import ServerClient
    c = ServerClient("http://127.0.0.1:8000", token=None)
    res = c.search("유치권 간접점유", k=5, law="민법", explain=True)   # the /api/search JSON
    c.article("민법 제194조")["text"]
    c.health()["generation"]

Errors are :class:`~legalret.errors.LegalretError` with the server's one-line message (or why the server
could not be reached), never a urllib traceback.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from legalret.errors import LegalretError

SERVER_ENV = "LEGALRET_SERVER"


class ServerError(LegalretError):
    """The server answered with an error (``status``: its HTTP status)."""

    def __init__(self, message: str, status: int):
        super().__init__(message)
        self.status = status


def server_from_env() -> str | None:
    """``LEGALRET_SERVER`` (e.g. ``http://127.0.0.1:8000``), or None."""
    from legalret.config import server_url

    return server_url()


#: The ``hint`` of a terminal's resident server (:mod:`legalret.serve.resident`): what to do when it stops answering
#: between its health check and a search.
RESIDENT_HINT = "the resident search server stopped; run the search again (LEGALRET_RESIDENT=off searches in this process)"


class ServerClient:
    """``hint``: what the error for an unreachable server tells the user to do (the URL came from somewhere: by
    default ``LEGALRET_SERVER``)."""

    def __init__(self, base_url: str, *, token: str | None = None, timeout: float = 60.0, hint: str | None = None):
        self.hint = hint or f"start it with `legalret serve` or unset {SERVER_ENV}"
        if "://" not in base_url:
            base_url = "http://" + base_url
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.timeout = timeout
        # Never route a local server through an HTTP proxy from the environment.
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def __repr__(self) -> str:
        return f"ServerClient({self.base_url!r})"

    def search(self, query: str, *, k: int = 10, law: str | None = None, kind: str | None = None,
               mode: str = "hybrid", explain: bool = False) -> dict[str, Any]:
        """``POST /api/search``: a JSON body, so a pasted judgment of any length arrives (and is cut, with the
        notice every interface shows) instead of meeting a URL-length limit."""
        body = {"q": query, "k": k, "law": law or None, "kind": kind or None, "mode": mode, "explain": explain}
        try:
            return self._request("/api/search", data=json.dumps(body, ensure_ascii=False).encode("utf-8"))
        except ServerError as e:
            if e.status != 405:
                raise
        # a server from before POST /api/search (a resident one started by an older legalret): GET
        params = {"q": query, "k": str(k), "mode": mode, **({"law": law} if law else {}), **({"kind": kind} if kind else {}),
                  **({"explain": "1"} if explain else {})}
        return self._request("/api/search?" + urllib.parse.urlencode(params))

    def article(self, key: str) -> dict[str, Any]:
        return self._request("/api/articles/" + urllib.parse.quote(key, safe=""))

    def health(self, timeout: float | None = None) -> dict[str, Any]:
        return self._request("/healthz", timeout=timeout)

    def _request(self, path: str, timeout: float | None = None, data: bytes | None = None) -> dict[str, Any]:
        """GET ``path`` (POST ``data`` as JSON when given) → the JSON answer."""
        headers = {"Accept": "application/json"}
        if data is not None:
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(self.base_url + path, data=data, headers=headers)
        if self.token:
            request.add_header("Authorization", f"Bearer {self.token}")
        try:
            with self._opener.open(request, timeout=timeout or self.timeout) as response:
                return json.loads(response.read().decode("utf-8"))
        except urllib.error.HTTPError as e:
            try:
                message = json.loads(e.read().decode("utf-8")).get("error") or e.reason
            except (ValueError, AttributeError):
                message = e.reason
            if self.hint == RESIDENT_HINT and e.code < 500:  # a terminal's own server: its refusal is the search's,
                raise ServerError(str(message), e.code) from None  # worded as a pipe gives it (no port, no HTTP code)
            raise ServerError(f"server {self.base_url}: {message} (HTTP {e.code})", e.code) from None
        except (urllib.error.URLError, OSError, ValueError) as e:
            reason = getattr(e, "reason", None) or e
            raise LegalretError(f"cannot reach the legalret server at {self.base_url} ({reason}); {self.hint}") from None
