"""The one converter and JSON codec: lossless scalar conversion, paths, JSON encoding."""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import uuid
from decimal import Decimal
from typing import Any

import attrs
import pytest

from pypwext.codec import InputError, dumps, loads, strict, structure, unstructure
from tests._support.fresh import fresh_python


@attrs.frozen
class Leaf:
    value: int


@attrs.frozen
class Tree:
    name: str
    leaves: list[Leaf]
    index: dict[str, Leaf] = attrs.Factory(dict)
    parent: Tree | None = None


def problems(data: Any, cl: Any) -> dict[str, str]:
    with pytest.raises(InputError) as info:
        structure(data, cl)
    return {p.path: p.reason for p in info.value.problems}


@pytest.mark.parametrize(
    ("value", "cl", "expected"),
    [
        ("5", int, 5),
        (5.0, int, 5),
        (" -3 ", int, -3),
        (1, float, 1.0),
        ("1e3", float, 1000.0),
        ("true", bool, True),
        ("0", bool, False),
        (1.1, Decimal, Decimal("1.1")),
        ("2024-01-02", dt.date, dt.date(2024, 1, 2)),
        ("aGk=", bytes, b"hi"),
    ],
)
def test_lossless_conversions_are_accepted(value: Any, cl: Any, expected: Any) -> None:
    assert structure(value, cl) == expected


@pytest.mark.parametrize(
    ("value", "cl", "reason"),
    [
        (5.5, int, "expected an integer, got the number 5.5"),
        (True, int, "expected an integer, got a boolean"),
        ("five", int, "expected an integer, got the string 'five'"),
        (5, str, "expected a string, got the number 5"),
        ("maybe", bool, "expected a boolean, got the string 'maybe'"),
        ("NaN", Decimal, "expected a finite decimal number"),
        ("tomorrow", dt.datetime, "expected an ISO 8601 date-time, got 'tomorrow'"),
        ("x", uuid.UUID, "expected a UUID, got the string 'x'"),
        ("!!", bytes, "expected base64-encoded bytes, got the string '!!'"),
        (None, int, "expected an integer, got null"),
    ],
)
def test_lossy_or_wrong_values_are_refused_with_a_reason(value: Any, cl: Any, reason: str) -> None:
    assert problems(value, cl) == {"": reason}


def test_nested_paths_for_lists_dicts_and_optional_children() -> None:
    data = {
        "name": 1,
        "leaves": [{"value": 1}, {"value": "x"}, "leaf"],
        "index": {"a": {"value": []}},
        "parent": {"name": "p", "leaves": "none"},
    }
    assert problems(data, Tree) == {
        "name": "expected a string, got the number 1",
        "leaves[1].value": "expected an integer, got the string 'x'",
        "leaves[2]": "expected an object, got the string 'leaf'",
        "index[a].value": "expected an integer, got an array",
        "parent.leaves": "expected an array, got the string 'none'",
    }


def test_strict_classes_reject_unknown_fields_others_ignore_them() -> None:
    @strict
    @attrs.frozen
    class Closed:
        a: int

    assert structure({"value": 1, "extra": 2}, Leaf) == Leaf(1)
    assert problems({"a": 1, "b": 2, "c": 3}, Closed) == {"b": "unexpected field", "c": "unexpected field"}
    with pytest.raises(TypeError):
        strict(int)  # type: ignore[type-var]


class Size(enum.Enum):
    S = "s"
    M = "m"


@dataclasses.dataclass
class Shirt:
    size: Size


def test_enum_and_dataclass() -> None:
    assert structure({"size": "m"}, Shirt) == Shirt(Size.M)
    assert problems({"size": "xl"}, Shirt) == {"size": "expected one of 's', 'm', got the string 'xl'"}


