"""``python -m pypwext.tools._cli``: the same as the ``pypwext`` command."""

import sys

from pypwext.tools._cli import main

sys.exit(main())
