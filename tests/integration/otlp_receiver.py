"""An OTLP/HTTP traces receiver on 127.0.0.1 for the tests: the real protocol, decoded with
``opentelemetry-proto`` (``ExportTraceServiceRequest``).

``mode`` is ``"ok"`` (answer 200 with an empty ``ExportTraceServiceResponse``), ``"500"``,
``"503"``, ``"hang"`` (read the request, never answer until stopped) or ``"trickle"`` (answer
200 one header byte every 0.2 s, for a minute) or ``"drop"`` (answer 200, then close the
kept-alive connection without a ``Connection: close``). With ``sigv4`` set to
``(access_key, secret_key, region)`` the receiver checks each request's SigV4 signature for
service ``xray`` with botocore and answers 403 when it does not match. ``tls=(cert, key)`` serves
HTTPS.

:class:`Downstream` is the other side of a traced call: an HTTP server on 127.0.0.1 that records
the headers it receives (``traceparent``, ``X-Amzn-Trace-Id``), or runs a service on them.
"""

from __future__ import annotations

import gzip
import ssl
import threading
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

from pypwext.testing import api_gateway_event, lambda_context

KINDS = {0: "UNSPECIFIED", 1: "INTERNAL", 2: "SERVER", 3: "CLIENT", 4: "PRODUCER", 5: "CONSUMER"}


def _value(any_value: Any) -> Any:
    which = any_value.WhichOneof("value")
    return getattr(any_value, which) if which else None


@dataclass
class Span:
    """One received span, decoded."""

    name: str
    kind: str
    trace_id: str
    span_id: str
    parent_id: str
    attributes: dict[str, Any]
    events: list[tuple[str, dict[str, Any]]]
    status: int  # 0 unset, 1 ok, 2 error
    resource: dict[str, Any]
    links: list[tuple[str, str]] = field(default_factory=list)  # (trace id, span id)


@dataclass
class Received:
    """What one POST carried."""

    path: str
    headers: dict[str, str]
    body: bytes
    spans: list[Span] = field(default_factory=list)
    signature_ok: bool | None = None


def decode(body: bytes) -> list[Span]:
    request = ExportTraceServiceRequest()
    request.ParseFromString(body)
    spans = []
    for resource_spans in request.resource_spans:
        resource = {kv.key: _value(kv.value) for kv in resource_spans.resource.attributes}
        for scope_spans in resource_spans.scope_spans:
            for s in scope_spans.spans:
                spans.append(
                    Span(
                        name=s.name,
                        kind=KINDS[s.kind],
                        trace_id=s.trace_id.hex(),
                        span_id=s.span_id.hex(),
                        parent_id=s.parent_span_id.hex(),
                        attributes={kv.key: _value(kv.value) for kv in s.attributes},
                        events=[
                            (e.name, {kv.key: _value(kv.value) for kv in e.attributes}) for e in s.events
                        ],
                        status=s.status.code,
                        resource=resource,
                        links=[(link.trace_id.hex(), link.span_id.hex()) for link in s.links],
                    )
                )
    return spans


def verify_sigv4(
    method: str, url: str, headers: dict[str, str], body: bytes, creds: tuple[str, str, str]
) -> bool:
    """Recompute the request's SigV4 signature (service ``xray``) with botocore and compare."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    auth = headers.get("authorization", "")
    if not auth.startswith("AWS4-HMAC-SHA256 "):
        return False
    parts = dict(p.strip().split("=", 1) for p in auth[len("AWS4-HMAC-SHA256 ") :].split(","))
    access_key, secret, region = creds
    scope = parts.get("Credential", "").split("/")
    if scope[0] != access_key or scope[2:4] != [region, "xray"]:
        return False
    signed_names = parts["SignedHeaders"].split(";")
    request = AWSRequest(
        method=method, url=url, data=body, headers={n: headers[n] for n in signed_names if n != "host"}
    )
    request.context["timestamp"] = headers["x-amz-date"]
    signer = SigV4Auth(Credentials(access_key, secret, headers.get("x-amz-security-token")), "xray", region)
    canonical = signer.canonical_request(request)
    expected = signer.signature(signer.string_to_sign(request, canonical), request)
    return bool(
        parts.get("Signature") == expected
        and parts["SignedHeaders"] == signer.signed_headers(signer.headers_to_sign(request))
    )


class OtlpReceiver:
    """The receiver; ``with OtlpReceiver() as r:`` serves on ``r.endpoint`` (``.../v1/traces``)."""

    def __init__(
        self, mode: str = "ok", sigv4: tuple[str, str, str] | None = None, tls: tuple[str, str] | None = None
    ) -> None:
        self.mode = mode
        self.sigv4 = sigv4
        self.received: list[Received] = []
        self._stop = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                headers = {k.lower(): v for k, v in self.headers.items()}
                got = Received(self.path, headers, body)
                receiver.received.append(got)
                if receiver.mode == "hang":
                    receiver._stop.wait(60)
                    return
                if receiver.mode == "trickle":
                    for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 300:
                        if receiver._stop.wait(0.2):
                            return
                        try:
                            self.wfile.write(bytes([byte]))
                            self.wfile.flush()
                        except OSError:
                            return
                    return
                if receiver.sigv4 is not None:
                    url = f"http://{headers['host']}{self.path}"
                    got.signature_ok = verify_sigv4("POST", url, headers, body, receiver.sigv4)
                    if not got.signature_ok:
                        self._answer(403, b"bad signature")
                        return
                if receiver.mode in ("500", "503"):
                    self._answer(int(receiver.mode), b"no")
                    return
                if headers.get("content-encoding") == "gzip":
                    body = gzip.decompress(body)
                elif headers.get("content-encoding") == "deflate":
                    body = zlib.decompress(body)
                got.spans = decode(body)
                self._answer(200, ExportTraceServiceResponse().SerializeToString())
                if receiver.mode == "drop":  # close the kept-alive connection without saying so
                    self.close_connection = True

            def _answer(self, status: int, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        scheme = "http"
        if tls is not None:  # (certificate file, key file): HTTPS
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*tls)
            self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
            scheme = "https"
        self.endpoint = f"{scheme}://127.0.0.1:{self._server.server_address[1]}/v1/traces"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> OtlpReceiver:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._server.shutdown()
        self._server.server_close()

    def spans(self) -> list[Span]:
        """Every span received so far."""
        return [s for r in self.received for s in r.spans]

    def __iter__(self) -> Iterator[Span]:
        return iter(self.spans())


class Downstream:
    """An HTTP server on 127.0.0.1 that records the headers it receives; with ``service`` set,
    it answers by invoking that service with an API Gateway HTTP API event of the request."""

    def __init__(self, service: Any = None, status: int = 200) -> None:
        self.headers: list[dict[str, str]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _any(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                headers = {k.lower(): v for k, v in self.headers.items()}
                outer.headers.append(headers)
                status, payload = outer.status, b'{"ok": true}'
                if outer.service is not None:
                    path = self.path.partition("?")[0]
                    event = api_gateway_event(
                        self.command, path, headers=headers, body=body.decode() or None, version="2.0"
                    )
                    answer = outer.service.handler(event, lambda_context("b-fn"))
                    status, payload = answer["statusCode"], answer.get("body", "").encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = _any

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.service = service
        self.status = status
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
