"""The version of pypwext: one place, read by the package, its wheel metadata and its spans."""

__version__ = "0.1.0"
