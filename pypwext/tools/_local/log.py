"""The log of ``pypwext serve``: readable lines on a terminal, JSON lines when piped.

Every line goes to standard error. On a terminal (or ``--log-format text``) each line reads
``12:00:01 INFO  create-order POST /orders 201 3.2ms``: the time, the level, who speaks (the
function or service; nothing for the server itself), the message. The services' own JSON log
lines are shown the same way. Piped (or ``--log-format json``), every line is one JSON object:
the server's lines carry ``timestamp``, ``level``, ``logger`` (``pypwext.serve``) and
``message``, an access line also ``method``, ``path``, ``status``, ``duration_ms`` and
``function``; the services' lines pass through unchanged.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from datetime import datetime, timezone
from typing import IO, Any

__all__ = ["FORMATS", "ServeLog"]

FORMATS = ("auto", "text", "json")
"""``--log-format`` values: ``auto`` is text on a terminal, JSON otherwise."""

_LEVELS = {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}


class ServeLog:
    """Writes the server's lines (and passes on the workers') in one format, one line at a time."""

    def __init__(self, log_format: str = "auto", stream: IO[str] | None = None) -> None:
        if log_format not in FORMATS:
            raise ValueError(f"log format must be one of {', '.join(FORMATS)}, got {log_format!r}")
        self.stream = stream if stream is not None else sys.stderr
        if log_format == "auto":
            isatty = getattr(self.stream, "isatty", None)
            log_format = "text" if isatty is not None and isatty() else "json"
        self.format = log_format
        self._lock = threading.Lock()

    def _write(self, text: str) -> None:
        with self._lock:
            self.stream.write(text if text.endswith("\n") else text + "\n")
            self.stream.flush()

    def _line(self, level: str, speaker: str, message: str) -> str:
        stamp = time.strftime("%H:%M:%S")
        who = f"{speaker} " if speaker else ""
        return f"{stamp} {level:<5} {who}{message}"

    def log(self, level: str, message: str, **fields: Any) -> None:
        """One line of the server's own (``level``: INFO, WARNING, ERROR)."""
        if self.format == "text":
            self._write(self._line(level, str(fields.get("function") or ""), message))
            return
        entry = {
            "timestamp": datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
            "level": level,
            "logger": "pypwext.serve",
            "message": message,
            **fields,
        }
        self._write(json.dumps(entry, ensure_ascii=False, default=str))

    def info(self, message: str) -> None:
        """An INFO line."""
        self.log("INFO", message)

    def warning(self, message: str) -> None:
        """A WARNING line."""
        self.log("WARNING", message)

    def error(self, message: str) -> None:
        """An ERROR line."""
        self.log("ERROR", message)

    def plain(self, message: str) -> None:
        """A line of the start-up banner: as it is on a terminal, an INFO entry in JSON."""
        if self.format == "text":
            self._write(message)
        else:
            self.log("INFO", message.strip())

    def access(self, method: str, path: str, status: int, duration_ms: float, function: str | None) -> None:
        """The line for one request: ``POST /orders 201 3.2ms`` (level by status class)."""
        level = "ERROR" if status >= 500 else "WARNING" if status >= 400 else "INFO"
        self.log(
            level,
            f"{method} {path} {status} {duration_ms:.1f}ms",
            method=method,
            path=path,
            status=status,
            duration_ms=round(duration_ms, 1),
            function=function,
        )

    def service_line(self, raw: bytes) -> None:
        """A line a worker wrote: a JSON log entry is shown readable on a terminal; anything
        else (a print, a traceback) and every line in JSON mode is passed on as it came."""
        text = raw.decode("utf-8", errors="replace").rstrip("\r\n")
        if self.format == "text":
            entry = _entry(text)
            if entry is not None:
                text = self._line(
                    str(entry["level"]).upper(),
                    str(entry.get("service") or entry.get("operation") or ""),
                    str(entry.get("message", "")),
                )
                for key in ("exception", "stack_trace"):
                    if isinstance(entry.get(key), str):
                        text += "\n    " + entry[key].replace("\n", "\n    ")
        self._write(text)


def _entry(text: str) -> dict[str, Any] | None:
    if not text.startswith("{"):
        return None
    try:
        entry = json.loads(text)
    except ValueError:
        return None
    if not isinstance(entry, dict) or str(entry.get("level", "")).upper() not in _LEVELS:
        return None
    return entry
