"""``pypwext serve``: run services behind a local HTTP server (see :mod:`pypwext.tools._local.server`)."""

from __future__ import annotations

import argparse
from typing import Any, TextIO

from pypwext.tools._cli.common import EXIT_OK, EXIT_USAGE, CliError

__all__ = ["register", "run", "serve"]

SOURCES = ("rest", "http-api", "function-url", "alb", "alb-multi")


def register(sub: Any) -> None:
    """Add ``serve`` to the ``pypwext`` command's subparsers."""
    parser = sub.add_parser(
        "serve",
        help="serve services on a local HTTP server (HTTP events, the Invoke API, /docs)",
        description="Serve a service class, an Api, a handler or every service and Api of a module "
        "on a local HTTP server: each request becomes an event of --source, the handler runs in a "
        "worker process, its answer goes back as HTTP. Also serves the Lambda Invoke API, "
        "/openapi.json and /docs, and reloads the code when a file changes.",
    )
    parser.add_argument("target", help="FILE.py[:ATTR] or MODULE[:ATTR]; without ATTR, everything in it")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    parser.add_argument("--port", type=int, default=3000, help="port (default: 3000; 0 picks a free one)")
    parser.add_argument(
        "--source",
        choices=SOURCES,
        default=None,
        help="the event format to emulate (default: the one the services' input type reads, "
        "e.g. http-api for APIGatewayProxyEventV2; else rest)",
    )
    parser.add_argument("--no-reload", action="store_true", help="do not reload when a file changes")
    parser.add_argument(
        "--timeout", type=float, default=30.0, metavar="SECONDS", help="the functions' timeout (default 30)"
    )
    parser.add_argument(
        "--log-format",
        choices=("auto", "text", "json"),
        default="auto",
        help="readable lines (text) or JSON lines (json) on standard error; default auto: text on a "
        "terminal, JSON when piped",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, stdin: TextIO, stdout: TextIO) -> int:
    """Run ``pypwext serve`` in the foreground until Ctrl-C."""
    if not 0 <= args.port <= 65535:
        raise CliError(f"--port must be 0-65535, got {args.port}", EXIT_USAGE)
    if args.timeout <= 0:
        raise CliError(f"--timeout must be positive, got {args.timeout}", EXIT_USAGE)
    try:
        serve(
            args.target,
            host=args.host,
            port=args.port,
            source=args.source,
            reload=not args.no_reload,
            timeout_s=args.timeout,
            log_format=args.log_format,
        )
    except OSError as exc:
        raise CliError(
            f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}", EXIT_USAGE
        ) from None
    return EXIT_OK


def serve(
    target: str,
    *,
    host: str = "127.0.0.1",
    port: int = 3000,
    source: str | None = None,
    reload: bool = True,
    timeout_s: float = 30.0,
    log_format: str = "auto",
) -> None:
    """Run the server in the foreground until Ctrl-C, after a start-up banner (what is served,
    as which events, where); ``source=None``: the source the services' input types read, else
    ``rest``."""
    from pypwext.tools._local.log import ServeLog
    from pypwext.tools._local.pool import LoadError
    from pypwext.tools._local.server import LocalServer

    log = ServeLog(log_format)
    server = LocalServer((host, port), target, source=source, reload=reload, timeout_s=timeout_s, log=log)
    try:
        describe = server.pool.describe()
    except LoadError as exc:
        log.error(f"pypwext serve: the code does not load yet (fix it and save; the server reloads):\n{exc}")
        describe = {"functions": [], "routes": []}
    base = server.url
    why = (
        " (from the services' input type; --source to change)"
        if source is None and describe.get("source")
        else ""
    )
    log.plain(
        f"pypwext serve: {target} as {server.source_for(describe)} events{why} on {base} (Ctrl-C to stop)"
    )
    if source is None and describe.get("source_conflict"):
        log.warning(f"pypwext serve: warning: {describe['source_conflict']}; serving rest events")
    for route in describe.get("routes", []):
        log.plain(f"  {route}")
    if describe.get("routes"):
        log.plain(f"  docs: {base}/docs   OpenAPI: {base}/openapi.json")
    names = [n for f in describe.get("functions", []) for n in f["names"]]
    if names:
        log.plain(f"  Invoke API: {base}/2015-03-31/functions/{{name}}/invocations for {', '.join(names)}")
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        log.info("pypwext serve: stopped")
    finally:
        server.server_close()
