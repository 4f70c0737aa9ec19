"""Helpers the whole suite shares, one home each: :mod:`tests._support.aws_samples` (the real AWS
event samples, read in place), :mod:`tests._support.logs` (pypwext's JSON log lines, parsed) and
:mod:`tests._support.fresh` (a program run in a fresh interpreter, its JSON result read back)."""
