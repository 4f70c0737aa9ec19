"""Nothing of OpenTelemetry is imported while tracing is off (checked in a fresh interpreter)."""

from __future__ import annotations

import os
from pathlib import Path

from tests._support.fresh import fresh_python

REPO = Path(__file__).resolve().parents[2]

PROGRAM = """
import json, sys
sys.path.insert(0, {repo!r})
from pypwext import BaseService
from pypwext.testing import api_gateway_event, lambda_context

class Ping(BaseService):
    operation = "ping"
    def execute(self, request) -> dict:
        return {{"ok": True}}

answer = Ping.handler(api_gateway_event("GET", "/ping", version="2.0"), lambda_context())
loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("opentelemetry", "google", "requests", "botocore"))
print(json.dumps({{"status": answer["statusCode"], "loaded": loaded}}))
"""


def _run(**env: str) -> dict[str, object]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_") and k != "_X_AMZN_TRACE_ID"}
    out: dict[str, object] = fresh_python(PROGRAM.format(repo=str(REPO)), env={**clean, **env})[0]
    return out


def test_tracing_off_imports_nothing_of_opentelemetry() -> None:
    for env in (
        {},
        {"OTEL_TRACES_EXPORTER": "none"},
        {"OTEL_TRACES_EXPORTER": "otlp", "OTEL_SDK_DISABLED": "true"},
    ):
        out = _run(**env)
        assert out == {"status": 200, "loaded": []}, env


def test_tracing_on_imports_it() -> None:  # the check above can fail: with tracing on, it is loaded
    out = _run(
        OTEL_TRACES_EXPORTER="otlp",
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT="http://127.0.0.1:9/v1/traces",
        OTEL_EXPORTER_OTLP_TRACES_TIMEOUT="1",
    )
    loaded = out["loaded"]
    assert out["status"] == 200 and isinstance(loaded, list)
    assert "opentelemetry.sdk.trace" in loaded and "opentelemetry.exporter.otlp.proto.http" in loaded
    # exported with the standard library's http.client: no requests, no botocore (no SigV4 here)
    assert not [m for m in loaded if m.split(".")[0] in ("requests", "botocore")]
