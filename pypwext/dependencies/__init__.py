"""Dependencies a service declares as class attributes (HTTP APIs, Lambda functions, ...).

Each kind is imported on first use, so a service pays only for the kinds it declares.
"""

from typing import TYPE_CHECKING

from pypwext._lazy import exports
from pypwext.runtime._dependency import Dependency

_LAZY = {
    "fan_out": "pypwext.dependencies.fanout",
    "Http": "pypwext.dependencies.http",
    "HttpClient": "pypwext.dependencies.http",
    "LambdaClient": "pypwext.dependencies.lambda_",
    "LambdaFunction": "pypwext.dependencies.lambda_",
    "Parameter": "pypwext.dependencies.parameters",
    "Secret": "pypwext.dependencies.parameters",
}

if TYPE_CHECKING:
    from pypwext.dependencies.fanout import fan_out
    from pypwext.dependencies.http import Http, HttpClient
    from pypwext.dependencies.lambda_ import LambdaClient, LambdaFunction
    from pypwext.dependencies.parameters import Parameter, Secret

__all__ = [
    "Dependency",
    "Http",
    "HttpClient",
    "LambdaClient",
    "LambdaFunction",
    "Parameter",
    "Secret",
    "fan_out",
]


__getattr__, __dir__ = exports(__name__, _LAZY, __all__)
