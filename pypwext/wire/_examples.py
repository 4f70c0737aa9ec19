"""What the example events of every HTTP source share: the test account, address and user agent,
random ids, the request body's encoding, header and cookie building, and the time formats.

Each source module builds its own example event with these (``_rest.example_event``...);
:mod:`pypwext.testing` and ``pypwext serve`` call them, so a test event and a local one have the
keys and value types of the real samples in ``fixtures/aws-events``.
"""

from __future__ import annotations

import string
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from typing import Any

from pypwext.wire._writing import JSON, body_text

__all__ = [
    "ACCOUNT_ID",
    "JSON",
    "SOURCE_IP",
    "USER_AGENT",
    "Values",
    "add_cookie_header",
    "as_list",
    "clf_time",
    "client_cert",
    "cookie_pairs",
    "encode_body",
    "example_headers",
    "multi",
    "random_id",
    "single",
    "token",
    "trace_id",
]

Values = str | Sequence[str]
"""One value or several: ``"a"`` or ``["a", "b"]``."""

ACCOUNT_ID = "123456789012"
SOURCE_IP = "127.0.0.1"
USER_AGENT = "pypwext-test"
# Placeholders with the structure of the samples' mutual-TLS client certificate.
_CLIENT_CERT: dict[str, Any] = {
    "clientCertPem": "-----BEGIN CERTIFICATE-----\nTEST\n-----END CERTIFICATE-----",
    "subjectDN": "CN=client.example.com",
    "issuerDN": "CN=Example test issuer",
    "serialNumber": "01:02:03:04:05:06:07:08",
    "validity": {"notBefore": "Jan  1 00:00:00 2024 GMT", "notAfter": "Jan  1 00:00:00 2099 GMT"},
}
_ALPHANUM = string.ascii_lowercase + string.digits


def client_cert() -> dict[str, Any]:
    """A fresh copy of the placeholder client certificate."""
    return {**_CLIENT_CERT, "validity": dict(_CLIENT_CERT["validity"])}


def token(nbytes: int, urlsafe: bool = False) -> str:
    """A random token of ``nbytes`` bytes, in hex or URL-safe base64."""
    import secrets  # (here: it imports random and hashlib, which a function's cold start does not need)

    return secrets.token_urlsafe(nbytes) if urlsafe else secrets.token_hex(nbytes)


def random_id(length: int) -> str:
    """``length`` random lower-case letters and digits."""
    import secrets

    return "".join(secrets.choice(_ALPHANUM) for _ in range(length))


def as_list(value: Values) -> list[str]:
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value]


def multi(values: Mapping[str, Values] | None) -> dict[str, list[str]]:
    return {str(name): as_list(value) for name, value in (values or {}).items()}


def encode_body(body: Any) -> tuple[str | None, bool, str | None]:
    """``(text, is_base64, content type to add)`` for a request body, encoded as an answer's
    (:func:`pypwext.wire._writing.body_text`); only JSON gets a ``Content-Type`` added."""
    text, b64, default_type = body_text(body)
    return text, b64, default_type if default_type == JSON else None


def example_headers(
    defaults: Mapping[str, str],
    given: Mapping[str, Values] | None,
    content_type: str | None,
    lower: bool,
) -> dict[str, list[str]]:
    """Default headers overridden (in any case) by the given ones; names lower-cased if ``lower``."""
    merged: dict[str, tuple[str, list[str]]] = {k.lower(): (k, [v]) for k, v in defaults.items()}
    for name, values in multi(given).items():
        merged[name.lower()] = (name, values)
    if content_type is not None and "content-type" not in merged:
        merged["content-type"] = ("Content-Type", [content_type])
    return {(key if lower else name): values for key, (name, values) in merged.items()}


def cookie_pairs(cookies: Mapping[str, str] | None) -> list[str]:
    return [f"{name}={value}" for name, value in (cookies or {}).items()]


def add_cookie_header(headers: dict[str, list[str]], pairs: list[str], name: str) -> None:
    """Add ``pairs`` to the (last) ``Cookie`` header, or as a new header ``name``."""
    if not pairs:
        return
    for key, values in headers.items():
        if key.lower() == "cookie":
            values[-1] = "; ".join([values[-1], *pairs]) if values else "; ".join(pairs)
            return
    headers[name] = ["; ".join(pairs)]


def single(headers: Mapping[str, list[str]]) -> dict[str, str]:
    """One value per name: the last, as API Gateway and ALB pick it."""
    return {name: values[-1] for name, values in headers.items() if values}


def trace_id(now: float) -> str:
    return f"Root=1-{int(now):08x}-{token(12)}"


def clf_time(now: float) -> str:
    """``04/Mar/2020:19:15:17 +0000``, the request time format of API Gateway."""
    return datetime.fromtimestamp(now, tz=timezone.utc).strftime("%d/%b/%Y:%H:%M:%S +0000")
