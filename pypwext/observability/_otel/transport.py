"""The HTTP transport the OTLP exporter sends with: the standard library's ``http.client``.

Why not the exporter's default (``requests``): importing ``requests`` and ``urllib3`` costs a
cold start about as much as the OpenTelemetry SDK itself, and a function that traces need not use
them. One kept-alive connection per endpoint; every request ends by the current export's
deadline, whatever the endpoint does (a watchdog closes a connection that trickles past it);
with a signer, each request is signed (SigV4 for X-Ray).
"""

from __future__ import annotations

import http.client
import os
import socket
import ssl
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from opentelemetry.exporter.http.transport._base import BaseHTTPResult, BaseHTTPTransport

__all__ = ["OutOfTime", "SigV4Signer", "Transport"]


_STALE = (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError, http.client.BadStatusLine)


class OutOfTime(Exception):
    """Raised in place of a request when the export's time is up (never retried)."""


@dataclass(frozen=True, slots=True)
class _Result(BaseHTTPResult):
    body: bytes = b""
    response_headers: Mapping[str, str] = field(default_factory=dict)

    def content(self) -> bytes:
        return self.body

    def headers(self) -> Mapping[str, str]:
        return self.response_headers


class SigV4Signer:
    """Signs an export with SigV4 for ``service`` in ``region``: pypwext's one signing rule
    (:class:`pypwext._sigv4.Signer`, botocore's signer), covering the content type
    and encoding; credentials as botocore finds them (in Lambda: the function's role)."""

    def __init__(self, service: str, region: str) -> None:
        self.service = service
        self.region = region
        self._signer: Any = None

    def __call__(self, method: str, url: str, body: bytes | None, headers: dict[str, str]) -> None:
        """Add ``Authorization``, ``X-Amz-Date`` (and ``X-Amz-Security-Token``) to ``headers``."""
        if self._signer is None:
            from pypwext._sigv4 import Signer

            try:
                self._signer = Signer(self.region, self.service, signed=("content-type", "content-encoding"))
            except ValueError:
                raise RuntimeError("no AWS credentials to sign the traces with") from None
        headers.update(self._signer(method, url, body or b"", headers))


def _tls_context() -> ssl.SSLContext:
    """TLS as OpenTelemetry configures it: ``OTEL_EXPORTER_OTLP_(TRACES_)CERTIFICATE`` (CA file),
    ``..._CLIENT_CERTIFICATE`` and ``..._CLIENT_KEY`` (mutual TLS)."""

    def env(name: str) -> str | None:
        return os.environ.get(f"OTEL_EXPORTER_OTLP_TRACES_{name}") or os.environ.get(
            f"OTEL_EXPORTER_OTLP_{name}"
        )

    cafile = env("CERTIFICATE")
    if not cafile and not os.path.exists(ssl.get_default_verify_paths().cafile or ""):
        try:  # no system CA bundle where OpenSSL looks: certifi's, when installed (botocore's way)
            import certifi

            cafile = certifi.where()
        except ImportError:
            pass
    context = ssl.create_default_context(cafile=cafile)
    certificate = env("CLIENT_CERTIFICATE")
    if certificate:
        context.load_cert_chain(certificate, env("CLIENT_KEY"))
    return context


