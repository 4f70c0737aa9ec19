"""The Http dependency against a real HTTP server on 127.0.0.1 with scripted faults.

The server counts the attempts it really saw; SigV4 signatures are recomputed by the server with
botocore. Backoff values are tiny so that the suite stays fast.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import attrs
import pytest
from fault_server import FaultServer, delay, reset, slow_body, status

from pypwext import BaseService, DependencyError, ErrorAction, Http, Request, fan_out
from pypwext.dependencies._failures import _retry_after
from pypwext.dependencies.http import CORRELATION_HEADER, HttpClient, aws_endpoint
from pypwext.observability._context import current_invocation
from pypwext.testing import api_gateway_event, invoke, lambda_context
from tests._support.logs import json_lines
from tests.observability.xray_daemon import run_traced

pytestmark = pytest.mark.integration

FAST: dict[str, Any] = {"backoff": 0.01, "backoff_max": 0.02}


@attrs.frozen
class Item:
    id: int
    stock: int


@pytest.fixture(scope="module")
def running_server() -> Iterator[FaultServer]:
    server = FaultServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def server(running_server: FaultServer, monkeypatch: pytest.MonkeyPatch) -> FaultServer:
    """The module's server with no scripts and nothing received; ``{FAULT_URL}`` points at it."""
    running_server.clear()
    monkeypatch.setenv("FAULT_URL", running_server.base_url)
    return running_server


def client(dep: Http[Any], name: str = "inventory") -> HttpClient[Any]:
    """The bound client of a dependency declared outside a service class."""
    dep.__set_name__(object, name)
    return dep.client()


# --- templates, query, bodies, answers ---------------------------------------------------------


def test_template_query_body_and_correlation_id_reach_the_server(server: FaultServer) -> None:
    seen: dict[str, Any] = {}

    class Orders(BaseService):
        items = Http("{FAULT_URL}/v1/{STAGE}/items/{item_id}", method="POST")

        def execute(self, request: Request) -> Any:
            invocation = current_invocation()
            assert invocation is not None
            seen["correlation_id"] = invocation.correlation_id
            return self.items.call(body=Item(7, 2), item_id="a b/c", STAGE="dev", country="SE", page=None)

    result = invoke(Orders, api_gateway_event("POST", "/orders"))
    assert result.status == 200
    (got,) = server.received()
    assert got.method == "POST"
    assert got.raw_path == "/v1/dev/items/a%20b%2Fc?country=SE"  # path segment escaped, None dropped
    assert json.loads(got.body) == {"id": 7, "stock": 2}  # attrs body through the shared codec
    assert got.headers["Content-Type"] == "application/json"
    assert got.headers[CORRELATION_HEADER] == seen["correlation_id"]
    assert result.json["method"] == "POST"  # the parsed JSON answer (the server echoes)


def test_answers_are_structured_into_the_declared_or_per_call_type(server: FaultServer) -> None:
    server.script("/items/1", status(200, {"id": 1, "stock": "5"}))
    server.script("/empty", status(204))
    server.script("/text", status(200, "plain words"))
    typed = client(Http("{FAULT_URL}/items/{item_id}", response_type=Item))
    assert typed.get(item_id=1) == Item(1, 5)
    assert client(Http("{FAULT_URL}/items/{item_id}")).call(item_id=1, into=dict[str, int]) == {
        "id": 1,
        "stock": 5,
    }
    assert client(Http("{FAULT_URL}/empty")).get() is None
    assert client(Http("{FAULT_URL}/text")).get() == "plain words"
    raw = client(Http("{FAULT_URL}/items/{item_id}")).call(item_id=1, raw=True)
    assert raw.status_code == 200 and raw.json() == {"id": 1, "stock": "5"}


def test_an_answer_of_the_wrong_shape_is_a_dependency_error_logging_the_problems(
    server: FaultServer, caplog: pytest.LogCaptureFixture
) -> None:
    server.script("/items/2", status(200, {"id": "two"}))
    with pytest.raises(DependencyError) as info:
        client(Http("{FAULT_URL}/items/{item_id}", response_type=Item)).get(item_id=2)
    err = info.value
    assert err.code == 502 and err.status == 200
    assert err.msg == "inventory answered something unexpected"
    # the problems quote the remote's values: they go to the log, not to the error the client sees
    assert err.details == {"dependency": "inventory", "status": 200}
    (record,) = [r for r in caplog.records if r.getMessage() == err.msg]
    assert record.reason == "id: expected an integer, got the string 'two'; stock: required field missing"


