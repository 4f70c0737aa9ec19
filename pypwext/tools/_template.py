"""An AWS SAM template for a project's services: what ``pypwext template`` writes.

:func:`discover` imports the project's top-level modules and finds its Lambda entry points: a
module-level ``handler = MyService.handler`` (one function per service) or
``handler = api.handler`` of a :class:`pypwext.runtime._routes.Api` (one function for all the Api's
services; a service that belongs to an Api gets no function of its own). The handler string is
``module.attribute``, which is why a module-level name is required (``app.CreateOrder.handler``
is not a handler string Lambda can resolve).

:func:`build_template` turns them into ``AWS::Serverless::Function`` resources: runtime,
architecture, memory, timeout, environment, events from each service's ``route`` (an HTTP API
by default, a REST API on request) or a Function URL, and an inline policy with the IAM
permissions the declared dependencies need (``Dependency.iam_actions()``). An UPPERCASE
``{PLACEHOLDER}`` of a dependency's template becomes a template parameter, passed to the
function as the environment variable of that name and substituted in the IAM resources.

:func:`to_yaml` writes the template as YAML without a YAML library.
"""

from __future__ import annotations

import importlib
import json
import re
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pypwext._placeholders import environment_names, parse_route, substitute_environment

__all__ = [
    "DEFAULT_MEMORY_MB",
    "DEFAULT_TIMEOUT_S",
    "FunctionSpec",
    "TemplateError",
    "build_template",
    "discover",
    "to_yaml",
]

DEFAULT_MEMORY_MB = 512
"""Lambda's own default is 128 MB, which also gives the function a small share of a CPU: imports
and cold starts crawl, and seed 001's service timed out until it had 256 MB. 512 MB is a sane
start; measure and tune."""

DEFAULT_TIMEOUT_S = 30
"""An HTTP API waits at most 30 s for its integration (a REST API 29 s by default)."""

LAMBDA_SETS = {"AWS_REGION": "AWS::Region", "AWS_DEFAULT_REGION": "AWS::Region"}
"""Environment variables Lambda sets itself (they cannot be set in a template), with the
pseudo parameter that substitutes them in a resource."""


class TemplateError(Exception):
    """The project cannot be turned into a template; the message says why."""


@dataclass
class FunctionSpec:
    """One Lambda function of the template."""

    logical_id: str
    handler: str
    """The handler string, ``module.attribute``."""
    services: list[Any]
    """The service classes it serves."""
    routes: list[tuple[str, str]] = field(default_factory=list)
    """``(METHOD, /path/{param})`` pairs, from the services' ``route`` or the Api."""

    @property
    def dependencies(self) -> list[Any]:
        """The dependency descriptors the services declare (each once)."""
        found: dict[int, Any] = {}
        for service in self.services:
            for dep in service._pypwext_spec.dependencies.values():
                found.setdefault(id(dep), dep)
        return list(found.values())


