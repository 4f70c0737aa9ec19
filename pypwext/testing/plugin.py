"""pypwext's pytest plugin: fixtures for testing services, registered through the ``pytest11``
entry point, so installing pypwext is enough (``-p no:pypwext`` switches it off).

=======================  ===========================================================
fixture                  what it gives
=======================  ===========================================================
``lambda_context``       a fresh :class:`~pypwext.testing.LambdaContext` (30 s timeout)
``api_gateway_event``    the :func:`~pypwext.testing.api_gateway_event` factory
``function_url_event``   the :func:`~pypwext.testing.function_url_event` factory
``alb_event``            the :func:`~pypwext.testing.alb_event` factory
``invoke``               :func:`~pypwext.testing.invoke`: run a service, read its answer
``fake_http``            a fresh :class:`~pypwext.testing.FakeHttp`
``fake_lambda``          a fresh :class:`~pypwext.testing.FakeLambdaFunction`
=======================  ===========================================================

A test asks for them by name::

    def test_create_order(invoke, api_gateway_event, fake_lambda):
        svc = CreateOrder(billing=fake_lambda)
        result = invoke(svc, api_gateway_event("POST", "/orders", body={...}))
        assert result.status == 201 and fake_lambda.last.kind == "Event"
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from pypwext import testing

__all__ = [
    "alb_event",
    "api_gateway_event",
    "fake_http",
    "fake_lambda",
    "function_url_event",
    "invoke",
    "lambda_context",
]


@pytest.fixture
def lambda_context() -> testing.LambdaContext:
    """A Lambda context whose remaining time counts down from 30 s."""
    return testing.lambda_context()


@pytest.fixture
def api_gateway_event() -> Callable[..., dict[str, Any]]:
    """The API Gateway (REST or HTTP API) event factory."""
    return testing.api_gateway_event


@pytest.fixture
def function_url_event() -> Callable[..., dict[str, Any]]:
    """The Function URL event factory."""
    return testing.function_url_event


@pytest.fixture
def alb_event() -> Callable[..., dict[str, Any]]:
    """The ALB event factory."""
    return testing.alb_event


@pytest.fixture
def invoke() -> Callable[..., testing.InvokeResult]:
    """Run a service (class, instance or handler) on an event and read its answer back."""
    return testing.invoke


@pytest.fixture
def fake_http() -> testing.FakeHttp:
    """A recording fake for an Http dependency, with an empty script."""
    return testing.FakeHttp()


@pytest.fixture
def fake_lambda() -> testing.FakeLambdaFunction:
    """A recording fake for a LambdaFunction dependency, with an empty script."""
    return testing.FakeLambdaFunction()
