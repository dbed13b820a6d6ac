"""A small client for a running ``legalret serve`` (standard library only: it must start in milliseconds).

Usage::

    from legalret.serve.client import ServerClient
    c = ServerClient("http://127.0.0.1:8000", token=None)
    res = c.search("유치권 간접점유", k=5, law="민법", explain=True)   # the /api/search JSON
    c.article("민법 제194조")["text"]
    c.health()["generation"]

Errors are :class:`~legalret.errors.LegalretError` with the server's one-line message (or why the server
could not be reached, or what is wrong with its URL), never a urllib traceback.

A query longer than :data:`~legalret.config.MAX_QUERY_CHARS` is cut here, as the in-process search cuts it and with
its notice (:func:`sent_query`): a pasted megabyte had met the server's body limit (:data:`MAX_BODY_BYTES`) and
read as "cannot reach the server", where a pipe searched its cut with the notice.
"""

from __future__ import annotations

import http.client
import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from legalret.config import MAX_QUERY_CHARS, query_cut_note
from legalret.errors import LegalretError

SERVER_ENV = "LEGALRET_SERVER"
#: The largest request body ``legalret serve`` reads (its ``BodyLimit`` answers 413 past it): here, where both the
#: server and this client (which must start without FastAPI) read it. A search's body is far smaller — its query is
#: cut to :data:`~legalret.config.MAX_QUERY_CHARS` characters before it is sent.
MAX_BODY_BYTES = 1 << 20


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


def checked_url(url: str, source: str) -> str:
    """``url`` as the base of every request (``http://`` added when it has no scheme, no trailing slash), or a
    one-line :class:`LegalretError` naming the value and ``source`` (where it came from: ``LEGALRET_SERVER``,
    ``server_url``) — it had been an ``http.client.InvalidURL`` traceback, a bare "Invalid IPv6 URL", ``ftp://``
    asked as HTTP, and port 99999 "Connection refused"."""
    def bad(why: str) -> LegalretError:
        return LegalretError(f"{source}={url!r} is not a server URL: {why}; give one such as http://127.0.0.1:8000")

    if not isinstance(url, str):
        raise bad(f"text is expected, not {type(url).__name__}")
    base = url.strip()
    if not base:
        raise bad("it is empty")
    if "://" not in base:
        base = "http://" + base
    if any(c.isspace() or ord(c) < 0x20 or ord(c) == 0x7F for c in base):
        raise bad("it holds a space or a control character")
    try:
        parts = urllib.parse.urlsplit(base)
        port = parts.port  # (ValueError: not a number, or out of 0–65535)
    except ValueError as e:  # (urllib's words: "Port out of range 0-65535", "Invalid IPv6 URL" …)
        why = str(e)
        why = ("its port is not between 1 and 65535" if "out of range" in why else
               "its port is not a number" if "integer" in why else
               "its IPv6 host is not one address in brackets ([::1])" if "IPv6" in why else why)
        raise bad(why) from None
    if parts.scheme.lower() not in ("http", "https"):
        raise bad(f"its scheme is {parts.scheme}://, not http:// or https://")
    if not parts.hostname:
        raise bad("it names no host")
    if port == 0:
        raise bad("its port is not between 1 and 65535")
    if parts.query or parts.fragment:
        raise bad("a server URL has no ?query or #fragment")
    return base.rstrip("/")


