"""Event-source detection and the :class:`Request` every service sees.

A Lambda function behind API Gateway (REST or HTTP API), an Application Load Balancer or a
Function URL receives an HTTP request wrapped in a JSON event whose shape depends on the source;
a direct invoke receives any JSON value. :func:`detect_source` tells the sources apart and
:func:`parse_request` turns any event into one :class:`Request`, so the rest of pypwext never
looks at a raw event again.

Each HTTP source's own module reads its shape (``_rest``: API Gateway REST, payload 1.0;
``_http_api``: the HTTP API and Function URLs, payload 2.0; ``_alb``), handed out through
:func:`source_function` (imported when its source is first met); this module detects the source, dispatches, and assembles the :class:`Request` with
the rules every source shares (``_reading``: maps, query, cookies, body, Unicode). A direct
invoke has no HTTP shape: its event is the request's body, read here.

Rules a reader should know (each tested against the real samples in ``fixtures/aws-events``):

* **Detection.** ALB: ``requestContext.elb``. REST (payload 1.0): ``httpMethod`` plus a
  ``requestContext``, ``version`` ``"1.0"`` or absent. Payload 2.0 (``version`` ``"2.0"`` and
  ``requestContext.http``): a Function URL when ``requestContext.domainName`` (or, without it,
  the ``Host`` header) is ``<id>.lambda-url.<region>.on.aws``, the HTTP API otherwise -- the
  domain is the only field that differs: both send ``routeKey`` and ``stage`` ``"$default"``.
  Lambda *authorizer* events (they carry ``methodArn``/``routeArn``) are not proxy events and
  expect a policy, not an HTTP response, so they are ``DIRECT``. Anything else is ``DIRECT``.
* **Headers** are looked up in any case. ``request.headers[name]`` is the single value the source
  picked (API Gateway and ALB: the last one); ``request.header_values(name)`` lists every value
  when the source sent ``multiValueHeaders``. Payload 2.0 joins repeated headers with commas
  itself; those stay one value (a comma may belong to the value).
* **Query.** ``multi_query`` has every value: ``multiValueQueryStringParameters`` when sent, the
  parsed ``rawQueryString`` for payload 2.0 (HTTP API joins repeated keys with commas in
  ``queryStringParameters``), else one value per name. ``query`` has one value per name: the
  source's own ``queryStringParameters`` for REST and ALB (they put the last value there), the
  last value of ``multi_query`` when a payload 2.0 ``rawQueryString`` was parsed. ALB passes
  names and values URL-encoded: they are decoded here (API Gateway decodes them itself).
* **Cookies** come from the payload 2.0 ``cookies`` list, else from the ``Cookie`` header(s);
  a cookie without ``=`` is a name with an empty value.
* **Path** is the path as the source delivered it (not percent-decoded); for an HTTP API stage
  other than ``$default`` the ``/stage`` prefix of ``rawPath`` is removed.
* Everything a client controls is checked: a malformed event part, a body that is not base64
  although ``isBase64Encoded`` says so, or a body that is not UTF-8 / JSON when read as such
  raise :class:`~pypwext.errors.BadRequest` with ``details["problems"]`` (path and reason, in
  pypwext's own words) -- never anything else. A body larger than :data:`MAX_BODY_BYTES` once
  decoded is a :class:`~pypwext.errors.PayloadTooLarge` (413, a kind of ``BadRequest``), refused
  before anything reads it. A method, path, header, query parameter, path parameter or cookie
  holding an unpaired surrogate (text that has no UTF-8 form, so no answer could quote it) is
  refused too.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Iterator, Mapping
from enum import Enum
from itertools import chain
from typing import Any

import attrs

from pypwext import codec
from pypwext._lazy import pattern
from pypwext.errors import BadRequest
from pypwext.wire._reading import (
    MAX_BODY_BYTES,
    MakeHeaders,
    Parts,
    all_ascii,
    body,
    check_unicode,
    malformed,
    parse_cookies,
    single_map,
)

__all__ = ["MAX_BODY_BYTES", "EventSource", "Headers", "Request", "detect_source", "parse_request"]


class EventSource(str, Enum):
    """Where an invocation came from, which decides how the event is read and how to answer.

    >>> EventSource("alb").is_http, EventSource.DIRECT.is_http
    (True, False)
    """

    API_GATEWAY_REST = "rest"
    """API Gateway REST API, Lambda proxy integration (payload format 1.0)."""
    API_GATEWAY_HTTP = "http-api"
    """API Gateway HTTP API (payload format 2.0)."""
    FUNCTION_URL = "function-url"
    """A Lambda Function URL (payload format 2.0 on a ``*.lambda-url.*.on.aws`` domain)."""
    ALB = "alb"
    """An Application Load Balancer target group."""
    DIRECT = "direct"
    """Anything else: a direct ``Invoke`` with any JSON value (or an event of another service)."""

    @property
    def is_http(self) -> bool:
        """True for the sources that carry an HTTP request and expect an HTTP response."""
        return self is not EventSource.DIRECT

    def __str__(self) -> str:
        return self.value


# <id>.lambda-url.<region>.on.aws (the id is lower-case alphanumeric in practice; samples use
# placeholders such as "<url-id>", so anything without a dot is accepted).
_FUNCTION_URL_DOMAIN = pattern(r"^[^.]+\.lambda-url\.[^.]+\.on\.aws$", re.IGNORECASE)


def detect_source(event: Any) -> EventSource:
    """Tell which source sent ``event`` (see the module docs for the rules); never raises.

    >>> detect_source({"requestContext": {"elb": {}}, "httpMethod": "GET", "path": "/"})
    <EventSource.ALB: 'alb'>
    >>> detect_source([1, 2, 3])
    <EventSource.DIRECT: 'direct'>
    """
    if type(event) is not dict and not isinstance(event, Mapping):
        return EventSource.DIRECT
    ctx = event.get("requestContext")
    if type(ctx) is not dict and not isinstance(ctx, Mapping):
        return EventSource.DIRECT
    if "methodArn" in event or "routeArn" in event:  # a Lambda authorizer's input
        return EventSource.DIRECT
    if "elb" in ctx:
        return EventSource.ALB
    version = event.get("version")
    if version == "2.0":
        if not isinstance(ctx.get("http"), Mapping):
            return EventSource.DIRECT
        domain = ctx.get("domainName")
        if not isinstance(domain, str):
            domain = _single_host(event.get("headers"))
        if domain and _FUNCTION_URL_DOMAIN().match(domain):
            return EventSource.FUNCTION_URL
        return EventSource.API_GATEWAY_HTTP
    if (version is None or version == "1.0") and isinstance(event.get("httpMethod"), str):
        return EventSource.API_GATEWAY_REST
    return EventSource.DIRECT


def _single_host(headers: Any) -> str | None:
    if isinstance(headers, Mapping):
        for name, value in headers.items():
            if isinstance(name, str) and name.lower() == "host" and isinstance(value, str):
                return value
    return None


class Headers(Mapping[str, str]):
    """Read-only request headers, looked up in any case.

    ``headers[name]`` is one value (the one the source picked, else the last); :meth:`get_all`
    lists every value. Iteration yields each name once, as the source first spelled it.

    >>> h = Headers({"Content-Type": "application/json"}, {"X-A": ["1", "2"]})
    >>> h["content-type"], h["x-a"], h.get_all("X-a")
    ('application/json', '2', ['1', '2'])
    """

    __slots__ = ("_multi", "_names", "_single")

    def __init__(
        self,
        single: Mapping[str, str] | None = None,
        multi: Mapping[str, list[str]] | None = None,
    ) -> None:
        # One pass over each map (this runs on every invocation): multi-value names first, then
        # single values; a name's first spelling is kept; see the class docs for the rules.
        single_by_key: dict[str, str] = {}
        multi_by_key: dict[str, list[str]] = {}
        names: dict[str, str] = {}
        if single and multi and single.keys() == multi.keys():  # API Gateway REST's two maps
            for name, values in multi.items():
                key = name.lower()
                if key in names:  # two spellings of one name: the general rules below
                    single_by_key, multi_by_key, names = {}, {}, {}
                    break
                names[key] = name
                single_by_key[key] = single[name]
                multi_by_key[key] = list(values) if values else [single[name]]
            else:
                self._single = single_by_key
                self._multi = multi_by_key
                self._names = names
                return
        if multi:
            for name, values in multi.items():
                key = name.lower()
                if key in multi_by_key:
                    multi_by_key[key].extend(values)
                else:
                    names[key] = name
                    multi_by_key[key] = list(values)
        if single:
            only_single: dict[str, list[str]] = {}  # names the multi-value map lacks (or lists empty)
            for name, value in single.items():
                key = name.lower()
                if key not in names:
                    names[key] = name
                single_by_key[key] = value
                if not multi_by_key.get(key):
                    if key in only_single:
                        only_single[key].append(value)
                    else:
                        only_single[key] = [value]
            multi_by_key.update(only_single)
        if multi_by_key.keys() - single_by_key.keys():  # names only the multi-value map has
            for key in list(multi_by_key):
                if key not in single_by_key:
                    values = multi_by_key[key]
                    if values:
                        single_by_key[key] = values[-1]
                    else:  # an empty list: no such header
                        del multi_by_key[key], names[key]
        self._single = single_by_key
        self._multi = multi_by_key
        self._names = names

    def __getitem__(self, name: str) -> str:
        return self._single[name.lower()]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._single

    def get(self, name: str, default: Any = None) -> Any:
        """The value of header ``name`` (any case), or ``default``."""
        if isinstance(name, str):
            return self._single.get(name.lower(), default)
        return default

    def __iter__(self) -> Iterator[str]:
        return iter(self._names.values())

    def __len__(self) -> int:
        return len(self._names)

    def get_all(self, name: str) -> list[str]:
        """Every value of header ``name`` (any case), in the order received; ``[]`` when absent."""
        return list(self._multi.get(name.lower(), ()))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Headers):
            return self._multi == other._multi and self._single == other._single
        return super().__eq__(other)

    def __repr__(self) -> str:
        shown = {self._names[key]: value for key, value in self._single.items()}
        return f"Headers({shown!r})"


_EMPTY_HEADERS = Headers()


@attrs.frozen
class Request:
    """One incoming request, whatever the source; what ``validate``/``execute`` may ask for.

    Build it with :func:`parse_request`. For a direct invoke, ``method`` is ``"INVOKE"``,
    ``path`` is ``""``, ``body`` is the event encoded as JSON and :meth:`json` returns the event
    itself.

    >>> r = parse_request({"version": "2.0", "rawPath": "/orders/7", "rawQueryString": "a=1&a=2",
    ...     "headers": {"Content-Type": "application/json; charset=utf-8"}, "body": '{"x": 1}',
    ...     "requestContext": {"http": {"method": "post"}, "requestId": "r-1",
    ...                        "domainName": "abc.execute-api.eu-west-1.amazonaws.com"}})
    >>> r.source.value, r.method, r.path, r.query, r.multi_query, r.content_type, r.json()
    ('http-api', 'POST', '/orders/7', {'a': '2'}, {'a': ['1', '2']}, 'application/json', {'x': 1})
    """

    source: EventSource
    method: str
    path: str
    headers: Headers = attrs.field(factory=Headers)
    query: dict[str, str] = attrs.field(factory=dict)
    multi_query: dict[str, list[str]] = attrs.field(factory=dict)
    path_params: dict[str, str] = attrs.field(factory=dict)
    cookies: dict[str, str] = attrs.field(factory=dict)
    body: bytes = b""
    raw_event: Any = attrs.field(default=None, repr=False)
    context: Any = attrs.field(default=None, repr=False, eq=False)
    request_id: str | None = None
    multi_value: bool = False
    origin: str | None = None
    # True only on the request parse_request built: its body is the event's own, so json() may
    # read the event's text. A copy (attrs.evolve(request, body=...)) starts False and reads body.
    _from_event: bool = attrs.field(default=False, init=False, repr=False, eq=False)

    def header_values(self, name: str) -> list[str]:
        """Every value of header ``name`` (any case); ``[]`` when absent."""
        return self.headers.get_all(name)

    @property
    def text(self) -> str:
        """The body decoded as UTF-8; :class:`~pypwext.errors.BadRequest` when it is not UTF-8."""
        try:
            return self.body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise BadRequest.invalid(
                "request body is not valid UTF-8", ("body", f"not valid UTF-8 (at byte {exc.start})")
            ) from None

    def json(self) -> Any:
        """The body parsed as JSON (``None`` when empty); a malformed body is a
        :class:`~pypwext.errors.BadRequest` whose ``details["problems"]`` say why. It is this
        request's ``body``: a copy with another body (``attrs.evolve``) parses that one.

        >>> r = parse_request({"order": 7})
        >>> r.json(), attrs.evolve(r, body=b'{"order": 8}').json()
        ({'order': 7}, {'order': 8})
        """
        if self.source is EventSource.DIRECT and (self._from_event or not self.body):
            return self.raw_event  # the event itself (also when wrapped without a body)
        if not self.body:
            return None
        event = self.raw_event
        text: str | bytes = self.body
        if (
            self._from_event
            and type(event) is dict
            and event.get("isBase64Encoded") is not True
            and type(event.get("body")) is str
        ):
            text = event["body"]  # what body holds, before it was encoded to UTF-8: no decoding again
        try:
            return codec.loads(text)
        except codec.DecodeError as exc:  # the codec's own sentence: the line and column, the limit
            reason = str(exc)
        except Exception:  # (nothing else is expected: never Python's text in an answer)
            reason = "not valid JSON"
        raise BadRequest.invalid("malformed JSON body", ("body", reason))  # (outside: nothing chained)

    @property
    def content_type(self) -> str | None:
        """The media type of the body, without parameters and in lower case (``None`` if unset)."""
        value: str | None = self.headers.get("content-type")
        if value is None or value == "application/json":  # (the usual value, as it is)
            return value
        media = value.split(";", 1)[0].strip().lower()
        return media or None


def parse_request(event: Any, context: Any = None) -> Request:
    """Build the :class:`Request` for ``event`` as received by the handler.

    Raises only :class:`~pypwext.errors.BadRequest` (with ``details["problems"]``), for an event
    part a client got wrong; a direct invoke of any JSON value always parses.

    >>> parse_request({"order": 7}).json()
    {'order': 7}
    """
    source = detect_source(event)
    if source is EventSource.DIRECT:
        return _parse_direct(event, context)
    return _parse_http(source, event, context)


def _context_request_id(context: Any) -> str | None:
    value = getattr(context, "aws_request_id", None) if context is not None else None
    return value if isinstance(value, str) else None


def _parse_direct(event: Any, context: Any) -> Request:
    try:
        body = codec.dumps(event).encode("utf-8", "surrogatepass")
    except codec.EncodeError as exc:  # NaN or Infinity (the runtime's parser takes them), a stand-in
        raise malformed("event", str(exc)) from None
    except Exception:  # not JSON-encodable: only possible when called by hand
        raise malformed("event", "the event cannot be encoded as JSON") from None
    request = Request(
        source=EventSource.DIRECT,
        method="INVOKE",
        path="",
        headers=_EMPTY_HEADERS,
        body=body,
        raw_event=event,
        context=context,
        request_id=_context_request_id(context),
    )
    object.__setattr__(request, "_from_event", True)
    return request


_SOURCE_MODULES = {
    EventSource.API_GATEWAY_REST: "pypwext.wire._rest",
    EventSource.API_GATEWAY_HTTP: "pypwext.wire._http_api",
    EventSource.FUNCTION_URL: "pypwext.wire._http_api",
    EventSource.ALB: "pypwext.wire._alb",
}
_FUNCTIONS: dict[tuple[EventSource, str], Any] = {}


def source_function(source: EventSource, name: str) -> Any:
    """The function ``name`` of the module that owns the HTTP ``source``'s shape (its
    ``parse``, ``render``...), that module imported the first time its source is met: a REST
    service's cold start never imports the HTTP API's or the ALB's module.

    >>> source_function(EventSource.ALB, "parse").__module__
    'pypwext.wire._alb'
    """
    key = (source, name)
    found = _FUNCTIONS.get(key)
    if found is None:
        found = _FUNCTIONS[key] = getattr(importlib.import_module(_SOURCE_MODULES[source]), name)
    return found


_PARSE = {EventSource.FUNCTION_URL: "parse_function_url"}  # (the others' are called parse)


def _parse_http(source: EventSource, event: Mapping[str, Any], context: Any) -> Request:
    parse: Callable[[Mapping[str, Any], Mapping[str, Any], MakeHeaders[Headers]], Parts[Headers]]
    parse = source_function(source, _PARSE.get(source, "parse"))  # (the source module's own reader)
    (
        method, path, headers, single_headers, multi_headers, query, multi_query, cookie_list, request_id,
    ) = parse(event, event["requestContext"], Headers)  # fmt: skip
    if multi_query is None:
        multi_query = {k: [v] for k, v in (query or {}).items()}
    if query is None:
        query = {k: vs[-1] for k, vs in multi_query.items() if vs}

    path_params = single_map(event, "pathParameters") or {}

    if not all_ascii(method, path, (single_headers, query, path_params), (multi_headers, multi_query)):
        check_unicode("path", (method, path))  # which part has text with no UTF-8 form, if any
        for field, named in (
            ("headers", single_headers),
            ("queryStringParameters", query),
            ("pathParameters", path_params),
        ):
            if named:
                check_unicode(field, chain(named, named.values()))
        for field, listed in (
            ("multiValueHeaders", multi_headers),
            ("multiValueQueryStringParameters", multi_query),
        ):
            if listed:
                check_unicode(field, chain(listed, chain.from_iterable(listed.values())))

    if request_id is None:
        request_id = _context_request_id(context)

    request = Request(  # every field, in order: positional arguments cost less, on every invocation
        source,
        method.upper(),
        path,
        headers,
        query,
        multi_query,
        path_params,
        parse_cookies(cookie_list),
        body(event),
        event,
        context,
        request_id,
        multi_headers is not None,
        headers.get("origin"),
    )
    object.__setattr__(request, "_from_event", True)
    return request
