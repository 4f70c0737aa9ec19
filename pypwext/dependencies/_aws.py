"""The container's boto3 session, shared by the dependencies that call AWS APIs.

A boto3 session loads and caches service models: the first client of a session costs about ten
times what the next ones do, so every ``LambdaFunction``, ``Parameter`` and ``Secret`` builds
its clients from one session per region. Imported only when a client is first needed.
"""

from __future__ import annotations

import os
import threading
from typing import Any, cast

import boto3

__all__ = ["new_client", "region"]

_lock = threading.Lock()  # a boto3 session is not safe to create clients from in parallel
_sessions: dict[str | None, boto3.session.Session] = {}


def region() -> str | None:
    """The region of this function: ``AWS_REGION`` (what Lambda sets), else
    ``AWS_DEFAULT_REGION``, else whatever boto3's configuration says (``None``)."""
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or None


def new_client(service: str, config: Any) -> Any:
    """A new boto3 client for ``service`` with ``config``, from the shared session of the region.

    The endpoint comes from ``AWS_ENDPOINT_URL_<SERVICE>`` or ``AWS_ENDPOINT_URL`` when set,
    which boto3 (1.28.57 and later) reads itself.
    """
    name = region()
    with _lock:
        session = _sessions.get(name)
        if session is None:
            session = _sessions[name] = boto3.session.Session(region_name=name)
        return cast(Any, session).client(service, config=config)
