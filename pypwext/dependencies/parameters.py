"""``Parameter`` and ``Secret``: configuration from SSM Parameter Store and Secrets Manager.

Reading ``self.<name>`` on a service instance gives the value itself -- a ``str``, or what the
``transform`` makes of it -- fetched on first access through Powertools' parameters utility and
cached for the life of the container for ``max_age`` seconds:

>>> from pypwext import BaseService, Request
>>> class Report(BaseService):
...     db_url = Parameter("/app/{STAGE}/db-url")
...     api_key = Secret("reports/api-key")
...     def execute(self, request: Request) -> dict[str, str]:
...         return {"db": self.db_url}
>>> Report(db_url="sqlite://", api_key="k").db_url       # tests pass the value itself
'sqlite://'

Nothing heavy is imported here: Powertools' providers (and boto3) are imported on first access.
A value never appears in a log line or an error message. A failure's answer names only the
declaration (``db_url: not found (see the log)``); the parameter's path, the store, the AWS
error code and the library's words go to one WARNING line.
"""

from __future__ import annotations

import logging
import time
from functools import partial
from http import HTTPStatus
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Literal, TypeVar, overload

from pypwext import _placeholders, codec
from pypwext.dependencies import _template
from pypwext.dependencies._logged import logged_failure
from pypwext.errors import DependencyError
from pypwext.observability.tracing import trace_call
from pypwext.runtime._dependency import Dependency, library_words, log, log_enabled, remaining_budget_s
from pypwext.runtime._fitted import FittedClient, FittedClients, client_config

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.parameters.base import BaseProvider

__all__ = ["DEFAULT_MAX_AGE_S", "Parameter", "Secret"]

T = TypeVar("T")

DEFAULT_MAX_AGE_S = 300.0
"""Seconds a fetched value is reused before it is fetched again."""

Transform = Literal["json", "binary"] | type[Any] | None

_MIN_TIME_S = 0.25
# A store's timeouts: reads are idempotent, so a second attempt is safe; short timeouts keep a
# slow store from eating the invocation, and near its deadline they are cut to the time left.
_CONNECT_S, _READ_S, _ATTEMPTS = 1.0, 2.0, 2
_TIMED_OUT = frozenset({"ReadTimeoutError", "ConnectTimeoutError"})
_NOT_FOUND = frozenset({"ParameterNotFound", "ResourceNotFoundException"})
_UNFIT = "the value does not fit its declaration"


