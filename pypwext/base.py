"""The shared vocabulary of pypwext: how sensitive a value is and what kind of log entry it is.

These names come from PyPwExt and stay as they were, so that log queries and dashboards written
for PyPwExt services keep working. Every other module may import this one; it imports nothing
of pypwext.
"""

from __future__ import annotations

from enum import Enum

__all__ = ["CONFIDENTIAL", "ErrorAction", "InfoClassification", "LogEntryType"]


class InfoClassification(str, Enum):
    """How sensitive a piece of information is; logged with every entry and error.

    ``PII`` and ``AUTHORIZATION_INFO`` values are masked in logs (see the logging docs).

    >>> InfoClassification.PII.value
    'PII'
    """

    NA = "NA"
    """Not classified: free to log."""
    AUTHORIZATION_INFO = "AUTHORIZATION_INFO"
    """Credentials, tokens, keys: never logged in clear."""
    CORPORATE_SENSITIVE_INFO = "CORPORATE_SENSITIVE_INFO"
    """Business-sensitive, logged but flagged so that access to logs can be restricted."""
    PII = "PII"
    """Personally identifiable information: never logged in clear."""

    def __str__(self) -> str:
        return self.value


CONFIDENTIAL = frozenset({InfoClassification.PII, InfoClassification.AUTHORIZATION_INFO})
"""The classifications whose values never appear in clear: masked in log lines, never quoted in
a 400. The members compare equal to their names, so ``"PII" in CONFIDENTIAL`` holds too.

>>> "PII" in CONFIDENTIAL, InfoClassification.NA in CONFIDENTIAL
(True, False)
"""


class LogEntryType(str, Enum):
    """The kind of a log entry: ordinary (``STD``) or an audit trail entry (``AUDIT``)."""

    STD = "STD"
    AUDIT = "AUDIT"

    def __str__(self) -> str:
        return self.value


class ErrorAction(str, Enum):
    """What happens to a :class:`~pypwext.ServiceError` raised in a lifecycle method or step.

    ``RAISE`` propagates it (to ``on_error``); ``CONTINUE`` collects it and the method returns the
    error's ``return_value``; ``INDECISIVE`` lets the error's own default decide (``RAISE`` for
    a plain ``ServiceError``, ``CONTINUE`` for ``ErrorWithReturn``).
    """

    INDECISIVE = "INDECISIVE"
    RAISE = "RAISE"
    CONTINUE = "CONTINUE"

    def __str__(self) -> str:
        return self.value
