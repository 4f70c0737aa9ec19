"""The suite's shared helpers (tests/_support): the AWS-sample loader fails loudly, never skips,
when the samples are not where the setting says; the log-line parser reads what a service wrote."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pypwext import BaseService, Request
from pypwext.testing import api_gateway_event, lambda_context
from tests._support import aws_samples
from tests._support.logs import emf_lines, json_lines, log_entries

pytest_plugins = ["pytester"]


def test_the_samples_are_found_and_loaded_fresh() -> None:
    assert "albEvent.json" in aws_samples.names()
    assert aws_samples.names(lambda n: n.startswith("alb")) == sorted(
        n for n in aws_samples.names() if n.startswith("alb")
    )
    first = aws_samples.sample("albEvent.json")
    first["httpMethod"] = "changed"
    assert aws_samples.sample("albEvent.json")["httpMethod"] != "changed"


@pytest.mark.parametrize("where", ["missing", "empty", "one-level-up"])
def test_a_missing_or_misnamed_samples_folder_fails_and_says_where_to_point(
    where: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = {
        "missing": tmp_path / "aws-event",  # a typo
        "empty": tmp_path,
        "one-level-up": aws_samples.folder().parent,  # fixtures/, not fixtures/aws-events
    }[where]
    monkeypatch.setenv(aws_samples.ENV_VAR, str(folder))
    for read in (aws_samples.folder, aws_samples.names, lambda: aws_samples.sample("albEvent.json")):
        with pytest.raises(pytest.fail.Exception) as info:
            read()
        assert f"the AWS event samples are not at {folder}: set PYPWEXT_AWS_EVENTS" in str(info.value)


def test_a_misnamed_sample_fails_naming_it() -> None:
    with pytest.raises(pytest.fail.Exception, match=r"sample albEvnt\.json is not in .*PYPWEXT_AWS_EVENTS"):
        aws_samples.sample("albEvnt.json")


def test_a_run_without_the_samples_fails_and_skips_nothing(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A module that lists samples at import time fails its collection; a test that loads one fails."""
    monkeypatch.setenv(aws_samples.ENV_VAR, str(pytester.path / "nowhere"))
    pytester.makepyfile(
        test_listed="""
        from tests._support import aws_samples

        NAMES = aws_samples.names()

        def test_listed():
            assert NAMES
        """,
        test_loaded="""
        from tests._support import aws_samples

        def test_loaded():
            assert aws_samples.sample("albEvent.json")
        """,
    )
    result = pytester.runpytest_inprocess("-q", "-p", "no:cacheprovider", "--continue-on-collection-errors")
    result.assert_outcomes(failed=1, errors=1, skipped=0)
    result.stdout.fnmatch_lines(["*the AWS event samples are not at *nowhere: set PYPWEXT_AWS_EVENTS*"])
    assert result.ret != 0


def test_log_lines_are_read_back_as_a_service_wrote_them(capsys: pytest.CaptureFixture[str]) -> None:
    class Hello(BaseService):
        def execute(self, request: Request) -> str:
            print("a line of the service's own")
            return "hi"

    Hello.handler(api_gateway_event("GET", "/"), lambda_context())
    out = capsys.readouterr().out
    (summary,) = log_entries(out)
    assert summary["level"] == "INFO" and summary["status"] == 200
    assert json_lines(out) == [summary] and emf_lines(out) == []
    with pytest.raises(json.JSONDecodeError):
        json_lines(out, every=True)  # the printed line is not JSON
    emf = '{"_aws": {"Timestamp": 1}, "orders": 1}'
    assert emf_lines(f"{out}{emf}\n") == [json.loads(emf)]
    assert log_entries(f"{out}{emf}\n") == [summary]


def test_fresh_python_reads_back_the_last_line_and_fails_with_the_programs_stderr() -> None:
    from tests._support.fresh import fresh_python

    result, before = fresh_python(
        "import sys, json\nprint('a line')\nprint(json.dumps({'modules': 'json' in sys.modules}))"
    )
    assert result == {"modules": True} and before == ["a line"]
    with pytest.raises(AssertionError, match="ZeroDivisionError"):
        fresh_python("1 / 0")
