"""The reproducible zip (sorted entries, fixed timestamps and modes: the same tree gives the
same bytes and ``CodeSha256``) and its sizes by top-level name."""

from __future__ import annotations

import base64
import hashlib
import os
import stat
import zipfile
from collections.abc import Iterable
from pathlib import Path

from pypwext.tools.packaging._base import FIXED_DATE

# --- the zip ------------------------------------------------------------------------------------


def _files(tree: Path) -> list[tuple[str, Path]]:
    found = []
    for dirpath, _dirnames, filenames in os.walk(tree, followlinks=True):
        for name in filenames:
            path = Path(dirpath) / name
            found.append((path.relative_to(tree).as_posix(), path))
    return sorted(found)


def write_zip(tree: Path, out: Path) -> list[zipfile.ZipInfo]:
    """Write every file of ``tree`` into the zip ``out``, reproducibly: entries sorted by path,
    no folder entries, timestamp 1980-01-01 00:00, mode 0755 for executables and 0644 otherwise,
    deflate level 9. Returns the entries."""
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for arcname, path in _files(tree):
            info = zipfile.ZipInfo(arcname, date_time=FIXED_DATE)
            info.create_system = 3  # unix, so that the modes below are read
            mode = 0o755 if os.stat(path).st_mode & stat.S_IXUSR else 0o644
            info.external_attr = (stat.S_IFREG | mode) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, path.read_bytes(), compresslevel=9)
        entries = archive.infolist()
    os.replace(partial, out)
    return entries


def code_sha256(path: Path) -> str:
    """Lambda's ``CodeSha256`` of a zip: the base64 of its SHA-256 digest."""
    digest = hashlib.sha256(path.read_bytes()).digest()
    return base64.b64encode(digest).decode("ascii")


def _top_name(arcname: str) -> str:
    first = arcname.split("/", 1)[0]
    if first.endswith(".dist-info"):
        return "*.dist-info"
    if "/" not in arcname:
        return first.split(".", 1)[0]  # module.py, module.cpython-312-x86_64-linux-gnu.so
    return first


def sizes_by_top_level(entries: Iterable[zipfile.ZipInfo]) -> list[tuple[str, int, int]]:
    """``(top-level name, unzipped bytes, zipped bytes)`` per top-level package or module,
    largest first; the metadata folders are summed as ``*.dist-info``."""
    sizes: dict[str, list[int]] = {}
    for entry in entries:
        row = sizes.setdefault(_top_name(entry.filename), [0, 0])
        row[0] += entry.file_size
        row[1] += entry.compress_size
    return sorted(((n, u, z) for n, (u, z) in sizes.items()), key=lambda r: (-r[1], r[0]))
