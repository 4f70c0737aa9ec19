"""CORS as a class option: ``cors = Cors(origins=["https://shop.example"])``.

With ``cors`` set, a browser's preflight (``OPTIONS`` with ``Origin`` and
``Access-Control-Request-Method``) is answered without running the lifecycle, and every other
response to an allowed origin carries ``Access-Control-Allow-Origin`` (and the other headers the
options ask for).
"""

from __future__ import annotations

from collections.abc import Iterable

import attrs

from pypwext.events import Request
from pypwext.responses import Response

__all__ = ["Cors"]


def _names(values: Iterable[str]) -> tuple[str, ...]:
    if isinstance(values, str):
        return (values,)
    return tuple(values)


def _upper(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(v.upper() for v in _names(values))


@attrs.frozen
class Cors:
    """Which cross-origin browser requests a service accepts.

    >>> Cors(origins=["https://shop.example"], credentials=True).allow_origin("https://shop.example")
    'https://shop.example'

    ``origins=["*"]`` allows every origin, but not together with ``credentials=True`` (browsers
    refuse that combination, so it fails at import instead).
    """

    origins: tuple[str, ...] = attrs.field(default=("*",), converter=_names)
    methods: tuple[str, ...] = attrs.field(
        default=("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"), converter=_upper
    )
    headers: tuple[str, ...] = attrs.field(
        default=("Content-Type", "Authorization", "X-Api-Key", "X-Amz-Date", "X-Amz-Security-Token"),
        converter=_names,
    )
    expose_headers: tuple[str, ...] = attrs.field(default=(), converter=_names)
    credentials: bool = False
    max_age: int | None = 600

    def __attrs_post_init__(self) -> None:
        if self.credentials and "*" in self.origins:
            raise ValueError(
                "Cors(credentials=True) needs explicit origins, not '*': browsers refuse that pair"
            )
        if self.max_age is not None and self.max_age < 0:
            raise ValueError("Cors(max_age=...) must be >= 0 seconds")

    def allow_origin(self, origin: str | None) -> str | None:
        """The ``Access-Control-Allow-Origin`` value for ``origin``, or ``None`` when not allowed."""
        if not origin:
            return None
        if "*" in self.origins:
            return "*"
        return origin if origin in self.origins else None

    def is_preflight(self, request: Request) -> bool:
        """Whether ``request`` is a browser's CORS preflight."""
        return (
            request.method == "OPTIONS"
            and request.origin is not None
            and request.headers.get("access-control-request-method") is not None
        )

    def preflight(self, request: Request) -> Response:
        """The answer to a preflight: 204 with the allowed methods and headers, or 403."""
        allowed = self.allow_origin(request.origin)
        wanted = (request.headers.get("access-control-request-method") or "").upper()
        if allowed is None or wanted not in self.methods:
            return Response(403, headers={"Vary": "Origin"})
        headers = {
            "Access-Control-Allow-Origin": allowed,
            "Access-Control-Allow-Methods": ", ".join(self.methods),
            "Access-Control-Allow-Headers": ", ".join(self.headers),
            "Vary": "Origin",
        }
        if self.credentials:
            headers["Access-Control-Allow-Credentials"] = "true"
        if self.max_age is not None:
            headers["Access-Control-Max-Age"] = str(self.max_age)
        return Response(204, headers=headers)

    def apply(self, response: Response, request: Request) -> None:
        """Add the CORS headers of an actual (non-preflight) response to an allowed origin."""
        allowed = self.allow_origin(request.origin)
        if allowed is None:
            return
        response.headers["Access-Control-Allow-Origin"] = allowed
        if allowed != "*":
            response.headers["Vary"] = "Origin"
        if self.credentials:
            response.headers["Access-Control-Allow-Credentials"] = "true"
        if self.expose_headers:
            response.headers["Access-Control-Expose-Headers"] = ", ".join(self.expose_headers)
