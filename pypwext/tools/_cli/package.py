"""``pypwext package``: build a Lambda deployment zip for the target platform, without Docker.

Exit codes: 0 built, 2 bad usage (project directory or requirements file not found),
3 the handler string does not resolve in the package, 5 a requirement cannot be installed for
the target, 6 the package is larger than Lambda accepts.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, TextIO

from pypwext.tools._cli.common import EXIT_OK, EXIT_TARGET, EXIT_USAGE, CliError

__all__ = ["EXIT_LIMIT", "EXIT_REQUIREMENT", "register", "run"]

EXIT_REQUIREMENT = 5
EXIT_LIMIT = 6


def register(sub: Any) -> None:
    """Add ``package`` to the ``pypwext`` command's subparsers."""
    from pypwext.tools.packaging import ARCHITECTURES, PYTHON_VERSIONS

    cmd = sub.add_parser(
        "package",
        help="build a Lambda deployment zip (no Docker needed)",
        description="Install the project's requirements for Lambda's platform, add the project's "
        "code, check the handler string and write a reproducible zip. Prints its CodeSha256 and "
        "its size by top-level package.",
    )
    cmd.add_argument("project", nargs="?", default=".", help="the project directory (default: .)")
    cmd.add_argument("--handler", required=True, help="Lambda handler string, e.g. app.handler")
    cmd.add_argument("--python", choices=PYTHON_VERSIONS, default="3.12", help="runtime (default: 3.12)")
    cmd.add_argument("--arch", choices=tuple(ARCHITECTURES), default="x86_64", help="default: x86_64")
    cmd.add_argument(
        "--out", default="dist/function.zip", help="the zip to write (default: dist/function.zip)"
    )
    cmd.add_argument("--requirements", help="requirements file (default: PROJECT/requirements.txt)")
    cmd.add_argument("--bundle-boto3", action="store_true", help="keep boto3/botocore in the zip")
    cmd.add_argument("--build-dir", help="keep the unzipped tree in this (new or empty) directory")
    cmd.add_argument("--no-check-handler", action="store_true", help="do not check the handler string")
    cmd.set_defaults(run=run)


def _mib(size: int) -> str:
    return f"{size / 2**20:8.2f} MiB"


def run(args: argparse.Namespace, stdin: TextIO, stdout: TextIO) -> int:
    """Run ``pypwext package``; returns the exit code (raises :class:`CliError`)."""
    from pypwext.tools import packaging
    from pypwext.tools._handler_check import HandlerError

    try:
        result = packaging.package(
            Path(args.project),
            args.handler,
            Path(args.out),
            python=args.python,
            arch=args.arch,
            requirements=Path(args.requirements) if args.requirements else None,
            bundle_boto3=args.bundle_boto3,
            check=not args.no_check_handler,
            build_dir=Path(args.build_dir) if args.build_dir else None,
            log=lambda line: print(f"package: {line}", file=sys.stderr, flush=True),
        )
    except HandlerError as exc:
        raise CliError(str(exc), EXIT_TARGET) from None
    except packaging.RequirementError as exc:
        raise CliError(str(exc), EXIT_REQUIREMENT) from None
    except packaging.LimitError as exc:
        raise CliError(str(exc), EXIT_LIMIT) from None
    except packaging.PackagingError as exc:
        raise CliError(str(exc), EXIT_USAGE) from None
    print(f"{'package':<28} {'unzipped':>12} {'zipped':>12}", file=stdout)
    for name, unzipped, zipped in result.sizes:
        print(f"{name:<28} {_mib(unzipped)} {_mib(zipped)}", file=stdout)
    print(f"{'total':<28} {_mib(result.unzipped_bytes)} {_mib(result.zipped_bytes)}", file=stdout)
    if result.left_out:
        print(f"left out (the Lambda runtime has them): {', '.join(result.left_out)}", file=stdout)
    print(f"handler {args.handler}: {result.handler_check}", file=stdout)
    for warning in result.warnings:
        print(f"warning: {warning}", file=stdout)
    print(f"wrote {result.out} for python{args.python} on {args.arch}", file=stdout)
    print(f"CodeSha256 {result.code_sha256}", file=stdout)
    return EXIT_OK
