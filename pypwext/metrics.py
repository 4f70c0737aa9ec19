"""``pypwext.metrics`` is an old path, kept for one release: import from :mod:`pypwext.observability` instead.

It re-exports the same names; see docs/migration.md.
"""

from pypwext.observability._metrics import *  # noqa: F403
from pypwext.observability._metrics import __all__ as __all__
