"""Dependencies a service declares as class attributes (HTTP APIs, Lambda functions, ...)."""

from pypwext.dependencies.base import Dependency

__all__ = ["Dependency"]
