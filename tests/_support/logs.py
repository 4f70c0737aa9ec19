"""pypwext's JSON log lines, read back from what a test captured: the one parser of the suite.

A service writes one JSON object a line (stdout on Lambda, ``capsys`` in a test, standard error
under ``pypwext serve``). :func:`json_lines` parses every line that starts with ``{`` (other
printed text is left out; a line that starts with ``{`` and is not JSON fails the test), or with
``every=True`` every non-blank line (then a line that is not JSON fails). :func:`log_entries`
leaves out the EMF metric lines (they carry ``_aws``), :func:`emf_lines` keeps only those.
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["emf_lines", "json_lines", "log_entries"]


def json_lines(text: str, *, every: bool = False) -> list[dict[str, Any]]:
    """The JSON objects among the lines of ``text``, in order (see the module docs)."""
    if every:
        return [json.loads(line) for line in text.splitlines() if line.strip()]
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def log_entries(text: str, *, every: bool = False) -> list[dict[str, Any]]:
    """The log entries among the lines of ``text``: :func:`json_lines` without EMF metric lines."""
    return [e for e in json_lines(text, every=every) if "_aws" not in e]


def emf_lines(text: str) -> list[dict[str, Any]]:
    """The EMF metric lines (``_aws``) among the lines of ``text``."""
    return [e for e in json_lines(text) if "_aws" in e]
