"""Build a Lambda deployment zip without Docker: what ``pypwext package`` does.

The steps, each a plain function you can call on its own:

1. :func:`requirements_for` reads the project's requirements (``requirements.txt`` in the
   project directory, or the file given; ``pypwext`` alone when there is none). A ``pypwext``
   line is satisfied by a wheel built from the running pypwext when it is a source checkout.
2. :func:`install_requirements` installs them into a directory with pip's cross-platform recipe
   (``--platform manylinux2014_<arch> --platform manylinux_2_28_<arch> --only-binary=:all:
   --implementation cp --python-version X --target DIR``). A requirement that exists only as a
   source distribution is built into a wheel here first when it is pure Python; one that is not
   fails with a message that names it.
3. :func:`prune` leaves out what the Lambda runtime already has (boto3, botocore, s3transfer, and
   those of their dependencies that nothing else kept needs) and dead weight (``__pycache__``,
   ``*.pyc``, ``tests`` folders, console scripts, install-time records).
4. :func:`copy_project` copies the project's own code beside the requirements.
5. :func:`check_handler` checks that the handler string resolves in the built tree (and
   :func:`precheck_handler` checks it against the project's code before step 1; the rule itself
   is :mod:`pypwext.handler_check`'s).
6. :func:`write_zip` writes a reproducible zip: sorted entries, timestamps 1980-01-01 00:00,
   modes 0644 (0755 for executables): the same tree gives the same bytes and the same
   ``CodeSha256`` (:func:`code_sha256`).

boto3 is never imported here; pip runs in a subprocess.
"""

from __future__ import annotations

import base64
import email.parser
import glob
import hashlib
import importlib
import json
import os
import platform
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pypwext.handler_check import (
    HandlerError,
    check_imported,
    check_static,
    directory_reader,
    explain,
    split_handler,
)

__all__ = [
    "ARCHITECTURES",
    "PYTHON_VERSIONS",
    "RUNTIME_PROVIDED",
    "UNZIPPED_LIMIT",
    "ZIPPED_LIMIT",
    "HandlerError",
    "LimitError",
    "PackageResult",
    "PackagingError",
    "RequirementError",
    "check_handler",
    "code_sha256",
    "copy_project",
    "find_interpreter",
    "install_requirements",
    "package",
    "precheck_handler",
    "prune",
    "requirements_for",
    "sizes_by_top_level",
    "write_zip",
]

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


# --- interpreters -------------------------------------------------------------------------------


