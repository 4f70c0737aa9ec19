"""CORS as a class option: ``cors = Cors(origins=["https://shop.example"])``.

With ``cors`` set, a browser's preflight (``OPTIONS`` with ``Origin`` and
``Access-Control-Request-Method``) is answered without running the lifecycle, and every other
response to an allowed origin carries ``Access-Control-Allow-Origin`` (and the other headers the
options ask for).
"""

from __future__ import annotations

from collections.abc import Iterable

import attrs

from pypwext.wire._events import Request
from pypwext.wire._responses import Response

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

    def apply(self, response: Response, request: Request) -> Response:
        """``response`` with the CORS headers of an actual (non-preflight) response to an allowed
        origin: a new :class:`Response` (the service's own is never written to, it may be a
        constant), or ``response`` itself when the origin is not allowed.

        A header the service set under a CORS name (in any case) is replaced; its ``Vary``
        values are kept, ``Origin`` added once.
        """
        allowed = self.allow_origin(request.origin)
        if allowed is None:
            return response
        ours = {"Access-Control-Allow-Origin": allowed}
        if self.credentials:
            ours["Access-Control-Allow-Credentials"] = "true"
        if self.expose_headers:
            ours["Access-Control-Expose-Headers"] = ", ".join(self.expose_headers)
        replaced = {name.lower() for name in ours}
        headers = {k: v for k, v in response.headers.items() if k.lower() not in replaced}
        multi = {k: v for k, v in response.multi_headers.items() if k.lower() not in replaced}
        headers.update(ours)
        if allowed != "*":
            _vary_origin(headers, multi)
        return attrs.evolve(response, headers=headers, multi_headers=multi)


def _vary_origin(headers: dict[str, str], multi: dict[str, list[str]]) -> None:
    """Add ``Origin`` to the ``Vary`` header in ``headers``/``multi`` (the copies being built),
    keeping the values already there and adding nothing they already name."""
    seen: list[str] = []
    for mapping in (headers, multi):
        for name, value in mapping.items():
            if name.lower() == "vary":
                values = [value] if isinstance(value, str) else [str(v) for v in value]
                seen.extend(part.strip().lower() for v in values for part in str(v).split(","))
    if "origin" in seen or "*" in seen:
        return
    for name, value in headers.items():
        if name.lower() == "vary":
            headers[name] = f"{value}, Origin" if str(value).strip() else "Origin"
            return
    for name, values in multi.items():
        if name.lower() == "vary":
            multi[name] = [*([values] if isinstance(values, str) else values), "Origin"]
            return
    headers["Vary"] = "Origin"
