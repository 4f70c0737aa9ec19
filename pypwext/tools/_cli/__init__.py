"""The ``pypwext`` command.

Each subcommand lives in its own module of this package, named in :data:`COMMANDS`, with a
``register(subparsers)`` function that adds its parser and sets ``run(args, stdin, stdout) -> int``.

Exit codes: 0 success, 1 the handler raised, 2 bad usage, 3 the target cannot be loaded (file,
module or attribute not found, not a handler), 4 the event cannot be read (file not found,
malformed JSON). Subcommands document any others.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from typing import TextIO

from pypwext.tools._cli.common import CliError, load_target

__all__ = ["COMMANDS", "load_target", "main", "version"]

COMMANDS: tuple[str, ...] = ("invoke", "package", "template", "deploy", "serve", "openapi")
"""The subcommands, in the order ``pypwext --help`` lists them."""


def version() -> str:
    """The installed pypwext's version (its distribution metadata), or the package's own
    ``__version__`` when it runs from a checkout that is not installed."""
    import importlib.metadata

    try:
        return importlib.metadata.version("pypwext")
    except importlib.metadata.PackageNotFoundError:
        from pypwext._version import __version__

        return __version__


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pypwext", description="Tools for pypwext services.")
    parser.add_argument("--version", action="version", version=f"pypwext {version()}")
    sub = parser.add_subparsers(dest="command", required=True)
    for name in COMMANDS:
        importlib.import_module(f"pypwext.tools._cli.{name}").register(sub)
    return parser


def main(argv: Sequence[str] | None = None, stdin: TextIO | None = None, stdout: TextIO | None = None) -> int:
    """Entry point of the ``pypwext`` command; returns the exit code."""
    args = _parser().parse_args(argv)
    try:
        code: int = args.run(args, stdin or sys.stdin, stdout or sys.stdout)
    except CliError as exc:
        print(f"pypwext: {exc}", file=sys.stderr)
        return exc.code
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