def find_interpreter(python: str) -> str | None:
    """An interpreter of version ``python`` (``"3.12"``) on this machine: pyenv's
    ``$(pyenv root)/versions/3.12.*/bin/python3.12`` first, then ``python3.12`` on ``PATH``;
    ``None`` when there is none."""
    root = os.environ.get("PYENV_ROOT") or str(Path.home() / ".pyenv")
    found = sorted(glob.glob(os.path.join(root, "versions", f"{python}.*", "bin", f"python{python}")))
    for candidate in reversed(found):  # the newest patch release
        if os.access(candidate, os.X_OK):
            return candidate
    on_path = shutil.which(f"python{python}")
    if on_path is None:
        return None
    try:  # a pyenv shim exists for every installed version but may refuse to run
        done = subprocess.run(
            [on_path, "-c", "import sys; print(sys.executable)"],
            capture_output=True,
            text=True,
            timeout=30,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return (done.stdout.strip() or None) if done.returncode == 0 else None


def _host_arch() -> str | None:
    machine = platform.machine().lower()
    return {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "arm64", "arm64": "arm64"}.get(machine)


# --- requirements -------------------------------------------------------------------------------

_OPTION_LINE = re.compile(
    r"^\s*(-i|-f|--index-url|--extra-index-url|--find-links|--no-index|--trusted-host)\b"
)
_INCLUDE_LINE = re.compile(r"^\s*(-r|-c|--requirement|--constraint)(\s+|=)(?P<path>\S+)\s*$")
_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def _pypwext_source() -> Path | None:
    """The source checkout of the running pypwext, or ``None`` (an installed wheel)."""
    root = Path(__file__).resolve().parent.parent
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


Log = Callable[[str], None]
"""Receives one line per phase of long work (``pypwext package`` prints them to stderr)."""


def _quiet(line: str) -> None:
    pass


class _PipPhases:
    """Turns pip's output into one line per phase: resolving, downloading, installing."""

    def __init__(self, log: Log) -> None:
        self.log = log
        self.seen: set[str] = set()
        self.downloads = 0

    def __call__(self, line: str) -> None:
        text = line.strip()
        if text.startswith(("Collecting ", "Processing ", "Looking in ")):
            self._once("resolve", "resolving the requirements (pip)")
        elif text.startswith(("Downloading ", "Using cached ")):
            self.downloads += 1
            self._once("download", "downloading wheels for the target platform")
        elif text.startswith("Installing collected packages:"):
            count = len(text.split(":", 1)[1].split(","))
            self._once("install", f"installing {count} distributions ({self.downloads} downloaded)")

    def _once(self, phase: str, message: str) -> None:
        if phase not in self.seen:
            self.seen.add(phase)
            self.log(message)


def _pip(
    args: Sequence[str], what: str, check: bool = True, on_line: Log = _quiet
) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_NO_INPUT="1", PYTHONDONTWRITEBYTECODE="1")
    env["PIP_PROGRESS_BAR"] = "off"
    command = [sys.executable, "-m", "pip", *args]
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env
    ) as process:
        assert process.stdout is not None
        lines = []
        for line in process.stdout:
            lines.append(line)
            on_line(line)
    done = subprocess.CompletedProcess(command, process.returncode, "".join(lines), "")
    if check and done.returncode != 0:
        raise RequirementError(f"{what} failed (pip exited {done.returncode}):\n{_pip_errors(done)}")
    return done


def _pip_errors(done: subprocess.CompletedProcess[str]) -> str:
    lines = [
        ln for ln in (done.stderr + done.stdout).splitlines() if "Location" not in ln or "ignored" not in ln
    ]
    errors = [ln for ln in lines if ln.startswith("ERROR") or "error" in ln.lower()]
    return "\n".join((errors or lines)[-15:])


def _platform_args(python: str, arch: str) -> list[str]:
    machine = ARCHITECTURES[arch]
    return [
        "--platform",
        f"manylinux2014_{machine}",
        "--platform",
        f"manylinux_2_28_{machine}",
        "--only-binary=:all:",
        "--implementation",
        "cp",
        "--python-version",
        python,
    ]


_NO_MATCH = re.compile(r"No matching distribution found for (?P<spec>\S+)")
_WHEEL_TAGS = re.compile(r"-(?P<py>[^-]+)-(?P<abi>[^-]+)-(?P<plat>[^-]+)\.whl$")


def _build_pure_wheel(
    spec: str, options: list[str], wheels: Path, workdir: Path, python: str, arch: str
) -> None:
    """Build ``spec`` from its source distribution into ``wheels``; fail unless the wheel is pure."""
    name = _NAME.match(spec)
    label = name.group(1) if name else spec
    scratch = Path(tempfile.mkdtemp(dir=workdir, prefix="sdist-"))
    reqs = scratch / "requirements.txt"
    reqs.write_text("\n".join([*options, spec]) + "\n")
    done = _pip(["wheel", "--no-deps", "--wheel-dir", str(scratch), "-r", str(reqs)], "", check=False)
    built = sorted(scratch.glob("*.whl"))
    if done.returncode != 0 or not built:
        raise RequirementError(
            f"{label}: no wheel of '{spec}' for CPython {python} on manylinux {arch}, and building it "
            f"from source here failed:\n{_pip_errors(done)}\n"
            "Check the name and version, or pin a version that publishes wheels."
        )
    wheel = built[0]
    tags = _WHEEL_TAGS.search(wheel.name)
    if (
        tags is None
        or tags["abi"] != "none"
        or tags["plat"] != "any"
        or not tags["py"].startswith(("py3", "py2.py3"))
    ):
        raise RequirementError(
            f"{label}: '{spec}' is published only as a source distribution and is not pure Python "
            f"(it builds {wheel.name} here), so it cannot be built for Lambda's CPython {python} on "
            f"Linux {arch} without that platform. Pin a version that publishes manylinux wheels, or "
            "build its wheel on Amazon Linux 2023 and add '--find-links DIR' to your requirements file."
        )
    shutil.move(str(wheel), wheels / wheel.name)


