"""Hypothesis over every real AWS event sample: mutated the way a hostile client (or a broken
integration) would, sent through typed services' handlers.

For every answer: no exception escapes the handler (an event or batch service may raise a
pypwext error on purpose, to be retried: that is documented), no 5xx (none of the services
raises one), no Python-internal text in any body, every answer JSON-serialisable (strict: no
NaN) and UTF-8-encodable, and under the 6 MB of a synchronous invocation.

The samples are read in place through the suite's one loader (tests/_support/aws_samples.py).
"""

from __future__ import annotations

import base64
import copy
import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from pypwext import BaseService
from pypwext.errors import ServiceError
from pypwext.testing import lambda_context
from pypwext.wire._events import detect_source
from tests._support import aws_samples
from tests.fuzz.fuzz_services import HTTP_SERVICES, AttrsOrder, DataclassLookup, kind_services

SYNC_LIMIT = 6 * 1024 * 1024  # a synchronous invocation's answer
WHOLE_BATCH = re.compile(r"record \d+ of the batch has no (identifier|attributes)")  # docs/batch.md

# Words that only a leak of Python's or a library's internals would put into an answer
INTERNAL = (
    "Traceback",
    'File "',
    "Error:",
    "ValueError",
    "KeyError",
    "TypeError",
    "AttributeError",
    "IndexError",
    "RecursionError",
    "UnicodeDecodeError",
    "UnicodeEncodeError",
    "JSONDecodeError",
    "binascii",
    "cattrs",
    "ClassValidationError",
    "set_int_max_str_digits",
    "recursion",
    "NoneType",
    "object has no attribute",
    "Expecting ",
    "line 1 column",
    "(char ",
    "codec can't",
    "Incorrect padding",
    "not JSON serializable",
    "pypwext/",
)

# Bounded (the whole suite well under a minute on a loaded machine), derandomized (the same
# examples on every run: a failure is reproducible, and a case marked xfail stays failing until
# its fix lands), no shrinking (a failing case costs one run, not a search).
FAST = settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    database=None,
    derandomize=True,
    phases=[Phase.explicit, Phase.generate],
)


# The tests' bodies call the loader `load`: the derandomized examples are seeded from their source,
# so another name there draws other examples (and one of those, a lone surrogate in an
# s3EventBridgeNotification sample, gets an answer that is not UTF-8: a kinds bug, reported).
load = aws_samples.sample
ALL_SAMPLES = aws_samples.names()
HTTP_SAMPLES = [n for n in ALL_SAMPLES if detect_source(load(n)).is_http]  # (the mutations' choice only)

# --- values a hostile party sends ---------------------------------------------------------------

hostile_text = st.one_of(
    st.text(max_size=30),
    st.text(st.characters(exclude_categories=()), max_size=20),  # lone surrogates included
    st.sampled_from(["\r\nSet-Cookie: a=b", "\n", "\0", "\ud800", "a\udcff", "%0d%0a", "../..", "😀" * 3]),
    st.sampled_from(["1e999", "nan", "-Infinity", "9" * 5000, "0x10", " 7 ", "07", "true", "null", ""]),
)
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | hostile_text,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(hostile_text, children, max_size=4),
    max_leaves=10,
)
wrong_types = st.one_of(
    st.none(), st.integers(), st.booleans(), hostile_text, st.builds(list), st.builds(dict), json_values
)
order_like = st.fixed_dictionaries(
    {},
    optional={
        "quantity": st.one_of(st.integers(), hostile_text, st.floats()),
        "price": st.one_of(st.floats(), hostile_text),
        "total": st.one_of(st.decimals(allow_nan=True).map(str), hostile_text, st.integers()),
        "size": st.one_of(st.integers(-1, 3), hostile_text),
        "colour": st.one_of(st.sampled_from(["red", "blue", "RED", "green"]), st.integers()),
        "items": st.one_of(st.lists(st.integers(), max_size=3), hostile_text),
        "id": st.one_of(st.integers(), hostile_text),
        "tags": st.one_of(st.lists(hostile_text, max_size=3), st.integers()),
        "score": st.one_of(st.floats(), hostile_text, st.none()),
    },
)


def json_text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


raw_json_text = st.sampled_from(
    [
        "1e999",
        "NaN",
        "[" * 5000 + "]" * 5000,
        '{"quantity": 1e999}',
        '{"quantity": ' + "9" * 5000 + "}",
        '{"total": "1e999999"}',
        '{"a":1',
        "",
        " ",
        "\ufeff{}",
        '"\\ud800"',
    ]
) | st.builds(lambda n: "[" * n + "]" * n, st.integers(900, 3000))

