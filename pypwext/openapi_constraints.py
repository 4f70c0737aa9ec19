"""``pypwext.openapi_constraints`` is an old path, kept for one release: import from :mod:`pypwext.tools` instead.

It re-exports the same names; see docs/migration.md.
"""

from pypwext.tools._openapi_constraints import *  # noqa: F403
from pypwext.tools._openapi_constraints import __all__ as __all__
