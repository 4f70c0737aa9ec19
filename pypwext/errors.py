"""The one error family of pypwext, and the collector that gathers errors during an invocation.

A :class:`ServiceError` carries an HTTP status (``code``), a message for the client (``msg``), a
classification and free-form ``details``: exactly PyPwExt's error body
``{"code", "msg", "classification", "details"}``. Its ``action`` says whether it stops the
invocation (``RAISE``) or is collected while the work goes on (``CONTINUE``).

One :class:`ErrorCollector` is installed per invocation and reachable through
:func:`current_collector` (a ``ContextVar``), so helpers and threads started with
``contextvars.copy_context()`` collect into the same place; :func:`collecting` installs another
for a ``with`` block. :func:`collect_or_raise` is the one rule every CONTINUE error goes
through (steps, dependencies, fan-out tasks, the testing fakes).

The tree (``except PypwextError`` catches every error pypwext raises on purpose)::

    PypwextError
    ├── ConfigurationError (also a TypeError): a service class defined wrongly, at import
    └── ServiceError: an answer with a status, rendered to the client
        ├── BadRequest (400)
        │   └── PayloadTooLarge (413)
        ├── Unauthorized (401)
        ├── Forbidden (403)
        ├── NotFound (404)
        ├── Conflict (409)
        ├── UnprocessableEntity (422)
        ├── TooManyRequests (429)
        ├── InternalError (500)
        ├── ServiceUnavailable (503)
        ├── DependencyError (502, or 504 when the dependency did not answer in time)
        └── ErrorWithReturn (400 by default, collected: the invocation goes on)
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from http import HTTPStatus
from typing import Any, ClassVar

from pypwext.base import ErrorAction, InfoClassification

__all__ = [
    "BadRequest",
    "ConfigurationError",
    "Conflict",
    "DependencyError",
    "ErrorCollector",
    "ErrorWithReturn",
    "Forbidden",
    "InternalError",
    "NotFound",
    "PayloadTooLarge",
    "PypwextError",
    "ServiceError",
    "ServiceUnavailable",
    "TooManyRequests",
    "Unauthorized",
    "UnprocessableEntity",
    "collecting",
    "current_collector",
]


class PypwextError(Exception):
    """The root of the errors pypwext raises on purpose (``except PypwextError`` catches them):
    :class:`ConfigurationError` for a mistake in a definition, :class:`ServiceError` for an answer."""


class ConfigurationError(PypwextError, TypeError):
    """A service class, an error class or a step defined wrongly: raised when the class (or the
    decorated function) is created, so the mistake surfaces at import, before any invocation.
    A ``TypeError`` too, as it always was.

    >>> from pypwext import BaseService
    >>> class Bad(BaseService):
    ...     status = 500
    Traceback (most recent call last):
    ...
    pypwext.errors.ConfigurationError: Bad: status must be a success status (200-399), got 500
    """


_MISSPELT = {"status": "code", "status_code": "code", "http_status": "code", "message": "msg"}
"""Class attributes users try on an error of their own, and the one that works instead."""


class ServiceError(PypwextError):
    """An error a service raises on purpose: it renders as its ``code`` and, unless the service
    sets ``just_status_code``, as PyPwExt's error body.

    >>> err = ServiceError("no such order", code=404, details={"order_id": 7})
    >>> err.to_dict()
    {'code': 404, 'msg': 'no such order', 'classification': 'NA', 'details': {'order_id': 7}}

    Subclasses fix the code (``NotFound("no such order")``); an error of your own says its
    code, and optionally its default message, as class attributes:

    >>> class OutOfStock(ServiceError):
    ...     code = 409
    ...     msg = "out of stock"
    >>> OutOfStock().to_dict()["code"], OutOfStock().msg, OutOfStock("only 2 left").msg
    (409, 'out of stock', 'only 2 left')

    ``action=ErrorAction.CONTINUE`` makes the error collected instead of raised, and the method
    that raised it returns ``return_value``.
    """

    default_code: ClassVar[int] = HTTPStatus.INTERNAL_SERVER_ERROR
    default_msg: ClassVar[str | None] = None  # None: the code's reason phrase ("Not Found")
    default_action: ClassVar[ErrorAction] = ErrorAction.RAISE

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """Read ``code = 409`` and ``msg = "..."`` on a subclass as its defaults; refuse, at the
        class statement, the spellings that would silently answer 500."""
        super().__init_subclass__(**kwargs)
        own = vars(cls)
        for wrong, right in _MISSPELT.items():
            if wrong in own:  # (a DependencyError's ``status``, what the dependency answered, is per error)
                raise ConfigurationError(
                    f"{cls.__qualname__}: an error's HTTP status is its class attribute '{right}' "
                    f"(write {right} = {own[wrong]!r}), not '{wrong}'"
                )
        if "code" in own:
            code = own["code"]
            if isinstance(code, bool) or not isinstance(code, int) or not 400 <= code <= 599:
                raise ConfigurationError(
                    f"{cls.__qualname__}: code must be an HTTP error status, an int from 400 to 599, got {code!r}"
                )
            cls.default_code = int(code)
            delattr(cls, "code")  # the instance's own ``code`` (set in __init__) is the one that is read
        if "msg" in own:
            msg = own["msg"]
            if not isinstance(msg, str):
                raise ConfigurationError(
                    f"{cls.__qualname__}: msg must be a str (the default message), got {msg!r}"
                )
            cls.default_msg = msg
            delattr(cls, "msg")

    def __init__(
        self,
        msg: str | None = None,
        *,
        code: int | None = None,
        details: Mapping[str, Any] | None = None,
        classification: InfoClassification = InfoClassification.NA,
        action: ErrorAction = ErrorAction.INDECISIVE,
        return_value: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.code = int(code if code is not None else self.default_code)
        if not 400 <= self.code <= 599:
            raise ValueError(f"a ServiceError code must be an HTTP error status (400-599), got {self.code}")
        if msg is None:
            msg = self.default_msg if self.default_msg is not None else _reason(self.code)
        self.msg = msg
        self.details: dict[str, Any] = dict(details or {})
        # (an enum's call is Python-level work: skipped for a member, what nearly every caller passes)
        self.classification = (
            classification
            if type(classification) is InfoClassification
            else InfoClassification(classification)
        )
        self.action = action if type(action) is ErrorAction else ErrorAction(action)
        self.return_value = return_value
        self.headers: dict[str, str] = dict(headers or {})
        super().__init__(self.msg)

    @property
    def effective_action(self) -> ErrorAction:
        """The action after ``INDECISIVE`` has been resolved to the class default."""
        if self.action is ErrorAction.INDECISIVE:
            return self.default_action
        return self.action

    def to_dict(self) -> dict[str, Any]:
        """PyPwExt's error object: ``{"code", "msg", "classification", "details"}``."""
        return {
            "code": self.code,
            "msg": self.msg,
            "classification": self.classification.value,
            "details": self.details,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ServiceError:
        """Rebuild an error from :meth:`to_dict`'s output, as the subclass its code names.

        A calling service uses this to turn a remote pypwext error back into the same error.

        >>> type(ServiceError.from_dict({"code": 404, "msg": "gone"})).__name__
        'NotFound'
        """
        code = int(data.get("code", HTTPStatus.INTERNAL_SERVER_ERROR))
        err_cls = _BY_CODE.get(code, ServiceError)
        details = data.get("details")
        return err_cls(
            str(data.get("msg", _reason(code))),
            code=code,
            details=details if isinstance(details, Mapping) else {},
            classification=InfoClassification(data.get("classification", "NA")),
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code}, msg={self.msg!r})"


