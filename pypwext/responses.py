"""``pypwext.responses`` is an old path, kept for one release: import from :mod:`pypwext.wire` instead.

It re-exports the same names; see docs/migration.md.
"""

from pypwext.wire._responses import *  # noqa: F403
from pypwext.wire._responses import __all__ as __all__
