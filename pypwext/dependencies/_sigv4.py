"""SigV4 for :class:`~pypwext.dependencies.http.Http`, with botocore's own signer.

Hand-written signers get the details of the specification wrong (the canonical query sorts by
encoded name, then value: ``a`` before ``a-b``, ``page`` before ``page2``); botocore's
``SigV4Auth`` is the one AWS's SDK signs with. Credentials come from botocore's chain (in
Lambda: the function's role, from its environment), refreshed when they expire. Imported only
when the first call is signed.
"""

from __future__ import annotations

from typing import Any

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.session import Session
from requests.auth import AuthBase

__all__ = ["SigV4"]

# The headers signed beside Host: the ones no proxy or CDN rewrites on the way (CloudFront in
# front of an edge API changes Accept-Encoding, for one).
_SIGNED = ("content-type", "x-amz-")
_SET = ("Authorization", "X-Amz-Date", "X-Amz-Security-Token")


class SigV4(AuthBase):
    """A ``requests`` auth signing every request (every attempt and redirect) anew."""

    def __init__(self, region: str, service: str, name: str) -> None:
        credentials = Session().get_credentials()
        if credentials is None:
            raise ValueError(
                f"{name}: cannot sign with SigV4: no AWS credentials found (the boto credential chain)"
            )
        self._credentials = credentials
        self.region = region
        self.service = service

    def __call__(self, r: Any) -> Any:
        for name in _SET:  # a re-sent request is signed from scratch
            r.headers.pop(name, None)
        headers = {k: v for k, v in r.headers.items() if k.lower().startswith(_SIGNED)}
        body = r.body.encode("utf-8") if isinstance(r.body, str) else (r.body or b"")
        request = AWSRequest(method=r.method, url=r.url, data=body, headers=headers)
        SigV4Auth(self._credentials.get_frozen_credentials(), self.service, self.region).add_auth(request)
        for name in _SET:
            value = request.headers.get(name)
            if value is not None:
                r.headers[name] = value
        return r
