"""What importing pypwext costs a cold start, checked in a fresh interpreter (issue 8).

These tests count modules, they time nothing: speed is measured by ``make bench``
(docs/performance.md), never by a test.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

HEAVY = ("boto3", "botocore", "requests", "urllib3", "pydantic")
"""Packages a service that does not use them must not pay for at import."""

EXAMPLE_MODULE_BUDGET = 150
"""Modules that importing examples/orders/app.py may add to a bare interpreter's sys.modules.

docs/performance.md records the count this budget was set from; raise it only with a reason
written there."""


def _fresh(code: str) -> dict[str, object]:
    """Run ``code`` in a fresh, isolated interpreter with the repository first on sys.path;
    ``code`` sets ``out``, which comes back decoded from JSON."""
    program = (
        "import sys, json\n"
        "before = set(sys.modules)\n"
        f"sys.path.insert(0, {str(REPO)!r})\n"
        f"{code}\n"
        "print(json.dumps(out))\n"
    )
    done = subprocess.run(
        [sys.executable, "-I", "-c", program], capture_output=True, text=True, check=False, timeout=120
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_import_pypwext_imports_nothing_heavy() -> None:
    out = _fresh("import pypwext\nout = {'loaded': sorted(sys.modules)}")
    loaded = out["loaded"]
    assert isinstance(loaded, list)
    heavy = sorted(name for name in loaded if name.split(".")[0] in HEAVY)
    assert heavy == [], f"`import pypwext` imports {heavy}: import them where they are used, lazily"


def test_example_service_stays_within_its_module_budget() -> None:
    out = _fresh(
        "import examples.orders.app\n"
        "added = sorted(set(sys.modules) - before)\n"
        "out = {'added': added, 'count': len(added)}"
    )
    count = out["count"]
    assert isinstance(count, int)
    assert count <= EXAMPLE_MODULE_BUDGET, (
        f"importing examples/orders/app.py adds {count} modules to sys.modules, over the budget of "
        f"{EXAMPLE_MODULE_BUDGET} (docs/performance.md): {out['added']}"
    )