def _reason(code: int) -> str:
    try:
        return HTTPStatus(code).phrase
    except ValueError:
        return "Error"


class BadRequest(ServiceError):
    """400: the request is malformed or fails validation; ``details`` say what and where."""

    default_code = HTTPStatus.BAD_REQUEST

    @classmethod
    def invalid(cls, msg: str, *problems: tuple[str, str]) -> BadRequest:
        """A 400 whose details list each problem by path, the one shape every input error has:
        ``{"problems": [{"path": "items[2].quantity", "reason": "expected an integer"}]}``.

        >>> BadRequest.invalid("invalid request", ("id", "required field missing")).details
        {'problems': [{'path': 'id', 'reason': 'required field missing'}]}
        """
        return cls(msg, details={"problems": [{"path": path, "reason": reason} for path, reason in problems]})


class PayloadTooLarge(BadRequest):
    """413: the request body is larger than the service accepts (a kind of bad request, so
    whatever handles a :class:`BadRequest` of an unreadable event handles it too)."""

    default_code = HTTPStatus.REQUEST_ENTITY_TOO_LARGE


class Unauthorized(ServiceError):
    """401: the caller is not authenticated."""

    default_code = HTTPStatus.UNAUTHORIZED


class Forbidden(ServiceError):
    """403: the caller is authenticated but may not do this."""

    default_code = HTTPStatus.FORBIDDEN


