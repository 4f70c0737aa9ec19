"""The examples in pypwext's docstrings run as written (``make check`` runs this file).

Every module of the package is imported and its doctests run with ``ELLIPSIS`` (a service's log
entries, which it writes to stdout, are shown as ``{"level":"INFO",...,"message":...,...}``).
A module with examples that do not run yet is named in :data:`NOT_YET`, with why.
"""

from __future__ import annotations

import doctest
import importlib
import io
import pkgutil

import pytest

import pypwext

NOT_YET: dict[str, str] = {}

ALL_MODULES = sorted(
    {"pypwext"}
    | {
        m.name
        for m in pkgutil.walk_packages(pypwext.__path__, "pypwext.")
        if not m.name.endswith(".__main__")  # runs the CLI when imported
    }
)


def _examples(name: str) -> list[doctest.DocTest]:
    module = importlib.import_module(name)
    return [t for t in doctest.DocTestFinder().find(module, name) if t.examples]


@pytest.mark.parametrize("name", [m for m in ALL_MODULES if m not in NOT_YET])
def test_the_examples_in_a_modules_docstrings_run_as_written(name: str) -> None:
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    report = io.StringIO()
    for test in _examples(name):
        runner.run(test, out=report.write)
    results = runner.summarize(verbose=False)
    assert results.failed == 0, report.getvalue()


def test_the_modules_left_out_exist_and_have_examples() -> None:
    """The list is kept honest: a module renamed or without examples any more leaves it."""
    for name in NOT_YET:
        assert name in ALL_MODULES
        assert _examples(name), f"{name} has no examples: remove it from NOT_YET"


def test_the_examples_are_found_at_all() -> None:
    """A finder that found nothing would pass every module above."""
    assert sum(len(t.examples) for t in _examples("pypwext.codec")) >= 5
    assert sum(1 for m in ALL_MODULES if _examples(m)) >= 30