def install_requirements(
    requirements: Path,
    target: Path,
    python: str,
    arch: str,
    workdir: Path,
    max_sdists: int = 10,
    log: Log = _quiet,
) -> dict[str, Any]:
    """Install ``requirements`` into ``target`` for Lambda's ``python`` on ``arch``; returns pip's
    installation report (``--report``). Pure-Python sdist-only requirements are built here first.
    ``log`` gets a line as pip resolves, downloads and installs."""
    wheels = workdir / "built-wheels"
    wheels.mkdir(exist_ok=True)
    options = [ln for ln in requirements.read_text().splitlines() if _OPTION_LINE.match(ln)]
    report = workdir / "pip-report.json"
    for _ in range(max_sdists + 1):
        args = ["install", "--no-compile", "--target", str(target), "--report", str(report)]
        args += [*_platform_args(python, arch), "--find-links", str(wheels), "-r", str(requirements)]
        done = _pip(args, "", check=False, on_line=_PipPhases(log))
        if done.returncode == 0:
            data: dict[str, Any] = json.loads(report.read_text())
            return data
        missing = _NO_MATCH.search(done.stderr + done.stdout)
        if missing is None:
            raise RequirementError(
                f"pip could not install the requirements for CPython {python} on manylinux {arch}:\n"
                f"{_pip_errors(done)}"
            )
        log(f"building {missing['spec']} from its source distribution (no wheel for the target)")
        _build_pure_wheel(missing["spec"], options, wheels, workdir, python, arch)
        shutil.rmtree(target, ignore_errors=True)
    raise RequirementError(f"more than {max_sdists} requirements exist only as source distributions")


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


# --- the handler string (the rule lives in pypwext.handler_check) ------------------------------


def precheck_handler(project_dir: Path, handler: str) -> str:
    """Check ``handler`` against the project's own code, before anything is installed (a typo
    fails in a second, not after the download); returns what was checked. A handler whose
    module is not in the project (it comes from a requirement) is left to :func:`check_handler`.
    Raises :class:`HandlerError`."""
    module, _ = split_handler(handler)
    top = module.split(".")[0]
    if not ((project_dir / f"{top}.py").is_file() or (project_dir / top).is_dir()):
        return (
            f"handler {handler}: '{top}' is not in the project; checked once the requirements are installed"
        )
    check_static(directory_reader(project_dir), handler, where="the project")
    return f"handler {handler}: found in the project's code (read statically)"


def check_handler(tree: Path, handler: str, python: str, arch: str) -> str:
    """Check that ``handler`` resolves in ``tree`` as Lambda resolves it (``module.attribute``,
    split at the last dot); returns how it was checked. Raises :class:`HandlerError`.

    With an interpreter of the target version on this machine (and the target architecture),
    the module is imported in a subprocess (``-I -S``: the tree and the standard library only);
    otherwise, or when the import needs boto3 (the runtime has it, the tree does not), the
    module is read with ``ast``.
    """
    split_handler(handler)
    interpreter = find_interpreter(python) if _host_arch() == arch else None
    if interpreter is not None:
        result = check_imported(tree, handler, interpreter)
        if (
            result.get("error") == "module"
            and _normalize(result["missing"].split(".")[0]) in RUNTIME_PROVIDED
        ):
            check_static(directory_reader(tree), handler)
            return f"read statically ({result['missing']} is provided by the Lambda runtime, not the package)"
        explain(handler, result)
        return f"imported with {interpreter}"
    check_static(directory_reader(tree), handler)
    why = "no python" + python + " on this machine" if _host_arch() == arch else f"the target is {arch}"
    return f"read statically ({why})"


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


