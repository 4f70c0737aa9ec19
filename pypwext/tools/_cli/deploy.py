"""``pypwext deploy``: create or update a Lambda function from a packaged zip (boto3).

Exit codes: 0 deployed, 2 bad usage (zip not found, larger than a direct upload, no region),
3 the handler does not resolve in the zip (module or attribute), 7 AWS refused a call or cannot
be reached.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, TextIO

from pypwext.tools._cli.common import EXIT_OK, EXIT_TARGET, EXIT_USAGE, CliError, parse_pairs

__all__ = ["EXIT_AWS", "register", "run"]

EXIT_AWS = 7


def register(sub: Any) -> None:
    """Add ``deploy`` to the ``pypwext`` command's subparsers."""
    from pypwext.tools.packaging import ARCHITECTURES, PYTHON_VERSIONS

    cmd = sub.add_parser(
        "deploy",
        help="create or update a Lambda function from a zip",
        description="Check the handler (module and attribute) in the zip, create the execution "
        "role when missing, create or update the function, wait until it is ready, and with "
        "--function-url create its URL (and the permissions auth type NONE needs). Running it "
        "again updates: it is idempotent, and what is not given (--memory, --timeout, --env, "
        "--role) stays as the function has it.",
    )
    cmd.add_argument("zip", help="the zip built by pypwext package")
    cmd.add_argument("--name", required=True, help="the function's name")
    cmd.add_argument("--handler", required=True, help="Lambda handler string, e.g. app.handler")
    cmd.add_argument("--python", choices=PYTHON_VERSIONS, default="3.12", help="runtime (default: 3.12)")
    cmd.add_argument("--arch", choices=tuple(ARCHITECTURES), default="x86_64", help="default: x86_64")
    cmd.add_argument(
        "--memory", type=int, help="MB (a new function: 512, Lambda's own is 128; a redeploy keeps it)"
    )
    cmd.add_argument("--timeout", type=int, help="seconds (a new function: 30; a redeploy keeps it)")
    cmd.add_argument(
        "--role",
        help="execution role ARN, or a role name to create (a new function: pypwext-NAME; a redeploy keeps it)",
    )
    cmd.add_argument("--function-url", action="store_true", help="create a Function URL and print it")
    cmd.add_argument(
        "--auth", choices=("NONE", "AWS_IAM"), default="AWS_IAM", help="URL auth (default: AWS_IAM)"
    )
    cmd.add_argument("--region", help="AWS region (default: AWS_REGION, AWS_DEFAULT_REGION, the profile)")
    cmd.add_argument(
        "--env",
        action="append",
        metavar="NAME=VALUE",
        help="repeatable; the whole environment (a redeploy without --env keeps the function's)",
    )
    cmd.add_argument("--no-env", action="store_true", help="set the environment to no variables")
    cmd.add_argument(
        "--endpoint-url",
        metavar="URL",
        help="send the IAM and Lambda calls there, e.g. an emulator (default: AWS, or AWS_ENDPOINT_URL)",
    )
    cmd.set_defaults(run=run)


def run(args: argparse.Namespace, stdin: TextIO, stdout: TextIO) -> int:
    """Run ``pypwext deploy``; returns the exit code (raises :class:`CliError`)."""
    from pypwext.tools._deploy import DeployError, deploy

    if args.no_env and args.env:
        raise CliError("--no-env and --env exclude each other", EXIT_USAGE)
    env = None if args.env is None else parse_pairs(args.env, "=", "--env", strip_values=False)
    if args.no_env:
        env = {}
    try:
        result = deploy(
            Path(args.zip),
            args.name,
            args.handler,
            python=args.python,
            arch=args.arch,
            memory=args.memory,
            timeout=args.timeout,
            role=args.role,
            function_url=args.function_url,
            auth=args.auth,
            region=args.region,
            env=env,
            endpoint_url=args.endpoint_url,
            log=lambda line: print(line, file=sys.stderr),
        )
    except DeployError as exc:
        if exc.kind == "usage":
            code = EXIT_TARGET if "handler" in str(exc) else EXIT_USAGE
            raise CliError(str(exc), code) from None
        raise CliError(str(exc), EXIT_AWS) from None
    print(f"{'created' if result.created else 'updated'} {result.function_arn}", file=stdout)
    print(f"role {result.role_arn}{' (created)' if result.role_created else ''}", file=stdout)
    print(f"CodeSha256 {result.code_sha256}", file=stdout)
    if result.url:
        print(f"url {result.url}", file=stdout)
    return EXIT_OK
