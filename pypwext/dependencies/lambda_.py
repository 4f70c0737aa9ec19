"""``LambdaFunction``: another Lambda function as a dependency, invoked through boto3.

This module owns the declaration: its name (a template), qualifier, answer type, timeouts and
the IAM permission it needs. Calls go through its
:class:`~pypwext.dependencies._lambda_client.LambdaClient` (why a synchronous invoke is never
retried is told there).

>>> from pypwext import BaseService, Request
>>> class Checkout(BaseService):
...     billing = LambdaFunction("billing-{STAGE}")
...     def execute(self, request: Request) -> object:
...         return self.billing.invoke({"order": 7}, STAGE="dev")

Nothing heavy is imported here: boto3 and botocore are imported when the first call needs the
client, which is then kept for the life of the container.
"""

from __future__ import annotations

import re
from http import HTTPStatus
from typing import Any, Generic, TypeVar, overload

from pypwext import codec
from pypwext.base import ErrorAction
from pypwext.dependencies import _template
from pypwext.dependencies._lambda_client import (
    ASYNC_PAYLOAD_LIMIT,
    CLIENT_CONTEXT_LIMIT,
    SYNC_PAYLOAD_LIMIT,
    LambdaClient,
)
from pypwext.dependencies._logged import logged_failure
from pypwext.errors import DependencyError
from pypwext.runtime._dependency import Dependency, library_words

__all__ = [
    "ASYNC_PAYLOAD_LIMIT",
    "CLIENT_CONTEXT_LIMIT",
    "SYNC_PAYLOAD_LIMIT",
    "LambdaClient",
    "LambdaFunction",
]

T = TypeVar("T")

DEFAULT_TIMEOUT_S = 30.0
DEFAULT_CONNECT_TIMEOUT_S = 2.0
DEFAULT_CONNECT_RETRIES = 2
DEFAULT_MIN_TIME_S = 0.25


