"""URL templates of :class:`~pypwext.dependencies.http.Http`: ``"https://{HOST}/v1/items/{item_id}"``.

The one place that decides what a value may do to a URL: path and query values are escaped
(every reserved character), a path value is one segment (never ``.``, ``..`` or empty), a host
value from a call is a plain host name. Also which hosts are AWS endpoints pypwext signs, and
what an origin is (for redirects).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, unquote, urlencode, urlsplit

from pypwext import _placeholders
from pypwext._lazy import pattern
from pypwext.dependencies import _template
from pypwext.errors import BadRequest

__all__ = ["UrlTemplate", "aws_endpoint"]

_CALL_ARGUMENTS = frozenset({"method", "body", "query", "headers", "into", "raw"})
# Scheme and authority of a URL (or of a template: ``{INVENTORY_URL}`` counts as authority).
_AUTHORITY = pattern(r"(?:[A-Za-z][A-Za-z0-9+.-]*://)?[^/?#]*")
_HOST_VALUE = pattern(r"[A-Za-z0-9.-]+\Z")
_EXECUTE_API = pattern(r"[^./]+\.execute-api\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?\Z")
_LAMBDA_URL = pattern(r"[^./]+\.lambda-url\.([a-z0-9-]+)\.on\.aws\Z")
_DOT_SEGMENTS = frozenset({".", ".."})
_CONTROL = pattern(r"[\x00-\x20\x7f]")


class UrlTemplate:
    """A URL with ``{name}`` placeholders, filled from call arguments first and, for UPPERCASE
    names, from environment variables second.

    Values in the path and query are percent-escaped, every reserved character included (a
    ``/`` in a value becomes ``%2F``, so a value cannot add path segments), and a value in the
    path may not be ``.``, ``..`` (or an encoding of them) or empty: it is one segment of the
    path, it never moves the request to another one (a :class:`~pypwext.errors.BadRequest`).
    Values in the scheme and host part are inserted as they are when they come from the
    environment (``{INVENTORY_URL}`` may hold ``https://host:8443/base``), and must be plain
    host names when they come from a call.

    >>> t = UrlTemplate("https://{HOST}/v1/items/{item_id}")
    >>> t.fill({"item_id": "a b/c", "HOST": "api.example.com"}, owner="inventory")[0]
    'https://api.example.com/v1/items/a%20b%2Fc'
    >>> t.fill({"HOST": "api.example.com"}, owner="inventory")
    Traceback (most recent call last):
    ...
    ValueError: inventory: the URL template 'https://{HOST}/v1/items/{item_id}' needs {item_id}: pass item_id=...
    """

    def __init__(self, template: str) -> None:
        if not isinstance(template, str) or not template:
            raise ValueError(f"a URL template must be a non-empty string, got {template!r}")
        self.template = template
        authority_end = _AUTHORITY().match(template)
        end = authority_end.end() if authority_end else 0
        self._pieces: list[tuple[str, str | None, bool, bool]] = []  # (literal, name, authority, path)
        query_at = min((i for i in (template.find("?"), template.find("#")) if i >= 0), default=len(template))
        self.names: tuple[str, ...] = ()
        pos = 0
        names: list[str] = []
        for field in _placeholders.fields(template, "URL template"):
            name = field.name
            if name in _CALL_ARGUMENTS:
                raise ValueError(
                    f"the URL template {template!r} uses {{{name}}}, which is an argument of the "
                    f"client's call() ({', '.join(sorted(_CALL_ARGUMENTS))}); rename the placeholder"
                )
            in_authority = field.start < end
            in_path = not in_authority and field.start < query_at
            self._pieces.append((template[pos : field.start], name, in_authority, in_path))
            pos = field.end
            if name not in names:
                names.append(name)
        self._tail = template[pos:]
        self.names = tuple(names)
        scheme = template.split("://", 1)[0].lower() if "://" in template.split("{", 1)[0] else None
        if scheme is not None and scheme not in ("http", "https"):
            raise ValueError(f"the URL template {template!r} must be an http:// or https:// URL")

    def fill(self, values: Mapping[str, Any], owner: str) -> tuple[str, set[str]]:
        """The URL with every placeholder filled, and the names of ``values`` it used.

        Raises ``ValueError`` naming a placeholder that neither ``values`` nor the environment
        fills, or a call value that is not a host name in the host part;
        :class:`~pypwext.errors.BadRequest` for a path value that is ``.``, ``..`` or empty.
        """
        out: list[str] = []
        used: set[str] = set()
        for literal, name, in_authority, in_path in self._pieces:
            out.append(literal)
            assert name is not None
            from_call = values.get(name) is not None
            text = _template.lookup(name, {name: _as_text(values[name])} if from_call else {})
            if text is None:
                raise ValueError(_template.missing(name, f"{owner}: the URL template {self.template!r}"))
            if from_call:
                used.add(name)
                if in_authority and not _HOST_VALUE().match(text):
                    raise ValueError(
                        f"{owner}: {name}={text!r} cannot go into the host part of "
                        f"{self.template!r}: only letters, digits, '.' and '-' may"
                    )
            if in_path and _is_dot_or_empty(text):
                raise BadRequest.invalid(
                    "invalid request", (name, "must not be empty, '.' or '..': it is one segment of a path")
                )
            # a host part from the environment may hold a whole base URL; path and query
            # values are escaped so that they cannot add segments
            out.append(text if in_authority else quote(text, safe=""))
        out.append(self._tail)
        url = "".join(out)
        if _CONTROL().search(url):
            raise ValueError(
                f"{owner}: the URL template {self.template!r} filled to a URL with a space or a "
                "control character (from the environment?)"
            )
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(
                f"{owner}: the URL template {self.template!r} filled to {parts.scheme or '?'}://"
                f"{parts.hostname or '?'}...: an http:// or https:// URL with a host is needed"
            )
        return url, used

    def host_pattern(self) -> str | None:
        """The host part of the template, placeholders kept, without a port (``None`` when the
        whole scheme-and-host part is a placeholder)."""
        match = _AUTHORITY().match(self.template)
        authority = match.group(0) if match else ""
        if "://" not in authority:
            return None
        host = authority.split("://", 1)[1].rsplit("@", 1)[-1]
        if ":" in host and not host.endswith("}"):
            host = host.rsplit(":", 1)[0]
        return host or None

    def __repr__(self) -> str:
        return f"UrlTemplate({self.template!r})"


def _is_dot_or_empty(text: str) -> bool:
    """``True`` for a value that would not be one path segment: empty, ``.``, ``..``, or an
    encoding of them (``%2e%2e``, ``%2E.``, ``%252e``... decoded until nothing changes)."""
    for _ in range(4):
        if not text or text in _DOT_SEGMENTS:
            return True
        decoded = unquote(text)
        if decoded == text:
            return False
        text = decoded
    return True  # still encoded after four rounds: no honest value looks like that


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, enum.Enum):
        return str(value.value)
    return str(value)


def aws_endpoint(host: str) -> tuple[str, str] | None:
    """``(signing service, region)`` of an AWS endpoint that pypwext signs on its own, else None.

    >>> aws_endpoint("abc123.execute-api.eu-north-1.amazonaws.com")
    ('execute-api', 'eu-north-1')
    >>> aws_endpoint("xyz.lambda-url.us-east-1.on.aws")
    ('lambda', 'us-east-1')
    >>> aws_endpoint("api.example.com") is None
    True
    """
    host = host.lower().rstrip(".")
    match = _EXECUTE_API().match(host)
    if match:
        return "execute-api", match.group(1)
    match = _LAMBDA_URL().match(host)
    if match:
        return "lambda", match.group(1)
    return None


def _encode_query(query: Mapping[str, Any]) -> str:
    pairs: list[tuple[str, str]] = []
    for key, value in query.items():
        if value is None:
            continue
        values = value if isinstance(value, (list, tuple)) else [value]
        pairs.extend((str(key), _as_text(v)) for v in values if v is not None)
    return urlencode(pairs, quote_via=quote, safe="-_.~")


def _origin(url: str) -> tuple[str, str, int | None] | None:
    """``(scheme, host, port)`` of ``url``; ``None`` for one with credentials in it (never
    followed) or that does not parse."""
    try:
        parts = urlsplit(url)
        port = parts.port or {"http": 80, "https": 443}.get(parts.scheme.lower())
    except ValueError:
        return None
    if parts.username is not None or parts.password is not None or not parts.hostname:
        return None
    return parts.scheme.lower(), parts.hostname.lower().rstrip("."), port
