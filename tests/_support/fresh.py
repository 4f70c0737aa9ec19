"""A fresh Python interpreter for a test: what a cold start imports, what happens before a module
is loaded, which no test can see from inside the test process (pytest has loaded much already)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Mapping
from typing import Any

__all__ = ["fresh_python"]


def fresh_python(
    program: str, *, env: Mapping[str, str] | None = None, cwd: str | None = None
) -> tuple[Any, list[str]]:
    """Run ``program`` in a fresh, isolated interpreter (``python -I -c``, this test run's
    Python) that prints its result as JSON on its last line of stdout. Returns that result,
    decoded, and the lines printed before it (log lines, say). A program that fails fails the
    test with its stderr."""
    done = subprocess.run(
        [sys.executable, "-I", "-c", program],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        env=dict(env) if env is not None else None,
        cwd=cwd,
    )
    assert done.returncode == 0, done.stderr
    *before, last = done.stdout.strip().splitlines()
    return json.loads(last), before
