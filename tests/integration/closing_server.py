"""The threaded HTTP server of the test servers (fault_server, invoke_server), which ends what it
started when it is closed.

A test server stopped at the end of a test (or module) may still have request threads: an idle
keep-alive connection of a pooled client (boto3, requests) blocks its thread in a read until the
client is freed, and a handler may still wait for a slow function. Such a thread ends later --
in another test -- and frees what it held then, which a test that counts the garbage an
invocation leaves (tests/runtime/test_garbage.py) sees as its own. So ``server_close`` shuts down
every open connection and joins every request thread (for at most ``join_timeout_s``).
"""

from __future__ import annotations

import socket
import threading
import time
from http.server import ThreadingHTTPServer
from typing import Any

__all__ = ["ClosingHTTPServer"]


class ClosingHTTPServer(ThreadingHTTPServer):
    """A ``ThreadingHTTPServer`` whose ``server_close`` closes its connections and joins its
    request threads."""

    daemon_threads = True
    block_on_close = False
    join_timeout_s = 10.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._guard = threading.Lock()
        self._open: set[Any] = set()
        self._running: set[threading.Thread] = set()

    def process_request(self, request: Any, client_address: Any) -> None:
        thread = threading.Thread(target=self._serve, args=(request, client_address), daemon=True)
        with self._guard:
            self._open.add(request)
            self._running.add(thread)
        thread.start()

    def _serve(self, request: Any, client_address: Any) -> None:
        try:
            self.process_request_thread(request, client_address)
        finally:
            with self._guard:
                self._open.discard(request)
                self._running.discard(threading.current_thread())

    def server_close(self) -> None:
        super().server_close()
        with self._guard:
            connections, threads = list(self._open), list(self._running)
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:  # already closed by its handler
                pass
        deadline = time.monotonic() + self.join_timeout_s
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