class Transport(BaseHTTPTransport):
    """``http.client`` for the OTLP exporter, bounded by :attr:`deadline` (``time.monotonic()``)."""

    def __init__(
        self, signer: Callable[[str, str, bytes | None, dict[str, str]], None] | None = None
    ) -> None:
        self.signer = signer
        self.deadline: float | None = None
        self.failure: str | None = None
        self._connection: http.client.HTTPConnection | None = None
        self._key: tuple[str, str, int | None] | None = None
        self._tls: ssl.SSLContext | None = None
        self._lock = threading.Lock()

    def _connect(self, url: str, timeout: float) -> tuple[http.client.HTTPConnection, str]:
        parts = urlsplit(url)
        key = (parts.scheme, parts.hostname or "", parts.port)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        if self._connection is not None and self._key == key:
            self._connection.timeout = timeout
            if self._connection.sock is not None:
                self._connection.sock.settimeout(timeout)
            return self._connection, target
        self.close()
        if parts.scheme == "https":
            if self._tls is None:
                self._tls = _tls_context()
            connection: http.client.HTTPConnection = http.client.HTTPSConnection(
                key[1], key[2], timeout=timeout, context=self._tls
            )
        elif parts.scheme == "http":
            connection = http.client.HTTPConnection(key[1], key[2], timeout=timeout)
        else:
            raise ValueError(f"the traces endpoint must be http or https, not {parts.scheme!r}")
        connection.connect()
        if connection.sock is not None:  # headers and body go in two writes: no Nagle delay
            connection.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._connection, self._key = connection, key
        return connection, target

    def request(
        self,
        method: str,
        url: str,
        *,
        headers: dict[str, str] | None = None,
        timeout: float | None = None,
        data: bytes | None = None,
    ) -> BaseHTTPResult:
        with self._lock:
            return self._request(method, url, dict(headers or {}), timeout, data)

    def _request(
        self, method: str, url: str, headers: dict[str, str], timeout: float | None, data: bytes | None
    ) -> BaseHTTPResult:
        left = timeout if timeout is not None else 10.0
        if self.deadline is not None:
            left = min(left, self.deadline - time.monotonic())
        if left <= 0:
            self.failure = self.failure or "no time left before the Lambda deadline"
            return _Result(error=OutOfTime(self.failure))
        for attempt in (1, 2):
            fired = threading.Event()
            reused = self._connection is not None
            try:
                connection, target = self._connect(url, left)
                reused = reused and self._connection is connection
                if self.signer is not None:
                    self.signer(method, url, data, headers)
                _watchdog().arm(time.monotonic() + left, connection, fired)
                connection.request(method, target, body=data, headers=headers)
                response = connection.getresponse()
                body = response.read()
                if fired.is_set():  # what was read up to the deadline is not an answer
                    raise OutOfTime("no answer before the deadline")
                break
            except Exception as exc:
                self.close()
                stale = reused and isinstance(exc, _STALE) and not fired.is_set()
                if attempt == 1 and stale and self.deadline_left(left) > 0:
                    continue  # a kept-alive connection the endpoint had closed: once more, anew
                self.failure = "no answer before the deadline" if fired.is_set() else type(exc).__name__
                return _Result(error=exc)
            finally:
                _watchdog().disarm()
        if response.will_close:
            self.close()
        if response.status >= 300:
            self.failure = f"the endpoint answered {response.status}"
        return _Result(
            status_code=response.status,
            reason=response.reason,
            body=body,
            response_headers=_Headers(response.getheaders()),
        )

    def deadline_left(self, default: float) -> float:
        """Seconds left before :attr:`deadline` (``default`` without one)."""
        return default if self.deadline is None else self.deadline - time.monotonic()

    def is_connection_error(self, exception: Exception | None) -> bool:
        """Never: a failed connection is not retried after a backoff within an invocation (it
        would hold the answer back); a stale kept-alive one is reopened at once, above."""
        return False

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
        self._connection, self._key = None, None


class _Watchdog(threading.Thread):
    """One thread for the process that ends a request still running at its deadline (shuts its
    socket, which wakes a blocked read): a slow or trickling endpoint cannot hold an invocation
    past it. Arming it costs a notify, not a thread per request."""

    def __init__(self) -> None:
        super().__init__(name="pypwext-otel-watchdog", daemon=True)
        self._cond = threading.Condition()
        self._armed: tuple[float, http.client.HTTPConnection, threading.Event] | None = None

    def arm(self, deadline: float, connection: http.client.HTTPConnection, fired: threading.Event) -> None:
        with self._cond:
            self._armed = (deadline, connection, fired)
            self._cond.notify()

    def disarm(self) -> None:
        with self._cond:
            self._armed = None  # no notify: the thread wakes at the old deadline and finds nothing

    def run(self) -> None:
        with self._cond:
            while True:
                armed = self._armed
                if armed is None:
                    self._cond.wait()
                    continue
                left = armed[0] - time.monotonic()
                if left > 0:
                    self._cond.wait(left)
                    continue
                self._armed = None
                armed[2].set()
                sock = armed[1].sock
                if sock is not None:
                    try:
                        sock.shutdown(2)
                    except OSError:
                        pass


_the_watchdog: _Watchdog | None = None
_start_lock = threading.Lock()


def _watchdog() -> _Watchdog:
    global _the_watchdog
    if _the_watchdog is None:
        with _start_lock:
            if _the_watchdog is None:
                dog = _Watchdog()
                dog.start()
                _the_watchdog = dog
    return _the_watchdog


class _Headers(dict[str, str]):
    """Response headers looked up in any case (what the exporter's retry logic asks for)."""

    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        super().__init__((k.lower(), v) for k, v in pairs)

    def get(self, key: str, default: Any = None) -> Any:
        return super().get(key.lower(), default)
