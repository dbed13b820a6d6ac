"""uvicorn's HTTP/1.1 protocol (h11) with JSON errors for requests the app never sees.

A request whose line or headers are too long, or that is not HTTP at all, is rejected by the protocol layer
before any route runs; stock uvicorn answers it with a plain-text ``400 Invalid HTTP request received.`` and
closes the socket at once — with the rest of a long request still unread, the kernel resets the connection,
so a client sees ``ConnectionResetError`` instead of an answer. :class:`JsonErrorProtocol` answers like every
other legalret error — ``{"error": "<one line>", "status": N}`` — with 414 for a request line over
:data:`MAX_REQUEST_BYTES`, 431 for headers over it, 400 otherwise, and reads (and drops) what the client is
still sending for up to :data:`DRAIN_S` before closing, so the client reads the answer.

Usage::

    uvicorn.Config(app, http=JsonErrorProtocol, h11_max_incomplete_event_size=MAX_REQUEST_BYTES)
"""

from __future__ import annotations

import ast
import json
import re
from http import HTTPStatus
from urllib.parse import quote

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

#: The longest request line (or header block) the server reads, in bytes. A query of
#: :data:`~legalret.config.MAX_QUERY_CHARS` Hangul characters is ~9 bytes each once URL-encoded, so a GET
#: with 100k characters still arrives (and is cut, with a notice); uvicorn's default is 16 KiB.
MAX_REQUEST_BYTES = 1 << 20
#: How long a rejected connection keeps reading (and dropping) the client's bytes before it is closed.
DRAIN_S = 2.0


class JsonErrorProtocol(H11Protocol):
    """:class:`uvicorn.protocols.http.h11_impl.H11Protocol` whose protocol-level errors are JSON."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._protocol_error: h11.RemoteProtocolError | None = None
        self._line_seen = False  # whether the current request's first line ended (CRLF) before the error
        self._draining = False
        next_event = self.conn.next_event

        def remember_error():  # what went wrong, for send_400_response (uvicorn passes only a fixed text)
            try:
                return next_event()
            except h11.RemoteProtocolError as e:
                self._protocol_error = e
                raise

        self.conn.next_event = remember_error

    def data_received(self, data: bytes) -> None:
        if self._draining:
            return  # the answer is out: drop the rest of the rejected request
        if not self._line_seen and b"\n" in data:
            self._line_seen = True
        super().data_received(data)

    def on_response_complete(self) -> None:
        self._line_seen = False  # keep-alive: the next request starts with its own line
        super().on_response_complete()

    def send_400_response(self, msg: str) -> None:
        status, message = rejection(self._protocol_error, self._line_seen)
        body = json.dumps({"error": message, "status": status}, ensure_ascii=False).encode("utf-8")
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                   (b"connection", b"close")]
        response = h11.Response(status_code=status, headers=headers, reason=HTTPStatus(status).phrase.encode())
        for event in (response, h11.Data(data=body), h11.EndOfMessage()):
            self.transport.write(self.conn.send(event))
        self._draining = True
        self.loop.call_later(DRAIN_S, self.transport.close)


def rejection(error: h11.RemoteProtocolError | None, line_seen: bool) -> tuple[int, str]:
    """(status, one-line message) for a request the protocol layer refused."""
    if error is not None and getattr(error, "error_status_hint", 400) == 431:
        if not line_seen:
            return 414, (f"request URL too long (over {MAX_REQUEST_BYTES:,} bytes); send a long query as JSON with "
                         "POST /api/search — queries are cut to their first characters with a notice anyway")
        return 431, f"request headers too long (over {MAX_REQUEST_BYTES:,} bytes)"
    reason = str(error) if error is not None else "malformed request"
    line = _quoted_bytes(reason)
    if reason.startswith("illegal request line") and line is not None and _REQUEST_LINE.match(line):
        return 400, bad_target_message(line)
    reason = _REPR.sub("", reason).strip() or "malformed request"  # h11 quotes the bytes as a Python repr
    return 400, f"invalid HTTP request ({reason})"


#: ``<method> <target> HTTP/x.y``, however bad the target: a request line whose URL holds bytes a URL cannot.
_REQUEST_LINE = re.compile(rb"^[A-Z]+ .+ HTTP/\d\.\d$", re.S)
#: The bytes h11 quotes in its messages: ``: bytearray(b'…')`` or ``: b'…'``.
_REPR = re.compile(r""":?\s*(?:bytearray\()?b(?:'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")\)?""")
#: What a request target may hold (RFC 9112: visible ASCII); anything else must be percent-encoded.
_NOT_IN_URL = re.compile(rb"[^\x21-\x7e]+")


def _quoted_bytes(reason: str) -> bytes | None:
    """The bytes an h11 message quotes (``illegal request line: bytearray(b'GET …')``), or None."""
    m = _REPR.search(reason)
    if m is None:
        return None
    literal = m.group(0).lstrip(": \t")
    literal = literal[len("bytearray("):-1] if literal.startswith("bytearray(") else literal
    try:
        value = ast.literal_eval(literal)
    except (ValueError, SyntaxError):
        return None
    return bytes(value) if isinstance(value, (bytes, bytearray)) else None


def bad_target_message(line: bytes) -> str:
    """One line for a request line whose URL holds bytes a URL may not (Korean sent unencoded, a space …)."""
    target = line.split(b" ", 1)[1].rsplit(b" ", 1)[0]
    bad = _NOT_IN_URL.search(target)
    raw = bad.group(0) if bad is not None else b""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = ""
    if raw[:1] == b" ":
        here = "a space → %20"
    elif text and raw[0] >= 0x80:
        here = f"{text} → {quote(text)}"
    else:
        here = f"byte 0x{raw[0]:02x}" if raw else "a character outside visible ASCII"
    return (f"invalid HTTP request: the request line has bytes a URL may not carry (here: {here}); "
            "percent-encode the query string as UTF-8 (curl: -G URL --data-urlencode 'q=…')")
