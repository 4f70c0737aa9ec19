"""``python -m pypwext.cli``: the ``pypwext`` command (an old path, kept for one release)."""

import sys

from pypwext.tools._cli import main

sys.exit(main())
