"""What the event factories share: the test account, addresses and user agent, random ids,
header and cookie building, and the time formats the sources use."""

from __future__ import annotations

import base64
import secrets
import string
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from typing import Any

from pypwext import codec

Values = str | Sequence[str]
"""One value or several: ``"a"`` or ``["a", "b"]``."""

_ACCOUNT_ID = "123456789012"
_SOURCE_IP = "127.0.0.1"
_USER_AGENT = "pypwext-test"
_JSON = "application/json"
# Placeholders with the structure of the samples' mutual-TLS client certificate.
_CLIENT_CERT: dict[str, Any] = {
    "clientCertPem": "-----BEGIN CERTIFICATE-----\nTEST\n-----END CERTIFICATE-----",
    "subjectDN": "CN=client.example.com",
    "issuerDN": "CN=Example test issuer",
    "serialNumber": "01:02:03:04:05:06:07:08",
    "validity": {"notBefore": "Jan  1 00:00:00 2024 GMT", "notAfter": "Jan  1 00:00:00 2099 GMT"},
}
_ALPHANUM = string.ascii_lowercase + string.digits


def _random_id(length: int) -> str:
    return "".join(secrets.choice(_ALPHANUM) for _ in range(length))


def _as_list(value: Values) -> list[str]:
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value]


def _multi(values: Mapping[str, Values] | None) -> dict[str, list[str]]:
    return {str(name): _as_list(value) for name, value in (values or {}).items()}


def _encode_body(body: Any) -> tuple[str | None, bool, str | None]:
    """``(text, is_base64, content type to add)`` for a request body."""
    if body is None:
        return None, False, None
    if isinstance(body, str):
        return body, False, None
    if isinstance(body, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(body)).decode("ascii"), True, None
    return codec.dumps(body), False, _JSON


def _headers(
    defaults: Mapping[str, str],
    given: Mapping[str, Values] | None,
    content_type: str | None,
    lower: bool,
) -> dict[str, list[str]]:
    """Default headers overridden (in any case) by the given ones; names lower-cased if ``lower``."""
    merged: dict[str, tuple[str, list[str]]] = {k.lower(): (k, [v]) for k, v in defaults.items()}
    for name, values in _multi(given).items():
        merged[name.lower()] = (name, values)
    if content_type is not None and "content-type" not in merged:
        merged["content-type"] = ("Content-Type", [content_type])
    return {(key if lower else name): values for key, (name, values) in merged.items()}


def _cookie_pairs(cookies: Mapping[str, str] | None) -> list[str]:
    return [f"{name}={value}" for name, value in (cookies or {}).items()]


def _add_cookie_header(headers: dict[str, list[str]], pairs: list[str], name: str) -> None:
    if not pairs:
        return
    for key, values in headers.items():
        if key.lower() == "cookie":
            values[-1] = "; ".join([values[-1], *pairs]) if values else "; ".join(pairs)
            return
    headers[name] = ["; ".join(pairs)]


def _single(headers: Mapping[str, list[str]]) -> dict[str, str]:
    """One value per name: the last, as API Gateway and ALB pick it."""
    return {name: values[-1] for name, values in headers.items() if values}


def _trace_id(now: float) -> str:
    return f"Root=1-{int(now):08x}-{secrets.token_hex(12)}"


def _clf_time(now: float) -> str:
    """``04/Mar/2020:19:15:17 +0000``, the request time format of API Gateway."""
    return datetime.fromtimestamp(now, tz=timezone.utc).strftime("%d/%b/%Y:%H:%M:%S +0000")
