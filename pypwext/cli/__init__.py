"""``pypwext.cli`` is an old path, kept for one release: the ``pypwext`` command is ``pypwext.tools.main``.

See docs/migration.md.
"""

from pypwext.tools._cli import main

__all__ = ["main"]
