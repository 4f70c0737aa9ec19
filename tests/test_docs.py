"""Every ```python block in docs/**/*.md and README.md runs, so the documentation cannot rot.

- One test per page (test id = the page's path); the blocks of a page run in order in one shared
  namespace, a fresh module per page, with a fresh temporary directory as the working directory.
- The repository root, examples/ and that temporary directory are on sys.path, so a block can
  `from examples.orders.app import ...` (or `from orders.app import ...`).
- A block opened with ```python no-run, or preceded by the line <!-- no-run -->, does not run,
  and is never skipped silently: each one is reported as a DocsBlockNotRun warning in the
  warnings summary of every test run.
- A page with no runnable block passes. An unclosed fence fails.
- A failing block's traceback points at the real line of the .md file.
"""

from __future__ import annotations

import re
import sys
import textwrap
import traceback
import types
import warnings
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PYTHON_LANGS = {"python", "py", "python3"}
NO_RUN = "no-run"
NO_RUN_COMMENT = re.compile(r"^\s*<!--\s*no-run\s*-->\s*$")
FENCE_OPEN = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})[ \t]*(?P<info>[^`]*?)[ \t]*$")


class DocsBlockNotRun(UserWarning):
    """A documentation code block marked no-run: listed in the warnings summary, never silent."""


@dataclass(frozen=True)
class Block:
    page: Path
    line: int  # 1-based line number of the first line of code (the line after the fence)
    info: str
    code: str
    no_run: bool

    @property
    def is_python(self) -> bool:
        words = self.info.replace("{", " ").replace("}", " ").replace(".", " ").split()
        return bool(words) and words[0].lower() in PYTHON_LANGS

    @property
    def where(self) -> str:
        return f"{_display(self.page)}:{self.line}"


def _display(page: Path) -> str:
    try:
        return page.relative_to(REPO).as_posix()
    except ValueError:
        return str(page)


def parse_blocks(text: str, page: Path) -> list[Block]:
    """Fenced code blocks of a Markdown text, in order (CommonMark fences: ``` or ~~~, 3 or more)."""
    lines = text.splitlines()
    blocks: list[Block] = []
    i = 0
    while i < len(lines):
        m = FENCE_OPEN.match(lines[i])
        if not m:
            i += 1
            continue
        indent, fence, info = m["indent"], m["fence"], m["info"]
        prev = next((ln for ln in reversed(lines[:i]) if ln.strip()), "")
        closing = re.compile(rf"^[ \t]*{re.escape(fence[0])}{{{len(fence)},}}[ \t]*$")
        body: list[str] = []
        j = i + 1
        while j < len(lines) and not closing.match(lines[j]):
            body.append(lines[j])
            j += 1
        if j == len(lines):
            raise ValueError(f"{_display(page)}:{i + 1}: the fence {fence}{info} is never closed")
        code = textwrap.dedent("\n".join(ln[len(indent) :] if ln.startswith(indent) else ln for ln in body))
        no_run = NO_RUN in info.split() or bool(NO_RUN_COMMENT.match(prev))
        blocks.append(Block(page, i + 2, info, code + "\n", no_run))
        i = j + 1
    return blocks


def _pages() -> list[Path]:
    pages = sorted((REPO / "docs").rglob("*.md")) if (REPO / "docs").is_dir() else []
    readme = REPO / "README.md"
    return [*pages, readme] if readme.exists() else pages


@pytest.mark.parametrize("page", _pages(), ids=_display)
def test_page_code_blocks_run(page: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocks = [b for b in parse_blocks(page.read_text(encoding="utf-8"), page) if b.is_python]
    for block in blocks:
        if block.no_run:
            warnings.warn(
                DocsBlockNotRun(f"{block.where}: python block marked no-run, not executed"), stacklevel=1
            )

    monkeypatch.chdir(tmp_path)
    for path in (tmp_path, REPO / "examples", REPO):
        monkeypatch.syspath_prepend(str(path))

    name = "_docs_" + re.sub(r"\W", "_", _display(page))
    module = types.ModuleType(name)
    module.__file__ = str(page)
    monkeypatch.setitem(sys.modules, name, module)  # so dataclasses, attrs, cattrs, pickle resolve names
    try:
        for block in blocks:
            if block.no_run:
                continue
            # Pad with newlines so a traceback names the real line of the .md file.
            code = compile("\n" * (block.line - 1) + block.code, str(page), "exec")
            failure = None
            try:
                exec(code, module.__dict__)
            except Exception:
                failure = traceback.format_exc()
            if failure:  # the traceback names the .md line; pytest's own would print the whole page
                pytest.fail(f"the python block at {block.where} failed:\n{failure}", pytrace=False)
    finally:
        for mod_name, mod in list(sys.modules.items()):  # modules a page wrote into its temp dir
            file = getattr(mod, "__file__", None)
            if file and Path(file).is_relative_to(tmp_path):
                del sys.modules[mod_name]


# --- the block parser itself ---------------------------------------------------------------

SAMPLE = """\
# Title

```python
a = 1
```

```python no-run
raise SystemExit("must not run")
```

<!-- no-run -->

```py
also_not_run = True
```

- a list item:

    ````python
    b = a + 1
    ```
    still inside: a longer fence closes only on a fence at least as long
    ````

~~~bash
echo not python
~~~
"""


def test_parse_blocks_finds_fences_info_strings_and_no_run_markers() -> None:
    blocks = parse_blocks(SAMPLE, Path("sample.md"))
    assert [(b.line, b.info, b.no_run, b.is_python) for b in blocks] == [
        (4, "python", False, True),
        (8, "python no-run", True, True),
        (14, "py", True, True),
        (20, "python", False, True),
        (26, "bash", False, False),
    ]
    assert blocks[0].code == "a = 1\n"
    assert blocks[3].code.startswith("b = a + 1\n```\nstill inside")


def test_parse_blocks_rejects_an_unclosed_fence() -> None:
    with pytest.raises(ValueError, match=r"sample.md:3: the fence ```python is never closed"):
        parse_blocks("text\n\n```python\nx = 1\n", Path("sample.md"))


def test_a_failing_block_points_at_its_markdown_line(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text("# t\n\n```python\nx = 1\ny = x / 0\n```\n", encoding="utf-8")
    (block,) = parse_blocks(page.read_text(), page)
    code = compile("\n" * (block.line - 1) + block.code, str(page), "exec")
    with pytest.raises(ZeroDivisionError) as excinfo:
        exec(code, {})
    assert excinfo.traceback[-1].lineno + 1 == 5  # pytest's lineno is 0-based
