"""Application Load Balancer target groups, with multi-value headers off or on: this source's
parse, render, read-back and example event.

* **Parse**: payload 1.0's request shape (read with :func:`pypwext.wire._rest.read_v1`), with
  two differences: ALB passes query names and values URL-encoded (decoded here), and the request
  id is the ``X-Amzn-Trace-Id`` header. Multi-value headers are on exactly when the event has
  ``multiValueHeaders`` (``Request.multi_value``).
* **Render**: ``statusCode``, ``statusDescription`` (``"201 Created"``), ``body``,
  ``isBase64Encoded`` and either ``multiValueHeaders`` (multi-value headers on; cookies as
  ``"Set-Cookie": [...]``) or ``headers``. In ``headers`` a name can appear only once, so several
  cookies are sent under case variants of the name -- ``Set-Cookie``, ``set-Cookie``,
  ``sEt-Cookie``, ... -- which ALB passes through as separate headers and clients read
  case-insensitively: every cookie is delivered (up to 512 of them).
* **Read-back** (as ALB does it, for ``pypwext serve``): an object with ``statusCode`` and no
  other top-level key than ``statusDescription``, ``headers``, ``multiValueHeaders``, ``body``,
  ``isBase64Encoded``; the header map that matches the target group's mode; a body of at most
  1 MB.
* **Example event**: :func:`example_event`, behind :func:`pypwext.testing.alb_event`.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from http import HTTPStatus
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from pypwext._headers import has_control
from pypwext.wire._reading import H, MakeHeaders, Parts
from pypwext.wire._rest import read_v1
from pypwext.wire._writing import (
    HttpAnswer,
    Merged,
    Rejected,
    answer_body,
    answer_multi_map,
    answer_status,
    answer_str_map,
    joined,
    require_object,
)

if TYPE_CHECKING:
    from pypwext.wire._examples import Values

__all__ = ["BODY_LIMIT", "example_event", "parse", "read_back", "render"]

BODY_LIMIT = 1024 * 1024
"""The largest body an ALB takes from a Lambda function."""


# --- parse -----------------------------------------------------------------------------------


def parse(event: Mapping[str, Any], ctx: Mapping[str, Any], make_headers: MakeHeaders[H]) -> Parts[H]:
    """The parts of an ALB event, in the order :func:`pypwext.wire.parse_request` wants them."""
    parts = read_v1(event, make_headers, True, None)
    return (*parts[:8], parts[2].get("x-amzn-trace-id"))


# --- render ----------------------------------------------------------------------------------

# The status line for every status a Response can have: the known ones from HTTPStatus's
# members (no exception per unknown code at import), the others "NNN Unknown".
_STATUS_LINE: dict[int, str] = {code: f"{code} Unknown" for code in range(100, 600)}
_STATUS_LINE.update({s.value: f"{s.value} {s.phrase}" for s in HTTPStatus})


def _case_variants(name: str) -> tuple[str, ...]:
    """Every spelling of ``name`` that differs only in letter case, ``name`` itself first."""
    letters = [i for i, ch in enumerate(name) if ch.isalpha()]
    variants = []
    for mask in range(2 ** len(letters)):
        chars = list(name)
        for bit, index in enumerate(letters):
            if mask >> bit & 1:
                chars[index] = chars[index].swapcase()
        variants.append("".join(chars))
    return tuple(variants)


_SET_COOKIE_COUNT = 2 ** sum(ch.isalpha() for ch in "Set-Cookie")
_set_cookie_names: tuple[str, ...] = ()


def _set_cookie_names_for(count: int) -> tuple[str, ...]:
    """The first ``count`` spellings of Set-Cookie (the 512 of them are built on first need)."""
    global _set_cookie_names
    if count <= 1:
        return ("Set-Cookie",)[:count]
    if not _set_cookie_names:
        _set_cookie_names = _case_variants("Set-Cookie")
    return _set_cookie_names[:count]


def render(
    status: int, text: str, b64: bool, merged: Merged, cookies: list[str], multi_value: bool
) -> dict[str, Any]:
    """The ALB answer for an encoded body and the merged headers and cookies; ``multi_value``:
    the target group has multi-value headers on."""
    out: dict[str, Any] = {"statusCode": status, "statusDescription": _STATUS_LINE[status]}
    if multi_value:
        multi_headers = {name: values for name, values, _ in merged.values()}
        if cookies:
            multi_headers["Set-Cookie"] = cookies
        out["multiValueHeaders"] = multi_headers
    else:
        if len(cookies) > _SET_COOKIE_COUNT:
            raise ValueError(
                f"an ALB response without multi-value headers carries at most {_SET_COOKIE_COUNT} cookies"
            )
        headers = joined(merged)
        if cookies:
            headers.update(zip(_set_cookie_names_for(len(cookies)), cookies, strict=True))
        out["headers"] = headers
    out["body"] = text
    out["isBase64Encoded"] = b64
    return out


# --- read back -------------------------------------------------------------------------------

_KEYS = frozenset(
    {"statusCode", "statusDescription", "headers", "multiValueHeaders", "body", "isBase64Encoded"}
)


def read_back(result: Any, multi_value: bool = False) -> HttpAnswer:
    """What an ALB answers the client for the function's ``result`` (headers unchecked);
    :class:`~pypwext.wire._writing.Rejected` when it would refuse it."""
    result = require_object(result, _KEYS, "an Application Load Balancer")
    status = answer_status(result)
    description = result.get("statusDescription")
    if description is not None and not isinstance(description, str):
        raise Rejected(f"statusDescription must be a string, got {description!r}")
    if description is not None and has_control(description):
        raise Rejected("statusDescription holds a CR, LF or other control character")
    reason = description.split(" ", 1)[1] if description and " " in description else None
    single_headers = answer_str_map(result.get("headers"), "headers")
    if multi_value:
        if "headers" in result and "multiValueHeaders" not in result:
            raise Rejected(
                "the target group has multi-value headers on: answer with multiValueHeaders, not headers"
            )
        multi_headers = answer_multi_map(result.get("multiValueHeaders"), "multiValueHeaders")
        headers = [(k, v) for k, values in multi_headers.items() for v in values]
    else:
        if "multiValueHeaders" in result:
            raise Rejected(
                "the target group has multi-value headers off: answer with headers, not multiValueHeaders"
            )
        headers = list(single_headers.items())
    body = answer_body(result)
    if len(body) > BODY_LIMIT:
        raise Rejected(f"the body is {len(body)} bytes; an ALB takes at most {BODY_LIMIT} from Lambda")
    return HttpAnswer(status, reason, headers, body)


# --- example event ---------------------------------------------------------------------------


def example_event(
    method: str,
    path: str,
    body: Any = None,
    headers: Mapping[str, Values] | None = None,
    query: Mapping[str, Values] | None = None,
    cookies: Mapping[str, str] | None = None,
    multi_value: bool = False,
    target_group_arn: str | None = None,
    region: str = "us-east-1",
) -> dict[str, Any]:
    """An ALB event with the keys and value types of the real samples; query names and values
    URL-encoded, as ALB passes them on."""
    from pypwext.wire._examples import (  # (examples only: not on the cold path)
        ACCOUNT_ID,
        SOURCE_IP,
        USER_AGENT,
        add_cookie_header,
        cookie_pairs,
        encode_body,
        example_headers,
        multi,
        random_id,
        single,
        token,
        trace_id,
    )

    method = method.upper()
    text, b64, content_type = encode_body(body)
    defaults = {
        "accept": "*/*",
        "host": f"test-alb-{random_id(8)}.{region}.elb.amazonaws.com",
        "user-agent": USER_AGENT,
        "x-amzn-trace-id": trace_id(time.time()),
        "x-forwarded-for": SOURCE_IP,
        "x-forwarded-port": "80",
        "x-forwarded-proto": "http",
    }
    multi_headers = example_headers(defaults, headers, content_type, lower=True)
    add_cookie_header(multi_headers, cookie_pairs(cookies), "cookie")
    multi_query = {
        quote(name, safe=""): [quote(v, safe="") for v in values] for name, values in multi(query).items()
    }
    arn = target_group_arn or (
        f"arn:aws:elasticloadbalancing:{region}:{ACCOUNT_ID}:targetgroup/test/{token(8)}"
    )
    event: dict[str, Any] = {
        "requestContext": {"elb": {"targetGroupArn": arn}},
        "httpMethod": method,
        "path": path,
    }
    if multi_value:
        event["multiValueQueryStringParameters"] = multi_query
        event["multiValueHeaders"] = multi_headers
    else:
        event["queryStringParameters"] = single(multi_query)
        event["headers"] = single(multi_headers)
    event["body"] = text if text is not None else ""
    event["isBase64Encoded"] = b64
    return event