class ServerClient:
    """``hint``: what the error for an unreachable server tells the user to do; ``source``: where the URL came from,
    named when it is no URL (by default ``LEGALRET_SERVER``, as the default hint says)."""

    def __init__(self, base_url: str, *, token: str | None = None, timeout: float = 60.0, hint: str | None = None,
                 source: str | None = None):
        self.hint = hint or f"start it with `legalret serve` or unset {SERVER_ENV}"
        self.base_url = checked_url(base_url, source or (SERVER_ENV if hint is None else "server URL"))
        self.token = token
        self.timeout = timeout
        # Never route a local server through an HTTP proxy from the environment.
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def __repr__(self) -> str:
        return f"ServerClient({self.base_url!r})"

    def search(self, query: str, *, k: int = 10, law: str | None = None, kind: str | None = None,
               mode: str = "hybrid", explain: bool = False) -> dict[str, Any]:
        """``POST /api/search``: a JSON body, so a pasted judgment arrives instead of meeting a URL-length limit —
        cut first to the characters the search keeps (:func:`sent_query`), with the notice every interface shows."""
        query, notes, theirs = sent_query(query)
        body = {"q": query, "k": k, "law": law or None, "kind": kind or None, "mode": mode, "explain": explain}
        # what made a request too large for the server: the question is cut above, so the filters
        filters = f"its law and kind filters are {len(law or '') + len(kind or ''):,} characters long"
        try:
            answer = self._request("/api/search", data=json.dumps(body, ensure_ascii=False).encode("utf-8"),
                                   what=filters)
        except ServerError as e:
            if e.status != 405:
                raise
            # a server from before POST /api/search (a resident one started by an older legalret): GET
            params = {"q": query, "k": str(k), "mode": mode, **({"law": law} if law else {}),
                      **({"kind": kind} if kind else {}), **({"explain": "1"} if explain else {})}
            answer = self._request("/api/search?" + urllib.parse.urlencode(params))
        if notes:  # first, as the searcher lists them (its load-time notes, none so far, aside): each once
            answer["notices"] = list(dict.fromkeys([*notes, *(n for n in answer.get("notices") or [] if n != theirs)]))
        return answer

    def article(self, key: str) -> dict[str, Any]:
        return self._request("/api/articles/" + urllib.parse.quote(key, safe=""))

    def health(self, timeout: float | None = None) -> dict[str, Any]:
        return self._request("/healthz", timeout=timeout)

    def _request(self, path: str, timeout: float | None = None, data: bytes | None = None,
                 what: str | None = None) -> dict[str, Any]:
        """GET ``path`` (POST ``data`` as JSON when given) → the JSON answer. ``what``: what a body too large for
        the server holds, for its error."""
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
            if e.code == 413 and data is not None:
                raise self._too_large(len(data), what) from None
            try:
                message = json.loads(e.read().decode("utf-8")).get("error") or e.reason
            except (ValueError, AttributeError):
                message = e.reason
            if self.hint == RESIDENT_HINT and e.code < 500:  # a terminal's own server: its refusal is the search's,
                raise ServerError(str(message), e.code) from None  # worded as a pipe gives it (no port, no HTTP code)
            raise ServerError(f"server {self.base_url}: {message} (HTTP {e.code})", e.code) from None
        except http.client.InvalidURL as e:  # (checked_url lets none through; a path could still hold one)
            raise LegalretError(f"invalid request URL for the legalret server at {self.base_url} ({e})") from None
        except (urllib.error.URLError, OSError, ValueError, http.client.HTTPException) as e:
            reason = getattr(e, "reason", None) or e
            if (data is not None and len(data) > MAX_BODY_BYTES
                    and isinstance(reason, (BrokenPipeError, ConnectionResetError, ConnectionAbortedError))):
                # a server that refuses a body over its limit before reading it, and closes: the connection is
                # reset under the body still being sent — it had read "the server stopped"
                raise self._too_large(len(data), what) from None
            raise LegalretError(f"cannot reach the legalret server at {self.base_url} ({reason}); {self.hint}") from None

    def _too_large(self, size: int, what: str | None) -> ServerError:
        """The one-line error for a request body over :data:`MAX_BODY_BYTES` (refused with 413, or the connection
        reset while it was sent)."""
        where = "" if self.hint == RESIDENT_HINT else f" at {self.base_url}"
        return ServerError(f"the request is too large for the legalret server{where}: {size:,} bytes, over the "
                           f"{MAX_BODY_BYTES:,} it reads" + (f" ({what})" if what else ""), 413)


def sent_query(query: str) -> tuple[str, list[str], str | None]:
    """``query`` as :meth:`ServerClient.search` sends it, the notices the server cannot give for it, and the notice
    of the server's to drop. One longer than :data:`~legalret.config.MAX_QUERY_CHARS` is read as the searcher reads
    it before its cut (:meth:`legalret.search.prepare.QueryPreparer.readable`: mojibake repaired, cleaned), with the
    searcher's notices, and sent with one character past the cut: the server cuts it where this process would have
    — keeping a space that ends the cut, which it strips from a text sent cut — and says so with its own count
    (:func:`~legalret.config.query_cut_note` of that character more), which the answer replaces. A shorter query
    goes as it is (the server reads and cuts it itself)."""
    if not isinstance(query, str) or len(query) <= MAX_QUERY_CHARS:
        return query, [], None
    from legalret.search.prepare import repaired_query  # (only for a long query: it imports the search's modules)
    from legalret.text import clean_query

    text, notes = repaired_query(query.encode("utf-8", "replace").decode("utf-8"))
    text = clean_query(text)
    if len(text) <= MAX_QUERY_CHARS:
        return text, notes, None
    notes.append(query_cut_note(len(text)))
    text = text[: MAX_QUERY_CHARS + 1]
    return text, notes, query_cut_note(len(text))