# --- retries -----------------------------------------------------------------------------------


def test_503_then_200_is_retried_with_backoff(server: FaultServer) -> None:
    server.script("/flaky", status(503), status(503), status(200, {"id": 3, "stock": 1}))
    items = client(Http("{FAULT_URL}/flaky", response_type=Item, **FAST))
    assert items.get() == Item(3, 1)
    assert server.count("/flaky") == 3


def test_retries_end_after_the_declared_number_and_the_error_carries_status_and_body(
    server: FaultServer,
) -> None:
    server.script("/down", status(503, {"why": "maintenance"}))
    with pytest.raises(DependencyError) as info:
        client(Http("{FAULT_URL}/down", retries=1, **FAST)).get()
    assert server.count("/down") == 2
    err = info.value
    assert (err.code, err.status) == (502, 503)
    assert json.loads(err.body) == {"why": "maintenance"}
    assert err.msg == "inventory failed: it answered 503 (GET, 2 attempts)"  # no URL, no template


def test_a_reset_connection_is_retried_for_get_but_not_for_post(server: FaultServer) -> None:
    server.script("/reset", reset(), status(200, {"ok": True}))
    assert client(Http("{FAULT_URL}/reset", **FAST)).get() == {"ok": True}
    assert server.count("/reset") == 2

    server.clear()
    server.script("/reset", reset(), status(200, {"ok": True}))
    with pytest.raises(DependencyError) as info:
        client(Http("{FAULT_URL}/reset", **FAST)).post({"order": 1})
    assert info.value.code == 502 and info.value.status is None
    assert "connection broke" in info.value.msg
    assert server.count("/reset") == 1  # a POST may have been processed: not resent

    server.clear()
    server.script("/reset", reset(), status(200, {"ok": True}))
    assert client(Http("{FAULT_URL}/reset", retry_post=True, **FAST)).post({"order": 1}) == {"ok": True}
    assert server.count("/reset") == 2


def test_a_post_is_not_retried_on_503_unless_declared(server: FaultServer) -> None:
    server.script("/pay", status(503), status(201, {"paid": True}))
    with pytest.raises(DependencyError):
        client(Http("{FAULT_URL}/pay", "POST", **FAST)).call()
    assert server.count("/pay") == 1


def test_429_with_retry_after_is_honoured(server: FaultServer) -> None:
    server.script("/limited", status(429, headers={"Retry-After": "1"}), status(200, {"ok": True}))
    started = time.monotonic()
    assert client(Http("{FAULT_URL}/limited", **FAST)).get() == {"ok": True}
    received = server.received("/limited")
    assert len(received) == 2
    assert received[1].at - received[0].at >= 0.95  # waited what the server asked, not the 0.02 s backoff
    assert time.monotonic() - started < 2.0


def test_a_retry_after_longer_than_allowed_ends_the_retries_at_once(server: FaultServer) -> None:
    server.script("/busy", status(429, headers={"Retry-After": "120"}))
    started = time.monotonic()
    with pytest.raises(DependencyError) as info:
        client(Http("{FAULT_URL}/busy", **FAST)).get()
    assert time.monotonic() - started < 0.5
    assert server.count("/busy") == 1
    assert info.value.status == 429 and "retry after 120 s" in info.value.msg


def test_retry_after_reads_seconds_and_http_dates() -> None:
    assert _retry_after("3") == 3.0
    assert _retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # in the past: retry now
    future = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(time.time() + 30))
    assert 28 < (_retry_after(future) or 0) <= 30
    assert _retry_after("soon") is None


def test_a_timeout_is_a_504_and_is_retried(server: FaultServer) -> None:
    server.script("/slow", delay(1.0, 200, {"late": True}))
    started = time.monotonic()
    with pytest.raises(DependencyError) as info:
        client(Http("{FAULT_URL}/slow", timeout=0.2, retries=1, **FAST)).get()
    assert time.monotonic() - started < 0.9
    assert info.value.code == 504 and info.value.status is None
    assert server.count("/slow") == 2


