"""Kinesis: count clicks per page; a record that is not a click is reported, the rest go on."""

from __future__ import annotations

from collections import Counter

import attrs

from pypwext.kinds._batch import KinesisBatchService


@attrs.frozen
class Click:
    page: str
    user: str


COUNTS: Counter[str] = Counter()  # stands for a real store


class CountClicks(KinesisBatchService):
    def process_record(self, click: Click) -> None:
        COUNTS[click.page] += 1


handler = CountClicks.handler
