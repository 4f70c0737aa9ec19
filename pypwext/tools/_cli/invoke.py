"""``pypwext invoke``: run a handler on an event and print the response."""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import traceback
from pathlib import Path
from typing import Any, TextIO

from pypwext.tools._cli.common import (
    EXIT_EVENT,
    EXIT_HANDLER_RAISED,
    EXIT_OK,
    EXIT_USAGE,
    CliError,
    load_target,
    parse_pairs,
)

__all__ = ["register", "run"]

SOURCES = ("rest", "http-api", "function-url", "alb")


def _read_event(source: str, stdin: TextIO) -> Any:
    if source == "-":
        text = stdin.read()
        where = "standard input"
    else:
        path = Path(source)
        if not path.is_file():
            raise CliError(f"event file not found: {path}", EXIT_EVENT)
        text = path.read_text(encoding="utf-8")
        where = str(path)
    try:
        return json.loads(text)
    except ValueError as exc:
        raise CliError(f"the event in {where} is not valid JSON: {exc}", EXIT_EVENT) from None


def _build_event(args: argparse.Namespace) -> Any:
    from pypwext import testing

    method, path = args.http
    body: Any = None
    if args.body is not None:
        text = args.body
        if text.startswith("@"):
            body_path = Path(text[1:])
            if not body_path.is_file():
                raise CliError(f"body file not found: {body_path}", EXIT_EVENT)
            text = body_path.read_text(encoding="utf-8")
        try:
            body = json.loads(text)
        except ValueError:
            body = text  # not JSON: sent as text, and the service decides
    headers = parse_pairs(args.header, ":", "--header")
    query = parse_pairs(args.query, "=", "--query")
    common: dict[str, Any] = {"body": body, "headers": headers or None, "query": query or None}
    if args.source == "rest":
        return testing.api_gateway_event(method.upper(), path, version="1.0", **common)
    if args.source == "http-api":
        return testing.api_gateway_event(method.upper(), path, version="2.0", **common)
    if args.source == "function-url":
        return testing.function_url_event(method.upper(), path, **common)
    return testing.alb_event(method.upper(), path, **common)


def register(sub: Any) -> None:
    """Add ``invoke`` to the ``pypwext`` command's subparsers."""
    inv = sub.add_parser(
        "invoke",
        help="run a handler on an event and print the response",
        description="Run a handler on an event and print the response it returns. "
        "The response goes to standard output, the service's log lines to standard error.",
    )
    inv.add_argument("target", help="FILE.py[:ATTR] or MODULE[:ATTR]; ATTR defaults to 'handler'")
    what = inv.add_mutually_exclusive_group(required=True)
    what.add_argument("--event", metavar="FILE", help="a JSON event file, or - for standard input")
    what.add_argument("--http", nargs=2, metavar=("METHOD", "PATH"), help="build an HTTP event")
    inv.add_argument("--body", help="request body for --http: JSON text, or @FILE")
    inv.add_argument("--header", action="append", default=[], metavar="NAME:VALUE", help="repeatable")
    inv.add_argument("--query", action="append", default=[], metavar="NAME=VALUE", help="repeatable")
    inv.add_argument(
        "--source", choices=SOURCES, default="rest", help="event format for --http (default: rest)"
    )
    inv.set_defaults(run=run)


def run(args: argparse.Namespace, stdin: TextIO, stdout: TextIO) -> int:
    """Run ``pypwext invoke``; returns the exit code (raises :class:`CliError`)."""
    if args.http is None and (args.body is not None or args.header or args.query):
        raise CliError("--body, --header and --query go with --http, not --event", EXIT_USAGE)
    # The service's own log lines go to stderr, so that stdout holds only the response.
    with contextlib.redirect_stdout(sys.stderr):
        handler = load_target(args.target)
        event = _build_event(args) if args.http else _read_event(args.event, stdin)
        from pypwext import testing

        context = testing.lambda_context()
        try:
            response = handler(event, context)
        except Exception:
            traceback.print_exc()
            return EXIT_HANDLER_RAISED
    stdout.write(json.dumps(response, indent=2, default=str) + "\n")
    return EXIT_OK
