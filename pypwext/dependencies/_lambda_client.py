"""``LambdaClient``: one invoke of another Lambda function through boto3 -- the payload and
client context checked against Lambda's limits, the call sent within the invocation's time, the
answer read back (a pypwext callee's error raised again as the same error).

Why the client never retries a synchronous invoke: once Lambda has received an ``Invoke``
request the function may run, even if the answer never reaches the caller (a read timeout, a
reset connection, a 5xx from the front end). Retrying then runs the callee a second time --
a second charge, a second e-mail. So botocore's own retries are switched off
(``total_max_attempts=1``) and pypwext retries only what provably never reached Lambda: a
connection that could not be established (``EndpointConnectionError``, ``ConnectTimeoutError``).

boto3 and botocore are imported when the first client is built.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Mapping
from functools import partial
from http import HTTPStatus
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar, overload

from pypwext import codec
from pypwext.base import ErrorAction
from pypwext.errors import DependencyError, ServiceError, collect_or_raise
from pypwext.observability.tracing import carry_trace_context, trace_call
from pypwext.runtime._dependency import library_words, log, log_enabled, remaining_budget_s
from pypwext.runtime._fitted import FittedClients, client_config, fit_timeouts, within
from pypwext.wire._responses import from_direct, is_direct_document

if TYPE_CHECKING:
    from mypy_boto3_lambda.client import LambdaClient as BotoLambdaClient

__all__ = ["ASYNC_PAYLOAD_LIMIT", "CLIENT_CONTEXT_LIMIT", "SYNC_PAYLOAD_LIMIT", "LambdaClient"]

T = TypeVar("T")
R = TypeVar("R")

SYNC_PAYLOAD_LIMIT = 6 * 1024 * 1024
"""Bytes of a synchronous (``RequestResponse``) invoke's payload that Lambda accepts: 6 MB."""
ASYNC_PAYLOAD_LIMIT = 256 * 1024
"""Bytes of an asynchronous (``Event``) invoke's payload that Lambda accepts: 256 KB."""
CLIENT_CONTEXT_LIMIT = 3583
"""Bytes of the base64-encoded client context that Lambda accepts."""

_BACKOFF_S = 0.1


class _Declaration(Protocol):
    """What a client reads from its :class:`~pypwext.dependencies.lambda_.LambdaFunction`."""

    name: str
    name_template: str
    response_type: Any
    on_error: ErrorAction
    timeout: float
    connect_timeout: float
    connect_retries: int
    min_time: float
    sync_payload_limit: int
    async_payload_limit: int

    def function_name(self, **params: Any) -> str: ...
    def qualifier_for(self, **params: Any) -> str | None: ...


