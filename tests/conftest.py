"""Suite-wide settings and the fixtures every folder shares (their one home is tests/_support);
other fixtures belong next to the tests that use them (or in pypwext.testing).

* ``aws_event``: a factory, ``aws_event("albEvent.json")`` is that real AWS sample, freshly
  loaded; ``aws_events_path``: the samples folder (:mod:`tests._support.aws_samples`).
* ``@pytest.mark.aws_samples(select=predicate)`` parametrizes a test's ``sample_name`` argument
  with every sample file name the predicate accepts.
"""

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

from tests._support import aws_samples

# The Makefile and .ci/run export the samples' folder; this covers a bare `pytest`.
os.environ.setdefault(aws_samples.ENV_VAR, str(aws_samples.DEFAULT_DIR))

# CI machines are slower and noisier than a laptop: no per-example deadline there, more examples.
settings.register_profile("dev", max_examples=100)
settings.register_profile(
    "ci", max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow], print_blob=True
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))


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
    names = aws_samples.names(predicate)
    if not names:
        pytest.fail(f"no sample in {aws_samples.folder()} matches {predicate.__name__}", pytrace=False)
    metafunc.parametrize("sample_name", names)


@pytest.fixture(scope="session")
def aws_events_path() -> Path:
    """The folder of real AWS event samples."""
    return aws_samples.folder()


@pytest.fixture
def aws_event() -> Callable[[str], Any]:
    """A factory: ``aws_event("albEvent.json")`` is that sample, freshly loaded (safe to mutate)."""
    return aws_samples.sample
