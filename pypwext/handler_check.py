"""``pypwext.handler_check`` is an old path, kept for one release: import from :mod:`pypwext.tools` instead.

It re-exports the same names; see docs/migration.md.
"""

from pypwext.tools._handler_check import *  # noqa: F403
from pypwext.tools._handler_check import __all__ as __all__