def _camel(text: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[^A-Za-z0-9]+", text) if part)


@contextmanager
def _importable(folder: Path) -> Iterator[None]:
    """Import modules from ``folder`` by their bare names, as Lambda does, then forget them."""
    saved_path = list(sys.path)
    stems = {p.stem for p in folder.glob("*.py")} | {p.name for p in folder.iterdir() if p.is_dir()}

    def ours(name: str) -> bool:
        return name.split(".")[0] in stems

    saved = {name: module for name, module in sys.modules.items() if ours(name)}
    for name in saved:
        del sys.modules[name]
    sys.path.insert(0, str(folder))
    try:
        yield
    finally:
        sys.path[:] = saved_path
        for name in [n for n in sys.modules if ours(n)]:
            del sys.modules[name]
        sys.modules.update(saved)


def _modules_of(target: Path) -> tuple[Path, list[str]]:
    if target.is_dir():
        names = sorted(
            p.stem
            for p in target.glob("*.py")
            if not (p.name.startswith(("test_", "_")) or p.name.endswith("_test.py"))
            and p.name not in ("conftest.py", "setup.py")
        )
        return target, names
    if target.suffix == ".py" and target.is_file():
        return target.parent, [target.stem]
    raise TemplateError(f"not a project directory or a .py file: {target}")


def discover(target: Path) -> list[FunctionSpec]:
    """The Lambda functions of the project at ``target`` (a directory, or one ``.py`` file)."""
    from pypwext.tools._handler_check import handler_string

    folder, names = _modules_of(target)
    service_handlers: list[tuple[str, Any]] = []
    api_handlers: list[tuple[str, Any]] = []
    with _importable(folder):
        for name in names:
            try:
                module = importlib.import_module(name)
            except Exception as exc:
                raise TemplateError(
                    f"cannot import {folder / name}.py: {type(exc).__name__}: {exc}"
                ) from None
            seen: set[int] = set()
            for attr, value in sorted(vars(module).items()):
                if attr.startswith("_") or id(value) in seen:
                    continue
                # a service's handler, or a middleware around one (functools.wraps keeps service_class)
                service_class = getattr(value, "service_class", None)
                if callable(value) and isinstance(service_class, type) and service_class.__module__ == name:
                    seen.add(id(value))
                    service_handlers.append((handler_string(name, attr), value))
                elif (
                    hasattr(value, "api")
                    and hasattr(getattr(value, "api", None), "routes")
                    and callable(value)
                ):
                    seen.add(id(value))
                    api_handlers.append((handler_string(name, attr), value))
    functions: list[FunctionSpec] = []
    in_apis: set[Any] = set()
    for handler, api_handler in api_handlers:
        routes = list(api_handler.api.routes)
        in_apis.update(r.service for r in routes)
        stem, _, attr = handler.partition(".")
        logical = _camel(stem if attr == "handler" else f"{stem} {attr}") + "Function"
        functions.append(
            FunctionSpec(
                logical, handler, [r.service for r in routes], [(r.method, r.template) for r in routes]
            )
        )
    for handler, service_handler in service_handlers:
        cls = service_handler.service_class
        if cls in in_apis:
            continue
        route = getattr(cls, "route", None)
        routes = [parse_route(route)[:2]] if route else []
        functions.append(FunctionSpec(f"{cls.__name__}Function", handler, [cls], routes))
    if not functions:
        raise TemplateError(
            f"no Lambda entry point found in {target}: expose one at module level, e.g. "
            "'handler = MyService.handler' in app.py (handler string 'app.handler')"
        )
    ids: dict[str, int] = {}
    for spec in functions:
        count = ids.get(spec.logical_id, 0)
        ids[spec.logical_id] = count + 1
        if count:
            spec.logical_id = f"{spec.logical_id}{count + 1}"
    return functions


_BATCH_EVENTS: dict[str, tuple[str, str, str, dict[str, Any]]] = {
    "sqs": ("SQS", "Queue", "the SQS queue", {"BatchSize": 10}),
    "kinesis": ("Kinesis", "Stream", "the Kinesis stream", {"StartingPosition": "LATEST", "BatchSize": 100}),
    "dynamodb": (
        "DynamoDB",
        "Stream",
        "the DynamoDB stream",
        {"StartingPosition": "LATEST", "BatchSize": 100},
    ),
}


def _source_events(service: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """The event source of an event-driven service and the parameters it needs.

    A batch service (SQS, Kinesis, DynamoDB streams) gets its event source mapping with
    ``FunctionResponseTypes: [ReportBatchItemFailures]`` (without it Lambda ignores the
    ``batchItemFailures`` pypwext answers and retries the whole batch) and a parameter for the
    queue or stream ARN; a scheduled service a ``Schedule`` event (a parameter, default
    ``rate(1 day)``); an EventBridge service a rule with its ``sources``/``detail_types`` as the
    pattern. S3 services get no event: SAM needs the bucket in the same template (see the docs).
    """
    kind = service._pypwext_spec.kind.source
    name = service.__name__
    if kind in _BATCH_EVENTS:
        sam_type, key, what, defaults = _BATCH_EVENTS[kind]
        parameter = f"{name}SourceArn"
        properties = {
            key: {"Ref": parameter},
            **defaults,
            "FunctionResponseTypes": ["ReportBatchItemFailures"],
        }
        description = f"ARN of {what} that feeds {name}"
        return {f"{name}Source": {"Type": sam_type, "Properties": properties}}, {
            parameter: {"Type": "String", "Description": description}
        }
    if kind == "eventbridge":
        sources = getattr(service, "sources", None)
        detail_types = getattr(service, "detail_types", None)
        if sources == ("aws.events",) and detail_types == ("Scheduled Event",):
            parameter = f"{name}ScheduleExpression"
            return {
                f"{name}Schedule": {"Type": "Schedule", "Properties": {"Schedule": {"Ref": parameter}}}
            }, {
                parameter: {
                    "Type": "String",
                    "Default": "rate(1 day)",
                    "Description": f"when {name} runs: rate(...) or cron(...)",
                }
            }
        pattern: dict[str, Any] = {}
        if sources:
            pattern["source"] = list(sources)
        if detail_types:
            pattern["detail-type"] = list(detail_types)
        if not pattern:
            return {}, {}
        return {f"{name}Rule": {"Type": "EventBridgeRule", "Properties": {"Pattern": pattern}}}, {}
    return {}, {}


def _parameter_id(name: str) -> str:
    return _camel(name.lower().replace("_", " ")) or name


def _sub(text: str, params: Mapping[str, str]) -> Any:
    """``text`` with ``{NAME}`` placeholders as ``${Param}``; a ``Fn::Sub`` when it substitutes."""

    def repl(name: str) -> str:
        if name in LAMBDA_SETS:
            return "${" + LAMBDA_SETS[name] + "}"
        return "${" + params[name] + "}"

    replaced = substitute_environment(text, repl)
    return {"Fn::Sub": replaced} if "${" in replaced else replaced


def _placeholders(value: Any) -> set[str]:
    if isinstance(value, str):
        return environment_names(value)
    if isinstance(value, Mapping):
        return set().union(*(_placeholders(v) for v in value.values())) if value else set()
    if isinstance(value, (list, tuple)):
        return set().union(*(_placeholders(v) for v in value)) if value else set()
    return set()


def build_template(
    functions: Sequence[FunctionSpec],
    *,
    python: str = "3.12",
    arch: str = "x86_64",
    memory: int = DEFAULT_MEMORY_MB,
    timeout: int = DEFAULT_TIMEOUT_S,
    api: str = "http",
    function_url: bool = False,
    auth: str = "AWS_IAM",
    code_uri: str = "dist/function.zip",
    env: Mapping[str, str] | None = None,
    description: str = "pypwext services",
) -> dict[str, Any]:
    """The SAM template (a dict) for ``functions``.

    ``api`` is ``"http"`` (HttpApi events, the default), ``"rest"`` (Api events) or ``"none"``
    (routes are ignored); ``function_url`` adds a Function URL with ``auth`` (``AWS_IAM`` or
    ``NONE``) to every function. ``env`` sets environment variables, and the defaults of the
    parameters that fill the dependencies' ``{PLACEHOLDERS}``.
    """
    if api not in ("http", "rest", "none"):
        raise TemplateError(f"api must be http, rest or none, got {api!r}")
    if auth not in ("AWS_IAM", "NONE"):
        raise TemplateError(f"auth must be AWS_IAM or NONE, got {auth!r}")
    env = dict(env or {})
    needed: set[str] = set()
    for spec in functions:
        for dep in spec.dependencies:
            needed |= _placeholders(dep.describe()) | _placeholders(dep.iam_actions())
    needed -= set(LAMBDA_SETS)
    params = {name: _parameter_id(name) for name in sorted(needed)}
    parameters: dict[str, Any] = {}
    for name, pid in params.items():
        parameter: dict[str, Any] = {"Type": "String", "Description": f"environment variable {name}"}
        if name in env:
            parameter["Default"] = env[name]
        parameters[pid] = parameter
    resources: dict[str, Any] = {}
    outputs: dict[str, Any] = {}
    kinds: set[str] = set()
    for spec in functions:
        variables: dict[str, Any] = {k: v for k, v in sorted(env.items()) if k not in params}
        used: set[str] = set()
        statements: dict[str, set[str]] = {}
        for dep in spec.dependencies:
            used |= _placeholders(dep.describe()) | _placeholders(dep.iam_actions())
            for action, resource in dep.iam_actions():
                statements.setdefault(resource, set()).add(action)
        for name in sorted(used - set(LAMBDA_SETS)):
            variables[name] = {"Ref": params[name]}
        props: dict[str, Any] = {
            "CodeUri": code_uri,
            "Handler": spec.handler,
            "Runtime": f"python{python}",
            "Architectures": [arch],
            "MemorySize": memory,
            "Timeout": timeout,
            "Description": ", ".join(s._pypwext_spec.operation for s in spec.services),
        }
        if variables:
            props["Environment"] = {"Variables": dict(sorted(variables.items()))}
        if statements:
            props["Policies"] = [
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {"Effect": "Allow", "Action": sorted(actions), "Resource": _sub(resource, params)}
                        for resource, actions in sorted(statements.items())
                    ],
                }
            ]
        events: dict[str, Any] = {}
        if api != "none" and spec.routes:
            kind = "HttpApi" if api == "http" else "Api"
            kinds.add(kind)
            for method, path in spec.routes:
                name = _camel(f"{method.lower()} {path}") or "Root"
                events[name] = {"Type": kind, "Properties": {"Path": path, "Method": method}}
        for service in spec.services:
            source_events, source_parameters = _source_events(service)
            events.update(source_events)
            parameters.update(source_parameters)
        if events:
            props["Events"] = events
        if function_url:
            props["FunctionUrlConfig"] = {"AuthType": auth}
            outputs[f"{spec.logical_id}Endpoint"] = {
                "Description": f"Function URL of {spec.handler} ({auth})",
                "Value": {"Fn::GetAtt": [f"{spec.logical_id}Url", "FunctionUrl"]},
            }
        resources[spec.logical_id] = {"Type": "AWS::Serverless::Function", "Properties": props}
        outputs[f"{spec.logical_id}Arn"] = {
            "Description": f"ARN of the function of {spec.handler}",
            "Value": {"Fn::GetAtt": [spec.logical_id, "Arn"]},
        }
    if "HttpApi" in kinds:
        outputs["HttpApiUrl"] = {
            "Description": "Base URL of the HTTP API",
            "Value": {
                "Fn::Sub": "https://${ServerlessHttpApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}/"
            },
        }
    if "Api" in kinds:
        outputs["RestApiUrl"] = {
            "Description": "Base URL of the REST API (stage Prod)",
            "Value": {
                "Fn::Sub": "https://${ServerlessRestApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}/Prod/"
            },
        }
    template: dict[str, Any] = {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Transform": "AWS::Serverless-2016-10-31",
        "Description": description,
    }
    if parameters:
        template["Parameters"] = parameters
    template["Resources"] = resources
    template["Outputs"] = outputs
    return template


