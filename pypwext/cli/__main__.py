"""``python -m pypwext.cli``: the same as the ``pypwext`` command."""

import sys

from pypwext.cli import main

sys.exit(main())
