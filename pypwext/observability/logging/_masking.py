"""The two masking rules of log lines that do not need to know a value's type.

* **By name** -- :func:`is_credential_name`: a header, query parameter, cookie or mapping key
  whose name says it carries a credential (``Authorization``, ``X-Auth-Token``, ``api_key``,
  ``X-Amz-Signature``, ``client_secret``...) has its value masked. The rule works on the name
  lower-cased with ``-``, ``_``, ``.`` and spaces folded, so ``X_API_KEY`` and ``x-Api-kEy``
  are one name; it is not a list of known headers.
* **By value** -- :class:`Secrets`: the values that arrived in fields classified PII or
  AUTHORIZATION_INFO (and in credential-bearing headers, query parameters and cookies) during
  one invocation are masked wherever they appear in that invocation's log lines -- copied into
  a plain dict, formatted into an exception message, quoted in a traceback.
  :meth:`Secrets.mask` is applied to the variable part of every line (its message and fields)
  as the last step of encoding it: one pass over the JSON text, nothing at all when the
  invocation has no such value.

This module imports nothing of pypwext's but the JSON string encoder: :mod:`pypwext.observability.logging`
builds on it.
"""

from __future__ import annotations

import re
from contextvars import ContextVar
from urllib.parse import unquote

from pypwext._lazy import pattern
from pypwext.codec import dumps_str

__all__ = [
    "MAX_SECRETS",
    "MIN_SECRET_LENGTH",
    "Secrets",
    "current_secrets",
    "is_credential_name",
    "mask_pairs",
]

MIN_SECRET_LENGTH = 4
"""Values shorter than this (``"7"``, ``"ok"``, ``"Ada"``) are not masked by value: masked
everywhere, they would mask every line. They are still masked where the field that holds them
is known (by its classification or its name)."""

MAX_SECRETS = 4096
"""At most this many distinct values are masked by value in one invocation (a batch of many
records); values past it are masked only where their field is known."""

# A word of a normalised name that marks a credential wherever it appears in the folded name
# ("xapikey", "clientsecret", "xamzsecuritytoken", "proxyauthorization") ...
_STEMS = (
    "passw",
    "passphrase",
    "passcode",
    "secret",
    "token",
    "credential",
    "signature",
    "cookie",
    "session",
    "apikey",
    "authoriz",
    "authentic",
    "csrf",
    "xsrf",
    "privatekey",
    "accesskey",
    "signingkey",
    "subscriptionkey",
    "functionskey",
    "masterkey",
    "accountkey",
)
# ... and short words that do so only as a whole word ("sig", "pwd", "auth").
_WORDS = frozenset({"auth", "oauth", "pwd", "pass", "sig", "jwt", "sid", "otp", "bearer"})
_SPLIT = pattern(r"[^a-z0-9]+")
_RULE_CACHE: dict[str, bool] = {}


def is_credential_name(name: str) -> bool:
    """Whether a header, query parameter or key called ``name`` carries a credential.

    The name is lower-cased and split at anything but letters and digits; it is a credential
    when its folded form contains one of ``passw``, ``secret``, ``token``, ``credential``,
    ``signature``, ``cookie``, ``session``, ``apikey``, ``authoriz``, ``authentic``, ``csrf``
    (and a few ``...key`` compounds: ``accesskey``, ``privatekey``, ``subscriptionkey``), when a
    word starts with ``auth`` (not ``author``/``authority``), when a word is ``sig``, ``pwd``,
    ``pass``, ``jwt``, ``sid``, ``otp`` or ``bearer``, or when the name is just ``key``.

    >>> [is_credential_name(n) for n in ("Proxy-Authorization", "X_API_KEY", "sig", "Accept", "Idempotency-Key")]
    [True, True, True, False, False]
    """
    known = _RULE_CACHE.get(name)
    if known is not None:
        return known
    words = [w for w in _SPLIT().split(name.lower()) if w]
    folded = "".join(words)
    found = (
        any(stem in folded for stem in _STEMS)
        or words == ["key"]
        or any(
            w in _WORDS or (w.startswith("auth") and not (w.startswith("author") and "authoriz" not in w))
            for w in words
        )
    )
    if len(_RULE_CACHE) >= 4096:  # names repeat from one request to the next: this stays small
        _RULE_CACHE.clear()
    _RULE_CACHE[name] = found
    return found


# ``name=value`` after ``?``, ``&`` or ``;`` (a query string, a cookie header) in a line's text;
# the value stops at a JSON string's quote or escape, so masking it keeps the line JSON.
_PAIR = pattern(r"([?&;] ?)([^=&?#;\s\"\\]+)=([^&#;\s\"\\]+)")


