"""``pypwext.batch`` is an old path, kept for one release: import from :mod:`pypwext.kinds` instead.

It re-exports the same names; see docs/migration.md.
"""

from pypwext.kinds._batch import *  # noqa: F403
from pypwext.kinds._batch import __all__ as __all__
