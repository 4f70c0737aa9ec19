"""A stand-in for the X-Ray daemon: a UDP socket on 127.0.0.1 that collects the segment
documents the X-Ray SDK really sends, for the tests of tracing.

The SDK reads its settings (``AWS_XRAY_DAEMON_ADDRESS``, ``LAMBDA_TASK_ROOT``...) when it is
imported, so the traced code runs in a fresh interpreter.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]


def run_traced(
    code: str, env: Mapping[str, str] | None = None, *, drop: tuple[str, ...] = ("AWS_",)
) -> list[dict[str, Any]]:
    """Run ``code`` in a fresh interpreter whose X-Ray daemon address is a UDP socket of this
    process, and return every segment document it sent. The environment is this process's less
    the variables starting with ``drop`` or with ``LAMBDA_``, ``_X_AMZN`` and ``POWERTOOLS_``
    (a test sets what it wants through ``env``)."""
    prefixes = (*drop, "LAMBDA_", "_X_AMZN", "POWERTOOLS_")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as daemon:
        daemon.bind(("127.0.0.1", 0))
        child_env = {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}
        child_env.update(AWS_XRAY_DAEMON_ADDRESS=f"127.0.0.1:{daemon.getsockname()[1]}", PYTHONPATH=str(REPO))
        child_env.update(env or {})
        done = subprocess.run(
            [sys.executable, "-c", code], env=child_env, capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, done.stderr
        daemon.settimeout(0.3)
        documents = []
        while True:
            try:
                data, _ = daemon.recvfrom(65535)
            except TimeoutError:
                break
            header, body = data.decode().split("\n", 1)
            assert json.loads(header) == {"format": "json", "version": 1}
            documents.append(json.loads(body))
    return documents
