"""What every packaging step shares: the targets and limits of the Lambda Python runtimes,
what is left out of a package, the errors, and the result of a build."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

PYTHON_VERSIONS = ("3.12", "3.13")
"""The Lambda Python runtimes ``pypwext package`` builds for."""

ARCHITECTURES = {"x86_64": "x86_64", "arm64": "aarch64"}
"""Lambda's architecture names and the machine names of the wheels built for them."""

RUNTIME_PROVIDED = frozenset({"boto3", "botocore", "s3transfer"})
"""Distributions the Lambda Python runtime already has: left out unless ``--bundle-boto3``.
Their own dependencies (jmespath, python-dateutil, six, urllib3) are left out too, unless
something that is kept needs them."""

ZIPPED_LIMIT = 50 * 1024 * 1024
"""Largest zip that can be uploaded directly (CreateFunction / UpdateFunctionCode ``ZipFile``)."""

UNZIPPED_LIMIT = 250 * 1024 * 1024
"""Largest unzipped deployment package (layers included) Lambda accepts."""

FIXED_DATE = (1980, 1, 1, 0, 0, 0)
"""The timestamp of every zip entry (the earliest a zip can hold)."""

DEAD_DIRS = frozenset({"__pycache__", "tests", "test"})
"""Folders left out wherever they are (inside dependencies and the project alike)."""

DEAD_SUFFIXES = (".pyc", ".pyo")
"""Files left out wherever they are."""

INSTALL_RECORDS = frozenset({"RECORD", "INSTALLER", "REQUESTED", "direct_url.json"})
"""Install-time files of a ``*.dist-info`` folder: they name the build machine's paths and
change from one build to the next. The rest of the metadata stays (``importlib.metadata``
needs it)."""

PROJECT_SKIPPED = frozenset(
    {"dist", "build", "node_modules", "venv", "env", "conftest.py", "template.yaml", "samconfig.toml"}
)
"""Names in the project directory that are not deployed (besides hidden names, ``tests``,
``test_*.py``, ``*_test.py``, ``requirements*.txt`` and ``*.egg-info``)."""


class PackagingError(Exception):
    """Packaging cannot go on; the message says what to do."""


class RequirementError(PackagingError):
    """A requirement cannot be installed for the target platform."""


class LimitError(PackagingError):
    """The package is larger than Lambda accepts."""


@dataclass
class PackageResult:
    """What :func:`package` built."""

    out: Path
    code_sha256: str
    zipped_bytes: int
    unzipped_bytes: int
    sizes: list[tuple[str, int, int]]
    """``(top-level name, unzipped bytes, zipped bytes)``, largest first."""
    left_out: list[str]
    """Distributions left out because the runtime has them."""
    handler_check: str
    """How the handler was checked (imported with an interpreter, or read statically)."""
    warnings: list[str] = field(default_factory=list)


def _normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


Log = Callable[[str], None]
"""Receives one line per phase of long work (``pypwext package`` prints them to stderr)."""


def _quiet(line: str) -> None:
    pass


# The requirement-line grammar that reading and installing share.
_OPTION_LINE = re.compile(
    r"^\s*(-i|-f|--index-url|--extra-index-url|--find-links|--no-index|--trusted-host)\b"
)
_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")
"""The distribution name at the start of a requirement line."""
