"""The ``pypwext`` command.

``pypwext invoke TARGET --event FILE`` runs a handler on an event and prints the response;
``pypwext invoke TARGET --http POST /orders --body '{...}'`` builds the event for you.

The response goes to standard output, the service's log lines to standard error.

Exit codes: 0 the handler answered (whatever the status), 1 the handler raised, 2 bad usage,
3 the target cannot be loaded (file, module or attribute not found, not a handler), 4 the event
cannot be read (file not found, malformed JSON).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import importlib.util
import json
import os
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TextIO

__all__ = ["load_target", "main"]

EXIT_OK = 0
EXIT_HANDLER_RAISED = 1
EXIT_USAGE = 2
EXIT_TARGET = 3
EXIT_EVENT = 4

SOURCES = ("rest", "http-api", "function-url", "alb")


class CliError(Exception):
    """A problem a shell user can act on; carries the exit code."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


def load_target(target: str) -> Callable[[Any, Any], Any]:
    """Resolve ``path/to/file.py:attr`` or ``package.module:attr`` (attr defaults to ``handler``)
    to a callable handler. A service class or instance is accepted too.

    Raises :class:`CliError` with a message that says what is wrong.
    """
    from pypwext.service import BaseService

    spec, _, attr = target.partition(":")
    attr = attr or "handler"
    if spec.endswith(".py") or os.sep in spec or "/" in spec:
        module = _load_file(Path(spec))
    else:
        try:
            module = importlib.import_module(spec)
        except ModuleNotFoundError as exc:
            raise CliError(f"module not found: {spec} ({exc})", EXIT_TARGET) from None
        except Exception as exc:
            raise CliError(f"cannot import {spec}: {type(exc).__name__}: {exc}", EXIT_TARGET) from None
    obj: Any = module
    for part in attr.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            names = ", ".join(n for n in dir(module) if not n.startswith("_"))
            raise CliError(f"{spec} has no attribute '{attr}' (it has: {names})", EXIT_TARGET) from None
    if isinstance(obj, type) and issubclass(obj, BaseService):
        return obj.handler
    if not callable(obj):
        raise CliError(f"{target} is not a handler: {type(obj).__name__} is not callable", EXIT_TARGET)
    return obj  # type: ignore[no-any-return]


def _load_file(path: Path) -> Any:
    if not path.is_file():
        raise CliError(f"file not found: {path}", EXIT_TARGET)
    folder = str(path.resolve().parent)
    if folder not in sys.path:
        sys.path.insert(0, folder)
    spec = importlib.util.spec_from_file_location(path.stem, path)
    if spec is None or spec.loader is None:
        raise CliError(f"cannot import {path}", EXIT_TARGET)
    module = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = module
    try:
        spec.loader.exec_module(module)
    except Exception as exc:  # a service class that fails its import-time checks lands here
        del sys.modules[path.stem]
        raise CliError(f"cannot import {path}: {type(exc).__name__}: {exc}", EXIT_TARGET) from None
    return module


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


def _pairs(values: Sequence[str], sep: str, what: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for value in values:
        key, found_sep, val = value.partition(sep)
        if not found_sep or not key.strip():
            raise CliError(f"{what} must look like NAME{sep}VALUE, got {value!r}", EXIT_USAGE)
        found[key.strip()] = val.strip()
    return found


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
    headers = _pairs(args.header, ":", "--header")
    query = _pairs(args.query, "=", "--query")
    common: dict[str, Any] = {"body": body, "headers": headers or None, "query": query or None}
    if args.source == "rest":
        return testing.api_gateway_event(method.upper(), path, version="1.0", **common)
    if args.source == "http-api":
        return testing.api_gateway_event(method.upper(), path, version="2.0", **common)
    if args.source == "function-url":
        return testing.function_url_event(method.upper(), path, **common)
    return testing.alb_event(method.upper(), path, **common)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pypwext", description="Tools for pypwext services.")
    sub = parser.add_subparsers(dest="command", required=True)
    inv = sub.add_parser(
        "invoke",
        help="run a handler on an event and print the response",
        description="Run a handler on an event and print the response it returns.",
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
    return parser


def main(argv: Sequence[str] | None = None, stdin: TextIO | None = None, stdout: TextIO | None = None) -> int:
    """Entry point of the ``pypwext`` command; returns the exit code."""
    out = stdout or sys.stdout
    args = _parser().parse_args(argv)
    try:
        if args.http is None and (args.body is not None or args.header or args.query):
            raise CliError("--body, --header and --query go with --http, not --event", EXIT_USAGE)
        # The service's own log lines go to stderr, so that stdout holds only the response.
        with contextlib.redirect_stdout(sys.stderr):
            handler = load_target(args.target)
            event = _build_event(args) if args.http else _read_event(args.event, stdin or sys.stdin)
            from pypwext import testing

            context = testing.lambda_context()
            try:
                response = handler(event, context)
            except Exception:
                traceback.print_exc()
                return EXIT_HANDLER_RAISED
    except CliError as exc:
        print(f"pypwext: {exc}", file=sys.stderr)
        return exc.code
    out.write(json.dumps(response, indent=2, default=str) + "\n")
    return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