def test_a_remote_404_is_a_502_by_default_or_mapped_when_declared(server: FaultServer) -> None:
    server.script("/items/9", status(404, {"error": {"code": 404, "msg": "no such item"}}))
    with pytest.raises(DependencyError) as info:
        client(Http("{FAULT_URL}/items/{item_id}", **FAST)).get(item_id=9)
    assert (info.value.code, info.value.status) == (502, 404)
    assert "no such item" in info.value.body
    assert server.count("/items/9") == 1  # a 4xx is not retried
    with pytest.raises(DependencyError) as mapped:
        client(Http("{FAULT_URL}/items/{item_id}", status_map={404: 404})).get(item_id=9)
    assert mapped.value.code == 404
    raw = client(Http("{FAULT_URL}/items/{item_id}")).call(item_id=9, raw=True)
    assert raw.status_code == 404  # raw=True hands any answer back


# --- the deadline ------------------------------------------------------------------------------


def _run(svc: BaseService, timeout_s: float) -> tuple[Any, float]:
    started = time.monotonic()
    result = invoke(svc, api_gateway_event("GET", "/probe"), lambda_context(timeout_s=timeout_s))
    return result, time.monotonic() - started


def test_retries_stop_at_the_deadline_with_a_504_that_says_so(server: FaultServer) -> None:
    server.script("/down", status(503, delay_s=0.25))

    class Probe(BaseService):
        just_status_code = False
        api = Http("{FAULT_URL}/down", retries=50, **FAST)

        def execute(self, request: Request) -> Any:
            return self.api.get()

    result, elapsed = _run(Probe(), timeout_s=1.5)  # 1.0 s of budget after the 0.5 s margin
    assert result.status == 504
    assert "no time left for another before the Lambda deadline" in result.errors[0]["msg"]
    assert elapsed < 1.25  # the service answered with time to spare before Lambda's 1.5 s
    assert 3 <= server.count("/down") <= 4  # ~0.25 s each within 1.0 s, not 51


def test_a_backoff_that_would_end_past_the_deadline_is_not_slept(server: FaultServer) -> None:
    server.script("/later", status(503, headers={"Retry-After": "3"}))

    class Probe(BaseService):
        api = Http("{FAULT_URL}/later", retry_after_max=10)

        def execute(self, request: Request) -> Any:
            return self.api.get()

    result, elapsed = _run(Probe(), timeout_s=2.0)
    assert result.status == 504 and elapsed < 0.5
    assert server.count("/later") == 1


def test_a_slow_body_is_cut_at_the_deadline(server: FaultServer) -> None:
    server.script("/trickle", slow_body(size=40, interval_s=0.1))  # 4 s of body

    class Probe(BaseService):
        api = Http("{FAULT_URL}/trickle", **FAST)

        def execute(self, request: Request) -> Any:
            return self.api.get()

    result, elapsed = _run(Probe(), timeout_s=1.3)  # 0.8 s of budget
    assert result.status == 504
    assert elapsed < 1.05  # not the 4 s the body would take
    assert server.count("/trickle") == 1


def test_a_call_is_not_started_when_too_little_time_is_left(server: FaultServer) -> None:
    class Probe(BaseService):
        just_status_code = False
        api = Http("{FAULT_URL}/never")

        def execute(self, request: Request) -> Any:
            return self.api.get()

    result, _ = _run(Probe(), timeout_s=0.55)
    assert result.status == 504
    assert "was not called: only" in result.errors[0]["msg"]
    assert server.count("/never") == 0


# --- errors through the service ----------------------------------------------------------------


def test_a_dependency_error_renders_as_its_code_through_the_handler(server: FaultServer) -> None:
    server.script("/items/5", status(404, {"message": "gone"}))

    class Stock(BaseService):
        just_status_code = False
        items = Http("{FAULT_URL}/items/{item_id}", response_type=Item)

        def execute(self, request: Request) -> Item:
            return self.items.get(item_id=request.path_params["item_id"])

    event = api_gateway_event("GET", "/stock/5", path_params={"item_id": "5"})
    result = invoke(Stock, event)
    assert result.status == 502
    assert result.errors[0]["msg"].startswith("items failed: it answered 404")
    assert result.errors[0]["details"] == {"dependency": "items", "status": 404, "attempts": 1}
    assert "gone" not in result.body  # the remote body stays on the error object, off the wire


