"""``pypwext.s3`` is an old path, kept for one release: import from :mod:`pypwext.kinds` instead.

It re-exports the same names; see docs/migration.md.
"""

from pypwext.kinds._s3 import *  # noqa: F403
from pypwext.kinds._s3 import __all__ as __all__
