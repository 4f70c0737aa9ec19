"""Dependencies a service declares as class attributes (HTTP APIs, Lambda functions, ...)."""

from pypwext.dependencies.base import Dependency
from pypwext.dependencies.fanout import fan_out
from pypwext.dependencies.http import Http, HttpClient

__all__ = ["Dependency", "Http", "HttpClient", "fan_out"]
