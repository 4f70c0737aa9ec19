"""``pypwext.packaging`` is an old path, kept for one release: import from :mod:`pypwext.tools.packaging` instead.

It re-exports the same names; see docs/migration.md.
"""

from pypwext.tools.packaging import *  # noqa: F403
from pypwext.tools.packaging import __all__ as __all__
