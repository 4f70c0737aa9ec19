"""``pypwext.event_classes`` is an old path, kept for one release: import from :mod:`pypwext.wire` instead.

It re-exports the same names; see docs/migration.md.
"""

from pypwext.wire._event_classes import *  # noqa: F403
from pypwext.wire._event_classes import __all__ as __all__
