"""``pypwext.cli`` is an old path, kept for one release: import from :mod:`pypwext.tools` instead.

It re-exports the same names; see docs/migration.md.
"""

from pypwext.tools._cli import *  # noqa: F403
from pypwext.tools._cli import __all__ as __all__
