"""What ``pypwext serve`` refuses before a request reaches a service, and the limits it keeps.

A development server on 127.0.0.1 is still reachable from every web page the developer opens
(a page can post to ``http://127.0.0.1:3000``, and a DNS name of the attacker's can be made to
point at 127.0.0.1). So the server checks, for every request:

* **Host** (DNS rebinding): only a Host that names the address it serves, with its port:
  ``127.0.0.1:PORT``, ``localhost:PORT``, ``[::1]:PORT``, the ``--host`` given, or any IP
  literal when it listens on all interfaces. A rebound name never passes (421).
* **Origin** on the Invoke API (``POST /2015-03-31/functions/...``): browsers add ``Origin`` to a
  cross-origin POST, and ``Sec-Fetch-Site`` to every request; anything but the server's own
  origin is refused (403), and CORS preflights to the Invoke API are never granted.
* **Time**: the request line, headers and body must arrive within :data:`READ_TIMEOUT_S` (an
  idle keep-alive connection is closed after the same time); a client that trickles bytes is
  dropped, and, the server being threaded, never holds up another.
* **Framing**: ``Content-Length`` is one decimal number (several equal values count as one);
  negative, non-numeric or conflicting values, ``Content-Length`` with ``Transfer-Encoding``,
  an unknown transfer coding or a malformed chunk are a 400; a body over :data:`MAX_BODY_BYTES`
  a 413.
* **Header syntax**: a header name is an HTTP token, a value holds no CR, LF, NUL or other
  control character (tab allowed): checked on each raw request header line, so a bare CR can
  never split one header into two, and on every header of every answer (no header injection).
"""

from __future__ import annotations

import io
import ipaddress
import re
import socket
import time
from collections.abc import Sequence

from pypwext._headers import has_control, is_token

__all__ = [
    "MAX_BODY_BYTES",
    "READ_TIMEOUT_S",
    "BadRequest",
    "DeadlineSocketReader",
    "RequestFile",
    "allowed_host",
    "body_length",
    "check_header_line",
    "cross_origin",
    "header_problem",
    "read_body",
]

READ_TIMEOUT_S = 10.0
"""Seconds a client has to send a whole request (line, headers, body), counted from the moment
the server starts waiting for it; also how long an idle connection stays open."""

MAX_BODY_BYTES = 6 * 1024 * 1024
"""The largest request body accepted: Lambda's 6 MB payload limit (no event with a larger body
could reach a function)."""

_DIGITS = re.compile(r"^[0-9]+$")
_HEX = re.compile(rb"^[0-9A-Fa-f]+$")


class BadRequest(Exception):
    """The request is malformed: answer ``status`` with the message, then close."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def header_problem(name: str, value: str) -> str | None:
    """Why ``name: value`` cannot be a header line (``None`` when it can): the one rule for
    request and response headers."""
    if not is_token(name):
        return f"header name {name[:40]!r} is not an HTTP token"
    if has_control(value):
        return f"header {name[:40]!r} holds a CR, LF or other control character"
    return None


def check_header_line(line: bytes) -> None:
    """Refuse a raw request header line (``BadRequest``) that is not ``name: value`` CRLF with
    a clean value: no obsolete line folding, no bare CR, no control characters."""
    text = line.removesuffix(b"\n").removesuffix(b"\r").decode("latin-1")
    if not text:
        return
    if text[0] in " \t":
        raise BadRequest(400, "folded header lines are not accepted")
    name, colon, value = text.partition(":")
    if not colon:
        raise BadRequest(400, "a header line has no colon")
    problem = header_problem(name, value.strip(" \t"))
    if problem:
        raise BadRequest(400, problem)


def body_length(values: Sequence[str], transfer_encoding: Sequence[str]) -> int | None:
    """The body's length from the ``Content-Length`` header values; ``None`` when the body is
    chunked; ``BadRequest`` (400 or 413) for anything ambiguous or too large."""
    codings = [c.strip().lower() for v in transfer_encoding for c in v.split(",") if c.strip()]
    if codings:
        if values:
            raise BadRequest(400, "Content-Length and Transfer-Encoding together are not accepted")
        if codings != ["chunked"]:
            raise BadRequest(400, "only the chunked transfer coding is accepted")
        return None
    parts = {p.strip() for v in values for p in v.split(",")}
    if not parts:
        return 0
    if len(parts) > 1:
        raise BadRequest(400, "Content-Length has different values")
    (text,) = parts
    if not _DIGITS.match(text) or len(text) > 18:
        raise BadRequest(400, "Content-Length must be a non-negative decimal number")
    length = int(text)
    if length > MAX_BODY_BYTES:
        raise BadRequest(413, f"the body is over the limit of {MAX_BODY_BYTES} bytes")
    return length


def _host_port(host: str) -> tuple[str, int | None] | None:
    """``host[:port]`` of a Host header -> (lower-case host, port or None); None if malformed."""
    host = host.strip().lower()
    if host.startswith("["):
        end = host.find("]")
        if end < 0:
            return None
        name, rest = host[1:end], host[end + 1 :]
        if rest and not rest.startswith(":"):
            return None
        port = rest[1:] if rest else None
    else:
        name, colon, port_text = host.rpartition(":")
        name, port = (name, port_text) if colon else (port_text, None)
    if port is not None and not _DIGITS.match(port):
        return None
    return name, int(port) if port is not None else None


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def allowed_host(host: str | None, bound: str, port: int) -> bool:
    """Whether a request's ``Host`` names the address the server listens on (``bound``,
    ``port``): loopback names and the bound address; any IP literal when bound to all
    interfaces. A DNS name other than ``localhost`` and the bound one never passes."""
    if not host:
        return False
    parsed = _host_port(host)
    if parsed is None:
        return False
    name, given = parsed
    if (given if given is not None else 80) != port:
        return False
    names = {"127.0.0.1", "localhost", "::1", bound.strip("[]").lower()}
    if name in names:
        return True
    return bound in ("0.0.0.0", "::", "") and _is_ip(name)


def cross_origin(origin: str | None, fetch_site: str | None, host: str) -> bool:
    """Whether a browser sent this request from another origin than ``http://{host}``."""
    if fetch_site is not None and fetch_site.strip().lower() not in ("same-origin", "none"):
        return True
    if origin is None:
        return False
    return origin.strip().lower().rstrip("/") != f"http://{host.strip().lower()}"