class _Stored(Dependency[T], Generic[T]):
    """What Parameter and Secret share: a name template, a cache age and a transform."""

    store: ClassVar[str] = ""  # "SSM Parameter Store", "Secrets Manager"
    noun: ClassVar[str] = ""  # "parameter", "secret"
    service_name: ClassVar[str] = ""  # the boto3 service name

    def __init__(self, name_template: str, *, max_age: float, transform: Transform) -> None:
        super().__init__()
        kind = type(self).__name__
        if not isinstance(name_template, str) or not name_template:
            raise TypeError(f"{kind} needs a name (template), got {name_template!r}")
        lower = [n for n in _template.placeholders(name_template) if not _placeholders.from_environment(n)]
        if lower:
            raise ValueError(
                f"{kind}({name_template!r}): placeholders are filled from environment variables, so they "
                f"must be UPPERCASE (got {', '.join('{' + n + '}' for n in lower)})"
            )
        if max_age < 0:
            raise ValueError(f"{kind} max_age must be 0 or more seconds, got {max_age!r}")
        if transform not in (None, "json", "binary") and not isinstance(transform, type):
            raise ValueError(f"{kind} transform must be None, 'json', 'binary' or a type, got {transform!r}")
        if isinstance(transform, type) and transform not in (str, bytes):
            try:
                codec.converter.get_structure_hook(transform)
            except Exception as exc:
                raise TypeError(f"{kind} cannot structure a value into {transform!r}: {exc}") from None
        self.name_template = name_template
        self.max_age = float(max_age)
        self.transform = transform
        self._provider_obj: BaseProvider | None = None
        self._memo: tuple[object, object] | None = None  # (raw value as cached, transformed)

    # --- reading ---------------------------------------------------------------------------

    def client(self) -> T:
        """The value (what ``self.<name>`` gives): fetched on first access, then again once it
        is older than ``max_age``."""
        return self.get()

    def get(self, *, force: bool = False) -> T:
        """The value; ``force=True`` fetches it even when the cached one is still fresh."""
        name = self.resolved_name()
        provider = self._provider()
        if not (force is False and _cached(provider, name)):
            budget = remaining_budget_s()
            if budget is not None and budget < _MIN_TIME_S:
                raise self._fail(
                    "not fetched: too little time left before the deadline",
                    f"not fetching {self.noun} {name}: {max(budget, 0.0):.2f} s left before the deadline",
                    name,
                    code=HTTPStatus.GATEWAY_TIMEOUT,
                )
        started = time.perf_counter()
        raw = self._fetch(provider, name, force)
        memo = self._memo
        if memo is not None and memo[0] is raw:
            return memo[1]  # type: ignore[return-value]
        self._log(name, started)
        value = self._transform(name, raw)
        self._memo = (raw, value)
        return value  # type: ignore[no-any-return]

    def resolved_name(self) -> str:
        """The name with its ``{PLACEHOLDERS}`` filled from the environment (a 500 naming the
        declaration when one is not set; the template and what to set go to the log)."""
        try:
            return _template.fill(self.name_template, {}, what=f"{self.noun} name")
        except KeyError as exc:
            raise logged_failure(
                self.name,
                f"{self.name}: {exc.args[0]}",
                f"the {self.noun} name cannot be filled",
                {"name_template": self.name_template, "store": self.store},
                code=HTTPStatus.INTERNAL_SERVER_ERROR,
            ) from None

    def build(self) -> T:
        """Fetch the value (see :meth:`get`)."""
        return self.get()

    # --- the provider ---------------------------------------------------------------------

    def _provider(self) -> BaseProvider:
        if self._provider_obj is None:
            with self._lock:
                if self._provider_obj is None:
                    try:
                        self._provider_obj = self._new_provider()
                    except Exception as exc:  # NoRegionError and friends: say what to set, in the log
                        raise logged_failure(
                            self.name,
                            f"{self.name}: cannot build the {self.store} client (set AWS_REGION)",
                            "the client cannot be built",
                            {"store": self.store, "reason": library_words(exc)},
                            code=HTTPStatus.INTERNAL_SERVER_ERROR,
                        ) from None
        return self._provider_obj

    def _new_provider(self) -> BaseProvider:
        raise NotImplementedError

    @staticmethod
    def _new_boto_client(service: str) -> Any:
        """What the Powertools provider is given as its boto3 client: each read goes to a client
        whose timeouts fit the time the invocation has left (:mod:`pypwext.runtime._fitted`)."""
        return FittedClient(FittedClients(partial(_store_client, service), _CONNECT_S, _READ_S, _ATTEMPTS))

    def _get_raw(self, provider: BaseProvider, name: str, force: bool) -> Any:
        return provider.get(name, max_age=self.max_age, force_fetch=force)  # type: ignore[arg-type]

    def _fetch(self, provider: BaseProvider, name: str, force: bool) -> Any:
        from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError

        try:
            with trace_call(f"{self.name} {self.store}", dependency=self.name):
                return self._get_raw(provider, name, force)
        except GetParameterError as exc:
            code = _error_code(exc)
            words = library_words(exc)
            if code in _NOT_FOUND:
                raise self._fail(
                    "not found",
                    f"{self.noun} {name} not found in {self.store}",
                    name,
                    error_code=code,
                    reason=words,
                    status=HTTPStatus.NOT_FOUND,
                ) from None
            if code in _TIMED_OUT:
                raise self._fail(
                    "did not answer in time",
                    f"{self.store} did not answer for {self.noun} {name} in time ({code})",
                    name,
                    error_code=code,
                    reason=words,
                    code=HTTPStatus.GATEWAY_TIMEOUT,
                ) from None
            raise self._fail(
                "could not be read",
                f"could not read {self.noun} {name} from {self.store} ({code or 'no answer'})",
                name,
                error_code=code,
                reason=words,
            ) from None

    # --- transforms -------------------------------------------------------------------------

    def _transform(self, name: str, raw: Any) -> Any:
        transform = self.transform
        if transform == "binary" or transform is bytes:
            if isinstance(raw, (bytes, bytearray)):
                return bytes(raw)
            try:
                return codec.base64_bytes(str(raw))
            except ValueError:
                raise self._fail(
                    _UNFIT, f"{self.noun} {name} is not base64 (transform='binary')", name
                ) from None
        if isinstance(raw, (bytes, bytearray)):
            raise self._fail(
                _UNFIT,
                f"{self.noun} {name} is binary: declare it with transform='binary' to read bytes",
                name,
            )
        if transform is None or transform is str:
            return raw
        try:
            data = codec.loads(raw)
        except ValueError:
            raise self._fail(_UNFIT, f"{self.noun} {name} is not valid JSON", name) from None
        if transform == "json":
            return data
        try:
            return codec.structure(data, transform)
        except codec.InputError as exc:
            # Only the paths: a reason may quote the value, and values never leave this process.
            raise self._fail(
                _UNFIT,
                f"{self.noun} {name} does not fit {getattr(transform, '__name__', transform)}",
                name,
                problems=[p.path or "(root)" for p in exc.problems],
            ) from None

    # --- helpers ----------------------------------------------------------------------------

    def _fail(
        self,
        answer: str,
        message: str,
        name: str,
        *,
        error_code: str | None = None,
        reason: str | None = None,
        problems: list[str] | None = None,
        **kwargs: Any,
    ) -> DependencyError:
        """A failure: the client's answer names only the declaration (``answer``); one WARNING
        line has the rest (``message``, the name, the store, the AWS error code, the library's
        words as ``reason``, redacted by the service's classification)."""
        fields: dict[str, Any] = {self.noun: name, "store": self.store}
        if error_code:
            fields["error_code"] = error_code
        if problems is not None:
            fields["problems"] = problems
        if reason:
            fields["reason"] = reason
        return logged_failure(self.name, f"{self.name}: {message}", answer, fields, **kwargs)

    def _log(self, name: str, started: float) -> None:
        if not log_enabled(logging.DEBUG):
            return
        fields = {
            "dependency": self.name,
            self.noun: name,
            "store": self.store,
            "duration_ms": round((time.perf_counter() - started) * 1000, 3),
        }
        log(logging.DEBUG, f"{self.noun} fetched", fields)

    def describe(self) -> dict[str, Any]:
        """What the dependency is, for logs and generated templates (never its value)."""
        return {**super().describe(), "name_template": self.name_template, "max_age_s": self.max_age}

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name_template!r})"