def test_dumps_handles_the_types_services_return() -> None:
    class Curated:
        def dict(self) -> dict[str, int]:
            return {"curated": 1}

    class AsJson:
        def json(self) -> str:
            return '{"as_json": true}'

    value = {
        "tree": Tree("t", [Leaf(1)]),
        "when": dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc),
        "ref": uuid.UUID(int=1),
        "amount": Decimal("0.10"),
        "raw": b"\x00\x01",
        "set": {3, 1, 2},
        "curated": Curated(),
        "json": AsJson(),
        "text": "åäö",
    }
    assert loads(dumps(value)) == {
        "tree": {"name": "t", "leaves": [{"value": 1}], "index": {}, "parent": None},
        "when": "2024-01-02T03:04:05+00:00",
        "ref": "00000000-0000-0000-0000-000000000001",
        "amount": "0.10",
        "raw": "AAE=",
        "set": [1, 2, 3],
        "curated": {"curated": 1},
        "json": {"as_json": True},
        "text": "åäö",
    }
    with pytest.raises(TypeError, match="not JSON serialisable"):
        dumps(object())


def test_round_trip_through_unstructure_and_structure() -> None:
    tree = Tree("t", [Leaf(1), Leaf(2)], {"k": Leaf(3)}, Tree("p", []))
    assert structure(loads(dumps(unstructure(tree))), Tree) == tree


@attrs.frozen
class Card:
    card_number: str


@attrs.frozen
class Transfer:
    iban: str
    reference: str | None = None


def test_unions_of_attrs_classes_are_told_apart_by_their_fields() -> None:
    assert structure({"card_number": "4111"}, Card | Transfer) == Card("4111")
    assert structure({"iban": "SE12"}, Card | Transfer) == Transfer("SE12")
    assert structure(None, Card | None) is None
    assert problems({"neither": 1}, Card | Transfer) == {"": "matches none of the accepted shapes"}
    assert problems("card", Card | Transfer) == {"": "expected an object"}


# --- bounded problems, strict numbers, strict JSON ------------------------------------------


def test_an_input_error_lists_the_first_problems_and_counts_the_rest() -> None:
    from pypwext.codec import MAX_COUNTED_PROBLEMS, MAX_PROBLEMS

    with pytest.raises(InputError) as info:
        structure([{"value": "x"}] * (MAX_PROBLEMS + 5), list[Leaf])
    assert [p.path for p in info.value.problems] == [f"[{i}].value" for i in range(MAX_PROBLEMS)]
    assert info.value.more == 5
    assert info.value.details()["more"] == 5 and len(info.value.details()["problems"]) == MAX_PROBLEMS
    assert str(info.value).endswith("; and 5 more")
    with pytest.raises(InputError) as info:
        structure({"leaves": [{}] * 10_000, "name": 1}, Tree)  # nested: the budget is shared
    assert MAX_COUNTED_PROBLEMS - MAX_PROBLEMS <= info.value.more < 10_000
    with pytest.raises(InputError) as info:
        structure({"value": "x"}, Leaf)
    assert info.value.more == 0 and "more" not in info.value.details()


def test_the_shared_converter_used_directly_raises_input_errors_for_containers_too() -> None:
    from pypwext.codec import converter

    with pytest.raises(InputError) as info:
        converter.structure([{"value": 1}, {"value": "x"}], list[Leaf])
    assert [p.to_dict() for p in info.value.problems] == [
        {"path": "[1].value", "reason": "expected an integer, got the string 'x'"}
    ]


@pytest.mark.parametrize(
    ("value", "cl"),
    [
        (float("nan"), float),
        (float("inf"), float),
        ("nan", float),
        ("-inf", float),
        ("Infinity", float),
        ("1e999", float),
        (10**400, float),
        ("1_000", float),
        ("1E+6145", Decimal),
        ("1E-6145", Decimal),
        ("1" * 35, Decimal),
        (10**40, Decimal),
        ("sNaN", Decimal),
        ("9" * 5000, int),
    ],
)
def test_numbers_that_cannot_be_computed_with_are_refused(value: Any, cl: Any) -> None:
    (reason,) = problems(value, cl).values()
    assert reason.startswith("expected") and "sys." not in reason and "9" * 30 not in reason


