"""The worker processes of ``pypwext serve`` (see :mod:`pypwext.tools._local.server`).

Each worker is like one Lambda execution environment: it imports the target once and runs one
invocation at a time (:mod:`pypwext.tools._local.worker`). The pool starts another when all are busy,
up to ``max_workers``, and replaces them all when a loaded file changes. The workers' standard
error (the services' log lines) goes through the server's :class:`~pypwext.tools._local.log.ServeLog`.
"""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import threading
import time
from typing import IO, Any

from pypwext.tools._local.log import ServeLog

__all__ = ["LoadError", "WorkerCrashed", "WorkerPool"]


class LoadError(Exception):
    """The target does not import (the message holds the error and its traceback)."""


class WorkerCrashed(Exception):
    """A worker died or timed out during an invocation."""

    def __init__(self, message: str, error_type: str) -> None:
        super().__init__(message)
        self.error_type = error_type


class _Worker:
    def __init__(self, target: str, generation: int, cwd: str | None, log: ServeLog) -> None:
        self.generation = generation
        # -B: a worker writes no bytecode. Python trusts a .pyc whose source has the same size
        # and the same mtime in whole seconds, so a same-size edit within a second of the last
        # load would otherwise run the old code after a reload.
        self.process = subprocess.Popen(
            [sys.executable, "-B", "-m", "pypwext.tools._local.worker", target],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,  # the services' logs, passed on through the server's log
            cwd=cwd,
        )
        self._buffer = b""
        threading.Thread(target=self._pump, args=(log,), name="pypwext-worker-log", daemon=True).start()

    def _pump(self, log: ServeLog) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            log.service_line(line)

    def read(self, timeout_s: float | None) -> dict[str, Any] | None:
        assert self.process.stdout is not None
        fd = self.process.stdout.fileno()
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        while b"\n" not in self._buffer:
            wait = None if deadline is None else max(0.0, deadline - time.monotonic())
            ready, _, _ = select.select([fd], [], [], wait)
            if not ready:
                return None  # timed out
            chunk = os.read(fd, 65536)
            if not chunk:
                raise WorkerCrashed(
                    f"the function's process exited (code {self.process.wait()})", "Runtime.ExitError"
                )
            self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        message: dict[str, Any] = json.loads(line)
        return message

    def call(self, message: dict[str, Any], timeout_s: float) -> dict[str, Any]:
        stdin: IO[bytes] | None = self.process.stdin
        assert stdin is not None
        try:
            stdin.write(json.dumps(message).encode("utf-8") + b"\n")
            stdin.flush()
        except (BrokenPipeError, OSError):
            raise WorkerCrashed("the function's process is gone", "Runtime.ExitError") from None
        reply = self.read(timeout_s + 1.0)
        if reply is None:
            self.stop()
            raise WorkerCrashed(f"Task timed out after {timeout_s:.2f} seconds", "Sandbox.Timedout")
        return reply

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:  # pragma: no cover
            pass
        for pipe in (self.process.stdin, self.process.stdout):
            if pipe is not None:
                try:
                    pipe.close()
                except OSError:
                    pass


class WorkerPool:
    """Worker processes for one target, restarted when its files change."""

    def __init__(
        self,
        target: str,
        *,
        reload: bool = True,
        max_workers: int = 8,
        cwd: str | None = None,
        log: ServeLog | None = None,
    ):
        self.target = target
        self.log = log or ServeLog()
        self.reload = reload
        self.max_workers = max_workers
        self.cwd = cwd
        self.generation = 0
        self._lock = threading.Condition()
        self._idle: list[_Worker] = []
        self._busy = 0
        self._files: dict[str, list[int]] = {}
        self._describe: dict[str, Any] | None = None
        self.last_describe: dict[str, Any] | None = None
        """The last description a worker gave, kept across reloads (what the server's own log
        lines go by while the new code loads)."""
        self._failure: str | None = None

    # --- loading and reloading ----------------------------------------------------------------

    def _start(self) -> _Worker:
        worker = _Worker(self.target, self.generation, self.cwd, self.log)
        hello = worker.read(120.0)
        if hello is None or not hello.get("ok"):
            worker.stop()
            text = (
                "the target did not load in time"
                if hello is None
                else str(hello.get("traceback") or hello.get("error"))
            )
            with self._lock:
                if worker.generation == self.generation:
                    self._failure = text
                    if hello is not None:
                        self._files = hello.get("files") or self._files
            raise LoadError(text)
        with self._lock:
            if worker.generation == self.generation:
                self._files = hello.get("files") or {}
                self._describe = self.last_describe = hello["describe"]
                self._failure = None
        return worker

    def changed(self) -> list[str]:
        """The watched files that changed (or vanished) since they were loaded."""
        out = []
        for path, (mtime, size) in list(self._files.items()):
            try:
                st = os.stat(path)
            except OSError:
                out.append(path)
                continue
            if st.st_mtime_ns != mtime or st.st_size != size:
                out.append(path)
        return out

    def check(self) -> bool:
        """Reload when a watched file changed; True when it did."""
        if not self.reload:
            return False
        with self._lock:
            changed = self.changed()
            if not changed:
                return False
            self.generation += 1
            idle, self._idle = self._idle, []
            self._files = {}
            self._describe = None
            self._failure = None
        self.log.info(f"pypwext serve: {', '.join(os.path.relpath(p) for p in changed)} changed; reloading")
        for worker in idle:
            worker.stop()
        return True

    def describe(self) -> dict[str, Any]:
        """What the target holds (functions, routes, OpenAPI document); loads it if needed."""
        self.check()
        if self._describe is None:
            self.release(self.acquire())
        assert self._describe is not None
        return self._describe

    # --- running invocations ------------------------------------------------------------------

    def acquire(self) -> _Worker:
        with self._lock:
            if self._failure is not None:
                raise LoadError(self._failure)
            while True:
                while self._idle:
                    worker = self._idle.pop()
                    if worker.alive() and worker.generation == self.generation:
                        self._busy += 1
                        return worker
                    worker.stop()
                if self._busy < self.max_workers:
                    self._busy += 1
                    break
                self._lock.wait(1.0)
        try:
            return self._start()
        except BaseException:
            with self._lock:
                self._busy -= 1
                self._lock.notify()
            raise

    def release(self, worker: _Worker) -> None:
        with self._lock:
            self._busy -= 1
            if worker.alive() and worker.generation == self.generation:
                self._idle.append(worker)
                worker = None  # type: ignore[assignment]
            self._lock.notify()
        if worker is not None:
            worker.stop()

    def run(self, message: dict[str, Any], timeout_s: float) -> dict[str, Any]:
        """Send one invocation to a worker and return its reply."""
        worker = self.acquire()
        try:
            return worker.call(message, timeout_s)
        finally:
            self.release(worker)

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for worker in idle:
            worker.stop()