bodies = st.one_of(
    json_values.map(json_text),
    order_like.map(json_text),
    raw_json_text,
    hostile_text,
)


# --- mutations: each takes the event (a fresh copy) and a hypothesis draw ------------------------


def _at(value: Any, *path: Any) -> Any:
    for step in path:
        try:
            value = value[step]
        except (KeyError, IndexError, TypeError):
            return None
    return value


def _header_maps(event: dict[str, Any]) -> list[str]:
    return [k for k in ("headers", "multiValueHeaders") if isinstance(event.get(k), dict)]


def mutate_body(event: dict[str, Any], draw: Callable[..., Any]) -> None:
    if draw(st.booleans()):
        event["body"] = base64.b64encode(draw(st.binary(max_size=64))).decode()
        event["isBase64Encoded"] = True
    else:
        event["body"] = draw(bodies)
        event["isBase64Encoded"] = False
    content_type = draw(
        st.sampled_from([None, "application/json", "text/plain", "application/x+json", "\r\n"])
    )
    if content_type is not None:
        for key in _header_maps(event):
            event[key]["content-type"] = content_type if key == "headers" else [content_type]


def mutate_base64(event: dict[str, Any], draw: Callable[..., Any]) -> None:
    event["isBase64Encoded"] = draw(st.sampled_from([True, False, "true", 1, None]))
    if draw(st.booleans()):
        event["body"] = draw(st.sampled_from(["@@@", "YQ", "YQ==YQ==", "\u00e9", "////", "eyJh"]))


def mutate_headers(event: dict[str, Any], draw: Callable[..., Any]) -> None:
    names = (
        st.sampled_from(["Origin", "content-type", "Cookie", "X-Forwarded-For", "Host", "Accept"])
        | hostile_text
    )
    for key in _header_maps(event) or ["headers"]:
        values = draw(st.dictionaries(names, hostile_text, max_size=4))
        event[key] = {
            **(event.get(key) or {}),
            **(values if key == "headers" else {k: [v] for k, v in values.items()}),
        }
    if "cookies" in event or draw(st.booleans()):
        event["cookies"] = draw(st.lists(hostile_text, max_size=3))


def mutate_cors(event: dict[str, Any], draw: Callable[..., Any]) -> None:
    """A browser's request from an allowed origin or another, a preflight or an actual one."""
    origin = draw(st.sampled_from(["https://shop.example", "https://evil.example", "null"]) | hostile_text)
    headers = {"Origin": origin}
    if draw(st.booleans()):
        headers["Access-Control-Request-Method"] = draw(
            st.sampled_from(["POST", "TRACE", "get"]) | hostile_text
        )
        method = "OPTIONS"
        if "httpMethod" in event:
            event["httpMethod"] = method
        if isinstance(_at(event, "requestContext", "http"), dict):
            event["requestContext"]["http"]["method"] = method
    for key in _header_maps(event) or ["headers"]:
        extra = headers if key == "headers" else {k: [v] for k, v in headers.items()}
        event[key] = {**(event.get(key) or {}), **extra}


def mutate_query(event: dict[str, Any], draw: Callable[..., Any]) -> None:
    values = draw(st.dictionaries(hostile_text, hostile_text, max_size=4))
    event["queryStringParameters"] = values
    if "multiValueQueryStringParameters" in event:
        event["multiValueQueryStringParameters"] = {k: [v] for k, v in values.items()}
    if "rawQueryString" in event:
        event["rawQueryString"] = draw(hostile_text)
    if draw(st.booleans()):
        event["pathParameters"] = draw(st.dictionaries(hostile_text, hostile_text, max_size=2))
    if draw(st.booleans()):
        path = draw(hostile_text)
        event["path"] = path
        event["rawPath"] = path


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found: list[tuple[Any, ...]] = []
    if isinstance(value, dict):
        for key, child in value.items():
            found.append((*prefix, key))
            found.extend(_paths(child, (*prefix, key)))
    elif isinstance(value, list):
        for index, child in enumerate(value[:3]):
            found.append((*prefix, index))
            found.extend(_paths(child, (*prefix, index)))
    return found


Selector = int | tuple[Any, ...]  # an index into the event's paths, or a path itself
tree_edits = st.lists(
    st.tuples(st.integers(min_value=0, max_value=10_000), st.booleans(), wrong_types), min_size=1, max_size=4
)


def edit_tree(event: dict[str, Any], edits: list[tuple[Selector, bool, Any]]) -> None:
    """Drop keys (``True``) or put values of the wrong type anywhere in the event."""
    paths = _paths(event)
    for selector, drop, value in edits:
        path = paths[selector % len(paths)] if isinstance(selector, int) and paths else selector
        if not isinstance(path, tuple) or not path:
            continue
        parent: Any = event
        try:
            for step in path[:-1]:
                parent = parent[step]
            if drop:
                del parent[path[-1]]
            else:
                parent[path[-1]] = value
        except (KeyError, IndexError, TypeError):
            continue  # an earlier edit removed or replaced this part


