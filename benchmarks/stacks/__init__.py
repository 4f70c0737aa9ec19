"""The same order service written with each stack the benchmark compares.

Each module exposes ``handler(event, context)`` and ``EVENTS``, the event kinds it serves
("rest": API Gateway REST, "http": API Gateway HTTP API). Everything a module imports counts in
its cold start, so this package imports nothing.
"""