class Level(enum.IntEnum):
    LOW = 1


class Tone(str, enum.Enum):
    DARK = "dark"


class Mode(enum.StrEnum):
    FAST = "fast"


@pytest.mark.parametrize(
    ("value", "cl", "member"),
    [(1, Level, Level.LOW), ("1", Level, Level.LOW), ("dark", Tone, Tone.DARK), ("fast", Mode, Mode.FAST)],
)
def test_int_and_str_enums_take_their_members(value: Any, cl: Any, member: Any) -> None:
    assert structure(value, cl) is member


@pytest.mark.parametrize(
    ("value", "cl"), [(2, Level), (True, Level), ("x", Tone), (1, Tone), ("slow", Mode), ("", Mode)]
)
def test_int_and_str_enums_refuse_other_ints_and_strings(value: Any, cl: Any) -> None:
    (reason,) = problems(value, cl).values()
    assert reason.startswith("expected one of ")


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("[NaN]", "NaN and Infinity are not JSON numbers"),
        ("[-Infinity]", "NaN and Infinity are not JSON numbers"),
        ("[1e999]", "a number is too large"),
        ("9" * 5000, "a number has more than 4300 digits"),
        ('["\\ud800"]', "a string holds an unpaired surrogate"),
        ('{"a" 1}', "not valid JSON: expected ':' after a field name at line 1, column 6"),
        ("", "not valid JSON: expected a value at line 1, column 1"),
        ("[" * 65 + "]" * 65, "nested deeper than 64 levels"),
        ("[" * 10_000, "nested deeper than 64 levels"),
        (b"\xff", "not valid UTF-8 text (at byte 0)"),
    ],
)
def test_loads_refuses_in_its_own_words(text: str | bytes, reason: str) -> None:
    from pypwext.codec import DecodeError

    with pytest.raises(DecodeError) as info:
        loads(text)
    assert str(info.value).startswith(reason)
    assert isinstance(info.value, ValueError)


def test_loads_takes_what_is_json() -> None:
    assert loads("[" * 64 + "]" * 64) is not None
    assert loads('["\\ud83d\\ude00", "\\\\ud800", "[[[["]') == ["\U0001f600", "\\ud800", "[[[["]
    assert loads(b'\xef\xbb\xbf{"a": 1.5}') == {"a": 1.5}
    assert loads(" [1] ") == [1]


def test_dumps_is_strict_json() -> None:
    from pypwext.codec import EncodeError

    for value in (float("nan"), [float("inf")], {"a": -float("inf")}, 10**5000, {(1,): 2}):
        with pytest.raises(EncodeError):
            dumps(value)
    assert dumps({"a": 1e308}) == '{"a":1e+308}'


def test_dates_loaded_after_pypwext_structure_and_encode() -> None:
    """pypwext does not import ``datetime``: the converter's date hooks match once the service's
    own module has loaded it, after pypwext (a fresh interpreter, where nothing loaded it before)."""
    program = (
        "import sys, json\n"
        "from pypwext import codec\n"
        "before = 'datetime' in sys.modules\n"
        "import datetime, attrs\n"
        "@attrs.frozen\n"
        "class Booking:\n"
        "    day: datetime.date\n"
        "    at: datetime.datetime\n"
        "b = codec.structure({'day': '2024-05-01', 'at': '2024-05-01T12:30:00Z'}, Booking)\n"
        "try:\n"
        "    codec.structure({'day': 'May 1st', 'at': '2024-05-01T12:30:00Z'}, Booking)\n"
        "except codec.InputError as exc:\n"
        "    refused = [p.path for p in exc.problems]\n"
        "print(json.dumps([before, type(b.at).__name__, str(b.at.tzinfo), codec.dumps(b), refused]))\n"
    )
    assert fresh_python(program)[0] == [
        False,
        "datetime",
        "UTC",
        '{"day":"2024-05-01","at":"2024-05-01T12:30:00+00:00"}',
        ["day"],
    ]