def test_continue_collects_the_error_and_returns_the_default(server: FaultServer) -> None:
    server.script("/items/5", status(500))

    class Stock(BaseService):
        just_status_code = False
        items = Http(
            "{FAULT_URL}/items/{item_id}", retries=0, on_error=ErrorAction.CONTINUE, default={"stock": 0}
        )

        def execute(self, request: Request) -> dict[str, Any]:
            return {"item": self.items.get(item_id=5)}

    result = invoke(Stock, api_gateway_event("GET", "/stock/5"))
    assert result.status == 502  # code_from_error
    assert result.json["item"] == {"stock": 0}
    assert result.errors[0]["details"]["status"] == 500


# --- fan-out -----------------------------------------------------------------------------------


def test_fan_out_threads_share_the_collector_and_keep_the_order(server: FaultServer) -> None:
    server.script("/items/3", status(500))
    for i in (1, 2, 4):
        server.script(f"/items/{i}", status(200, {"id": i, "stock": i * 10}, delay_s=0.2))

    class Stock(BaseService):
        items = Http(
            "{FAULT_URL}/items/{item_id}", response_type=Item, retries=0, on_error=ErrorAction.CONTINUE
        )

        def execute(self, request: Request) -> list[Item | None]:
            return fan_out(lambda i: self.items.get(item_id=i), [1, 2, 3, 4])

    result = invoke(Stock(), api_gateway_event("GET", "/stock"))
    arrivals = [r.at for r in server.received()]
    assert max(arrivals) - min(arrivals) < 0.15  # all four arrived together: in parallel, not one by one
    assert result.json == [{"id": 1, "stock": 10}, {"id": 2, "stock": 20}, None, {"id": 4, "stock": 40}]
    assert result.status == 502  # the collected error from the third thread
    ids = {r.headers[CORRELATION_HEADER] for r in server.received()}
    assert len(ids) == 1  # every thread sent the invocation's correlation id


def test_fan_out_raises_the_first_failure_after_every_task_finished(server: FaultServer) -> None:
    done: list[int] = []

    def task(n: int) -> int:
        if n == 1:
            raise DependencyError("first", dependency="x")
        time.sleep(0.05)
        done.append(n)
        return n

    with pytest.raises(DependencyError, match="first"):
        fan_out(task, [0, 1, 2, 3], max_workers=2)
    assert sorted(done) == [0, 2, 3]
    assert fan_out(task, [], max_workers=3) == []
    with pytest.raises(ValueError, match="max_workers"):
        fan_out(task, [1], max_workers=0)


def test_fan_out_continue_collects_service_errors_into_the_invocation() -> None:
    class Batch(BaseService):
        def execute(self, request: Request) -> list[int | None]:
            def task(n: int) -> int:
                if n % 2:
                    raise DependencyError(f"odd {n}", dependency="x", return_value=-1)
                return n

            return fan_out(task, range(4), on_error=ErrorAction.CONTINUE)

    result = invoke(Batch, api_gateway_event("GET", "/batch"))
    assert result.json == [0, -1, 2, -1]
    assert result.status == 502


# --- SigV4 -------------------------------------------------------------------------------------

KEY, SECRET = "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"


@pytest.fixture
def aws_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


def test_unsigned_and_wrongly_signed_calls_fail_and_a_signed_one_passes(
    server: FaultServer, aws_credentials: None
) -> None:
    server.require_sigv4(KEY, SECRET, "eu-west-1", "execute-api")
    with pytest.raises(DependencyError) as unsigned:
        client(Http("{FAULT_URL}/dev/items", auth=None)).get()
    assert unsigned.value.status == 403

    def wrong(r: Any) -> Any:  # botocore's signer with the wrong secret
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest
        from botocore.credentials import Credentials

        request = AWSRequest(method=r.method, url=r.url, data=r.body or b"")
        SigV4Auth(Credentials(KEY, "not-the-secret"), "execute-api", "eu-west-1").add_auth(request)
        r.headers.update({k: request.headers[k] for k in ("Authorization", "X-Amz-Date")})
        return r

    with pytest.raises(DependencyError) as badly_signed:
        client(Http("{FAULT_URL}/dev/items", auth=wrong)).get()
    assert badly_signed.value.status == 403
    assert "signature mismatch" in badly_signed.value.body

    signed = client(Http("{FAULT_URL}/dev/items/{item_id}", "POST", auth="sigv4"))
    assert signed.post({"n": 1}, item_id="a b", color="dark red")["body"] == '{"n":1}'
    assert [r.signature_ok for r in server.received()] == [False, False, True]