def mask_pairs(text: str, mask: str) -> str:
    """``text`` with the value of every credential-bearing ``name=value`` of a query string or
    a cookie header in it (``?api_key=...``, ``&X-Amz-Signature=...``, ``; session=...``)
    replaced by ``mask``: a URL that a library quotes in its exception message carries no
    credential into a log line.

    >>> mask_pairs("GET /x?page=2&api_key=s3cr3t&sig=abc", "***")
    'GET /x?page=2&api_key=***&sig=***'
    """
    if "=" not in text or ("?" not in text and "&" not in text and ";" not in text):
        return text

    def pair(match: re.Match[str]) -> str:
        name = match.group(2)
        if not is_credential_name(unquote(name) if "%" in name else name):
            return match.group()
        return f"{match.group(1)}{name}={mask}"

    return _PAIR().sub(pair, text)


# A JSON string (unrolled: no per-character alternation) or a JSON number.
_TOKEN = pattern(r'"[^"\\]*(?:\\.[^"\\]*)*"|-?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?')
_NUMBER = pattern(r"-?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?\Z")


class Secrets:
    """The values masked by value in one invocation's log lines, with the mask of each.

    Adding a value costs a dict entry; a line costs one substring test per value (the values
    of most invocations are a handful) or, past a few dozen values, one regular-expression
    search, compiled again only when the values have doubled since (a batch adds values record
    by record); only a line that holds a value is rewritten.

    >>> secrets = Secrets()
    >>> secrets.add("ada@example.com", "***")
    >>> secrets.mask('{"note":"mail ada@example.com","n":1}')
    '{"note":"mail ***","n":1}'
    """

    __slots__ = ("_escaped", "_find", "_found", "_numbers", "_tail")

    def __init__(self) -> None:
        self._escaped: dict[str, str] = {}  # the value as it appears inside a JSON string -> its mask
        self._numbers: dict[str, str] = {}  # a value that is also a JSON number -> its mask
        self._tail: list[str] = []  # escaped values the compiled search does not cover yet
        self._find: re.Pattern[str] | None = None
        self._found = 0  # how many values the compiled search covers

    def __bool__(self) -> bool:
        return bool(self._escaped)

    def add(self, value: str, mask: str) -> None:
        """Mask ``value`` (if at least :data:`MIN_SECRET_LENGTH` characters) by ``mask``."""
        if len(value) < MIN_SECRET_LENGTH or len(self._escaped) >= MAX_SECRETS:
            return
        escaped = dumps_str(value)[1:-1]
        if escaped in self._escaped:
            return
        self._escaped[escaped] = mask
        self._tail.append(escaped)
        if value[-1].isdigit() and _NUMBER().match(value):
            self._numbers[value] = mask

    def _hits(self, text: str) -> list[str]:
        tail = self._tail
        if len(tail) > 32 and len(tail) > self._found:  # compile all of them: amortised, as a list grows
            covered = len(tail)  # (a thread may add more meanwhile: they stay in the tail)
            values = list(self._escaped)
            self._find = re.compile("|".join(map(re.escape, sorted(values, key=len, reverse=True))))
            self._found = len(values)
            del tail[:covered]
        hits = [value for value in tail if value in text]
        if self._find is not None:
            hits.extend(set(self._find.findall(text)))
        return hits

    def mask(self, text: str) -> str:
        """``text`` (JSON: a whole line, or the members of an object) with every value masked;
        a number that is one becomes the mask as a string, so the text stays valid JSON."""
        if not self._escaped:
            return text
        hits = self._hits(text)
        if not hits:
            return text
        # inside a JSON string, an escape (\n, \", \u00e9) is one unit: a value never starts
        # in the middle of one, and the mask never splits one
        alternatives = "|".join(map(re.escape, sorted(hits, key=len, reverse=True)))
        in_string = re.compile(f"{alternatives}|\\\\(?:u[0-9a-fA-F]{{4}}|.)")
        escaped, numbers = self._escaped, self._numbers

        def replace(match: re.Match[str]) -> str:
            found = match.group()
            return escaped.get(found, found)

        def token(match: re.Match[str]) -> str:
            found = match.group()
            if found[0] == '"':
                return in_string.sub(replace, found)
            mask = numbers.get(found)
            return found if mask is None else f'"{mask}"'

        return _TOKEN().sub(token, text)


_SECRETS: ContextVar[Secrets | None] = ContextVar("pypwext_log_secrets", default=None)

# Give this context (one invocation) its own set of values (returns a token), and undo that.
set_secrets = _SECRETS.set
reset_secrets = _SECRETS.reset


current_secrets = _SECRETS.get
"""The values masked by value in the running invocation's lines (``None`` outside one): the
context variable's own method, because every line asks."""