def mutate_tree(event: dict[str, Any], draw: Callable[..., Any]) -> None:
    edit_tree(event, draw(tree_edits))


HTTP_MUTATIONS = {
    "body": mutate_body,
    "base64": mutate_base64,
    "headers": mutate_headers,
    "query": mutate_query,
    "cors": mutate_cors,
    "tree": mutate_tree,
}


# --- the invariants ------------------------------------------------------------------------------


def run(service: type[BaseService], event: Any) -> Any:
    """The handler's answer; an exception only where the service's kind documents one."""
    is_kind = service not in HTTP_SERVICES
    try:
        return service.handler(event, lambda_context())
    except (ServiceError, ValueError) as err:
        # An event service raises a pypwext error to be retried; a batch with a record that has
        # no id fails as a whole (both documented). Nothing else escapes.
        documented = isinstance(err, ServiceError) or WHOLE_BATCH.match(str(err))
        if not is_kind or not documented:
            raise AssertionError(f"{service.__name__} raised out of its handler: {err!r}") from err
        leaked = [word for word in INTERNAL if word in str(err)]
        assert not leaked, f"{service.__name__} raised with internal text {leaked}: {err}"
        return None


def body_value(answer: Any) -> Any:
    """The JSON value of an answer's body (``None`` when it has no JSON body)."""
    if not isinstance(answer, dict) or "statusCode" not in answer:
        return None
    body = answer.get("body")
    if "errors" in answer:  # a direct invoke: the value itself
        return body
    if not isinstance(body, str) or not body or answer.get("isBase64Encoded") is not False:
        return None
    multi = {k.lower(): v for k, v in (answer.get("multiValueHeaders") or {}).items()}
    headers = {k.lower(): v for k, v in (answer.get("headers") or {}).items()}
    content_type = str(headers.get("content-type") or (multi.get("content-type") or [""])[0])
    return json.loads(body, parse_constant=_refuse) if "json" in content_type else None


def _refuse(constant: str) -> Any:
    raise AssertionError(f"{constant} in a JSON answer")


def problems_of(value: Any) -> list[dict[str, Any]]:
    """The ``details.problems`` entries of an error body (``value``: the body's JSON value)."""
    errors = value.get("error") if isinstance(value, dict) else None
    found = []
    for error in errors if isinstance(errors, list) else [errors]:
        details = error.get("details") if isinstance(error, dict) else None
        problems = details.get("problems") if isinstance(details, dict) else None
        found.extend(p for p in problems or [] if isinstance(p, dict))
    return found


def leaked_words(text: str, event: Any) -> list[str]:
    sent = json.dumps(event, ensure_ascii=False)
    return [word for word in INTERNAL if word in text and word not in sent]


def check(answer: Any, event: Any) -> None:
    """The promises every answer keeps (``event`` says which words the client sent itself).

    The reasons of a 400's problems are checked by :func:`test_reasons_are_pypwexts_own` (the
    input parser's promise), the rest of the answer here."""
    text = json.dumps(answer, ensure_ascii=False, allow_nan=False)
    assert len(text.encode("utf-8")) < SYNC_LIMIT
    value = body_value(answer)
    for problem in problems_of(value):
        problem["reason"] = "(checked by test_reasons_are_pypwexts_own)"
    shown = json.dumps({**answer, "body": value}, ensure_ascii=False) if value is not None else text
    leaked = leaked_words(shown, event)
    assert not leaked, f"internal text {leaked} in {text[:2000]}"
    if isinstance(answer, dict) and "statusCode" in answer:
        assert answer["statusCode"] < 500, text[:2000]
        for key in ("headers", "multiValueHeaders"):
            for name, values in (answer.get(key) or {}).items():
                for one in [name, *([values] if isinstance(values, str) else values)]:
                    assert not {"\r", "\n", "\0"} & set(one), (name, values)


# --- the tests -----------------------------------------------------------------------------------


@pytest.mark.parametrize("sample_name", ALL_SAMPLES)
@FAST
@given(data=st.data())
def test_sample_mutated(sample_name: str, data: st.DataObject) -> None:
    """Every sample, mutated, to every HTTP service (a non-HTTP event arrives as a direct invoke)."""
    event = load(sample_name)
    mutations = list(HTTP_MUTATIONS) if sample_name in HTTP_SAMPLES else ["tree"]
    mutation = data.draw(st.sampled_from([None, *mutations]), label="mutation")
    if mutation is not None:
        HTTP_MUTATIONS[mutation](event, data.draw)
    for service in HTTP_SERVICES:
        sent = copy.deepcopy(event)
        check(run(service, copy.deepcopy(event)), sent)