class LoopbackAdapter:
    """A transport adapter that sends requests for a public host to the local server, keeping
    the Host header (and so the signature) of the original URL: tests only."""

    def __new__(cls, port: int) -> Any:
        from requests.adapters import HTTPAdapter

        class _Adapter(HTTPAdapter):
            def send(self, request: Any, **kwargs: Any) -> Any:  # type: ignore[override]
                parts = urlsplit(request.url)
                request.headers["Host"] = parts.netloc
                request.url = urlunsplit(parts._replace(netloc=f"127.0.0.1:{port}"))
                return super().send(request, **kwargs)

        return _Adapter()


def test_execute_api_urls_are_signed_automatically(server: FaultServer, aws_credentials: None) -> None:
    server.require_sigv4(KEY, SECRET, "eu-north-1", "execute-api")
    host = f"abc123.execute-api.eu-north-1.amazonaws.com:{server.port}"

    class Cities(BaseService):
        api = Http(f"http://{host}/dev/cities", **FAST)

        def execute(self, request: Request) -> Any:
            return self.api.get(country="SE")

    Cities.api.client().session.mount(f"http://{host}/", LoopbackAdapter(server.port))
    result = invoke(Cities, api_gateway_event("GET", "/cities"))
    assert result.status == 200, server.received()
    (got,) = server.received()
    assert got.signature_ok is True
    assert got.headers["Host"] == host
    assert "Credential=AKIDEXAMPLE/" in got.headers["Authorization"]


def test_aws_endpoints_are_detected_by_host() -> None:
    assert aws_endpoint("abc123.execute-api.eu-north-1.amazonaws.com") == ("execute-api", "eu-north-1")
    assert aws_endpoint("ABC.execute-api.cn-north-1.amazonaws.com.cn") == ("execute-api", "cn-north-1")
    assert aws_endpoint("xyz.lambda-url.us-east-1.on.aws") == ("lambda", "us-east-1")
    assert aws_endpoint("execute-api.eu-north-1.amazonaws.com.evil.com") is None
    assert aws_endpoint("example.com") is None


def test_iam_actions_follow_what_is_signed() -> None:
    api = Http("https://{API_ID}.execute-api.{AWS_REGION}.amazonaws.com/{STAGE}/items")
    assert api.iam_actions() == [
        (
            "execute-api:Invoke",
            "arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:{API_ID}/*",
        )
    ]
    assert Http("https://abc.execute-api.eu-north-1.amazonaws.com/x", auth=None).iam_actions() == []
    assert Http("https://api.example.com/x").iam_actions() == []
    assert Http("https://x.lambda-url.eu-west-1.on.aws/").iam_actions()[0][0] == "lambda:InvokeFunctionUrl"
    assert Http("{API_URL}/x", auth="sigv4").iam_actions()[0][0] == "execute-api:Invoke"


# --- logs --------------------------------------------------------------------------------------


