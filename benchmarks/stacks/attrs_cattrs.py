"""attrs models structured and validated by a cattrs converter; no logging."""

import json

import attrs
import cattrs

EVENTS = ("rest", "http")
_JSON = {"Content-Type": "application/json"}


@attrs.frozen
class OrderItem:
    id: int
    quantity: int
    description: str


@attrs.frozen
class Order:
    id: int
    description: str
    items: list[OrderItem]


converter = cattrs.Converter(detailed_validation=True)


def _strict(kind):
    def structure(value, _):
        if type(value) is not kind:
            raise ValueError(f"expected {kind.__name__}")
        return value

    return structure


converter.register_structure_hook(int, _strict(int))
converter.register_structure_hook(str, _strict(str))


def _answer(status, body):
    return {"statusCode": status, "headers": _JSON, "body": json.dumps(body)}


def handler(event, context):
    try:
        data = json.loads(event.get("body") or "")
    except ValueError as exc:
        return _answer(400, {"problems": [f"malformed JSON: {exc}"]})
    if not isinstance(data, dict):
        return _answer(400, {"problems": ["expected an object"]})
    try:
        order = converter.structure(data, Order)
    except Exception as exc:
        return _answer(400, {"problems": cattrs.transform_error(exc)})
    if not order.items:
        return _answer(400, {"problems": ["an order needs at least one item"]})
    for index, item in enumerate(order.items):
        if item.quantity <= 0:
            return _answer(400, {"problems": [f"items[{index}].quantity must be > 0"]})
    total = sum(item.quantity for item in order.items)
    if total > 1000:
        return _answer(422, {"total": total})
    return _answer(201, {"id": order.id, "total_quantity": total})
