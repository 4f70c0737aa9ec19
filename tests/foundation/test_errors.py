"""The error family, its body format and the collector."""

from __future__ import annotations

import contextvars
import threading
from http import HTTPStatus
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pypwext import (
    BadRequest,
    BaseService,
    Conflict,
    DependencyError,
    ErrorAction,
    ErrorCollector,
    ErrorWithReturn,
    Forbidden,
    InfoClassification,
    InternalError,
    NotFound,
    PypwextError,
    Request,
    ServiceError,
    ServiceUnavailable,
    TooManyRequests,
    Unauthorized,
    UnprocessableEntity,
    current_collector,
)
from pypwext.errors import collecting
from pypwext.testing import api_gateway_event, invoke


@pytest.mark.parametrize(
    ("cls", "code"),
    [
        (BadRequest, 400),
        (Unauthorized, 401),
        (Forbidden, 403),
        (NotFound, 404),
        (Conflict, 409),
        (UnprocessableEntity, 422),
        (TooManyRequests, 429),
        (InternalError, 500),
        (ServiceUnavailable, 503),
    ],
)
def test_family_codes_and_round_trip(cls: type[ServiceError], code: int) -> None:
    err = cls("boom", details={"k": 1}, classification=InfoClassification.PII)
    assert err.code == code
    assert err.to_dict() == {"code": code, "msg": "boom", "classification": "PII", "details": {"k": 1}}
    back = ServiceError.from_dict(err.to_dict())
    assert type(back) is cls and back.to_dict() == err.to_dict()


def test_defaults_and_validation() -> None:
    assert NotFound().msg == "Not Found"
    assert ServiceError.from_dict({"code": 418, "msg": "teapot"}).code == 418
    with pytest.raises(ValueError, match="400-599"):
        ServiceError(code=200)


def test_actions() -> None:
    assert BadRequest().effective_action is ErrorAction.RAISE
    assert ErrorWithReturn("x").effective_action is ErrorAction.CONTINUE
    assert BadRequest(action=ErrorAction.CONTINUE).effective_action is ErrorAction.CONTINUE
    assert ErrorWithReturn("x", action=ErrorAction.RAISE).effective_action is ErrorAction.RAISE