class DeadlineSocketReader(io.RawIOBase):
    """A raw reader over a socket that gives up (``TimeoutError``) once a deadline passes,
    however slowly the bytes come: each ``recv`` waits at most for the time left."""

    def __init__(self, sock: socket.socket) -> None:
        super().__init__()
        self.sock = sock
        self.deadline = time.monotonic() + READ_TIMEOUT_S

    def restart(self) -> None:
        """Start the clock for the next request."""
        self.deadline = time.monotonic() + READ_TIMEOUT_S

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview | bytearray) -> int:  # type: ignore[override]
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("the request did not arrive in time")
        self.sock.settimeout(left)
        try:
            return self.sock.recv_into(buffer)
        finally:
            self.sock.settimeout(READ_TIMEOUT_S)  # what writes get: sendall is bounded as a whole


class RequestFile(io.BufferedReader):
    """The request stream: checks each raw header line while ``checking`` is on (the server
    turns it on after the request line; the blank line ends it)."""

    checking = False

    def readline(self, size: int | None = -1) -> bytes:
        line = super().readline(size)
        if self.checking:
            if line in (b"\r\n", b"\n", b""):
                self.checking = False
            else:
                check_header_line(line)
        return line


def read_body(
    rfile: io.BufferedIOBase, content_length: Sequence[str], transfer_encoding: Sequence[str]
) -> bytes | None:
    """The request body, framed by its ``Content-Length`` or chunked; ``None`` when the client
    went away before sending all of it; ``BadRequest`` when the framing is malformed or the
    body over :data:`MAX_BODY_BYTES`."""
    length = body_length(content_length, transfer_encoding)
    if length is not None:
        body = rfile.read(length) if length else b""
        return body if len(body) == length else None
    chunks: list[bytes] = []
    total = 0
    while True:
        line = rfile.readline(1026)
        if not line:
            return None
        size_text = line.split(b";", 1)[0].strip()
        if not _HEX.match(size_text) or len(size_text) > 8:
            raise BadRequest(400, "a malformed chunk size")
        size = int(size_text, 16)
        if size == 0:
            for _ in range(100):  # the trailer, discarded
                if rfile.readline(8194).strip() == b"":
                    return b"".join(chunks)
            raise BadRequest(400, "too many trailer lines")
        total += size
        if total > MAX_BODY_BYTES:
            raise BadRequest(413, f"the body is over the limit of {MAX_BODY_BYTES} bytes")
        chunk = rfile.read(size)
        if len(chunk) < size:
            return None
        chunks.append(chunk)
        if rfile.readline(3) not in (b"\r\n", b"\n"):
            raise BadRequest(400, "a chunk is longer than its size")
