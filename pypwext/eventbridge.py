"""``pypwext.eventbridge`` is an old path, kept for one release: import from :mod:`pypwext.kinds` instead.

It re-exports the same names; see docs/migration.md.
"""

from pypwext.kinds._eventbridge import *  # noqa: F403
from pypwext.kinds._eventbridge import __all__ as __all__
