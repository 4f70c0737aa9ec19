"""A service on pydantic models answered on every real HTTP event sample (issue 17): the model
built from the sample's body, the result encoded by pydantic in the source's format, and a bad
body answered with the same 400 as an attrs input."""

from __future__ import annotations

import base64
import json
from typing import Annotated, Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, Field
from test_http_sources import expected_source, is_http_sample
from test_services_on_samples import check_strings, contract_keys

from pypwext import BaseService
from pypwext.testing import lambda_context
from tests._support import aws_samples


class Item(BaseModel):
    item_id: int = Field(alias="itemId")
    quantity: Annotated[int, Field(gt=0)]


class Basket(BaseModel):
    items: list[Item]
    note: str | None = None


class Total(BaseModel):
    count: int = Field(serialization_alias="itemCount")


class Checkout(BaseService):
    just_status_code = False

    def execute(self, basket: Basket) -> Total:
        return Total(count=sum(i.quantity for i in basket.items))


@attrs.frozen
class AttrsItem:
    itemId: int  # the wire names of the pydantic model
    quantity: int


@attrs.frozen
class AttrsBasket:
    items: list[AttrsItem]


class AttrsCheckout(BaseService):
    just_status_code = False

    def execute(self, basket: AttrsBasket) -> int:
        return len(basket.items)


def with_body(event: dict[str, Any], document: Any, *, encode: bool) -> dict[str, Any]:
    """The sample carrying ``document`` as its JSON body (base64 when ``encode``), any
    Content-Type header of the sample's own body removed."""
    text = json.dumps(document)
    out = {**event, "body": base64.b64encode(text.encode()).decode() if encode else text}
    out["isBase64Encoded"] = encode
    for key in ("headers", "multiValueHeaders"):
        if isinstance(out.get(key), dict):
            out[key] = {k: v for k, v in out[key].items() if k.lower() != "content-type"}
    return out


def answer_body(out: dict[str, Any]) -> Any:
    body = out["body"]
    return json.loads(base64.b64decode(body) if out["isBase64Encoded"] else body)


@pytest.mark.aws_samples(select=is_http_sample)
@pytest.mark.parametrize("encode", [False, True])
def test_a_model_from_the_sample_body_and_a_model_result(aws_event, sample_name: str, encode: bool) -> None:
    event = with_body(aws_event(sample_name), {"items": [{"itemId": 1, "quantity": "2"}]}, encode=encode)
    source = expected_source(sample_name)
    assert source is not None
    out = Checkout.handler(event, lambda_context())
    assert set(out) == contract_keys(source, event)
    check_strings(out)
    assert out["statusCode"] == 200, out["body"]
    assert answer_body(out) == {"itemCount": 2}


@pytest.mark.aws_samples(select=is_http_sample)
def test_a_bad_body_is_the_400_of_an_attrs_input(aws_event, sample_name: str) -> None:
    bad = {"items": [{"itemId": "one", "quantity": 1}, {"quantity": 1}]}
    event = with_body(aws_event(sample_name), bad, encode=False)
    source = expected_source(sample_name)
    assert source is not None
    ours = Checkout.handler(event, lambda_context())
    theirs = AttrsCheckout.handler(event, lambda_context())
    assert set(ours) == set(theirs) == contract_keys(source, event)
    assert ours["statusCode"] == theirs["statusCode"] == 400
    check_strings(ours)
    error = answer_body(ours)["error"]
    assert error["code"] == 400 and error["msg"] == answer_body(theirs)["error"]["msg"] == "invalid request"
    assert error["details"] == {
        "problems": [
            {"path": "items[0].itemId", "reason": "expected an integer"},
            {"path": "items[1].itemId", "reason": "required field missing"},
        ]
    }
    assert [p["path"] for p in answer_body(theirs)["error"]["details"]["problems"]] == [
        "items[0].itemId",
        "items[1].itemId",
    ]


MARK = "ZqXv"  # every generated string value starts with it: an answer that contains it echoes input
_json = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=10).map(MARK.__add__),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)
_near = st.fixed_dictionaries(
    {"items": st.lists(st.fixed_dictionaries({"itemId": _json, "quantity": _json}), max_size=3) | _json},
    optional={"note": _json},
)


HTTP_SAMPLES = aws_samples.names(is_http_sample)


def test_the_fuzz_has_samples() -> None:
    assert len(HTTP_SAMPLES) > 10, f"no HTTP samples in {aws_samples.folder()}: set PYPWEXT_AWS_EVENTS"


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    name=st.sampled_from(HTTP_SAMPLES or ["(none)"]),
    body=_json | _near,
    encode=st.booleans(),
)
def test_fuzz_bodies_on_the_real_samples(name: str, body: Any, encode: bool) -> None:
    class Counted(BaseService):
        just_status_code = False

        def execute(self, basket: Basket) -> int:
            return len(basket.items)  # nothing of the input comes back

    event = with_body(aws_samples.sample(name), body, encode=encode)
    out = Counted.handler(event, lambda_context())
    assert 200 <= out["statusCode"] < 300 or 400 <= out["statusCode"] < 500, out
    text = base64.b64decode(out["body"]).decode("utf-8") if out["isBase64Encoded"] else out["body"]
    json.loads(text)
    for word in ("pydantic", "Input should", "Traceback", MARK):
        assert word not in text, (word, text)
