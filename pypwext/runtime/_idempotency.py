"""Idempotency: a repeated event runs the business logic once.

Set the class option ``idempotency = Idempotency(key="body.order_id", expires_after=3600)`` on a
service (HTTP, direct, batch, EventBridge or S3). Before ``execute`` (or ``process_record``)
runs, the idempotency key is taken from the event with a JMESPath expression and looked up in a
DynamoDB table through Powertools' idempotency utility:

* the first event with a key runs and stores its result (for ``expires_after`` seconds);
* a repeat gets the stored result back without running ``execute`` again;
* a repeat that arrives while the first one still runs is a :class:`~pypwext.Conflict` (409 for
  an HTTP service; a failed record, reported and retried, in a batch);
* a failed run stores nothing, so a retry runs again: an exception, a
  :class:`~pypwext.Response` with a 4xx/5xx status, or (for an HTTP service) a run that
  collected errors, whose answer is not a plain success;
* the key is read from the *structured* input (the JSON form of what ``execute`` receives),
  so inputs the converter treats as equal (``7``, ``"7"``, ``7.0``, ``"07"`` for an ``int``
  field, any key order or whitespace) are one key;
* a replay answers what the first run answered: the same status, body (text, bytes or JSON)
  and headers;
* the Lambda's remaining time is registered, so an attempt that timed out (and could not clean
  up) stops blocking retries once its deadline has passed.

The key expression is evaluated on a small document that is the same whatever the source sent:
``body`` is always the payload (the JSON body of an HTTP request, the SQS message body, the
decoded Kinesis data, the DynamoDB new image, the EventBridge ``detail``, one row of an S3
object); see :func:`http_document` and the kinds' modules for the other fields.

Powertools and boto3 are imported on the first idempotent call, never at ``import pypwext``.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import attrs

from pypwext import _placeholders, codec
from pypwext.errors import BadRequest, Conflict, current_collector
from pypwext.runtime._http import http_document
from pypwext.runtime._spec import spec_of

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer, IdempotencyConfig


__all__ = ["Idempotency", "http_document"]

TABLE_ENV = "IDEMPOTENCY_TABLE"
"""The environment variable that names the table when ``Idempotency(table=...)`` is not given."""


def _positive(_instance: Any, attribute: Any, value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"Idempotency {attribute.name} must be a positive number of seconds, got {value!r}")


def _key_expression(_instance: Any, _attribute: Any, value: str) -> None:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(
            "Idempotency needs a key: a JMESPath expression on the event document, "
            'for example key="body.order_id"'
        )
    import jmespath  # type: ignore[import-untyped]  # light (pure Python, already a Powertools dependency); checks the syntax at import

    try:
        jmespath.compile(value)
    except Exception as exc:
        raise ValueError(f"Idempotency key {value!r} is not a valid JMESPath expression: {exc}") from None


@attrs.frozen(eq=False)
class Idempotency:
    """The ``idempotency`` class option.

    ``key``
        A JMESPath expression on the event document (``"body.order_id"``,
        ``"[body.customer, body.order_id]"``); required. The document's ``body`` is the payload.
    ``expires_after``
        Seconds a completed result is kept and replayed (default one hour).
    ``table``
        The DynamoDB table (partition key ``id``, a string; TTL on ``expiration``).
        ``{NAME}`` placeholders are filled from the environment (``"idem-{STAGE}"``); default:
        the ``IDEMPOTENCY_TABLE`` environment variable.
    ``required``
        ``True`` (default): an event without a key is refused (400 for HTTP, a failed record
        for a batch) instead of running unprotected.

    >>> Idempotency(key="body.order_id", expires_after=600).expires_after
    600
    >>> Idempotency(key="")
    Traceback (most recent call last):
    ...
    ValueError: Idempotency needs a key: a JMESPath expression on the event document, for example key="body.order_id"
    """

    key: str = attrs.field(validator=_key_expression)
    expires_after: int = attrs.field(default=3600, validator=_positive)
    table: str | None = None
    required: bool = True
    _stores: dict[type, tuple[DynamoDBPersistenceLayer, IdempotencyConfig]] = attrs.field(
        factory=dict, init=False, repr=False
    )
    _lock: threading.Lock = attrs.field(factory=threading.Lock, init=False, repr=False)

    def table_name(self) -> str:
        """The table this option stores into, placeholders filled from the environment."""
        template = self.table if self.table is not None else os.environ.get(TABLE_ENV)
        if not template:
            raise RuntimeError(
                f"Idempotency has no table: pass Idempotency(table=...) or set {TABLE_ENV} in the environment"
            )
        try:
            return _placeholders.substitute(template, os.environ.__getitem__, "Idempotency table")
        except KeyError as exc:
            raise RuntimeError(
                f"Idempotency table {template!r} names {exc.args[0]}, which is not set in the environment"
            ) from None

    def _store(self, service: type) -> tuple[DynamoDBPersistenceLayer, IdempotencyConfig]:
        found = self._stores.get(service)
        if found is not None:
            return found
        with self._lock:
            found = self._stores.get(service)
            if found is None:
                from aws_lambda_powertools.utilities.idempotency import (
                    DynamoDBPersistenceLayer,
                    IdempotencyConfig,
                )

                config = IdempotencyConfig(
                    event_key_jmespath=self.key,
                    raise_on_no_idempotency_key=self.required,
                    expires_after_seconds=self.expires_after,
                )
                found = (
                    DynamoDBPersistenceLayer(table_name=self.table_name(), boto3_client=_dynamodb_client()),
                    config,
                )
                self._stores[service] = found
        return found

    def key_prefix(self, service: type) -> str:
        """What the stored keys of ``service`` start with (before ``#<hash>``): the function's
        name and the class, so that services sharing a table never share a key."""
        function = os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "local")
        return f"{function}.{service.__module__}.{service.__qualname__}"

    def run(
        self,
        service: type,
        document: dict[str, Any],
        fn: Callable[[], Any],
        context: Any = None,
        *,
        data: Any = None,
    ) -> Any:
        """Run ``fn`` once per key found in ``document``; return its result, or the stored one.

        ``data`` is the structured input ``fn`` works on: when given (and not the
        :class:`~pypwext.Request` itself), the document's ``body`` is its JSON form, so the key
        follows what the input means, not how the client spelled it.

        The result is stored by its JSON form (:func:`pypwext.codec.dumps`), so a replay
        returns a value that renders as the first result did (a dict for an attrs instance;
        text and bytes as themselves); a :class:`~pypwext.Response` is stored and replayed
        whole. A failure is not stored (see the module's rules): the retry runs ``fn`` again.

        Raises :class:`~pypwext.Conflict` while another run of the same key is in progress and
        :class:`~pypwext.BadRequest` when ``required`` and the key is missing.
        """
        from aws_lambda_powertools.utilities.idempotency import idempotent_function
        from aws_lambda_powertools.utilities.idempotency.exceptions import (
            IdempotencyAlreadyInProgressError,
            IdempotencyKeyError,
        )

        from pypwext.wire._events import Request

        store, config = self._store(service)
        if context is not None and callable(getattr(context, "get_remaining_time_in_millis", None)):
            config.register_lambda_context(context)
        if data is not None and not isinstance(data, Request):
            document = {**document, "body": canonical(data, document.get("body"))}
        spec = spec_of(service)
        renders_errors = spec is not None and "render" in spec.kind.lifecycle

        def _once(document: dict[str, Any]) -> dict[str, Any]:
            collector = current_collector()
            before = len(collector.errors) if collector is not None and renders_errors else 0
            result = fn()
            if _is_failure(result) or (
                collector is not None and renders_errors and len(collector.errors) > before
            ):
                raise _NotStored(result)  # Powertools deletes the record: a retry runs again
            return _to_stored(result)

        guarded = idempotent_function(
            _once,
            data_keyword_argument="document",
            persistence_store=store,
            config=config,
            key_prefix=self.key_prefix(service),
        )
        try:
            stored = guarded(document=document)
        except _NotStored as failed:
            return failed.result
        except IdempotencyAlreadyInProgressError:
            raise Conflict(
                "a request with the same idempotency key is already in progress",
                details={"key": self.key},
            ) from None
        except IdempotencyKeyError:
            raise BadRequest(
                "missing idempotency key",
                details={"problems": [{"path": self.key, "reason": "required for idempotency"}]},
            ) from None
        return _from_stored(stored)


_CLIENTS: dict[tuple[str | None, ...], Any] = {}
_CLIENTS_LOCK = threading.Lock()
_CLIENT_ENV = (
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_DYNAMODB",
    "AWS_ACCESS_KEY_ID",
)


# The store's timeouts: its calls are small and DynamoDB answers in milliseconds; near the
# deadline they are cut to the time left (pypwext.runtime._fitted), so that a store that does not
# answer costs an error answer, never the invocation.
_CONNECT_S, _READ_S, _ATTEMPTS = 1.0, 2.0, 2


def _dynamodb_client() -> Any:
    """One boto3 DynamoDB client per container (and environment) for every idempotent
    service (building one costs far more than a call), each call fitted to the time left."""
    key = tuple(os.environ.get(name) for name in _CLIENT_ENV)
    with _CLIENTS_LOCK:
        client = _CLIENTS.get(key)
        if client is None:
            import boto3

            from pypwext.runtime._fitted import FittedClient, FittedClients, client_config

            session = boto3.session.Session()  # (one per environment: its clients share exceptions)

            def build(connect_s: float, read_s: float, attempts: int) -> Any:
                return session.client("dynamodb", config=client_config(connect_s, read_s, attempts))

            client = _CLIENTS[key] = FittedClient(FittedClients(build, _CONNECT_S, _READ_S, _ATTEMPTS))
    return client


def canonical(value: Any, fallback: Any = None) -> Any:
    """What an idempotency key is read from: the JSON form of a *structured* input (so ``7``,
    ``"7"``, ``7.0`` and ``"07"`` for an ``int`` field are one value; Powertools hashes it
    with sorted keys, so key order and whitespace never count), or ``fallback`` (the payload
    as received) when the input has no JSON form."""
    try:
        return codec.json_form(value)
    except (TypeError, ValueError):
        return fallback


class _NotStored(Exception):
    """``fn``'s answer is a failure: raised through Powertools (which then deletes the
    in-progress record, as for an exception) and answered as it is."""

    def __init__(self, result: Any) -> None:
        super().__init__("not stored: the answer is a failure")
        self.result = result


def _is_failure(result: Any) -> bool:
    from pypwext.wire._responses import Response

    return isinstance(result, Response) and (result.status >= 400 or bool(result.errors))


class _Json:
    """A replayed value whose JSON form is a string (a ``Decimal``, a ``UUID``, a date...):
    it renders as that JSON string again, not as text."""

    def __init__(self, text: str) -> None:
        self._text = text

    def json(self) -> str:
        return self._text


def _encode(value: Any) -> dict[str, Any]:
    """A body or result in a form DynamoDB keeps, from which :func:`_decode` gives back a value
    that renders the same (text as text, bytes as bytes, anything else as its JSON)."""
    if value is None:
        return {"none": True}
    if isinstance(value, str):
        return {"text": value}
    if isinstance(value, (bytes, bytearray, memoryview)):
        return {"base64": codec.base64_text(value)}
    return {"json": codec.dumps(value)}


_ENCODED = frozenset({"none", "text", "base64", "json"})


def _decode(stored: dict[str, Any]) -> Any:
    if "text" in stored:
        return stored["text"]
    if "base64" in stored:
        return codec.base64_bytes(stored["base64"])
    if "json" in stored:
        value = codec.loads(stored["json"])
        return _Json(stored["json"]) if isinstance(value, str) else value
    return None


def _to_stored(result: Any) -> dict[str, Any]:
    from pypwext.wire._responses import Response

    if isinstance(result, Response):
        return {
            "response": {
                "status": result.status,
                "body": _encode(result.body),
                "headers": dict(result.headers),
                "cookies": list(result.cookies),
                "multi_headers": {k: list(v) for k, v in result.multi_headers.items()},
            }
        }
    return {"result": _encode(result)}


def _from_stored(stored: Any) -> Any:
    if not isinstance(stored, dict):  # idempotency disabled by POWERTOOLS_IDEMPOTENCY_DISABLED
        return stored
    if "response" in stored:
        from pypwext.wire._responses import Response

        fields = dict(stored["response"])
        body = fields.get("body")
        fields["body"] = (
            _decode(body) if isinstance(body, dict) and len(body) == 1 and body.keys() <= _ENCODED else body
        )
        return Response(**fields)
    if "result" in stored:
        return _decode(stored["result"])
    return stored.get("value")  # a record stored by an earlier version
