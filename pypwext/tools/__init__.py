"""The laptop tools, which never run in Lambda: the ``pypwext`` command, ``pypwext serve``, packaging, templates, deploy and the OpenAPI document.

``import pypwext`` imports nothing from here.
"""

from typing import TYPE_CHECKING

from pypwext._lazy import exports

_HOMES = {
    "field_constraints": "pypwext.tools._openapi_constraints",
    "validator_constraints": "pypwext.tools._openapi_constraints",
    "DEPENDENCY_CODES": "pypwext.tools._openapi_errors",
    "operation_errors": "pypwext.tools._openapi_errors",
    "service_errors": "pypwext.tools._openapi_errors",
    "main": "pypwext.tools._cli",
    "BASIC_EXECUTION_POLICY": "pypwext.tools._deploy",
    "DeployError": "pypwext.tools._deploy",
    "DeployResult": "pypwext.tools._deploy",
    "deploy": "pypwext.tools._deploy",
    "handler_in_zip": "pypwext.tools._deploy",
    "resolve_region": "pypwext.tools._deploy",
    "HandlerError": "pypwext.tools._handler_check",
    "Reader": "pypwext.tools._handler_check",
    "check_imported": "pypwext.tools._handler_check",
    "check_static": "pypwext.tools._handler_check",
    "directory_reader": "pypwext.tools._handler_check",
    "explain": "pypwext.tools._handler_check",
    "handler_string": "pypwext.tools._handler_check",
    "split_handler": "pypwext.tools._handler_check",
    "zip_reader": "pypwext.tools._handler_check",
    "TargetError": "pypwext.tools._loader",
    "load_module": "pypwext.tools._loader",
    "resolve_attribute": "pypwext.tools._loader",
    "ERROR_BODY_SCHEMA": "pypwext.tools._openapi",
    "ERROR_SCHEMA": "pypwext.tools._openapi",
    "SchemaBuilder": "pypwext.tools._openapi",
    "openapi_document": "pypwext.tools._openapi",
    "DEFAULT_MEMORY_MB": "pypwext.tools._template",
    "DEFAULT_TIMEOUT_S": "pypwext.tools._template",
    "FunctionSpec": "pypwext.tools._template",
    "TemplateError": "pypwext.tools._template",
    "build_template": "pypwext.tools._template",
    "discover": "pypwext.tools._template",
    "to_yaml": "pypwext.tools._template",
}

if TYPE_CHECKING:
    from pypwext.tools._cli import main
    from pypwext.tools._deploy import (
        BASIC_EXECUTION_POLICY,
        DeployError,
        DeployResult,
        deploy,
        handler_in_zip,
        resolve_region,
    )
    from pypwext.tools._handler_check import (
        HandlerError,
        Reader,
        check_imported,
        check_static,
        directory_reader,
        explain,
        handler_string,
        split_handler,
        zip_reader,
    )
    from pypwext.tools._loader import TargetError, load_module, resolve_attribute
    from pypwext.tools._openapi import ERROR_BODY_SCHEMA, ERROR_SCHEMA, SchemaBuilder, openapi_document
    from pypwext.tools._openapi_constraints import field_constraints, validator_constraints
    from pypwext.tools._openapi_errors import DEPENDENCY_CODES, operation_errors, service_errors
    from pypwext.tools._template import (
        DEFAULT_MEMORY_MB,
        DEFAULT_TIMEOUT_S,
        FunctionSpec,
        TemplateError,
        build_template,
        discover,
        to_yaml,
    )

__all__ = [
    "BASIC_EXECUTION_POLICY",
    "DEFAULT_MEMORY_MB",
    "DEFAULT_TIMEOUT_S",
    "DEPENDENCY_CODES",
    "ERROR_BODY_SCHEMA",
    "ERROR_SCHEMA",
    "DeployError",
    "DeployResult",
    "FunctionSpec",
    "HandlerError",
    "Reader",
    "SchemaBuilder",
    "TargetError",
    "TemplateError",
    "build_template",
    "check_imported",
    "check_static",
    "deploy",
    "directory_reader",
    "discover",
    "explain",
    "field_constraints",
    "handler_in_zip",
    "handler_string",
    "load_module",
    "main",
    "openapi_document",
    "operation_errors",
    "resolve_attribute",
    "resolve_region",
    "service_errors",
    "split_handler",
    "to_yaml",
    "validator_constraints",
    "zip_reader",
]

__getattr__, __dir__ = exports(__name__, _HOMES, __all__)
