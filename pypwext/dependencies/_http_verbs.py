"""The call surface of :class:`~pypwext.dependencies.http.HttpClient`: ``get``, ``delete``,
``post``, ``put``, ``patch`` and ``call``, each one request through the client's ``_request``
(the URL, the body, the retries within the deadline: :mod:`pypwext.dependencies._http_client`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar, overload

if TYPE_CHECKING:
    import requests

__all__ = ["HttpVerbs"]

T = TypeVar("T")
U = TypeVar("U")


class HttpVerbs(Generic[T]):
    """The methods a service calls on an HTTP dependency (``self.inventory.get(item_id=7)``)."""

    def _request(
        self,
        method: str | None,
        body: Any,
        query: Mapping[str, Any] | None,
        headers: Mapping[str, str] | None,
        into: Any,
        raw: bool,
        params: dict[str, Any],
    ) -> Any:
        raise NotImplementedError

    def get(
        self,
        *,
        query: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        **params: Any,
    ) -> T:
        """GET the URL; the answer as the declaration says (``response_type`` or JSON)."""
        return self._request("GET", None, query, headers, None, False, params)  # type: ignore[no-any-return]

    def delete(
        self,
        *,
        query: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        **params: Any,
    ) -> T:
        """DELETE the URL."""
        return self._request("DELETE", None, query, headers, None, False, params)  # type: ignore[no-any-return]

    def post(
        self,
        body: Any = None,
        *,
        query: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        **params: Any,
    ) -> T:
        """POST ``body`` (an attrs instance, dataclass, dict or list is sent as JSON; ``str`` and
        ``bytes`` as they are). Not retried unless the declaration says ``retry_post=True``."""
        return self._request("POST", body, query, headers, None, False, params)  # type: ignore[no-any-return]

    def put(
        self,
        body: Any = None,
        *,
        query: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        **params: Any,
    ) -> T:
        """PUT ``body``."""
        return self._request("PUT", body, query, headers, None, False, params)  # type: ignore[no-any-return]

    def patch(
        self,
        body: Any = None,
        *,
        query: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        **params: Any,
    ) -> T:
        """PATCH ``body``. Not retried unless the declaration says ``retry_post=True``."""
        return self._request("PATCH", body, query, headers, None, False, params)  # type: ignore[no-any-return]

    @overload
    def call(
        self,
        method: str | None = None,
        body: Any = None,
        *,
        query: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        into: None = None,
        raw: Literal[False] = False,
        **params: Any,
    ) -> T: ...

    @overload
    def call(
        self,
        method: str | None = None,
        body: Any = None,
        *,
        query: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        into: type[U],
        raw: Literal[False] = False,
        **params: Any,
    ) -> U: ...

    @overload
    def call(
        self,
        method: str | None = None,
        body: Any = None,
        *,
        query: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        into: None = None,
        raw: Literal[True],
        **params: Any,
    ) -> requests.Response: ...

    def call(
        self,
        method: str | None = None,
        body: Any = None,
        *,
        query: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        into: Any = None,
        raw: bool = False,
        **params: Any,
    ) -> Any:
        """Send one request (retries included) and return the answer.

        ``into`` structures the JSON answer into a type (a structuring failure is a
        ``DependencyError`` saying the dependency answered something unexpected); ``raw=True``
        returns the ``requests.Response`` whatever its status. Otherwise the answer is the
        declaration's ``response_type``, or the parsed JSON, or the text of a non-JSON answer,
        or ``None`` for an empty body.
        """
        return self._request(method, body, query, headers, into, raw, params)
