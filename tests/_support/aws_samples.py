"""The real AWS event samples, read in place: the one loader of the suite.

The folder is found through one setting, ``PYPWEXT_AWS_EVENTS`` (what ``make`` and ``.ci/run``
export), defaulting to ``<repo>/../shared/fixtures/aws-events``. A folder that is missing (or
holds no sample), or a sample that is not in it, fails the test -- or the collection of a module
that lists samples -- with a message that says where to point the setting: the tests that read
the samples are the evidence that pypwext speaks each source's format, so they never skip.

``sample(name)`` is one sample, freshly loaded (safe to mutate); ``names(select)`` the sample
file names, sorted; ``folder()`` the folder. The suite's fixtures (``aws_event``,
``aws_events_path`` and the ``aws_samples`` marker, in tests/conftest.py) are these.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

__all__ = ["DEFAULT_DIR", "ENV_VAR", "folder", "names", "sample"]

ENV_VAR = "PYPWEXT_AWS_EVENTS"
DEFAULT_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures" / "aws-events"


def folder() -> Path:
    """The samples folder; fails (never skips) with how to point at it when it holds none."""
    configured = os.environ.get(ENV_VAR)
    path = Path(configured) if configured else DEFAULT_DIR
    if not path.is_dir() or next(path.glob("*.json"), None) is None:
        pytest.fail(
            f"the AWS event samples are not at {path}: set {ENV_VAR} to the folder that holds them "
            f"(fixtures/aws-events of the shared tree; default {DEFAULT_DIR})",
            pytrace=False,
        )
    return path


def names(select: Callable[[str], bool] | None = None) -> list[str]:
    """The sample file names ``select`` accepts (all without one), sorted."""
    found = sorted(p.name for p in folder().glob("*.json"))
    return [n for n in found if select is None or select(n)]


def sample(name: str) -> Any:
    """The sample ``name`` (``"albEvent.json"``), freshly loaded; fails when it is not there."""
    path = folder() / name
    if not path.is_file():
        pytest.fail(
            f"AWS event sample {name} is not in {path.parent}: set {ENV_VAR} to the "
            "fixtures/aws-events folder of the shared tree",
            pytrace=False,
        )
    return json.loads(path.read_text(encoding="utf-8"))
