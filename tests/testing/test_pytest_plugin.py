"""The pytest plugin (run in a pytester sandbox through the real entry point) and the fakes it
hands out: recording, scripted answers and failures, collecting like the real clients."""

from __future__ import annotations

import attrs
import pytest

from pypwext import BaseService, DependencyError, ErrorAction, NotFound, Request
from pypwext.testing import FakeHttp, FakeLambdaFunction, api_gateway_event, invoke

pytest_plugins = ["pytester"]


def test_the_entry_point_provides_the_fixtures(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        from pypwext import BaseService, Request
        from pypwext.testing import FakeHttp, FakeLambdaFunction, LambdaContext

        class Hello(BaseService):
            def execute(self, request: Request) -> dict:
                return {"hello": request.query.get("name", "world")}

        def test_factories_and_invoke(api_gateway_event, function_url_event, alb_event, invoke):
            assert invoke(Hello, api_gateway_event("GET", "/", query={"name": "Ada"})).json == {"hello": "Ada"}
            assert invoke(Hello, function_url_event("GET", "/")).status == 200
            assert invoke(Hello, alb_event("GET", "/")).status == 200

        def test_context(lambda_context):
            assert isinstance(lambda_context, LambdaContext)
            assert 0 < lambda_context.get_remaining_time_in_millis() <= 30000

        def test_fakes_are_fresh(fake_http, fake_lambda):
            assert isinstance(fake_http, FakeHttp) and fake_http.calls == []
            assert isinstance(fake_lambda, FakeLambdaFunction) and fake_lambda.calls == []
            fake_http.get(x=1)
        """
    )
    result = pytester.runpytest_inprocess("-q", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=3)


def test_the_plugin_can_be_switched_off(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_needs(lambda_context):\n    pass\n")
    result = pytester.runpytest_inprocess("-q", "-p", "no:cacheprovider", "-p", "no:pypwext")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*fixture 'lambda_context' not found*"])


# --- FakeHttp -----------------------------------------------------------------------------------


@attrs.frozen
class Stock:
    item_id: int
    count: int


def test_fake_http_records_every_method_with_params_body_query_and_headers() -> None:
    fake = FakeHttp("inventory")
    fake.get(item_id=7, query={"full": "1"})
    fake.post(Stock(7, 2), item_id=7, headers={"X-A": "b"})
    fake.put({"a": 1})
    fake.patch(b"raw")
    fake.delete(item_id=9)
    fake.call("HEAD", item_id=1)
    assert [(c.method, c.params) for c in fake.calls] == [
        ("GET", {"item_id": 7}),
        ("POST", {"item_id": 7}),
        ("PUT", {}),
        ("PATCH", {}),
        ("DELETE", {"item_id": 9}),
        ("HEAD", {"item_id": 1}),
    ]
    assert fake.calls[0].query == {"full": "1"}
    assert fake.calls[1].json == {"item_id": 7, "count": 2}
    assert fake.calls[1].headers == {"X-A": "b"}
    assert fake.last.method == "HEAD"


def test_fake_http_script_matches_by_method_params_and_times() -> None:
    fake = (
        FakeHttp(response_type=Stock)
        .answer({"item_id": 1, "count": 5}, when={"item_id": 1})
        .fail(404, body='{"error": "gone"}', code=404, when={"item_id": 2})
        .answer({"item_id": 0, "count": 0}, method="GET", times=1)
    )
    assert fake.get(item_id=1) == Stock(1, 5)
    with pytest.raises(DependencyError) as info:
        fake.get(item_id=2)
    assert (info.value.code, info.value.status, info.value.body) == (404, 404, '{"error": "gone"}')
    assert fake.get(item_id=3) == Stock(0, 0)
    assert fake.get(item_id=3) is None  # times used up, nothing else matches
    assert fake.call(item_id=1, into=dict) == {"item_id": 1, "count": 5}
    assert fake.get(item_id=1, query=None) == Stock(1, 5)


def test_fake_http_timeout_and_raw() -> None:
    fake = FakeHttp().fail(timeout=True, times=1).answer({"ok": True})
    with pytest.raises(DependencyError) as info:
        fake.get()
    assert (info.value.code, info.value.status) == (504, None)
    raw = fake.call(raw=True)
    assert raw.status_code == 200 and raw.json() == {"ok": True}
    with pytest.raises(ValueError, match="times must be"):
        fake.answer(1, times=0)


class Checkout(BaseService):
    just_status_code = False

    def execute(self, request: Request) -> dict:
        stock = self.inventory.get(item_id=1)  # type: ignore[attr-defined]
        self.billing.invoke_async({"order": 1})  # type: ignore[attr-defined]
        invoice = self.billing.invoke({"order": 1})  # type: ignore[attr-defined]
        return {"stock": stock, "invoice": invoice}


def _declare() -> type[BaseService]:
    """Checkout with real dependency declarations, replaced by the fakes in the tests."""
    from pypwext.dependencies.http import Http
    from pypwext.dependencies.lambda_ import LambdaFunction

    class RealCheckout(Checkout):
        inventory = Http("https://inventory.example/items/{item_id}")
        billing = LambdaFunction("billing")

    return RealCheckout


def test_fakes_replace_real_dependencies_in_a_service() -> None:
    service = _declare()
    inventory = FakeHttp("inventory").answer({"count": 3})
    billing = FakeLambdaFunction("billing").answer({"invoice": 12})
    result = invoke(service(inventory=inventory, billing=billing), api_gateway_event("GET", "/"))
    assert result.json == {"stock": {"count": 3}, "invoice": {"invoice": 12}}
    assert [c.kind for c in billing.calls] == ["Event", "RequestResponse"]
    assert billing.calls[0].json == {"order": 1}


def test_a_collecting_fake_collects_inside_an_invocation() -> None:
    service = _declare()
    inventory = FakeHttp("inventory", on_error=ErrorAction.CONTINUE, default={"count": 0}).fail(503)
    billing = FakeLambdaFunction("billing").fail(NotFound("no account"), kind="RequestResponse")
    result = invoke(service(inventory=inventory, billing=billing), api_gateway_event("GET", "/"))
    assert result.status == 404  # the raised NotFound; the collected 502 is listed with it
    assert sorted(e["code"] for e in result.errors) == [404, 502]


def test_fake_lambda_failures_and_dry_run() -> None:
    fake = FakeLambdaFunction("billing", response_type=Stock).fail("boom", times=1)
    with pytest.raises(DependencyError, match="billing failed: boom"):
        fake.invoke({"x": 1})
    fake.answer({"item_id": 1, "count": 2})
    assert fake.invoke(None, stage="dev") == Stock(1, 2)
    assert fake.last.params == {"stage": "dev"}
    fake.dry_run()
    assert fake.last.kind == "DryRun"
    with pytest.raises(AssertionError, match="never called"):
        _ = FakeLambdaFunction().last
