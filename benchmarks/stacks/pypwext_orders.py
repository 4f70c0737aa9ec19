"""pypwext: the example order service itself (examples/orders/app.py), logging at INFO."""

from examples.orders.app import handler

EVENTS = ("rest", "http")
__all__ = ["EVENTS", "handler"]