def test_collector_is_shared_with_copied_contexts_and_threads() -> None:
    assert current_collector() is None
    with collecting() as collector:
        ctx = contextvars.copy_context()
        threads = [
            threading.Thread(target=ctx.copy().run, args=(lambda: current_collector().collect(NotFound()),))  # type: ignore[union-attr]
            for _ in range(8)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(collector) == 8 and collector.highest_code() == 404
    assert current_collector() is None


def test_collector_basics() -> None:
    c = ErrorCollector()
    assert not c and c.highest_code() is None
    c.collect(BadRequest())
    c.collect(Conflict())
    assert [e.code for e in c] == [400, 409] and c.highest_code() == 409
    c.clear()
    assert len(c) == 0


def test_dependency_error_keeps_status_and_a_truncated_body() -> None:
    from pypwext import DependencyError

    err = DependencyError("inventory failed", dependency="inventory", status=503, body=b"x" * 5000)
    assert err.code == 502 and err.status == 503 and err.dependency == "inventory"
    assert err.body.endswith("...(truncated)") and len(err.body) < 1100
    assert DependencyError("timed out", code=504).code == 504


# --- errors a user defines ------------------------------------------------------------------------


def _answer_of(error: ServiceError) -> tuple[int, Any]:
    """What a client gets when a service raises ``error``: status and body."""

    class Raises(BaseService):
        just_status_code = False

        def execute(self, request: Request) -> None:
            raise error

    result = invoke(Raises, api_gateway_event("POST", "/things"))
    return result.status, result.json


def test_an_error_of_ones_own_answers_its_class_attribute_code() -> None:
    class AlreadyExists(ServiceError):
        code = 409

    class Teapot(ServiceError):
        code = HTTPStatus.IM_A_TEAPOT
        msg = "short and stout"

    assert _answer_of(AlreadyExists()) == (
        409,
        {"error": {"code": 409, "msg": "Conflict", "classification": "NA", "details": {}}},
    )
    assert (
        _answer_of(AlreadyExists("order 7 exists", details={"id": 7}))[1]["error"]["msg"] == "order 7 exists"
    )
    status, body = _answer_of(Teapot())
    assert (status, body["error"]["code"], body["error"]["msg"]) == (418, 418, "short and stout")
    assert Teapot("tall").msg == "tall" and Teapot(code=503).code == 503


def test_a_subclass_inherits_and_overrides_the_code_of_its_parent() -> None:
    class Gone(NotFound):
        code = 410

    class StillGone(Gone):
        """No code of its own: its parent's."""

    class WithMessage(Gone):
        msg = "moved away"

    assert isinstance(Gone(), NotFound) and Gone().code == 410 and Gone().msg == "Gone"
    assert StillGone().code == 410 and WithMessage().code == 410 and WithMessage().msg == "moved away"
    assert _answer_of(StillGone())[0] == 410


@pytest.mark.parametrize(
    ("attribute", "right"),
    [("status", "code"), ("status_code", "code"), ("http_status", "code"), ("message", "msg")],
)
def test_the_spellings_that_would_answer_500_are_refused_at_the_class_statement(
    attribute: str, right: str
) -> None:
    with pytest.raises(TypeError, match=rf"'{right}' \(write {right} = .*\), not '{attribute}'"):
        type("Mine", (ServiceError,), {attribute: 409 if right == "code" else "text"})


@pytest.mark.parametrize("code", [399, 600, 200, 0, -409, "409", 409.0, True, None])
def test_a_code_that_is_not_an_error_status_is_refused_at_the_class_statement(code: Any) -> None:
    with pytest.raises(TypeError, match="code must be an HTTP error status, an int from 400 to 599"):
        type("Mine", (ServiceError,), {"code": code})


@settings(max_examples=60, deadline=None)
@given(code=st.integers(min_value=-1000, max_value=2000))
def test_any_int_code_is_accepted_exactly_when_it_is_an_error_status(code: int) -> None:
    if 400 <= code <= 599:
        mine = type("Mine", (ServiceError,), {"code": code})
        assert mine().code == code and mine().to_dict()["code"] == code
    else:
        with pytest.raises(TypeError, match="400 to 599"):
            type("Mine", (ServiceError,), {"code": code})


@pytest.mark.parametrize("code", [400, 599])
def test_the_edges_of_the_error_range_are_accepted(code: int) -> None:
    mine = type("Mine", (ServiceError,), {"code": code})
    assert _answer_of(mine())[0] == code


def test_a_dependency_errors_status_is_not_its_code_either() -> None:
    with pytest.raises(TypeError, match=r"class attribute 'code' \(write code = 503\), not 'status'"):
        type("Flaky", (DependencyError,), {"status": 503})

    class Flaky(DependencyError):
        code = 503

    err = Flaky("down", dependency="stock", status=500)
    assert (err.code, err.status, err.dependency) == (503, 500, "stock")


def test_a_msg_that_is_not_a_string_is_refused() -> None:
    with pytest.raises(TypeError, match="msg must be a str"):
        type("Mine", (ServiceError,), {"code": 409, "msg": 409})


def test_every_error_pypwext_raises_on_purpose_has_one_root() -> None:
    class Mine(ServiceError):
        code = 409

    for cls in (ServiceError, BadRequest, NotFound, DependencyError, ErrorWithReturn, Mine):
        assert issubclass(cls, PypwextError)
    with pytest.raises(PypwextError):
        raise Mine()


def _define_a_bad_service_option() -> None:
    class Bad(BaseService):
        just_status_codes = True  # misspelt option


def _define_an_async_lifecycle_method() -> None:
    class Bad(BaseService):
        async def execute(self) -> None: ...


def _define_an_error_with_a_status() -> None:
    class Bad(ServiceError):
        status = 409


def _define_an_async_step() -> None:
    from pypwext import step

    @step
    async def bad() -> None: ...


@pytest.mark.parametrize(
    "define",
    [
        _define_a_bad_service_option,
        _define_an_async_lifecycle_method,
        _define_an_error_with_a_status,
        _define_an_async_step,
    ],
)
def test_a_definition_mistake_is_a_configuration_error_and_still_a_type_error(define: Any) -> None:
    from pypwext import ConfigurationError, PypwextError

    with pytest.raises(ConfigurationError) as caught:
        define()
    assert isinstance(caught.value, PypwextError) and isinstance(caught.value, TypeError)
    assert not isinstance(caught.value, ServiceError)  # never rendered as an answer
