"""A classified value is masked wherever it sits in the input's type: pypwext decides once per
input type whether a call must look for secrets in it (issue 18), and that decision must never
skip a shape that can hold one -- a classified field behind an optional, a list, a tuple, a
dataclass or a type that contains itself, a credential key in a mapping or an ``Any`` field.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
from typing import Any, Optional

import attrs
import pytest

from pypwext import BaseService, InfoClassification
from pypwext.testing import api_gateway_event, lambda_context
from tests._support.logs import json_lines

PII = {"classification": InfoClassification.PII}
SECRET = "s3cr3t-value-planted"
_names = itertools.count()


@attrs.frozen
class Card:
    number: str = attrs.field(metadata=PII)


@attrs.frozen
class Holder:
    card: Optional[Card] = None  # noqa: UP045  (the typing spelling is read too)


@attrs.frozen
class Cards:
    cards: list[Card]


@attrs.frozen
class CardTuple:
    cards: tuple[Card, ...]


@attrs.frozen
class WithMap:
    extra: dict[str, str]


@attrs.frozen
class WithAny:
    extra: Any


@dataclasses.dataclass(frozen=True)
class DataCard:
    number: str = dataclasses.field(metadata=PII)


@attrs.frozen
class HoldsData:
    inner: DataCard | None


@attrs.frozen
class Node:
    name: str
    children: list[Node] = attrs.field(factory=list)
    secret: str | None = attrs.field(default=None, metadata=PII)


SHAPES: dict[str, tuple[type, Any]] = {
    "optional": (Holder, {"card": {"number": SECRET}}),
    "list": (Cards, {"cards": [{"number": "1"}, {"number": SECRET}]}),
    "tuple": (CardTuple, {"cards": [{"number": SECRET}]}),
    "mapping with a credential key": (WithMap, {"extra": {"api_key": SECRET}}),
    "any": (WithAny, {"extra": {"password": SECRET}}),
    "dataclass": (HoldsData, {"inner": {"number": SECRET}}),
    "a type that contains itself": (Node, {"name": "a", "children": [{"name": "b", "secret": SECRET}]}),
    "a list of them": (list[Card], [{"number": SECRET}]),
}


def echoing(input_type: Any) -> type[BaseService]:
    class Echo(BaseService):
        service = f"shape-{next(_names)}"

        def execute(self, data: input_type) -> None:  # type: ignore[valid-type]
            self.logger.warning(f"got {json.dumps(repr(data))} and {SECRET}")

    return Echo


@pytest.mark.parametrize("shape", SHAPES)
def test_a_classified_value_is_masked_in_every_shape_of_input(
    shape: str, capsys: pytest.CaptureFixture[str]
) -> None:
    input_type, body = SHAPES[shape]
    for _ in range(2):  # the first call decides for the type; the second uses the decision
        answer = echoing(input_type).handler(api_gateway_event("POST", "/", body=body), lambda_context())
        assert answer["statusCode"] == 204, answer
        out = capsys.readouterr().out
        assert json_lines(out, every=True)
        assert SECRET not in out


def test_an_unclassified_value_stays_in_clear(capsys: pytest.CaptureFixture[str]) -> None:
    @attrs.frozen
    class Plain:
        note: str

    class Echo(BaseService):
        service = f"shape-{next(_names)}"

        def execute(self, data: Plain) -> None:
            self.logger.warning(f"got {data.note}")

    Echo.handler(api_gateway_event("POST", "/", body={"note": SECRET}), lambda_context())
    assert f"got {SECRET}" in capsys.readouterr().out
