"""``pypwext.context`` is an old path, kept for one release: import from :mod:`pypwext.observability` instead.

It re-exports the same names; see docs/migration.md.
"""

from pypwext.observability._context import *  # noqa: F403
from pypwext.observability._context import __all__ as __all__
