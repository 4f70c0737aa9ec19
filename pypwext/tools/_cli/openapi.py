"""``pypwext openapi``: print the OpenAPI 3.1 document of routed services."""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from typing import Any, TextIO

from pypwext.tools._cli.common import EXIT_OK, EXIT_TARGET, CliError

__all__ = ["register", "run"]


def register(sub: Any) -> None:
    """Add ``openapi`` to the ``pypwext`` command's subparsers."""
    parser = sub.add_parser(
        "openapi",
        help="print the OpenAPI 3.1 document of routed services",
        description="Print the OpenAPI 3.1 document (JSON) of an Api, a routed service, or every "
        "Api and routed service of a module.",
    )
    parser.add_argument("target", help="FILE.py[:ATTR] or MODULE[:ATTR]; without ATTR, everything in it")
    parser.add_argument("--title", help="info.title (default: the Api's title)")
    parser.add_argument("--version", dest="api_version", help="info.version (default: the Api's version)")
    parser.add_argument("--output", "-o", metavar="FILE", help="write to FILE instead of standard output")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, stdin: TextIO, stdout: TextIO) -> int:
    """Run ``pypwext openapi``; returns the exit code (raises :class:`CliError`)."""
    from pypwext.tools._local.targets import TargetError, load_project
    from pypwext.tools._openapi import openapi_document

    with contextlib.redirect_stdout(sys.stderr):  # a module that prints at import
        try:
            project = load_project(args.target)
        except TargetError as exc:
            raise CliError(str(exc), EXIT_TARGET) from None
    if project.api is None:
        raise CliError(
            f'{args.target} has no routed service: set route = "METHOD /path" on a service or build an Api',
            EXIT_TARGET,
        )
    doc = openapi_document(project.api, title=args.title, version=args.api_version)
    text = json.dumps(doc, indent=2) + "\n"
    if args.output:
        with open(args.output, "w", encoding="utf-8") as handle:
            handle.write(text)
    else:
        stdout.write(text)
    return EXIT_OK
