"""Dependencies a service declares as class attributes (HTTP APIs, Lambda functions, ...)."""

from pypwext.dependencies.base import Dependency
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