# --- YAML ---------------------------------------------------------------------------------------

_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_./\-]*\Z")
_RESERVED = frozenset({"y", "n", "yes", "no", "true", "false", "on", "off", "null"})


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if value is None:
        return "null"
    text = str(value)
    if _PLAIN.match(text) and text.lower() not in _RESERVED:
        return text
    return json.dumps(text)  # a JSON string is a YAML double-quoted scalar


def _lines(value: Any, indent: int) -> list[str]:
    pad = " " * indent
    if isinstance(value, Mapping):
        if not value:
            return [pad + "{}"]
        out: list[str] = []
        for key, item in value.items():
            head = f"{pad}{_scalar(key)}:"
            if isinstance(item, (Mapping, list)) and item:
                out.append(head)
                out.extend(_lines(item, indent + 2))
            else:
                out.append(f"{head} {_inline(item)}")
        return out
    if isinstance(value, list):
        if not value:
            return [pad + "[]"]
        out = []
        for item in value:
            if isinstance(item, (Mapping, list)) and item:
                nested = _lines(item, indent + 2)
                out.append(f"{pad}- {nested[0].lstrip()}")
                out.extend(nested[1:])
            else:
                out.append(f"{pad}- {_inline(item)}")
        return out
    return [pad + _scalar(value)]


def _inline(value: Any) -> str:
    if isinstance(value, Mapping):
        return "{}"
    if isinstance(value, list):
        return "[]"
    return _scalar(value)


def to_yaml(data: Mapping[str, Any], comments: Sequence[str] = ()) -> str:
    """``data`` (dicts, lists, strings, numbers, booleans) as block-style YAML, with
    ``comments`` as ``#`` lines on top.

    >>> print(to_yaml({"Resources": {"F": {"Type": "AWS::Serverless::Function", "Events": []}}}))
    Resources:
      F:
        Type: "AWS::Serverless::Function"
        Events: []
    <BLANKLINE>
    """
    head = [f"# {line}".rstrip() for line in comments]
    return "\n".join([*head, *_lines(data, 0)]) + "\n"
