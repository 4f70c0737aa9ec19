"""The requirements a package installs: the project's requirements file (``-r``/``-c`` paths
made absolute) with a ``pypwext`` line satisfied by a wheel of the running pypwext, never by the
unrelated ``pypwext`` of the public index."""

from __future__ import annotations

import base64
import hashlib
import re
import shutil
import zipfile
from pathlib import Path

from pypwext.tools.packaging._base import _NAME, INSTALL_RECORDS, PackagingError, _normalize
from pypwext.tools.packaging._install import _pip

_INCLUDE_LINE = re.compile(r"^\s*(-r|-c|--requirement|--constraint)(\s+|=)(?P<path>\S+)\s*$")


def _pypwext_source() -> Path | None:
    """The source checkout of the running pypwext, or ``None`` (an installed wheel)."""
    import pypwext

    root = Path(pypwext.__file__).resolve().parent.parent  # the folder holding the pypwext package
    setup_cfg = root / "setup.cfg"
    if setup_cfg.is_file() and re.search(r"^name\s*=\s*pypwext\s*$", setup_cfg.read_text(), re.M):
        return root
    return None


def _build_pypwext_wheel(source: Path, workdir: Path) -> Path:
    """A wheel of the pypwext checkout at ``source``, built in a copy (the checkout stays as it is)."""
    copy = workdir / "pypwext-src"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(source / "pypwext", copy / "pypwext", ignore=ignore)
    for name in ("setup.cfg", "setup.py", "pyproject.toml", "README.md", "MANIFEST.in", "LICENSE"):
        if (source / name).is_file():
            shutil.copy2(source / name, copy / name)
    wheels = workdir / "pypwext-wheel"
    _pip(["wheel", "--no-deps", "--wheel-dir", str(wheels), str(copy)], "building the pypwext wheel")
    (wheel,) = wheels.glob("pypwext-*.whl")
    return wheel


def _installed_pypwext_wheel(workdir: Path) -> Path | None:
    """A wheel of the installed pypwext (not a checkout), rebuilt from its installed files, or
    ``None`` when it has no record of them. The name ``pypwext`` on the public index is another,
    unrelated project: a bare ``pypwext`` requirement must never be fetched from there."""
    import importlib.metadata

    try:
        dist = importlib.metadata.distribution("pypwext")
    except importlib.metadata.PackageNotFoundError:
        return None
    files = [f for f in dist.files or () if "__pycache__" not in f.parts and f.suffix != ".pyc"]
    info = f"pypwext-{dist.version}.dist-info"
    skip = {f"{info}/{name}" for name in INSTALL_RECORDS}
    chosen = [f for f in files if f.parts[0] in ("pypwext", info) and f.as_posix() not in skip]
    if not any(f.as_posix() == "pypwext/__init__.py" for f in chosen):
        return None
    wheel = workdir / "pypwext-installed" / f"pypwext-{dist.version}-py3-none-any.whl"
    wheel.parent.mkdir(parents=True, exist_ok=True)
    record = []
    with zipfile.ZipFile(wheel, "w", zipfile.ZIP_DEFLATED) as archive:
        for file in sorted(chosen, key=lambda f: f.as_posix()):
            data = Path(str(file.locate())).read_bytes()
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            archive.writestr(file.as_posix(), data)
            record.append(f"{file.as_posix()},sha256={digest},{len(data)}")
        record.append(f"{info}/RECORD,,")
        archive.writestr(f"{info}/RECORD", "\n".join(record) + "\n")
    return wheel


def requirements_for(project_dir: Path, requirements: Path | None, workdir: Path) -> Path | None:
    """The requirements file pip installs: the given one, else ``requirements.txt`` in the
    project, else just ``pypwext``; ``None`` when it lists nothing.

    It is a copy written into ``workdir``: ``-r``/``-c`` paths made absolute, and a ``pypwext``
    line replaced by a wheel built from the running pypwext when that is a source checkout.
    """
    if requirements is None:
        default = project_dir / "requirements.txt"
        lines = default.read_text().splitlines() if default.is_file() else ["pypwext"]
        base = project_dir
    else:
        if not requirements.is_file():
            raise PackagingError(f"requirements file not found: {requirements}")
        lines = requirements.read_text().splitlines()
        base = requirements.parent
    source = _pypwext_source()
    out: list[str] = []
    for raw in lines:
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        include = _INCLUDE_LINE.match(line)
        if include:
            out.append(f"{include.group(1)} {(base / include.group('path')).resolve()}")
            continue
        name = _NAME.match(line)
        pypwext_line = name and not line.startswith("-") and _normalize(name.group(1)) == "pypwext"
        if pypwext_line and (source or "@" not in line):
            extras = re.match(r"^\s*pypwext\s*(\[[^\]]*\])", line, re.I)
            wheel = _build_pypwext_wheel(source, workdir) if source else _installed_pypwext_wheel(workdir)
            if wheel is not None:
                out.append(f"pypwext{extras.group(1) if extras else ''} @ {wheel.as_uri()}")
                continue
        out.append(line)
    if not any(not line.startswith("-") or _INCLUDE_LINE.match(line) for line in out):
        return None
    path = workdir / "requirements.txt"
    path.write_text("\n".join(out) + "\n")
    return path