class NotFound(ServiceError):
    """404: the thing asked for does not exist."""

    default_code = HTTPStatus.NOT_FOUND


class Conflict(ServiceError):
    """409: the request conflicts with the current state (a duplicate, a version mismatch)."""

    default_code = HTTPStatus.CONFLICT


class UnprocessableEntity(ServiceError):
    """422: well-formed input that breaks a business rule."""

    default_code = HTTPStatus.UNPROCESSABLE_ENTITY


class TooManyRequests(ServiceError):
    """429: the caller should slow down (set a ``Retry-After`` header through ``headers``)."""

    default_code = HTTPStatus.TOO_MANY_REQUESTS


class InternalError(ServiceError):
    """500: something failed inside the service. Its message to the client stays generic."""

    default_code = HTTPStatus.INTERNAL_SERVER_ERROR


class ServiceUnavailable(ServiceError):
    """503: a dependency is down or the service cannot answer now; worth retrying later."""

    default_code = HTTPStatus.SERVICE_UNAVAILABLE


class DependencyError(ServiceError):
    """A call to a dependency (an HTTP API, a Lambda function, a parameter store) failed.

    ``status`` is what the dependency answered (``None`` when it never answered: a timeout, a
    reset connection, no time left), ``body`` the start of its answer (truncated, for logs and
    callers' decisions). The code the service answers with defaults to 502 (the dependency
    failed) or 504 (it did not answer in time); a dependency may map a status through (a remote
    pypwext error keeps its code).
    """

    default_code = HTTPStatus.BAD_GATEWAY
    max_body = 1024

    def __init__(
        self,
        msg: str | None = None,
        *,
        dependency: str = "",
        status: int | None = None,
        body: str | bytes | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(msg, **kwargs)
        self.dependency = dependency
        self.status = status
        text = body.decode("utf-8", "replace") if isinstance(body, bytes) else (body or "")
        self.body = text if len(text) <= self.max_body else text[: self.max_body] + "...(truncated)"


class ErrorWithReturn(ServiceError):
    """An error that is collected rather than raised (PyPwExt's ``PyPwExtErrorWithReturn``).

    The method that raises it returns ``return_value`` and the invocation goes on; the error shows
    up in the response's collected errors.

    >>> err = ErrorWithReturn("customer not found", code=404, return_value=None)
    >>> err.effective_action.value
    'CONTINUE'
    """

    default_code = HTTPStatus.BAD_REQUEST
    default_action = ErrorAction.CONTINUE


_BY_CODE: dict[int, type[ServiceError]] = {
    c.default_code: c
    for c in (
        BadRequest,
        PayloadTooLarge,
        Unauthorized,
        Forbidden,
        NotFound,
        Conflict,
        UnprocessableEntity,
        TooManyRequests,
        InternalError,
        ServiceUnavailable,
    )
}


class ErrorCollector:
    """The errors collected during one invocation, in the order they were collected.

    Thread-safe: fan-out threads started with ``contextvars.copy_context()`` share it.

    >>> c = ErrorCollector()
    >>> c.collect(NotFound("a")); c.collect(BadRequest("b"))
    >>> c.highest_code(), len(c)
    (404, 2)
    """

    def __init__(self) -> None:
        self._errors: list[ServiceError] = []
        self._lock = threading.Lock()

    def collect(self, error: ServiceError) -> None:
        """Add an error."""
        with self._lock:
            self._errors.append(error)

    @property
    def errors(self) -> list[ServiceError]:
        """A copy of the collected errors."""
        if not self._errors:  # the usual answer, without the lock (reading a list's length is atomic)
            return []
        with self._lock:
            return list(self._errors)

    def highest_code(self) -> int | None:
        """The highest collected status code, or ``None`` when nothing was collected."""
        with self._lock:
            return max((e.code for e in self._errors), default=None)

    def clear(self) -> None:
        """Forget every collected error (a service may decide they do not matter after all)."""
        with self._lock:
            self._errors.clear()

    def __len__(self) -> int:
        return len(self._errors)

    def __bool__(self) -> bool:
        return bool(self._errors)

    def __iter__(self) -> Iterator[ServiceError]:
        return iter(self.errors)

    def __repr__(self) -> str:
        return f"ErrorCollector({self.errors!r})"


_CURRENT: ContextVar[ErrorCollector | None] = ContextVar("pypwext_error_collector", default=None)


def current_collector() -> ErrorCollector | None:
    """The collector of the invocation running in this context, if any (PyPwExt's
    ``get_current_collector``)."""
    return _CURRENT.get()


# Make a collector the current one (returns a token), and undo that: what :func:`collecting`
# does around a ``with`` block. The context variable's own methods: they run on every invocation.
set_current_collector = _CURRENT.set
reset_current_collector = _CURRENT.reset


def collect_or_raise(
    error: ServiceError, action: ErrorAction | None = None, fallback: ErrorCollector | None = None
) -> None:
    """Collect ``error`` when its action (``action``, else the error's own) is CONTINUE, else
    raise it: into the current collector (the one :func:`collecting` or the running invocation
    installed), else into ``fallback`` (a service's own collector, for a step called outside an
    invocation); raised when there is neither, since there is nowhere to collect to."""
    if (action if action is not None else error.effective_action) is not ErrorAction.CONTINUE:
        raise error
    collector = _CURRENT.get()  # (an empty collector is falsy: compare with None)
    if collector is None:
        collector = fallback
    if collector is None:
        raise error
    collector.collect(error)


@contextlib.contextmanager
def collecting(collector: ErrorCollector | None = None) -> Iterator[ErrorCollector]:
    """Install ``collector`` (or a fresh one) as the current collector for the ``with`` block."""
    active = collector if collector is not None else ErrorCollector()
    token = set_current_collector(active)
    try:
        yield active
    finally:
        reset_current_collector(token)


def drop_tracebacks(exc: BaseException) -> None:
    """Forget the tracebacks of ``exc`` and of every exception chained to it or grouped in it,
    once what they say is written: a failure's log line (the lifecycle's ``recover``), an error
    answer (built from the error alone), a 400's problems (the codec's, as text).

    A traceback holds the frames the exception went through, and a frame that holds the
    exception (a parameter that is raised, ``on_error(error)``'s ``raise error``) makes a
    reference cycle: every failing call's frames, exceptions and their locals would wait for
    Python's cycle collector, about 100 collections per 1,000 failing calls, 10-25 µs a call
    (issue 18). Without the tracebacks they are freed as soon as the answer is built."""
    if exc.__cause__ is None and exc.__context__ is None and getattr(exc, "exceptions", None) is None:
        exc.__traceback__ = None  # (one exception alone: most failures)
        return
    pending = [exc]
    seen: set[int] = set()
    while pending and len(seen) < _MAX_DROPPED:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        current.__traceback__ = None
        for linked in (current.__cause__, current.__context__):
            if linked is not None:
                pending.append(linked)
        grouped = getattr(current, "exceptions", None)  # an exception group (cattrs' included)
        if isinstance(grouped, tuple):
            pending.extend(e for e in grouped if isinstance(e, BaseException))


_MAX_DROPPED = 10_000  # (a structuring stops at 1,000 problems; a bound all the same)
