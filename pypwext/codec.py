"""TEMPORARY STUB: being written by the lead; only dumps/loads are promised here."""
import json
from typing import Any


def dumps(obj: Any) -> str:
    return json.dumps(obj, separators=(",", ":"))


def loads(data: str | bytes) -> Any:
    return json.loads(data)
