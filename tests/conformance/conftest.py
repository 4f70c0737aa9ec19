"""Conformance tests read the real AWS event samples where they are, never a copy.

The folder is found through one setting, ``PYPWEXT_AWS_EVENTS`` (what ``make`` and ``.ci/run``
export), defaulting to ``<repo>/../shared/fixtures/aws-events``. A missing folder fails the run:
these tests are the evidence that pypwext speaks each source's format, so they never skip.

``@pytest.mark.aws_samples(select=predicate)`` parametrizes a test's ``sample_name`` argument with every
sample file name the predicate accepts; the ``aws_event`` fixture loads one by name.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

ENV_VAR = "PYPWEXT_AWS_EVENTS"
REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DIR = REPO_ROOT.parent / "shared" / "fixtures" / "aws-events"


def events_dir() -> Path:
    """The samples folder; a :class:`pytest.UsageError` that says how to point at it if missing."""
    configured = os.environ.get(ENV_VAR)
    path = Path(configured) if configured else DEFAULT_DIR
    if not path.is_dir():
        raise pytest.UsageError(
            f"the AWS event samples are not at {path}: set {ENV_VAR} to the folder that holds them "
            f"(fixtures/aws-events of the shared tree; default {DEFAULT_DIR})"
        )
    return path


def sample_names() -> list[str]:
    """Every sample file name in the folder, sorted."""
    return sorted(p.name for p in events_dir().glob("*.json"))


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "aws_samples(select): parametrize `sample_name` with the samples it accepts"
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    marker = metafunc.definition.get_closest_marker("aws_samples")
    if marker is None or "sample_name" not in metafunc.fixturenames:
        return
    predicate: Callable[[str], bool] = marker.kwargs["select"]  # a keyword: a lone callable
    # positional argument would be taken by pytest as the function to decorate
    names = [n for n in sample_names() if predicate(n)]
    if not names:
        raise pytest.UsageError(f"no sample in {events_dir()} matches {predicate.__name__}")
    metafunc.parametrize("sample_name", names)


@pytest.fixture(scope="session")
def aws_events_path() -> Path:
    """The folder of real AWS event samples."""
    try:
        return events_dir()
    except pytest.UsageError as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture
def aws_event(aws_events_path: Path) -> Callable[[str], Any]:
    """A factory: ``aws_event("albEvent.json")`` is that sample, freshly loaded (safe to mutate)."""

    def load(name: str) -> Any:
        return json.loads((aws_events_path / name).read_text(encoding="utf-8"))

    return load