def _store_client(service: str, connect_s: float, read_s: float, attempts: int) -> Any:
    from pypwext.dependencies import _aws

    return _aws.new_client(service, client_config(connect_s, read_s, attempts))


def _cached(provider: BaseProvider, name: str) -> bool:
    build_key = getattr(provider, "_build_cache_key", None)
    if build_key is None:
        return False
    return bool(provider.has_not_expired_in_cache(build_key(name=name)))


def _error_code(exc: BaseException) -> str | None:
    """The AWS error code behind Powertools' ``GetParameterError`` (its ``__context__``)."""
    cause = exc.__cause__ or exc.__context__
    response = getattr(cause, "response", None)
    if isinstance(response, dict):
        code = response.get("Error", {}).get("Code")
        return str(code) if code else None
    return type(cause).__name__ if cause is not None else None


class Parameter(_Stored[T]):
    """A parameter of SSM Parameter Store, read as ``self.<name>``.

    ``name_template`` may hold ``{UPPERCASE}`` environment variables (``"/app/{STAGE}/db-url"``).
    ``transform``: ``None`` gives the string, ``"json"`` the parsed JSON, ``"binary"`` the bytes
    of a base64 value, a type (an attrs class, ``list[int]``...) the JSON structured into it.
    ``decrypt`` reads a SecureString in clear. ``kms_key`` names a customer-managed KMS key, so
    that :meth:`iam_actions` adds ``kms:Decrypt`` on it.

    >>> Parameter("/app/{STAGE}/db-url").iam_actions()
    [('ssm:GetParameter', 'arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/app/{STAGE}/db-url')]
    """

    store = "SSM Parameter Store"
    noun = "parameter"
    service_name = "ssm"

    @overload
    def __init__(
        self: Parameter[str],
        name_template: str,
        *,
        max_age: float = DEFAULT_MAX_AGE_S,
        transform: None = None,
        decrypt: bool = True,
        kms_key: str | None = None,
    ) -> None: ...

    @overload
    def __init__(
        self: Parameter[Any],
        name_template: str,
        *,
        max_age: float = DEFAULT_MAX_AGE_S,
        transform: Literal["json"],
        decrypt: bool = True,
        kms_key: str | None = None,
    ) -> None: ...

    @overload
    def __init__(
        self: Parameter[bytes],
        name_template: str,
        *,
        max_age: float = DEFAULT_MAX_AGE_S,
        transform: Literal["binary"],
        decrypt: bool = True,
        kms_key: str | None = None,
    ) -> None: ...

    @overload
    def __init__(
        self: Parameter[T],
        name_template: str,
        *,
        max_age: float = DEFAULT_MAX_AGE_S,
        transform: type[T],
        decrypt: bool = True,
        kms_key: str | None = None,
    ) -> None: ...

    def __init__(
        self,
        name_template: str,
        *,
        max_age: float = DEFAULT_MAX_AGE_S,
        transform: Transform = None,
        decrypt: bool = True,
        kms_key: str | None = None,
    ) -> None:
        super().__init__(name_template, max_age=max_age, transform=transform)
        self.decrypt = bool(decrypt)
        self.kms_key = kms_key

    def _new_provider(self) -> BaseProvider:
        from aws_lambda_powertools.utilities.parameters import SSMProvider

        return SSMProvider(boto3_client=self._new_boto_client("ssm"))

    def _get_raw(self, provider: BaseProvider, name: str, force: bool) -> Any:
        return provider.get(name, max_age=self.max_age, force_fetch=force, decrypt=self.decrypt)  # type: ignore[arg-type]

    def iam_actions(self) -> list[tuple[str, str]]:
        """``ssm:GetParameter`` on the parameter (and ``kms:Decrypt`` on ``kms_key`` when given:
        a SecureString under the AWS-managed ``aws/ssm`` key needs no extra permission)."""
        path = self.name_template.lstrip("/")
        actions = [
            (
                "ssm:GetParameter",
                f"arn:${{AWS::Partition}}:ssm:${{AWS::Region}}:${{AWS::AccountId}}:parameter/{path}",
            )
        ]
        if self.kms_key:
            actions.append(("kms:Decrypt", self.kms_key))
        return actions


