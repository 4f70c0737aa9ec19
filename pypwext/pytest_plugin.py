"""``pypwext.pytest_plugin`` is an old path, kept for one release: import from :mod:`pypwext.testing.plugin` instead.

It re-exports the same names; see docs/migration.md.
"""

from pypwext.testing.plugin import *  # noqa: F403
from pypwext.testing.plugin import __all__ as __all__