def test_each_call_is_logged_with_the_template_not_the_filled_url(
    server: FaultServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("POWERTOOLS_LOG_LEVEL", "DEBUG")
    server.script("/customers/c-secret-42", status(503), status(200, {"ok": True}))

    class Customers(BaseService):
        customers = Http("{FAULT_URL}/customers/{customer_id}", **FAST)

        def execute(self, request: Request) -> Any:
            return self.customers.get(customer_id="c-secret-42", email="someone@example.com")

    capsys.readouterr()
    assert invoke(Customers, api_gateway_event("GET", "/c")).status == 200
    lines = json_lines(capsys.readouterr().out)
    calls = [line for line in lines if line.get("dependency") == "customers"]
    assert [(c["message"], c["level"], c["status"], c["attempt"]) for c in calls] == [
        ("http call", "DEBUG", 503, 1),
        ("http retry", "WARNING", 503, 1),
        ("http call", "DEBUG", 200, 2),
    ]
    assert all(c["url"] == "{FAULT_URL}/customers/{customer_id}" and c["method"] == "GET" for c in calls)
    assert all(isinstance(c["duration_ms"], float) for c in calls)
    text = json.dumps(calls)
    assert "c-secret-42" not in text and "someone@example.com" not in text


# --- declaration errors, overriding, imports ---------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"url_template": "https://x/{item id}"}, "a placeholder is a Python identifier"),
        ({"url_template": "https://x/{a"}, "unmatched"),
        ({"url_template": "ftp://x/y"}, "http:// or https://"),
        ({"url_template": "https://x/{body}"}, "rename the placeholder"),
        ({"url_template": "https://x", "method": "FETCH"}, "method must be one of"),
        ({"url_template": "https://x", "retries": -1}, "retries must be an int >= 0"),
        ({"url_template": "https://x", "timeout": 0}, "timeout must be seconds > 0"),
        ({"url_template": "https://x", "retry_on": [999]}, "retry_on takes HTTP statuses"),
        ({"url_template": "https://x", "auth": "basic"}, "auth takes 'auto', 'sigv4'"),
        ({"url_template": "https://x", "status_map": {404: 200}}, "status_map maps to error codes"),
    ],
)
def test_a_bad_declaration_fails_at_import_with_a_clear_message(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Http(**kwargs)


def test_a_missing_placeholder_or_a_host_injection_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("INVENTORY_HOST", raising=False)
    items = client(Http("https://{INVENTORY_HOST}/v1/items/{item_id}"))
    with pytest.raises(ValueError, match=r"needs \{item_id\}: pass item_id=\.\.\."):
        items.get(INVENTORY_HOST="h.example.com")
    with pytest.raises(
        ValueError, match=r"needs \{INVENTORY_HOST\}: .*set the environment variable INVENTORY_HOST"
    ):
        items.get(item_id=1)
    with pytest.raises(ValueError, match="cannot go into the host part"):
        client(Http("https://{tenant}.example.com/x")).get(tenant="evil.com/#")


def test_a_service_with_a_replaced_dependency_needs_no_server() -> None:
    class FakeItems:
        def get(self, **params: Any) -> Item:
            return Item(int(params["item_id"]), 99)

    class Stock(BaseService):
        items = Http("https://{INVENTORY_HOST}/items/{item_id}", response_type=Item)

        def execute(self, request: Request) -> Item:
            return self.items.get(item_id=request.query["id"])

    result = invoke(Stock(items=FakeItems()), api_gateway_event("GET", "/stock", query={"id": "4"}))
    assert result.json == {"id": 4, "stock": 99}
    assert Stock.items._client is None  # the real client was never built


def test_import_and_declaration_pull_in_nothing_heavy() -> None:
    code = (
        "import sys\n"
        "import pypwext\n"
        "from pypwext import BaseService, Http, Request, fan_out\n"
        "class S(BaseService):\n"
        "    api = Http('https://{H}.execute-api.eu-west-1.amazonaws.com/x/{id}', retries=1)\n"
        "    def execute(self, request: Request) -> None:\n"
        "        return None\n"
        "S.api.iam_actions()\n"
        "heavy = ('requests', 'urllib3', 'boto3', 'botocore', 'aws_requests_auth')\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.strip() == "[]"


# --- tracing -----------------------------------------------------------------------------------

TRACED = """
from pypwext import BaseService, Http, Request, fan_out

class Shop(BaseService):
    service = "shop"
    tracing = True
    inventory = Http("{FAULT_URL}/items/{item_id}", retries=0)
    prices = Http("{FAULT_URL}/prices/{item_id}")

    def execute(self, request: Request) -> object:
        fan_out(lambda i: self.prices.get(item_id=i), [1, 2, 3])
        self.inventory.get(item_id=1)
        return self.inventory.get(item_id=2)

Shop.handler({}, None)
"""


def test_each_call_is_a_subsegment_of_a_traced_invocation(server: FaultServer) -> None:
    pytest.importorskip("aws_xray_sdk")
    server.script("/items/2", status(404))
    documents = run_traced(TRACED, {"FAULT_URL": server.base_url})
    calls = [d for d in documents if d.get("name") == "inventory GET"]
    assert [c["annotations"]["dependency"] for c in calls] == ["inventory", "inventory"]
    assert calls[0]["annotations"]["status"] == 200 and "cause" not in calls[0]
    assert calls[1]["fault"] is True  # the 502 DependencyError, recorded where it was raised
    assert calls[1]["cause"]["exceptions"][0]["type"] == "DependencyError"
    # calls in fan-out threads hang under the same execute subsegment as the others
    execute = next(d for d in documents if d.get("name") == "shop.execute")
    prices = [d for d in documents if d.get("name") == "prices GET"]
    assert len(prices) == 3 and {d["parent_id"] for d in prices + calls} == {execute["id"]}
    assert all("{" not in d["name"] for d in documents)  # X-Ray names cannot hold the template's braces
