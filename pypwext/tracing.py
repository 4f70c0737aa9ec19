"""``pypwext.tracing`` is an old path, kept for one release: import from :mod:`pypwext.observability.tracing` instead.

It re-exports the same names; see docs/migration.md.
"""

from pypwext.observability.tracing import *  # noqa: F403
from pypwext.observability.tracing import __all__ as __all__
