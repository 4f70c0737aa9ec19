"""``pypwext.events`` is an old path, kept for one release: import from :mod:`pypwext.wire` instead.

It re-exports the same names; see docs/migration.md.
"""

from pypwext.wire._events import *  # noqa: F403
from pypwext.wire._events import __all__ as __all__
