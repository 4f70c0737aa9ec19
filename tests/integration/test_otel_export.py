"""How a service's spans leave the function: a failing endpoint's bounded cost, X-Ray's SigV4
(checked by the loopback receiver with botocore), the endpoint variables and compression."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from pypwext import BaseService
from pypwext.observability import _otel
from pypwext.testing import lambda_context
from tests._support.logs import json_lines
from tests.integration.otlp_receiver import OtlpReceiver


@pytest.fixture
def otel(monkeypatch: pytest.MonkeyPatch) -> Iterator[OtlpReceiver]:
    """A receiver, and the environment that sends a service's traces to it."""
    _otel.reset()
    with OtlpReceiver() as receiver:
        monkeypatch.setenv("OTEL_TRACES_EXPORTER", "otlp")
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", receiver.endpoint)
        monkeypatch.delenv("_X_AMZN_TRACE_ID", raising=False)
        yield receiver
    _otel.reset()


@pytest.mark.parametrize("mode", ["500", "503", "hang", "trickle", "down"])
def test_a_failing_endpoint_costs_a_bounded_delay_and_one_warning(
    mode: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    class Ping(BaseService):
        operation = "ping"

        def execute(self, data: Any) -> Any:
            return data

    _otel.reset()
    with OtlpReceiver(mode if mode != "down" else "ok") as receiver:
        endpoint = receiver.endpoint
        monkeypatch.setenv("OTEL_TRACES_EXPORTER", "otlp")
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", endpoint)
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_HEADERS", "x-api-key=k3y-never-logged")
        if mode == "down":
            receiver.__exit__(None, None, None)  # nothing listens on that port any more
        capsys.readouterr()
        deadline_s = 4.0
        started = time.monotonic()
        answer = Ping.handler({"a": 1}, lambda_context(timeout_s=deadline_s))
        took = time.monotonic() - started
    _otel.reset()
    assert answer["statusCode"] == 200 and answer["body"] == {"a": 1}
    assert took < deadline_s  # the Lambda deadline bounds the export
    out = capsys.readouterr().out
    warnings = [e for e in json_lines(out) if e.get("level") == "WARNING"]
    assert [w["message"] for w in warnings] == ["traces not exported"]
    assert warnings[0]["spans"] >= 4 and "127.0.0.1" in warnings[0]["endpoint"]
    assert "k3y-never-logged" not in out


@pytest.mark.parametrize("secret_matches", [True, False])
def test_xray_endpoint_mode_signs_with_sigv4(
    secret_matches: bool, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    class Ping(BaseService):
        operation = "ping"

        def execute(self, data: Any) -> Any:
            return data

    _otel.reset()
    known = "s3cr3t/EXAMPLEKEY" if secret_matches else "another-secret"
    with OtlpReceiver(sigv4=("AKIDEXAMPLE", known, "eu-west-1")) as receiver:
        for name, value in {
            "OTEL_TRACES_EXPORTER": "otlp",
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": receiver.endpoint,
            "PYPWEXT_OTEL_SIGV4": "xray",  # the endpoint is 127.0.0.1, not xray.<region>.amazonaws.com
            "AWS_REGION": "eu-west-1",
            "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE",
            "AWS_SECRET_ACCESS_KEY": "s3cr3t/EXAMPLEKEY",
            "AWS_SESSION_TOKEN": "session-token-1",
        }.items():
            monkeypatch.setenv(name, value)
        capsys.readouterr()
        answer = Ping.handler({"a": 1}, lambda_context())
    _otel.reset()
    assert answer["statusCode"] == 200
    [got] = receiver.received
    assert got.headers["authorization"].startswith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/")
    assert "/eu-west-1/xray/aws4_request" in got.headers["authorization"]
    assert got.headers["x-amz-security-token"] == "session-token-1"
    assert got.signature_ok is secret_matches
    warnings = [e for e in json_lines(capsys.readouterr().out) if e.get("level") == "WARNING"]
    if secret_matches:
        assert [s.name for s in got.spans] == ["ping.validate", "ping.execute", "ping.render", "ping"]
        assert warnings == []
    else:
        assert [(w["message"], w["reason"]) for w in warnings] == [
            ("traces not exported", "the endpoint answered 403")
        ]
    assert "s3cr3t" not in capsys.readouterr().out


def test_which_endpoints_are_signed(monkeypatch: pytest.MonkeyPatch) -> None:
    from pypwext.observability._otel.export import _sigv4_region

    monkeypatch.delenv("PYPWEXT_OTEL_SIGV4", raising=False)
    assert _sigv4_region("https://xray.eu-central-1.amazonaws.com/v1/traces") == "eu-central-1"
    assert _sigv4_region("https://collector.example.com/v1/traces") is None
    assert _sigv4_region("https://xray.eu-central-1.amazonaws.com.evil.example/v1/traces") is None
    monkeypatch.setenv("PYPWEXT_OTEL_SIGV4", "off")
    assert _sigv4_region("https://xray.eu-central-1.amazonaws.com/v1/traces") is None


def test_base_endpoint_and_compression(otel: OtlpReceiver, monkeypatch: pytest.MonkeyPatch) -> None:
    class Ping(BaseService):
        operation = "ping"

        def execute(self, data: Any) -> Any:
            return data

    monkeypatch.delenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", otel.endpoint.removesuffix("/v1/traces") + "/")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_COMPRESSION", "gzip")
    Ping.handler({}, lambda_context())
    [got] = otel.received
    assert got.path == "/v1/traces" and got.headers["content-encoding"] == "gzip"
    assert "ping" in [s.name for s in got.spans]


def test_after_a_failure_exports_pause_instead_of_costing_every_invocation(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from pypwext.observability._otel import export

    class Ping(BaseService):
        operation = "ping"

        def execute(self, data: Any) -> Any:
            return data

    _otel.reset()
    monkeypatch.setattr(export, "EXPORT_PAUSE_S", 1.0)
    with OtlpReceiver("hang") as receiver:
        monkeypatch.setenv("OTEL_TRACES_EXPORTER", "otlp")
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", receiver.endpoint)
        capsys.readouterr()
        for _ in range(3):  # the first waits for the hanging endpoint; the next two do not try
            assert Ping.handler({}, lambda_context(timeout_s=3.0))["statusCode"] == 200
        assert len(receiver.received) == 1
        time.sleep(1.2)  # the pause is over: the next invocation tries again
        receiver.mode = "ok"
        Ping.handler({}, lambda_context(timeout_s=3.0))
        assert len(receiver.received) == 2 and [s.name for s in receiver.received[1].spans][-1] == "ping"
    _otel.reset()
    lines = json_lines(capsys.readouterr().out)
    said = [(line["level"], line["message"]) for line in lines if "traces" in str(line["message"])]
    assert said == [("WARNING", "traces not exported"), ("INFO", "traces exported again")]
    assert lines[-1]["dropped_while_paused"] == 8  # two invocations of four spans


def test_a_kept_alive_connection_the_endpoint_closed_is_reopened(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    class Ping(BaseService):
        operation = "ping"

        def execute(self, data: Any) -> Any:
            return data

    _otel.reset()
    with OtlpReceiver("drop") as receiver:
        monkeypatch.setenv("OTEL_TRACES_EXPORTER", "otlp")
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", receiver.endpoint)
        capsys.readouterr()
        for _ in range(3):
            Ping.handler({}, lambda_context())
            time.sleep(0.05)  # the endpoint's close arrives before the next export
    _otel.reset()
    assert len(receiver.received) == 3 and all(r.spans for r in receiver.received)
    assert '"WARNING"' not in capsys.readouterr().out


@pytest.mark.parametrize("trusted", [True, False])
def test_https_endpoint_with_the_configured_ca(
    trusted: bool, tmp_path: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import subprocess

    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
         "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip

    class Ping(BaseService):
        operation = "ping"

        def execute(self, data: Any) -> Any:
            return data

    _otel.reset()
    with OtlpReceiver(tls=(str(cert), str(key))) as receiver:
        assert receiver.endpoint.startswith("https://")
        monkeypatch.setenv("OTEL_TRACES_EXPORTER", "otlp")
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", receiver.endpoint)
        if trusted:
            monkeypatch.setenv("OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE", str(cert))
        capsys.readouterr()
        assert Ping.handler({}, lambda_context())["statusCode"] == 200
    _otel.reset()
    warnings = [e for e in json_lines(capsys.readouterr().out) if e.get("level") == "WARNING"]
    if trusted:
        assert warnings == [] and "ping" in [s.name for s in receiver.spans()]
    else:  # a certificate nobody vouches for: not sent
        assert receiver.spans() == []
        assert [(w["message"], w["reason"]) for w in warnings] == [
            ("traces not exported", "SSLCertVerificationError")
        ]
