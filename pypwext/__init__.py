"""pypwext (being written)."""
