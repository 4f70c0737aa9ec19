"""The Lambda context a handler gets, built by :func:`lambda_context`: the function's names and
ARN, a request id, and the remaining time on a real (or a test-driven) clock."""

from __future__ import annotations

import secrets
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

import attrs

from pypwext.testing._common import _ACCOUNT_ID


@attrs.frozen
class CognitoIdentity:
    """``context.identity``: the Amazon Cognito identity of a mobile-SDK caller (usually none).

    >>> CognitoIdentity().cognito_identity_id is None
    True
    """

    cognito_identity_id: str | None = None
    cognito_identity_pool_id: str | None = None


@attrs.frozen
class ClientContext:
    """``context.client_context``: what a mobile-SDK caller sent about itself.

    >>> ClientContext(custom={"tenant": "t1"}).custom["tenant"]
    't1'
    """

    client: Any = None
    custom: dict[str, Any] = attrs.field(factory=dict)
    env: dict[str, Any] = attrs.field(factory=dict)


@attrs.define(eq=False)
class LambdaContext:
    """The context object the Lambda runtime passes to a handler; build it with
    :func:`lambda_context`.

    >>> ctx = lambda_context(timeout_s=3)
    >>> 0 < ctx.get_remaining_time_in_millis() <= 3000
    True
    """

    function_name: str
    function_version: str
    invoked_function_arn: str
    memory_limit_in_mb: int
    aws_request_id: str
    log_group_name: str
    log_stream_name: str
    identity: CognitoIdentity
    client_context: ClientContext | None
    timeout_s: float
    _deadline: float = attrs.field(repr=False)
    _clock: Callable[[], float] = attrs.field(default=time.monotonic, repr=False)

    def get_remaining_time_in_millis(self) -> int:
        """Milliseconds left before the function times out, counting down on the context's clock
        (real time unless :func:`lambda_context` was given a ``clock``)."""
        return max(0, int((self._deadline - self._clock()) * 1000))


def lambda_context(
    function_name: str = "test-function",
    memory_mb: int = 128,
    timeout_s: float = 30.0,
    *,
    function_version: str = "$LATEST",
    aws_request_id: str | None = None,
    region: str = "us-east-1",
    account_id: str = _ACCOUNT_ID,
    identity: CognitoIdentity | None = None,
    client_context: ClientContext | None = None,
    clock: Callable[[], float] | None = None,
) -> LambdaContext:
    """A :class:`LambdaContext` whose remaining time counts down from ``timeout_s`` from now.

    ``clock`` (seconds, like :func:`time.monotonic`, which is the default) drives the remaining
    time: a test that must see the deadline approach without waiting for it passes a clock it
    moves forward itself.

    >>> now = [100.0]
    >>> ctx = lambda_context(timeout_s=5, clock=lambda: now[0])
    >>> ctx.get_remaining_time_in_millis()
    5000
    >>> now[0] += 4.5
    >>> ctx.get_remaining_time_in_millis()
    500

    >>> ctx = lambda_context("orders", memory_mb=256)
    >>> ctx.invoked_function_arn, ctx.memory_limit_in_mb, ctx.log_group_name
    ('arn:aws:lambda:us-east-1:123456789012:function:orders', 256, '/aws/lambda/orders')
    """
    today = datetime.now(timezone.utc).strftime("%Y/%m/%d")
    return LambdaContext(
        function_name=function_name,
        function_version=function_version,
        invoked_function_arn=f"arn:aws:lambda:{region}:{account_id}:function:{function_name}",
        memory_limit_in_mb=int(memory_mb),
        aws_request_id=aws_request_id if aws_request_id is not None else str(uuid.uuid4()),
        log_group_name=f"/aws/lambda/{function_name}",
        log_stream_name=f"{today}/[{function_version}]{secrets.token_hex(16)}",
        identity=identity if identity is not None else CognitoIdentity(),
        client_context=client_context,
        timeout_s=float(timeout_s),
        deadline=(clock or time.monotonic)() + float(timeout_s),
        clock=clock or time.monotonic,
    )
