"""What an HTTP header line may hold: one rule for the answers pypwext writes, the requests its
dependencies send and the requests and answers of ``pypwext serve``.

>>> is_token("X-Api-Key"), is_token("X-Foo\\n"), is_token("a b")
(True, False, False)
>>> has_control("text/plain; q=0.9\\tx"), has_control("a\\r\\nX-Injected: 1")
(False, True)
"""

from __future__ import annotations

from pypwext._lazy import pattern

__all__ = ["has_control", "is_token"]

# RFC 9110's token (a header name); \Z, not $: "X-Foo\n" is not a name
_TOKEN = pattern(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+\Z")
# a field value holds no control character but the tab (CR and LF would start another line)
_CONTROL = pattern(r"[\x00-\x08\x0a-\x1f\x7f]")


def is_token(name: str) -> bool:
    """Whether ``name`` can be a header name (RFC 9110 token)."""
    return _TOKEN().match(name) is not None


def has_control(text: str) -> bool:
    """Whether ``text`` holds a control character other than the tab (CR, LF, NUL...): not
    allowed in a header value, a reason phrase or a request line."""
    return _CONTROL().search(text) is not None
