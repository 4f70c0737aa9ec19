"""Deploy a packaged zip with boto3: what ``pypwext deploy`` does, the steps of seed 001 in one
idempotent call.

1. the execution role: the one given, or ``pypwext-<function>`` created when missing (trust
   policy for ``lambda.amazonaws.com``, ``AWSLambdaBasicExecutionRole`` attached);
2. the function: created (retrying while a new role is not yet assumable) and waited for until
   ``Active``; or, when it exists, its code updated, then its configuration (handler, runtime,
   and the memory, timeout, role and environment that were given: those not given stay as the
   function has them), each waited for until the update is complete;
3. when asked, its Function URL (created, or its auth type updated) and, for ``NONE``, the two
   public permissions a URL needs (``lambda:InvokeFunctionUrl``, and ``lambda:InvokeFunction``
   through the URL); for ``AWS_IAM`` those public permissions are removed.

boto3 is imported only here (and only when :func:`deploy` runs).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pypwext.tools._template import (  # one default for template and deploy
    DEFAULT_MEMORY_MB,
    DEFAULT_TIMEOUT_S,
)

__all__ = [
    "BASIC_EXECUTION_POLICY",
    "DEFAULT_MEMORY_MB",
    "DEFAULT_TIMEOUT_S",
    "DeployError",
    "DeployResult",
    "deploy",
    "handler_in_zip",
    "resolve_region",
]

BASIC_EXECUTION_POLICY = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
"""The managed policy that lets a function write its logs."""

TRUST_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ],
}
"""Who may assume the execution role: the Lambda service."""

PUBLIC_URL_STATEMENTS = ("FunctionURLAllowPublicAccess", "FunctionURLInvokeAllowPublicAccess")
"""Statement ids of the two permissions a Function URL with auth type NONE needs."""

DIRECT_UPLOAD_LIMIT = 50 * 1024 * 1024


class DeployError(Exception):
    """The deployment cannot go on; the message says what AWS answered or what is missing."""

    def __init__(self, message: str, kind: str = "aws") -> None:
        super().__init__(message)
        self.kind = kind
        """``"usage"`` (a local problem: file, handler), ``"aws"`` (AWS refused or is unreachable)."""


@dataclass
class DeployResult:
    """What :func:`deploy` did."""

    function_arn: str
    created: bool
    """``True`` when the function was created, ``False`` when it was updated."""
    code_sha256: str
    role_arn: str
    role_created: bool
    url: str | None


def handler_in_zip(zip_path: Path, handler: str) -> None:
    """Check that the handler resolves in the zip, module and attribute, before anything is
    uploaded (:func:`pypwext.tools._handler_check.check_static`: the zip's sources are read, nothing is
    imported); raises :class:`DeployError` with the fix (the ``app.CreateOrder.handler`` mistake,
    a typo: the module's handler-like names)."""
    from pypwext.tools._handler_check import HandlerError, check_static, zip_reader

    try:
        check_static(zip_reader(zip_path), handler, where=str(zip_path))
    except HandlerError as exc:
        raise DeployError(str(exc), "usage") from None


def _code(exc: Exception) -> str:
    response = getattr(exc, "response", None)
    if isinstance(response, Mapping):
        return str(response.get("Error", {}).get("Code", ""))
    return ""


def _role(iam: Any, role: str | None, function: str, log: Callable[[str], None]) -> tuple[str, bool]:
    """The execution role's ARN, and whether it was created now. The default role
    (``pypwext-<function>``) is pypwext's own: its basic execution policy is attached on every
    run (a no-op when it is), so that a run cut short is mended by the next one."""
    if role and role.startswith("arn:"):
        return role, False
    name = role or f"pypwext-{function}"
    created = False
    try:
        arn = str(iam.get_role(RoleName=name)["Role"]["Arn"])
    except Exception as exc:
        if _code(exc) != "NoSuchEntity":
            raise
        log(f"creating the execution role {name}")
        arn = str(
            iam.create_role(
                RoleName=name,
                AssumeRolePolicyDocument=json.dumps(TRUST_POLICY),
                Description=f"Execution role of the Lambda function {function} (pypwext deploy)",
            )["Role"]["Arn"]
        )
        created = True
    if created or role is None:
        iam.attach_role_policy(RoleName=name, PolicyArn=BASIC_EXECUTION_POLICY)
    return arn, created


def _create(client: Any, params: dict[str, Any], fresh_role: bool, log: Callable[[str], None]) -> Any:
    deadline = time.monotonic() + (60 if fresh_role else 0)
    while True:
        try:
            return client.create_function(**params)
        except Exception as exc:
            # IAM is eventually consistent: a role created a moment ago may not be assumable yet.
            if _code(exc) != "InvalidParameterValueException" or time.monotonic() > deadline:
                raise
            log("waiting for the new role to become assumable by Lambda")
            time.sleep(3)


def _function_url(client: Any, name: str, auth: str, log: Callable[[str], None]) -> str:
    try:
        config = client.get_function_url_config(FunctionName=name)
        if config["AuthType"] != auth:
            log(f"changing the Function URL's auth type to {auth}")
            config = client.update_function_url_config(FunctionName=name, AuthType=auth)
    except Exception as exc:
        if _code(exc) != "ResourceNotFoundException":
            raise
        log(f"creating the Function URL ({auth})")
        config = client.create_function_url_config(FunctionName=name, AuthType=auth)
    public: list[dict[str, Any]] = [
        {
            "StatementId": PUBLIC_URL_STATEMENTS[0],
            "Action": "lambda:InvokeFunctionUrl",
            "FunctionUrlAuthType": "NONE",
        },
        {
            "StatementId": PUBLIC_URL_STATEMENTS[1],
            "Action": "lambda:InvokeFunction",
            "InvokedViaFunctionUrl": True,
        },
    ]
    try:
        policy = json.loads(client.get_policy(FunctionName=name)["Policy"])
        present = {statement.get("Sid") for statement in policy.get("Statement", [])}
    except Exception as exc:
        if _code(exc) != "ResourceNotFoundException":
            raise
        present = set()
    for statement in public:
        sid = statement["StatementId"]
        try:
            if auth == "NONE" and sid not in present:
                client.add_permission(FunctionName=name, Principal="*", **statement)
            elif auth != "NONE" and sid in present:
                client.remove_permission(FunctionName=name, StatementId=sid)
        except Exception as exc:
            if _code(exc) not in ("ResourceConflictException", "ResourceNotFoundException"):
                raise
    return str(config["FunctionUrl"])


def resolve_region(region: str | None) -> str | None:
    """The region to deploy to: ``region`` (``--region``), else ``AWS_REGION``, else what boto3
    finds (``AWS_DEFAULT_REGION``, the profile). The order of the AWS CLI; boto3 alone reads
    only ``AWS_DEFAULT_REGION``, so ``AWS_REGION=eu-west-1`` by itself would not be seen."""
    return region or os.environ.get("AWS_REGION") or None


def _kept(current: Mapping[str, Any], memory: int | None, timeout: int | None, env: Any) -> list[str]:
    """What a redeploy leaves as the function has it, for the log line."""
    kept = []
    if memory is None:
        kept.append(f"memory {current.get('MemorySize')} MB")
    if timeout is None:
        kept.append(f"timeout {current.get('Timeout')} s")
    if env is None:
        count = len(current.get("Environment", {}).get("Variables", {}))
        kept.append(f"environment ({count} variable{'' if count == 1 else 's'})")
    return kept


def _env_change(current: Mapping[str, Any], env: Mapping[str, str]) -> str:
    """``--env`` replaces the whole environment: which names it adds, changes and removes
    (names only: values may be secrets)."""
    old: dict[str, str] = dict(current.get("Environment", {}).get("Variables", {}))
    added = sorted(set(env) - set(old))
    removed = sorted(set(old) - set(env))
    changed = sorted(k for k in set(env) & set(old) if env[k] != old[k])
    parts = [
        f"{what} {', '.join(names)}"
        for what, names in (("adds", added), ("changes", changed), ("removes", removed))
        if names
    ]
    return "the environment is set to the --env given: " + ("; ".join(parts) or "no change")


def deploy(
    zip_path: Path,
    name: str,
    handler: str,
    *,
    python: str = "3.12",
    arch: str = "x86_64",
    memory: int | None = None,
    timeout: int | None = None,
    role: str | None = None,
    function_url: bool = False,
    auth: str = "AWS_IAM",
    region: str | None = None,
    env: Mapping[str, str] | None = None,
    endpoint_url: str | None = None,
    log: Callable[[str], None] = lambda message: None,
) -> DeployResult:
    """Create or update the function ``name`` from ``zip_path``; see the module's docstring.

    ``role`` is an ARN (used as it is) or a role name (created when missing; default
    ``pypwext-<name>``). ``memory``, ``timeout``, ``env`` and ``role`` left ``None`` keep what an
    existing function has (a new one gets :data:`DEFAULT_MEMORY_MB`, :data:`DEFAULT_TIMEOUT_S`,
    no variables, ``pypwext-<name>``); an ``env`` given replaces the whole environment.
    ``endpoint_url`` sends the IAM and Lambda calls there (an emulator); without it boto3 reads
    ``AWS_ENDPOINT_URL``/``AWS_ENDPOINT_URL_LAMBDA``/``AWS_ENDPOINT_URL_IAM``. ``log`` receives a
    line per step. Raises :class:`DeployError`.
    """
    if not zip_path.is_file():
        raise DeployError(f"zip not found: {zip_path} (build it with pypwext package)", "usage")
    if zip_path.stat().st_size > DIRECT_UPLOAD_LIMIT:
        raise DeployError(
            f"{zip_path} is {zip_path.stat().st_size / 2**20:.1f} MiB, more than a direct upload's 50 MiB; "
            "upload it to S3 and deploy it from there (a SAM template does that: pypwext template)",
            "usage",
        )
    if auth not in ("AWS_IAM", "NONE"):
        raise DeployError(f"auth must be AWS_IAM or NONE, got {auth!r}", "usage")
    handler_in_zip(zip_path, handler)

    import boto3
    import botocore.exceptions

    session = boto3.session.Session(region_name=resolve_region(region))
    if session.region_name is None:
        raise DeployError("no AWS region: pass --region or set AWS_REGION / AWS_DEFAULT_REGION", "usage")
    code = zip_path.read_bytes()
    try:
        iam: Any = session.client("iam", endpoint_url=endpoint_url)
        client: Any = session.client("lambda", endpoint_url=endpoint_url)
        log(f"deploying {name} to {session.region_name} ({client.meta.endpoint_url})")
        try:
            current: dict[str, Any] | None = client.get_function(FunctionName=name)["Configuration"]
        except botocore.exceptions.ClientError as exc:
            if _code(exc) != "ResourceNotFoundException":
                raise
            current = None
        if current is not None and role is None:
            role_arn, role_created = str(current["Role"]), False  # a redeploy keeps the function's role
        else:
            role_arn, role_created = _role(iam, role, name, log)
        config: dict[str, Any] = {"Role": role_arn, "Handler": handler, "Runtime": f"python{python}"}
        if memory is not None or current is None:
            config["MemorySize"] = DEFAULT_MEMORY_MB if memory is None else memory
        if timeout is not None or current is None:
            config["Timeout"] = DEFAULT_TIMEOUT_S if timeout is None else timeout
        if env is not None or current is None:
            config["Environment"] = {"Variables": dict(env or {})}
        if current is not None:
            kept = _kept(current, memory, timeout, env)
            if kept:
                log(
                    f"keeping the function's {', '.join(kept)}: pass --memory, --timeout, --env to change them"
                )
            if env is not None:
                log(_env_change(current, env))
            log(f"updating the code of {name}")
            client.update_function_code(FunctionName=name, ZipFile=code, Architectures=[arch])
            client.get_waiter("function_updated_v2").wait(FunctionName=name)
            log(f"updating the configuration of {name}")
            client.update_function_configuration(FunctionName=name, **config)
            client.get_waiter("function_updated_v2").wait(FunctionName=name)
        else:
            log(f"creating the function {name}")
            params = {
                "FunctionName": name,
                "Code": {"ZipFile": code},
                "Architectures": [arch],
                "PackageType": "Zip",
                **config,
            }
            _create(client, params, role_created, log)
            client.get_waiter("function_active_v2").wait(FunctionName=name)
        final = client.get_function(FunctionName=name)["Configuration"]
        url = _function_url(client, name, auth, log) if function_url else None
    except botocore.exceptions.NoCredentialsError:
        raise DeployError("no AWS credentials: configure them (aws configure, AWS_PROFILE, ...)") from None
    except botocore.exceptions.WaiterError as exc:
        raise DeployError(f"{name} did not become ready: {exc}") from None
    except botocore.exceptions.BotoCoreError as exc:
        raise DeployError(f"cannot reach AWS: {exc}") from None
    except botocore.exceptions.ClientError as exc:
        operation = getattr(exc, "operation_name", "a call")
        message = exc.response.get("Error", {}).get("Message", str(exc))
        raise DeployError(f"AWS refused {operation}: {_code(exc)}: {message}") from None
    return DeployResult(
        function_arn=str(final["FunctionArn"]),
        created=current is None,
        code_sha256=str(final.get("CodeSha256", "")),
        role_arn=role_arn,
        role_created=role_created,
        url=url,
    )
