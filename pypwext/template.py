"""``pypwext.template`` is an old path, kept for one release: import from :mod:`pypwext.tools` instead.

It re-exports the same names; see docs/migration.md.
"""

from pypwext.tools._template import *  # noqa: F403
from pypwext.tools._template import __all__ as __all__
