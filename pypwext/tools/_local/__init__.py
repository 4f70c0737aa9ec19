"""Run services locally: ``pypwext serve`` (see :mod:`pypwext.tools._local.server`).

Nothing here is imported by ``import pypwext``; the server, its workers and its docs page load
only when used.
"""