KIND_SAMPLES = [n for n in ALL_SAMPLES if kind_services(n)]


@pytest.mark.parametrize("sample_name", KIND_SAMPLES)
@FAST
@given(edits=st.none() | tree_edits, index=st.integers(min_value=0, max_value=1))
@example(edits=[(("Records", 0, "s3", "bucket"), False, "not-an-object")], index=0)
def test_kind_sample_mutated(sample_name: str, edits: Any, index: int) -> None:
    """Every batch, EventBridge and S3 sample, mutated, to its kind's services."""
    event = load(sample_name)
    if edits is not None:
        edit_tree(event, edits)
    services = kind_services(sample_name)
    sent = copy.deepcopy(event)
    check(run(services[index % len(services)], event), sent)


def with_body(event: dict[str, Any], raw: bytes, as_base64: bool) -> dict[str, Any]:
    """``event`` carrying ``raw`` as a JSON request body."""
    event = {**event, "isBase64Encoded": as_base64}
    event["body"] = base64.b64encode(raw).decode() if as_base64 else raw.decode("utf-8", "replace")
    for key in _header_maps(event):
        event[key] = {
            **event[key],
            "content-type": "application/json" if key == "headers" else ["application/json"],
        }
    return event


@pytest.mark.parametrize("sample_name", HTTP_SAMPLES)
@FAST
@given(
    raw=st.one_of(bodies.map(lambda text: text.encode("utf-8", "surrogatepass")), st.binary(max_size=64)),
    as_base64=st.booleans(),
    service=st.sampled_from(HTTP_SERVICES),
)
@example(raw=b"{", as_base64=False, service=AttrsOrder)
@example(raw=b"\xff\xfe{}", as_base64=True, service=AttrsOrder)
def test_reasons_are_pypwexts_own(
    sample_name: str, raw: bytes, as_base64: bool, service: type[BaseService]
) -> None:
    """A 400 for a hostile body says why in pypwext's words, never Python's."""
    event = with_body(load(sample_name), raw, as_base64)
    sent = copy.deepcopy(event)
    for problem in problems_of(body_value(run(service, event))):
        leaked = leaked_words(str(problem.get("reason")), sent)
        assert not leaked, f"internal text {leaked} in the reason {problem}"


# Raw JSON text for each field of the typed services' inputs (numbers JSON can write but Python
# cannot hold, members that are not, the wrong types): the body is assembled from these.
FIELD_TEXT = {
    "quantity": ["2", "1e999", "9" * 5000, "1.0", '"7"', "true", "-0", "null"],
    "price": ["1.5", "1e999", "-1e999", "1e-999", '"nan"', '"1e999"', "NaN", "[]"],
    "total": ['"1.50"', '"1e999999"', '"NaN"', '"-Infinity"', "1e400", '"0x1"', '"1_000"'],
    "size": ["1", "2", "7", "-1", '"1"', "true", "1.0"],
    "colour": ['"red"', '"green"', '"RED"', "1", '"\\ud800"'],
    "items": ["[1,2]", '["a"]', "[1e999]", "{}", "[" * 300 + "]" * 300],
    "note": ['"ok"', '"\\udcff"', '"\\u0000"', "1"],
    "id": ["7", '"7"', "1e999", '"07"', "7.5"],
    "tags": ['["a"]', '"a"', "[1]", "[null]"],
    "score": ["0.5", "1e999", "null", '"NaN"'],
}
typed_bodies = st.dictionaries(
    st.sampled_from(sorted(FIELD_TEXT)), st.integers(min_value=0, max_value=7), max_size=5
).map(
    lambda chosen: (
        "{" + ",".join(f'"{k}":{FIELD_TEXT[k][i % len(FIELD_TEXT[k])]}' for k, i in chosen.items()) + "}"
    )
)
TYPED = [AttrsOrder, DataclassLookup]


@pytest.mark.parametrize("sample_name", HTTP_SAMPLES)
@FAST
@given(body=typed_bodies, as_base64=st.booleans(), service=st.sampled_from(TYPED))
@example(body='{"size": 7}', as_base64=False, service=AttrsOrder)
@example(body='{"price": 1e999}', as_base64=False, service=AttrsOrder)
def test_typed_input_mutated(
    sample_name: str, body: str, as_base64: bool, service: type[BaseService]
) -> None:
    """A typed service's fields, each given what a hostile client would send in its place."""
    event = with_body(load(sample_name), body.encode(), as_base64)
    sent = copy.deepcopy(event)
    check(run(service, event), sent)
