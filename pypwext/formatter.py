"""``pypwext.formatter`` is an old path, kept for one release: import from :mod:`pypwext.observability.logging` instead.

It re-exports the same names; see docs/migration.md.
"""

from pypwext.observability.logging._formatter import *  # noqa: F403
from pypwext.observability.logging._formatter import __all__ as __all__