class LambdaFunction(Dependency[LambdaClient[T]], Generic[T]):
    """Another Lambda function, declared on a service class.

    ``name_template`` is a function name, ``name:alias``, or ARN, whose ``{placeholders}`` are
    filled from the call's keyword arguments first and from UPPERCASE environment variables
    second (``"billing-{STAGE}"``). ``qualifier`` (a version or alias, also a template) is sent
    with every call. ``response_type`` is the type answers are structured into (or pass
    ``into=`` per call). ``on_error`` says whether a failure raises (``RAISE``) or is collected
    while the work goes on (``CONTINUE``).

    ``timeout`` is the read timeout of a synchronous call and ``connect_timeout`` the time to
    establish a connection; both are shortened to the invocation's remaining time. Only a
    failed connection is retried (``connect_retries`` times); a call with less than
    ``min_time`` seconds left is not started.

    >>> from pypwext import BaseService, Request
    >>> class Orders(BaseService):
    ...     billing = LambdaFunction("billing-{STAGE}", timeout=5.0)
    >>> Orders.billing.iam_actions()[0]
    ('lambda:InvokeFunction', 'arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:billing-{STAGE}')
    """

    sync_payload_limit: int = SYNC_PAYLOAD_LIMIT
    async_payload_limit: int = ASYNC_PAYLOAD_LIMIT

    @overload
    def __init__(
        self: LambdaFunction[Any],
        name_template: str,
        *,
        qualifier: str | None = None,
        response_type: None = None,
        on_error: ErrorAction = ErrorAction.RAISE,
        timeout: float = DEFAULT_TIMEOUT_S,
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT_S,
        connect_retries: int = DEFAULT_CONNECT_RETRIES,
        min_time: float = DEFAULT_MIN_TIME_S,
    ) -> None: ...

    @overload
    def __init__(
        self: LambdaFunction[T],
        name_template: str,
        *,
        qualifier: str | None = None,
        response_type: type[T],
        on_error: ErrorAction = ErrorAction.RAISE,
        timeout: float = DEFAULT_TIMEOUT_S,
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT_S,
        connect_retries: int = DEFAULT_CONNECT_RETRIES,
        min_time: float = DEFAULT_MIN_TIME_S,
    ) -> None: ...

    def __init__(
        self,
        name_template: str,
        *,
        qualifier: str | None = None,
        response_type: Any = None,
        on_error: ErrorAction = ErrorAction.RAISE,
        timeout: float = DEFAULT_TIMEOUT_S,
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT_S,
        connect_retries: int = DEFAULT_CONNECT_RETRIES,
        min_time: float = DEFAULT_MIN_TIME_S,
    ) -> None:
        super().__init__()
        if not isinstance(name_template, str) or not name_template:
            raise TypeError(f"LambdaFunction needs a function name (template), got {name_template!r}")
        _template.placeholders(name_template)  # a malformed template fails at import
        if qualifier is not None:
            _template.placeholders(qualifier)
        if not timeout > 0 or not connect_timeout > 0:
            raise ValueError("LambdaFunction timeouts must be positive numbers of seconds")
        if connect_retries < 0:
            raise ValueError("LambdaFunction connect_retries must be 0 or more")
        if response_type is not None:
            try:
                codec.converter.get_structure_hook(response_type)
            except Exception as exc:
                raise TypeError(
                    f"LambdaFunction cannot structure answers into {response_type!r}: {exc}"
                ) from None
        self.name_template = name_template
        self.qualifier = qualifier
        self.response_type = response_type
        self.on_error = ErrorAction(on_error)
        self.timeout = float(timeout)
        self.connect_timeout = float(connect_timeout)
        self.connect_retries = int(connect_retries)
        self.min_time = float(min_time)

    def function_name(self, **params: Any) -> str:
        """The function name for a call with ``params`` (the template filled).

        >>> LambdaFunction("billing-{STAGE}").function_name(STAGE="dev")
        'billing-dev'
        """
        try:
            return _template.fill(self.name_template, params, what="function name")
        except KeyError as exc:
            raise self._unfilled(str(exc.args[0])) from None

    def qualifier_for(self, **params: Any) -> str | None:
        """The qualifier for a call with ``params``, if one is declared."""
        if self.qualifier is None:
            return None
        used = set(_template.placeholders(self.qualifier))
        try:
            return _template.fill(
                self.qualifier, {k: v for k, v in params.items() if k in used}, what="qualifier"
            )
        except KeyError as exc:
            raise self._unfilled(str(exc.args[0])) from None

    def _unfilled(self, why: str) -> DependencyError:
        """A template nobody fills: a 500 naming the declaration; the template and what to pass
        or set go to the log."""
        return logged_failure(
            self.name,
            f"{self.name}: {why}",
            "the function name cannot be filled",
            code=HTTPStatus.INTERNAL_SERVER_ERROR,
        )

    def build(self) -> LambdaClient[T]:
        """The boto3 client (region from ``AWS_REGION``; endpoint from ``AWS_ENDPOINT_URL_LAMBDA``
        or ``AWS_ENDPOINT_URL``, which boto3 reads itself), once per container."""
        try:
            return LambdaClient(self)
        except Exception as exc:  # NoRegionError and friends: say what to set, in the log
            raise logged_failure(
                self.name,
                "cannot build the Lambda client (set AWS_REGION)",
                "the Lambda client cannot be built",
                {"reason": library_words(exc)},
                code=HTTPStatus.INTERNAL_SERVER_ERROR,
            ) from exc

    def describe(self) -> dict[str, Any]:
        """What the dependency is, for logs and generated templates."""
        return {
            **super().describe(),
            "function": self.name_template,
            "qualifier": self.qualifier,
            "timeout_s": self.timeout,
        }

    def iam_actions(self) -> list[tuple[str, str]]:
        """``lambda:InvokeFunction`` on the function's ARN (and its versions and aliases)."""
        pattern = _template.resource_pattern(self.name_template)
        if pattern.startswith("arn:"):
            arn = pattern
        else:
            arn = f"arn:${{AWS::Partition}}:lambda:${{AWS::Region}}:${{AWS::AccountId}}:function:{pattern}"
        if re.sub(r"\$\{[^}]*\}", "x", arn).count(":") >= 7:  # already qualified (name:alias)
            return [("lambda:InvokeFunction", arn)]
        return [("lambda:InvokeFunction", arn), ("lambda:InvokeFunction", f"{arn}:*")]
