"""The rooms of pypwext import in one direction, as docs/architecture.md draws them.

Every module belongs to one room; a module may import from its own room and from the rooms listed
before it, never from a later one, and no chain of imports leads back to where it started. The
check reads the source (``ast``), so an import inside a function counts as well: a lazy import
is still a dependency (one under ``TYPE_CHECKING`` counts for the direction, not for cycles).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "pypwext"

# The rooms, lowest first (docs/architecture.md). A module's room is the longest prefix that names it.
ROOMS: list[tuple[str, tuple[str, ...]]] = [
    (
        "foundation",
        (
            "pypwext._version",
            "pypwext._lazy",
            "pypwext.errors",
            "pypwext.base",
            "pypwext.codec",
            "pypwext._jsontext",
            "pypwext._scalars",
            "pypwext._problems",
            "pypwext._headers",
            "pypwext._pydantic",
            "pypwext._sigv4",
            "pypwext._placeholders",
        ),
    ),
    ("wire", ("pypwext.wire",)),
    ("observability", ("pypwext.observability",)),
    ("runtime", ("pypwext.runtime",)),
    ("dependencies", ("pypwext.dependencies",)),
    ("kinds", ("pypwext.kinds",)),
    ("surface", ("pypwext",)),  # the package's own __init__: the names users import
    ("testing", ("pypwext.testing",)),
    ("tools", ("pypwext.tools",)),
]
# Old paths kept for one release (docs/migration.md): they re-export a room's names and nothing
# inside pypwext may import them.
OLD_PATHS = {
    "pypwext.batch",
    "pypwext.cli",
    "pypwext.cli.__main__",
    "pypwext.context",
    "pypwext.cors",
    "pypwext.deploy",
    "pypwext.event_classes",
    "pypwext.eventbridge",
    "pypwext.events",
    "pypwext.formatter",
    "pypwext.handler_check",
    "pypwext.idempotency",
    "pypwext.loader",
    "pypwext.logging",
    "pypwext.metrics",
    "pypwext.openapi",
    "pypwext.openapi_constraints",
    "pypwext.openapi_errors",
    "pypwext.packaging",
    "pypwext.pytest_plugin",
    "pypwext.responses",
    "pypwext.routes",
    "pypwext.s3",
    "pypwext.service",
    "pypwext.template",
    "pypwext.tracing",
}


def _modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def room_of(module: str) -> int:
    best, index = "", -1
    for i, (_, prefixes) in enumerate(ROOMS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > len(best):
                best, index = prefix, i
    assert index >= 0, f"{module} is in no room: add it to ROOMS and docs/architecture.md"
    return index


def _type_checking_blocks(tree: ast.Module) -> set[int]:
    """The ids of the import nodes under ``if TYPE_CHECKING:`` (annotations only; never run)."""
    found: set[int] = set()
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.If)
            and getattr(node.test, "id", getattr(node.test, "attr", "")) == "TYPE_CHECKING"
        ):
            found |= {id(inner) for stmt in node.body for inner in ast.walk(stmt)}
    return found


def imports_of(module: str, run_only: bool = False) -> set[str]:
    """The pypwext modules ``module`` imports, wherever the import statement is (``run_only``:
    leaving out those under ``TYPE_CHECKING``, which only a type checker reads)."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped = _type_checking_blocks(tree) if run_only else set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name in MODULES}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            if not base.startswith("pypwext"):
                continue
            for alias in node.names:
                if f"{base}.{alias.name}" in MODULES:
                    found.add(f"{base}.{alias.name}")
                elif base in MODULES:
                    found.add(base)
    found.discard(module)
    return found


LIVING = sorted(m for m in MODULES if m not in OLD_PATHS)


@pytest.mark.parametrize("module", LIVING)
def test_a_module_imports_only_its_own_room_and_rooms_below(module: str) -> None:
    here = room_of(module)
    upward = sorted(
        f"{target} ({ROOMS[room_of(target)][0]})"
        for target in imports_of(module)
        if target in OLD_PATHS or room_of(target) > here
    )
    assert not upward, f"{module} ({ROOMS[here][0]}) imports upward or an old path: {upward}"


def test_no_import_cycle() -> None:
    """No chain of imports that run (at import time or on first use) leads back to its start; an
    annotation-only import under ``TYPE_CHECKING`` may point back (it still has to point down or
    sideways, above)."""
    graph = {m: imports_of(m, run_only=True) for m in LIVING}
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        path.append(node)
        for target in sorted(graph[node]):
            if state.get(target) == 1:
                cycle = [*path[path.index(target) :], target]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            if target not in state:
                visit(target)
        path.pop()
        state[node] = 2

    for module in LIVING:
        if module not in state:
            visit(module)


def test_every_old_path_only_re_exports_a_room() -> None:
    for module in sorted(OLD_PATHS):
        assert module in MODULES, f"{module} is listed as an old path but does not exist"
        targets = imports_of(module)
        assert targets and all(t not in OLD_PATHS for t in targets), module


def test_no_module_is_over_about_500_lines_and_each_says_what_it_owns() -> None:
    long = {m: n for m, p in MODULES.items() if (n := len(p.read_text(encoding="utf-8").splitlines())) > 520}
    assert not long, f"modules over about 500 lines: {long}"
    for module, path in MODULES.items():
        doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
        assert doc, f"{module} has no docstring saying what it owns"


LAPTOP_ROOMS = ("pypwext.testing", "pypwext.tools")
"""Rooms that never run in a Lambda cold start: their import-time work costs nobody's invocation."""


def test_a_module_that_runs_in_lambda_compiles_its_regular_expressions_on_first_use() -> None:
    eager = []
    for module, path in MODULES.items():
        if module.startswith(LAPTOP_ROOMS):
            continue
        for node in ast.parse(path.read_text(encoding="utf-8")).body:  # module-level statements only
            for call in ast.walk(node):
                if (
                    isinstance(call, ast.Call)
                    and isinstance(call.func, ast.Attribute)
                    and call.func.attr == "compile"
                    and isinstance(call.func.value, ast.Name)
                    and call.func.value.id == "re"
                    and not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
                ):
                    eager.append(f"{module}:{call.lineno}")
    assert not eager, (
        "module-level re.compile runs at every cold start (50-400 µs each); use "
        f"pypwext._lazy.pattern: {eager}"
    )
