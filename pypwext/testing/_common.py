"""What the test toolkit's factories share: the test account, address and JSON media type, and
the ``Values`` annotation -- the example-event pieces of the wire (``pypwext.wire._examples``),
which the HTTP sources' example events are built from, re-exported for the other factories."""

from __future__ import annotations

from pypwext.wire._examples import ACCOUNT_ID as _ACCOUNT_ID
from pypwext.wire._examples import JSON as _JSON
from pypwext.wire._examples import SOURCE_IP as _SOURCE_IP
from pypwext.wire._examples import Values as Values
from pypwext.wire._examples import as_list as _as_list

__all__ = ["_ACCOUNT_ID", "_JSON", "_SOURCE_IP", "Values", "_as_list"]
