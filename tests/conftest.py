"""Suite-wide settings only; fixtures belong next to the tests that use them (or in pypwext.testing)."""

import os
from pathlib import Path

from hypothesis import HealthCheck, settings

REPO = Path(__file__).resolve().parent.parent

# The real AWS event samples live beside the repository (shared/fixtures/aws-events); the Makefile
# and .ci/run export the same default, this covers a bare `pytest`.
os.environ.setdefault("PYPWEXT_AWS_EVENTS", str(REPO.parent / "shared" / "fixtures" / "aws-events"))

# CI machines are slower and noisier than a laptop: no per-example deadline there, more examples.
settings.register_profile("dev", max_examples=100)
settings.register_profile(
    "ci", max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow], print_blob=True
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))