class Secret(_Stored[T]):
    """A secret of Secrets Manager, read as ``self.<name>``.

    ``transform``: ``None`` gives the secret string, ``"json"`` its parsed JSON, ``"binary"``
    the bytes of a binary secret (or of a base64 secret string), a type the JSON structured
    into it. ``kms_key`` names a customer-managed KMS key for :meth:`iam_actions`.

    >>> Secret("reports/api-key").iam_actions()
    [('secretsmanager:GetSecretValue', 'arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:reports/api-key-??????')]
    """

    store = "Secrets Manager"
    noun = "secret"
    service_name = "secretsmanager"

    @overload
    def __init__(
        self: Secret[str],
        name_template: str,
        *,
        max_age: float = DEFAULT_MAX_AGE_S,
        transform: None = None,
        kms_key: str | None = None,
    ) -> None: ...

    @overload
    def __init__(
        self: Secret[Any],
        name_template: str,
        *,
        max_age: float = DEFAULT_MAX_AGE_S,
        transform: Literal["json"],
        kms_key: str | None = None,
    ) -> None: ...

    @overload
    def __init__(
        self: Secret[bytes],
        name_template: str,
        *,
        max_age: float = DEFAULT_MAX_AGE_S,
        transform: Literal["binary"],
        kms_key: str | None = None,
    ) -> None: ...

    @overload
    def __init__(
        self: Secret[T],
        name_template: str,
        *,
        max_age: float = DEFAULT_MAX_AGE_S,
        transform: type[T],
        kms_key: str | None = None,
    ) -> None: ...

    def __init__(
        self,
        name_template: str,
        *,
        max_age: float = DEFAULT_MAX_AGE_S,
        transform: Transform = None,
        kms_key: str | None = None,
    ) -> None:
        super().__init__(name_template, max_age=max_age, transform=transform)
        self.kms_key = kms_key

    def _new_provider(self) -> BaseProvider:
        from aws_lambda_powertools.utilities.parameters import SecretsProvider

        return SecretsProvider(boto3_client=self._new_boto_client("secretsmanager"))

    def iam_actions(self) -> list[tuple[str, str]]:
        """``secretsmanager:GetSecretValue`` on the secret (its ARN ends with a random suffix,
        hence ``-??????``), and ``kms:Decrypt`` on ``kms_key`` when given."""
        if self.name_template.startswith("arn:"):
            resource = self.name_template
        else:
            resource = (
                "arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:"
                f"{self.name_template}-??????"
            )
        actions = [("secretsmanager:GetSecretValue", resource)]
        if self.kms_key:
            actions.append(("kms:Decrypt", self.kms_key))
        return actions
