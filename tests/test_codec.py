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