class LambdaClient(Generic[T]):
    """What ``self.<name>`` gives for a :class:`LambdaFunction`: invoke the function.

    Built once per container by the declaration and shared by every instance and thread.
    """

    def __init__(self, declaration: _Declaration) -> None:
        self.declaration = declaration
        # (one attempt: botocore never retries an invoke, see the module's docs)
        self._clients = FittedClients(self._new_client, declaration.connect_timeout, declaration.timeout, 1)
        self.boto_client: BotoLambdaClient = self._clients.declared
        """The boto3 Lambda client with the declared timeouts (the one used when time allows)."""

    # --- the calls ------------------------------------------------------------------------------

    @overload
    def invoke(
        self,
        payload: Any = None,
        *,
        into: None = None,
        client_context: Mapping[str, Any] | None = None,
        **params: Any,
    ) -> T: ...

    @overload
    def invoke(
        self,
        payload: Any = None,
        *,
        into: type[R],
        client_context: Mapping[str, Any] | None = None,
        **params: Any,
    ) -> R: ...

    def invoke(
        self,
        payload: Any = None,
        *,
        into: Any = None,
        client_context: Mapping[str, Any] | None = None,
        **params: Any,
    ) -> Any:
        """Invoke the function synchronously (``RequestResponse``) and return its answer.

        ``payload`` is encoded with :func:`pypwext.codec.dumps` (attrs instances, dataclasses,
        dicts...; ``bytes`` are sent as they are, ``None`` sends no payload). The answer is
        structured into ``into`` or the declaration's ``response_type``; a pypwext callee's
        direct-invoke document gives back its body, or raises its error (``NotFound`` stays
        ``NotFound``). ``client_context`` becomes the callee's ``context.client_context.custom``.
        ``params`` fill the name template's placeholders.

        With ``on_error=CONTINUE`` a failure is collected and ``None`` is returned.
        """
        target = into if into is not None else self.declaration.response_type
        return self._call("RequestResponse", payload, client_context, params, target)

    def invoke_async(
        self, payload: Any = None, *, client_context: Mapping[str, Any] | None = None, **params: Any
    ) -> None:
        """Invoke the function asynchronously (``Event``): return once Lambda has accepted the
        event (202). Lambda runs it later and retries it on its own when it fails."""
        self._call("Event", payload, client_context, params, None)

    def dry_run(self, **params: Any) -> None:
        """Ask Lambda whether the function exists and may be invoked (``DryRun``), without
        running it."""
        self._call("DryRun", None, None, params, None)

    # --- one call ---------------------------------------------------------------------------

    def _call(
        self,
        invocation_type: str,
        payload: Any,
        client_context: Mapping[str, Any] | None,
        params: Mapping[str, Any],
        target: Any,
    ) -> Any:
        decl = self.declaration
        started = time.perf_counter()
        function = decl.function_name(**params)
        qualifier = decl.qualifier_for(**params)
        outcome: dict[str, Any] = {"status": None, "attempts": 0}
        try:
            kwargs: dict[str, Any] = {"FunctionName": function, "InvocationType": invocation_type}
            if qualifier:
                kwargs["Qualifier"] = qualifier
            body = self._encode_payload(function, invocation_type, payload)
            if body is not None:
                kwargs["Payload"] = body
            if client_context is not None:
                kwargs["ClientContext"] = self._encode_client_context(function, client_context)
            # a subsegment per call when the invocation is traced (X-Ray names cannot hold braces)
            with trace_call(f"{decl.name} {invocation_type}", dependency=decl.name, function=function):
                response, raw = self._send(function, kwargs, outcome)
                result = self._read(function, invocation_type, response, raw, target, outcome)
        except ServiceError as err:
            outcome["error"] = err.code
            self._log(function, invocation_type, started, outcome)
            _warn(decl.name, err.msg, function=function, invocation_type=invocation_type, **outcome)
            return self._fail(err)
        self._log(function, invocation_type, started, outcome)
        return result

    def _encode_payload(self, function: str, invocation_type: str, payload: Any) -> bytes | None:
        if payload is None:
            return None
        if isinstance(payload, (bytes, bytearray, memoryview)):
            body = bytes(payload)
        else:
            body = codec.dumps(payload).encode("utf-8")
        limit = (
            self.declaration.async_payload_limit
            if invocation_type == "Event"
            else self.declaration.sync_payload_limit
        )
        if len(body) > limit:
            kind = "an asynchronous" if invocation_type == "Event" else "a synchronous"
            raise self._error(
                f"the payload for {self.declaration.name} is {len(body):,} bytes; {kind} invoke takes at "
                f"most {limit:,} bytes (not sent)",
                code=HTTPStatus.INTERNAL_SERVER_ERROR,
                details={"payload_bytes": len(body), "limit_bytes": limit},
            )
        return body

    def _encode_client_context(self, function: str, custom: Mapping[str, Any]) -> str:
        encoded = codec.base64_text(codec.dumps({"custom": dict(custom)}).encode("utf-8"))
        if len(encoded) > CLIENT_CONTEXT_LIMIT:
            raise self._error(
                f"the client context for {self.declaration.name} is {len(encoded):,} bytes base64-encoded; "
                f"Lambda takes at most {CLIENT_CONTEXT_LIMIT:,} (not sent)",
                code=HTTPStatus.INTERNAL_SERVER_ERROR,
                details={"client_context_bytes": len(encoded)},
            )
        return encoded

    def _send(self, function: str, kwargs: dict[str, Any], outcome: dict[str, Any]) -> tuple[Any, bytes]:
        from botocore.exceptions import (
            BotoCoreError,
            ClientError,
            ConnectTimeoutError,
            EndpointConnectionError,
            NoCredentialsError,
            ReadTimeoutError,
        )

        decl = self.declaration
        name = decl.name
        while True:
            outcome["attempts"] += 1
            timeouts, budget = self._timeouts(function)
            client, read_s = self._clients.get(timeouts), timeouts[1]
            try:
                response, raw = within(client, budget, partial(_invoked, client, kwargs))
                outcome["status"] = response.get("StatusCode")
                return response, raw
            except (EndpointConnectionError, ConnectTimeoutError) as exc:
                # The request never reached Lambda: the one failure that is safe to retry.
                if outcome["attempts"] > decl.connect_retries:
                    timed_out = isinstance(exc, ConnectTimeoutError)
                    outcome["reason"] = library_words(exc)
                    raise self._error(
                        f"{name} failed: could not connect to Lambda ({outcome['attempts']} attempts)",
                        code=HTTPStatus.GATEWAY_TIMEOUT if timed_out else HTTPStatus.BAD_GATEWAY,
                        details={"attempts": outcome["attempts"]},
                    ) from exc
                pause = random.uniform(0, _BACKOFF_S * 2 ** (outcome["attempts"] - 1))
                budget = remaining_budget_s()
                if budget is not None:
                    pause = min(pause, max(0.0, budget - decl.min_time))
                time.sleep(pause)
            except ReadTimeoutError as exc:
                outcome["reason"] = library_words(exc)
                raise self._error(
                    f"{name} did not answer within {read_s:g} s; not retried, since the "
                    "function may still be running",
                    code=HTTPStatus.GATEWAY_TIMEOUT,
                    details={"read_timeout_s": read_s},
                ) from exc
            except ClientError as exc:
                error = exc.response.get("Error", {})
                status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
                outcome["status"] = status
                outcome["reason"] = f"{error.get('Code', 'error')}: {error.get('Message', '')}"[:500]
                raise self._error(
                    f"{name} failed: Lambda refused the invoke",
                    status=status,
                    body=str(error.get("Message", "")),
                    details={"status": status},
                ) from exc
            except NoCredentialsError as exc:
                raise self._error(
                    f"{name}: no AWS credentials to invoke the function",
                    code=HTTPStatus.INTERNAL_SERVER_ERROR,
                ) from exc
            except BotoCoreError as exc:  # a reset connection after sending, a bad response...
                outcome["reason"] = library_words(exc)
                raise self._error(
                    f"{name} failed after the invoke was sent; not retried, since the function may have run",
                ) from exc

    def _read(
        self,
        function: str,
        invocation_type: str,
        response: Mapping[str, Any],
        raw: bytes,
        target: Any,
        outcome: dict[str, Any],
    ) -> Any:
        if invocation_type != "RequestResponse":
            return None
        text = raw.decode("utf-8", "replace")
        function_error = response.get("FunctionError")
        if function_error:
            outcome["function_error"] = function_error
            try:
                data = codec.loads(raw) if raw else {}
            except ValueError:
                data = {}
            if not isinstance(data, Mapping):
                data = {}
            # the callee's exception (type, message, traceback) is for the log and err.body,
            # never for the client's answer
            outcome["reason"] = f"{data.get('errorType', function_error)}: {data.get('errorMessage', '')}"[
                :500
            ]
            raise self._error(
                f"{self.declaration.name} failed: the function raised an error",
                status=response.get("StatusCode"),
                body=text,
            )
        value: Any = None
        try:
            value = codec.loads(raw) if raw else None
        except ValueError:
            raise self._error(
                f"{self.declaration.name} answered with a payload that is not JSON",
                status=response.get("StatusCode"),
                body=text,
            ) from None
        if is_direct_document(value):
            status, value, errors = from_direct(value)
            outcome["remote_status"] = status
            if status >= 400:
                raise _remote_error(status, errors)
        if target is None or value is None:
            return value
        try:
            return codec.structure(value, target)
        except codec.InputError as exc:
            # the problems quote the callee's values: the log has them, the client does not
            outcome["reason"] = "; ".join(f"{p.path or '<body>'}: {p.reason}" for p in exc.problems)[:500]
            raise self._error(
                f"{self.declaration.name} answered something unexpected",
                status=response.get("StatusCode"),
                body=text,
            ) from None

    # --- helpers ------------------------------------------------------------------------------

    def _timeouts(self, function: str) -> tuple[tuple[float, float, int], float | None]:
        """``(connect, read, attempts)`` for a call starting now -- the declared timeouts, cut to
        the invocation's remaining time (:func:`~pypwext.runtime._fitted.fit_timeouts`; a 504
        when too little is left to start) -- and that time (``None``: no deadline known)."""
        decl = self.declaration
        budget = remaining_budget_s()
        if budget is not None and budget < decl.min_time:
            raise self._error(
                f"not invoking {decl.name}: {max(budget, 0.0):.2f} s left before the deadline, "
                f"at least {decl.min_time:g} s needed",
                code=HTTPStatus.GATEWAY_TIMEOUT,
                details={"remaining_s": round(max(budget, 0.0), 3)},
            )
        return fit_timeouts(decl.connect_timeout, decl.timeout, 1, budget), budget

    def _new_client(self, connect_s: float, read_s: float, attempts: int) -> BotoLambdaClient:
        config = client_config(connect_s, read_s, attempts, tcp_keepalive=True)
        from pypwext.dependencies import _aws

        client: BotoLambdaClient = _aws.new_client("lambda", config)
        carry_trace_context(client)  # the callee joins the caller's trace
        return client

    def _error(self, msg: str, **kwargs: Any) -> DependencyError:
        """An error whose ``msg`` and ``details`` may reach the client: pypwext's words, the
        declaration's name, numbers -- never the function's name, an AWS error code, a library's
        exception or the callee's error (those go to the WARNING line, see ``_warn``)."""
        return DependencyError(msg, dependency=self.declaration.name, **kwargs)

    def _fail(self, err: ServiceError) -> Any:
        err.action = self.declaration.on_error
        collect_or_raise(err)
        return err.return_value

    def _log(self, function: str, invocation_type: str, started: float, outcome: Mapping[str, Any]) -> None:
        if not log_enabled(logging.DEBUG):
            return
        fields = {
            "dependency": self.declaration.name,
            "function_template": self.declaration.name_template,
            "function": function,
            "invocation_type": invocation_type,
            "duration_ms": round((time.perf_counter() - started) * 1000, 3),
            **outcome,
        }
        log(logging.DEBUG, "lambda invoke", fields)

    def __repr__(self) -> str:
        return f"LambdaClient({self.declaration.name_template!r})"


def _remote_error(status: int, errors: list[ServiceError]) -> ServiceError:
    """The error a pypwext callee answered with, rebuilt as the same ``ServiceError``."""
    same = [e for e in errors if e.code == status]
    if same:
        return same[-1]
    if errors:
        return errors[-1]
    code = status if 400 <= status <= 599 else HTTPStatus.BAD_GATEWAY
    return ServiceError(code=code)


def _warn(name: str, message: str, **fields: Any) -> None:
    """One WARNING line for a failed call, with what the client's answer leaves out (the
    function's name, the AWS error code, the library's or the callee's words)."""
    log(logging.WARNING, message, {"dependency": name, **fields})


def _invoked(client: Any, kwargs: dict[str, Any]) -> tuple[Any, bytes]:
    """One ``invoke`` and its payload read whole: what :func:`~pypwext.runtime._fitted.within`
    bounds (the payload streams in after the call returns)."""
    response = client.invoke(**kwargs)
    payload = response.get("Payload")
    return response, payload.read() if payload is not None else b""
