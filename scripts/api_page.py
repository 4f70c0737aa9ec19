"""Write docs/api.md: the public API of pypwext, module by module, one line per exported name.

A module is public when no part of its dotted name starts with an underscore; its public names
are its ``__all__``. Each line is the first sentence of the name's docstring (for a constant, the
string literal under its assignment). tests/test_public_api.py checks the page is up to date:

    python scripts/api_page.py          # rewrite docs/api.md
    python scripts/api_page.py --check  # exit 1 when docs/api.md differs
"""

from __future__ import annotations

import ast
import importlib
import inspect
import itertools
import pkgutil
import re
import sys
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parent.parent
PAGE = REPO / "docs" / "api.md"

_HEADER = """# The public API

Every public module of pypwext and the names it exports (its `__all__`), with one line on each.
A module or name not listed here (a leading underscore, or left out of `__all__`) is internal and
may change in any release. The list is pinned by `tests/test_public_api.py`, so a change to it
is a visible decision; this page is written by `scripts/api_page.py`.
"""


def public_modules() -> list[str]:
    """The dotted names of pypwext's public modules, sorted (``__main__`` modules left out)."""
    import pypwext

    found = {m.name for m in pkgutil.walk_packages(pypwext.__path__, "pypwext.")}
    return sorted(
        {"pypwext"}
        | {
            n
            for n in found
            if not any(part.startswith("_") for part in n.split(".")[1:]) and not n.endswith("__main__")
        }
    )


def _plain(text: str) -> str:
    """reST markup to Markdown: ``x`` and :role:`~a.b.x` become `x`."""
    text = re.sub(r":[a-z:]+:`~?(?:[\w.]+\.)?([^`<]+?)`", r"`\1`", text)
    return text.replace("``", "`")


def _first_sentence(doc: str | None) -> str:
    if not doc:
        return ""
    paragraph = " ".join(doc.strip().split("\n\n", 1)[0].split())
    match = re.match(r"(.+?[.!?])(\s|$)", paragraph)
    sentence = match.group(1) if match else paragraph
    return _plain(sentence)


def _constant_docs(module: ModuleType) -> dict[str, str]:
    """The string literal right under a module-level assignment, by the assigned name."""
    try:
        tree = ast.parse(inspect.getsource(module))
    except (OSError, TypeError):
        return {}
    docs: dict[str, str] = {}
    body = tree.body
    for stmt, following in itertools.pairwise(body):
        targets = (
            stmt.targets
            if isinstance(stmt, ast.Assign)
            else [stmt.target]
            if isinstance(stmt, ast.AnnAssign)
            else []
        )
        if (
            isinstance(following, ast.Expr)
            and isinstance(following.value, ast.Constant)
            and isinstance(following.value.value, str)
        ):
            for target in targets:
                if isinstance(target, ast.Name):
                    docs[target.id] = following.value.value
    return docs


def _imported_from(module: ModuleType, name: str) -> str | None:
    """The module ``module`` imports ``name`` from (``from X import name``), if it does."""
    try:
        tree = ast.parse(inspect.getsource(module))
    except (OSError, TypeError):
        return None
    for stmt in tree.body:
        if (
            isinstance(stmt, ast.ImportFrom)
            and stmt.module
            and stmt.level == 0
            and any(alias.name == name and alias.asname in (None, name) for alias in stmt.names)
        ):
            return stmt.module
    return None


def _describe(module: ModuleType, name: str, constants: dict[str, str]) -> str:
    value = getattr(module, name)
    if name in constants:
        return _first_sentence(constants[name])
    if inspect.isclass(value) or inspect.isfunction(value) or inspect.ismodule(value):
        return _first_sentence(inspect.getdoc(value))
    wrapped = getattr(value, "__wrapped__", None)  # a pytest fixture: the function's docstring
    if inspect.isfunction(wrapped):
        return _first_sentence(inspect.getdoc(wrapped))
    home = _imported_from(module, name)
    if home is not None:  # a constant re-exported from its home module
        found = _first_sentence(_constant_docs(importlib.import_module(home)).get(name))
        if found:
            return found
    if isinstance(value, (int, float, str)) and not isinstance(value, bool):
        return f"the constant `{value!r}`"
    return ""


def render() -> str:
    """The page's text."""
    parts = [_HEADER]
    for dotted in public_modules():
        module = importlib.import_module(dotted)
        names = sorted(getattr(module, "__all__", ()))
        summary = _first_sentence(module.__doc__)
        parts.append(f"\n## `{dotted}`\n\n{summary}\n" if summary else f"\n## `{dotted}`\n")
        if not names:
            parts.append("\nNo names of its own (its submodules are the API).\n")
            continue
        constants = _constant_docs(module)
        parts.append("\n")
        for name in names:
            line = _describe(module, name, constants)
            parts.append(f"- `{name}`" + (f": {line}" if line else "") + "\n")
    return "".join(parts)


def main(argv: list[str]) -> int:
    """Write the page (or, with ``--check``, compare it); ``--page=PATH`` names another file."""
    page = next((Path(a.split("=", 1)[1]) for a in argv if a.startswith("--page=")), PAGE)
    text = render()
    if "--check" in argv:
        if not page.exists() or page.read_text(encoding="utf-8") != text:
            print(f"{page} is out of date: run python scripts/api_page.py", file=sys.stderr)
            return 1
        return 0
    page.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    raise SystemExit(main(sys.argv[1:]))
