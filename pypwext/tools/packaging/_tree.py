"""The package's tree: leaving out what the Lambda runtime already has and dead weight
(caches, tests, console scripts, install records), and copying the project's own code in."""

from __future__ import annotations

import email.parser
import importlib
import os
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pypwext.tools.packaging._base import (
    ARCHITECTURES,
    DEAD_DIRS,
    DEAD_SUFFIXES,
    INSTALL_RECORDS,
    PROJECT_SKIPPED,
    RUNTIME_PROVIDED,
    _normalize,
)

# --- pruning ------------------------------------------------------------------------------------


def _requirement_type() -> Any:
    try:
        return importlib.import_module("packaging.requirements").Requirement
    except ImportError:  # pip is here (it built the tree) and carries its own copy
        return importlib.import_module("pip._vendor.packaging.requirements").Requirement


def _marker_env(python: str, arch: str) -> dict[str, str]:
    machine = ARCHITECTURES[arch]
    return {
        "python_version": python,
        "python_full_version": f"{python}.0",
        "implementation_name": "cpython",
        "implementation_version": f"{python}.0",
        "platform_python_implementation": "CPython",
        "sys_platform": "linux",
        "platform_system": "Linux",
        "os_name": "posix",
        "platform_machine": machine,
        "platform_release": "",
        "platform_version": "",
    }


def _installed(target: Path) -> dict[str, tuple[Path, list[str]]]:
    """``{normalized name: (dist-info folder, Requires-Dist lines)}`` of the distributions in ``target``."""
    found: dict[str, tuple[Path, list[str]]] = {}
    for info in sorted(target.glob("*.dist-info")):
        metadata = info / "METADATA"
        if not metadata.is_file():
            continue
        message = email.parser.Parser().parsestr(metadata.read_text(encoding="utf-8", errors="replace"))
        name = message.get("Name") or info.name.split("-")[0]
        found[_normalize(name)] = (info, message.get_all("Requires-Dist") or [])
    return found


def prune(
    target: Path,
    roots: Iterable[str],
    python: str,
    arch: str,
    bundle_boto3: bool = False,
) -> list[str]:
    """Leave out what the runtime has and dead weight; returns the distributions left out.

    ``roots`` are the distributions asked for (pip's "requested"). Every distribution reachable
    from them through ``Requires-Dist`` (markers evaluated for the target) is kept, except that
    the walk stops at :data:`RUNTIME_PROVIDED` unless ``bundle_boto3``: boto3's dependencies stay
    exactly when something else kept needs them (requests needs urllib3, Powertools jmespath).
    """
    requirement = _requirement_type()
    env = _marker_env(python, arch)
    installed = _installed(target)
    stop = frozenset() if bundle_boto3 else RUNTIME_PROVIDED
    keep: set[str] = set()
    seen: set[tuple[str, str]] = set()
    work = [(_normalize(r), "") for r in roots]
    while work:
        name, extra = work.pop()
        if (name, extra) in seen or name in stop or name not in installed:
            continue
        seen.add((name, extra))
        keep.add(name)
        for line in installed[name][1]:
            req = requirement(line)
            if req.marker is not None and not req.marker.evaluate({**env, "extra": extra}):
                continue
            dep = _normalize(req.name)
            work.append((dep, ""))
            work.extend((dep, _normalize(e)) for e in req.extras)
    left_out = sorted(set(installed) - keep)
    for name in left_out:
        _remove_distribution(target, installed[name][0])
    _strip_dead_weight(target)
    return left_out


def _remove_distribution(target: Path, info: Path) -> None:
    record = info / "RECORD"
    folders: set[Path] = set()
    if record.is_file():
        for line in record.read_text(encoding="utf-8").splitlines():
            rel = line.rsplit(",", 2)[0].strip('"')
            if not rel:
                continue
            path = (target / rel).resolve()
            if target.resolve() not in path.parents:
                continue  # ../../bin/x of a --prefix install: not in the tree
            if path.is_file() or path.is_symlink():
                path.unlink()
            folders.update(p for p in path.parents if target.resolve() in p.parents)
    shutil.rmtree(info, ignore_errors=True)
    for folder in sorted(folders, key=lambda p: len(p.parts), reverse=True):
        shutil.rmtree(folder / "__pycache__", ignore_errors=True)
        try:
            folder.rmdir()  # only when empty
        except OSError:
            pass


def _strip_dead_weight(target: Path) -> None:
    shutil.rmtree(target / "bin", ignore_errors=True)  # console scripts with this machine's shebang
    for dirpath, dirnames, filenames in os.walk(target, topdown=True):
        here = Path(dirpath)
        for name in list(dirnames):
            if name in DEAD_DIRS:
                shutil.rmtree(here / name)
                dirnames.remove(name)
        for name in filenames:
            if name.endswith(DEAD_SUFFIXES) or (here.name.endswith(".dist-info") and name in INSTALL_RECORDS):
                (here / name).unlink()


# --- the project's own code ---------------------------------------------------------------------


def _project_skips(path: Path) -> bool:
    name = path.name
    return (
        name.startswith(".")
        or name in PROJECT_SKIPPED
        or name in DEAD_DIRS
        or name.endswith(DEAD_SUFFIXES)
        or name.endswith(".egg-info")
        or (
            path.is_file()
            and name.endswith(".py")
            and (name.startswith("test_") or name.endswith("_test.py"))
        )
        or (path.is_file() and name.startswith("requirements") and name.endswith(".txt"))
        or (path.is_dir() and (path / "pyvenv.cfg").exists())
    )


def copy_project(project_dir: Path, target: Path, skip: Iterable[Path] = ()) -> list[str]:
    """Copy the project's code into ``target`` (its files at the zip's root); returns the
    top-level names copied. Tests, hidden files, build output, virtual environments and
    requirements files stay behind, as do the paths in ``skip`` (the zip being written)."""
    skipped = {p.resolve() for p in skip}

    def walk(src: Path, dst: Path) -> bool:
        copied_any = False
        for entry in sorted(src.iterdir()):
            if _project_skips(entry) or entry.resolve() in skipped:
                continue
            if entry.is_dir():
                copied_any |= walk(entry, dst / entry.name)
            elif entry.is_file():
                dst.mkdir(parents=True, exist_ok=True)
                shutil.copy2(entry, dst / entry.name)
                copied_any = True
        return copied_any

    copied: list[str] = []
    for entry in sorted(project_dir.iterdir()):
        if _project_skips(entry) or entry.resolve() in skipped:
            continue
        if entry.is_dir() and walk(entry, target / entry.name):
            copied.append(entry.name)
        elif entry.is_file():
            shutil.copy2(entry, target / entry.name)
            copied.append(entry.name)
    return copied
