"""``pypwext template``: write an AWS SAM template for the project's services.

Exit codes: 0 written, 2 bad usage (a malformed ``--env``), 3 the project cannot be imported or
has no Lambda entry point.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from pathlib import Path
from typing import Any, TextIO

from pypwext.tools._cli.common import EXIT_OK, EXIT_TARGET, CliError, parse_pairs

__all__ = ["register", "run"]


def register(sub: Any) -> None:
    """Add ``template`` to the ``pypwext`` command's subparsers."""
    from pypwext.tools._template import DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT_S
    from pypwext.tools.packaging import ARCHITECTURES, PYTHON_VERSIONS

    cmd = sub.add_parser(
        "template",
        help="write an AWS SAM template for the project's services",
        description="Find the project's Lambda entry points (module-level 'handler = X.handler', "
        "services or Apis) and write a SAM template: one function each, events from the routes "
        "or a Function URL, and the IAM permissions the dependencies need.",
    )
    cmd.add_argument("project", nargs="?", default=".", help="project directory or one .py file (default: .)")
    cmd.add_argument("--out", default="template.yaml", help="file to write, or - (default: template.yaml)")
    cmd.add_argument("--python", choices=PYTHON_VERSIONS, default="3.12", help="runtime (default: 3.12)")
    cmd.add_argument("--arch", choices=tuple(ARCHITECTURES), default="x86_64", help="default: x86_64")
    cmd.add_argument(
        "--memory", type=int, default=DEFAULT_MEMORY_MB, help=f"MB (default: {DEFAULT_MEMORY_MB})"
    )
    cmd.add_argument(
        "--timeout", type=int, default=DEFAULT_TIMEOUT_S, help=f"s (default: {DEFAULT_TIMEOUT_S})"
    )
    cmd.add_argument(
        "--api",
        choices=("http", "rest", "none"),
        default="http",
        help="events from the routes: HTTP API (default), REST API, or none",
    )
    cmd.add_argument("--function-url", action="store_true", help="give every function a Function URL")
    cmd.add_argument("--auth", choices=("AWS_IAM", "NONE"), default="AWS_IAM", help="Function URL auth type")
    cmd.add_argument("--code-uri", default="dist/function.zip", help="the zip (default: dist/function.zip)")
    cmd.add_argument("--env", action="append", default=[], metavar="NAME=VALUE", help="repeatable")
    cmd.set_defaults(run=run)


def _comments(args: argparse.Namespace, handlers: list[str]) -> list[str]:
    return [
        f"Written by `pypwext template {args.project}`; regenerate it rather than edit it.",
        "",
        "Handler strings are module.attribute: Lambda splits them at the last dot. A module-level",
        "`handler = CreateOrder.handler` in app.py is 'app.handler'; 'app.CreateOrder.handler' does not resolve.",
        f"MemorySize {args.memory}: Lambda's default of 128 MB also gives a small share of a CPU (slow",
        "imports, timeouts); measure and tune.",
        "",
        "Build the code first (one zip serves every function of the project):",
        f"  pypwext package {args.project} --handler {handlers[0]} --python {args.python} "
        f"--arch {args.arch} --out {args.code_uri}",
        "then: sam deploy --guided",
    ]


def _build(args: argparse.Namespace, env: dict[str, str]) -> tuple[list[Any], dict[str, Any]]:
    from pypwext.tools import _template as template

    try:
        functions = template.discover(Path(args.project))
        data = template.build_template(
            functions,
            python=args.python,
            arch=args.arch,
            memory=args.memory,
            timeout=args.timeout,
            api=args.api,
            function_url=args.function_url,
            auth=args.auth,
            code_uri=args.code_uri,
            env=env,
        )
    except template.TemplateError as exc:
        raise CliError(str(exc), EXIT_TARGET) from None
    return functions, data


def run(args: argparse.Namespace, stdin: TextIO, stdout: TextIO) -> int:
    """Run ``pypwext template``; returns the exit code (raises :class:`CliError`)."""
    from pypwext.tools import _template as template

    env = parse_pairs(args.env, "=", "--env", strip_values=False)
    # What the project's modules print while they are imported (or while their dependencies
    # describe themselves) goes to stderr: with --out -, stdout holds the YAML and nothing else.
    with contextlib.redirect_stdout(sys.stderr):
        functions, data = _build(args, env)
    text = template.to_yaml(data, _comments(args, [f.handler for f in functions]))
    if args.out == "-":
        stdout.write(text)
        return EXIT_OK
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    for spec in functions:
        routes = ", ".join(f"{m} {p}" for m, p in spec.routes) or "no route"
        print(f"{spec.logical_id}: {spec.handler} ({routes})", file=stdout)
    print(f"wrote {out}", file=stdout)
    return EXIT_OK
