"""Hand-written checks of an order, for the stacks that validate nothing themselves.

Returns ``(order, problems)``: the decoded order, or ``None`` and every problem by field path.
"""

import json


def _field(obj, key, kind, path, problems):
    if key not in obj:
        problems.append({"path": path + key, "reason": "required field missing"})
        return None
    value = obj[key]
    if kind is int and (type(value) is not int):
        problems.append({"path": path + key, "reason": "expected an integer"})
        return None
    if kind is str and not isinstance(value, str):
        problems.append({"path": path + key, "reason": "expected a string"})
        return None
    return value


def check_order(text):
    try:
        data = json.loads(text or "")
    except ValueError as exc:
        return None, [{"path": "", "reason": f"malformed JSON: {exc}"}]
    if not isinstance(data, dict):
        return None, [{"path": "", "reason": "expected an object"}]
    problems = []
    _field(data, "id", int, "", problems)
    _field(data, "description", str, "", problems)
    items = data.get("items")
    if "items" not in data:
        problems.append({"path": "items", "reason": "required field missing"})
    elif not isinstance(items, list):
        problems.append({"path": "items", "reason": "expected an array"})
    elif not items:
        problems.append({"path": "items", "reason": "an order needs at least one item"})
    else:
        for index, item in enumerate(items):
            path = f"items[{index}]."
            if not isinstance(item, dict):
                problems.append({"path": path[:-1], "reason": "expected an object"})
                continue
            _field(item, "id", int, path, problems)
            quantity = _field(item, "quantity", int, path, problems)
            _field(item, "description", str, path, problems)
            if quantity is not None and quantity <= 0:
                problems.append({"path": path + "quantity", "reason": "must be > 0"})
    return (None, problems) if problems else (data, [])
