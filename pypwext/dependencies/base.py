"""The base of every dependency kind: subclass :class:`Dependency` to write your own.

``Http``, ``LambdaFunction``, ``Parameter`` and ``Secret`` are built on it; the class itself lives
in the runtime core (:mod:`pypwext.runtime`), because a service finds its dependencies through it.
"""

from pypwext.runtime._dependency import *  # noqa: F403
from pypwext.runtime._dependency import __all__ as __all__
