"""A dependency's failure told twice: the details (a parameter's path, a store, a template, the
library's words) in one WARNING line, and the error the client sees, which names only the
declaration and says ``(see the log)``. Every dependency that fails this way uses
:func:`logged_failure`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from pypwext.errors import DependencyError
from pypwext.runtime._dependency import log

__all__ = ["logged_failure"]


def logged_failure(
    name: str, message: str, answer: str, fields: Mapping[str, Any] | None = None, **error: Any
) -> DependencyError:
    """Write ``message`` as one WARNING line with ``{"dependency": name, **fields}`` and return
    (for the caller to raise) ``DependencyError("<name>: <answer> (see the log)")``; ``error``
    goes to the error (``code=``, ``details=``...).

    >>> logged_failure("db_url", "db_url: no such parameter", "not found", {"store": "ssm"}).msg
    'db_url: not found (see the log)'
    """
    log(logging.WARNING, message, {"dependency": name, **(fields or {})})
    return DependencyError(f"{name}: {answer} (see the log)", dependency=name, **error)
