"""Helpers the whole suite shares, one home each: :mod:`tests._support.aws_samples` (the real AWS
event samples, read in place) and :mod:`tests._support.logs` (pypwext's JSON log lines, parsed)."""
