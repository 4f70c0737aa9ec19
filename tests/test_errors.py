"""The error family, its body format and the collector."""

from __future__ import annotations

import contextvars
import threading

import pytest

from pypwext import (
    BadRequest,
    Conflict,
    ErrorAction,
    ErrorCollector,
    ErrorWithReturn,
    Forbidden,
    InfoClassification,
    InternalError,
    NotFound,
    ServiceError,
    ServiceUnavailable,
    TooManyRequests,
    Unauthorized,
    UnprocessableEntity,
    current_collector,
)
from pypwext.errors import collecting


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
