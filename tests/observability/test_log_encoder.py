"""The one line encoder (pypwext/observability/logging/_encoder.py): a service logger that writes
its lines itself and one with Powertools' ``Logger`` underneath write the same bytes for the same
entries, and the keys a thread appends stay in that thread's lines."""

from __future__ import annotations

import contextvars
import json
import logging
import re
import threading
from typing import Any

import pytest

from pypwext import BaseService, InfoClassification, Request, step
from pypwext.testing import api_gateway_event, lambda_context

NA = InfoClassification.NA
_VARIES = re.compile(r'"(timestamp|duration_ms|cold_start)":("[^"]*"|[^,}]*)')


class _Odd:
    def __repr__(self) -> str:
        return "<odd>"


def _lines(capsys: pytest.CaptureFixture[str], through_powertools: bool) -> list[str]:
    """The lines of one invocation that writes every kind of entry, with or without Powertools
    underneath; what differs from run to run (the timestamp, the duration, the cold start)
    blanked."""

    class Same(BaseService):
        service = "same-bytes"
        classification = InfoClassification.PII

        @step(classification=NA)
        def lookup(self, key: str) -> str:
            return key.upper()

        def execute(self, request: Request) -> dict[str, str]:
            self.logger.info("found %s of %d", "one", 3, classification=NA, n=3)
            self.logger.warning({"msg": "a dict", "email": "ada@example.com"})
            self.logger.info("named", function_name="mine", level="loud", classification=NA)
            self.logger.info("odd", thing=_Odd(), ratio=float("nan"), classification=NA)
            self.logger.verbose("see https://x.example/a?api_key=s3cr3t&page=2", classification=NA)
            try:
                raise ValueError("bad value")
            except ValueError:
                self.logger.exception("handled", classification=NA)
            return {"key": self.lookup("k")}

    logger = Same().logger
    (logger.powertools if through_powertools else logger).setLevel(logging.DEBUG)
    event = api_gateway_event("GET", "/things/1", headers={"Authorization": "Bearer abcdefgh12345"})
    event["requestContext"]["requestId"] = "request-1"
    Same.handler(event, lambda_context(aws_request_id="lambda-request-1"))
    out = capsys.readouterr().out
    return [_VARIES.sub(r'"\1":"-"', line) for line in out.splitlines() if line.startswith("{")]


def test_the_same_entries_are_the_same_bytes_with_and_without_powertools_underneath(
    capsys: pytest.CaptureFixture[str],
) -> None:
    direct = _lines(capsys, through_powertools=False)
    through = _lines(capsys, through_powertools=True)
    assert len(direct) == 15
    assert direct == through
    joined = "\n".join(direct)
    assert "s3cr3t" not in joined and "abcdefgh12345" not in joined
    assert '"thing":"<odd>"' in joined and '"level_":"loud"' in joined


def test_keys_a_thread_appends_stay_in_its_own_lines(capsys: pytest.CaptureFixture[str]) -> None:
    """docs/observability.md: ``thread_safe_append_keys`` adds fields to the entries of the
    thread that called it only, ``append_keys`` to all: through ``self.logger`` and through
    the Powertools logger alike, in a plain thread and in one started with a copy of the
    invocation's context."""

    class Threads(BaseService):
        service = "thread-keys"

        def execute(self, request: Request) -> None:
            powertools = self.logger.powertools
            powertools.append_keys(shared="all")
            appended = threading.Event()

            def first() -> None:
                powertools.thread_safe_append_keys(worker="first")
                appended.set()
                self.logger.info("first")
                powertools.info("first, through powertools")

            def second() -> None:
                appended.wait()
                self.logger.info("second")
                powertools.info("second, through powertools")

            threads = [
                threading.Thread(target=first),
                threading.Thread(target=contextvars.copy_context().run, args=(second,)),
            ]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            self.logger.info("main")
            powertools.remove_keys(["shared"])

    Threads.handler(api_gateway_event("GET", "/"), lambda_context())
    logged: dict[str, dict[str, Any]] = {}
    for line in capsys.readouterr().out.splitlines():
        entry = json.loads(line)
        logged[entry["message"]] = entry
    assert logged["first"]["worker"] == logged["first, through powertools"]["worker"] == "first"
    for name in ("second", "second, through powertools", "main", "GET / -> 204"):
        assert "worker" not in logged[name], name
    for name in ("first", "second", "main", "first, through powertools"):
        assert logged[name]["shared"] == "all"


def test_every_line_starts_with_the_same_fields_and_appended_keys_come_after(
    capsys: pytest.CaptureFixture[str],
) -> None:
    class Keyed(BaseService):
        service = "keyed-lines"

        def execute(self, request: Request) -> None:
            self.logger.info("hello", n=1)

    powertools = Keyed().logger.powertools
    powertools.append_keys(tenant="acme")
    try:
        Keyed.handler({}, None)
    finally:
        powertools.remove_keys(["tenant"])
    logged = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [e["message"] for e in logged] == ["hello", "INVOKE -> 204"]
    for entry in logged:
        assert list(entry)[:9] == [
            "level",
            "location",
            "message",
            "timestamp",
            "service",
            "classification",
            "type",
            "operation",
            "tenant",
        ]
