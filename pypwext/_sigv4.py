"""SigV4 with botocore's own signer: the one signing rule of pypwext (an ``Http`` dependency's
requests, and the traces sent to X-Ray's OTLP endpoint).

Hand-written signers get the details of the specification wrong (the canonical query sorts by
encoded name, then value: ``a`` before ``a-b``, ``page`` before ``page2``); botocore's
``SigV4Auth`` is the one AWS's SDK signs with. Credentials come from botocore's chain (in
Lambda: the function's role, from its environment), refreshed when they expire. Imported only
when the first request is signed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.session import Session

__all__ = ["SigV4", "Signer"]

# The headers a signature covers beside Host, by default: the ones no proxy or CDN rewrites on
# the way (CloudFront in front of an edge API changes Accept-Encoding, for one).
_SIGNED = ("content-type", "x-amz-")
SET_BY_SIGNING = ("Authorization", "X-Amz-Date", "X-Amz-Security-Token")
"""The headers a signature writes; a re-sent request drops them and is signed from scratch."""


class Signer:
    """Signs requests for ``service`` in ``region`` with the credentials botocore finds.

    ``signer(method, url, body, headers)`` returns the headers to add (``Authorization``,
    ``X-Amz-Date``, ``X-Amz-Security-Token`` with temporary credentials); ``signed`` names the
    headers of ``headers`` the signature covers (by lowercase prefix)."""

    def __init__(self, region: str, service: str, *, signed: tuple[str, ...] = _SIGNED) -> None:
        credentials = Session().get_credentials()
        if credentials is None:
            raise ValueError("no AWS credentials found (the boto credential chain)")
        self._credentials = credentials
        self.region = region
        self.service = service
        self.signed = signed

    def __call__(self, method: str, url: str, body: bytes, headers: Mapping[str, str]) -> dict[str, str]:
        covered = {k: v for k, v in headers.items() if k.lower().startswith(self.signed)}
        request = AWSRequest(method=method, url=url, data=body, headers=covered)
        SigV4Auth(self._credentials.get_frozen_credentials(), self.service, self.region).add_auth(request)
        return {name: request.headers[name] for name in SET_BY_SIGNING if name in request.headers}


class SigV4:
    """A ``requests`` auth (any callable taking the prepared request) signing every request,
    every attempt and redirect, anew."""

    def __init__(self, region: str, service: str, name: str) -> None:
        try:
            self._sign = Signer(region, service)
        except ValueError as exc:
            raise ValueError(f"{name}: cannot sign with SigV4: {exc}") from None
        self.region = region
        self.service = service

    def __call__(self, r: Any) -> Any:
        for name in SET_BY_SIGNING:  # a re-sent request is signed from scratch
            r.headers.pop(name, None)
        body = r.body.encode("utf-8") if isinstance(r.body, str) else (r.body or b"")
        r.headers.update(self._sign(r.method, r.url, body, r.headers))
        return r