# --- all of it ----------------------------------------------------------------------------------


def package(
    project_dir: Path,
    handler: str,
    out: Path,
    python: str = "3.12",
    arch: str = "x86_64",
    requirements: Path | None = None,
    bundle_boto3: bool = False,
    check: bool = True,
    build_dir: Path | None = None,
    log: Log = _quiet,
) -> PackageResult:
    """Build the deployment zip of the project in ``project_dir``; see the module's docstring.

    ``build_dir``, when given, receives the unzipped tree (it must not exist or be empty).
    ``log`` receives one line per phase (resolve, download, install, prune, copy, check, zip).
    With ``check``, the handler string is checked against the project's own code before
    anything is installed (:func:`precheck_handler`), and imported in the built tree after.
    """
    if python not in PYTHON_VERSIONS:
        raise PackagingError(f"--python must be one of {', '.join(PYTHON_VERSIONS)}, got {python}")
    if arch not in ARCHITECTURES:
        raise PackagingError(f"--arch must be one of {', '.join(ARCHITECTURES)}, got {arch}")
    if not project_dir.is_dir():
        raise PackagingError(f"project directory not found: {project_dir}")
    if check:
        log(precheck_handler(project_dir, handler))
    with tempfile.TemporaryDirectory(prefix="pypwext-package-") as tmp:
        workdir = Path(tmp)
        if build_dir is not None:
            if build_dir.exists() and any(build_dir.iterdir()):
                raise PackagingError(f"--build-dir {build_dir} is not empty")
            tree = build_dir
            tree.mkdir(parents=True, exist_ok=True)
        else:
            tree = workdir / "tree"
            tree.mkdir()
        left_out: list[str] = []
        listed = requirements or project_dir / "requirements.txt"
        if requirements is None and not listed.is_file():
            log(f"no {listed}: the requirement is pypwext alone")
        else:
            log(f"reading the requirements ({listed})")
        reqs = requirements_for(project_dir, requirements, workdir)
        if reqs is not None:
            report = install_requirements(reqs, tree, python, arch, workdir, log=log)
            roots = [item["metadata"]["name"] for item in report.get("install", []) if item.get("requested")]
            log(
                "leaving out what the Lambda runtime has"
                + (" (--bundle-boto3: not boto3)" if bundle_boto3 else "")
            )
            left_out = prune(tree, roots, python, arch, bundle_boto3)
        else:
            log("no requirements to install")
        log(f"copying the project's code from {project_dir}")
        copy_project(project_dir, tree, skip=[out])
        _strip_dead_weight(tree)
        if check:
            log(f"checking the handler {handler} in the built package")
        how = check_handler(tree, handler, python, arch) if check else "not checked (--no-check-handler)"
        unzipped = sum(p.stat().st_size for _, p in _files(tree))
        log(f"zipping {len(_files(tree))} files ({unzipped / 2**20:.1f} MiB) into {out}")
        if unzipped > UNZIPPED_LIMIT:
            raise LimitError(
                f"the package is {unzipped / 2**20:.1f} MiB unzipped; Lambda accepts at most "
                f"{UNZIPPED_LIMIT // 2**20} MiB (layers included). Move large dependencies to a "
                "container image, or leave some out."
            )
        entries = write_zip(tree, out)
    zipped = out.stat().st_size
    warnings = []
    if zipped > ZIPPED_LIMIT:
        warnings.append(
            f"the zip is {zipped / 2**20:.1f} MiB: more than the {ZIPPED_LIMIT // 2**20} MiB of a direct "
            "upload; upload it to S3 and point the function at it (SAM's CodeUri does that)."
        )
    return PackageResult(
        out=out,
        code_sha256=code_sha256(out),
        zipped_bytes=zipped,
        unzipped_bytes=unzipped,
        sizes=sizes_by_top_level(entries),
        left_out=left_out,
        handler_check=how,
        warnings=warnings,
    )
