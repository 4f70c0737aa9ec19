"""``pypwext.idempotency`` is an old path, kept for one release: import from :mod:`pypwext.runtime` instead.

It re-exports the same names; see docs/migration.md.
"""

from pypwext.runtime._idempotency import *  # noqa: F403
from pypwext.runtime._idempotency import __all__ as __all__
