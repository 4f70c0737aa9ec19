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
   is :mod:`pypwext.tools._handler_check`'s).
6. :func:`write_zip` writes a reproducible zip: sorted entries, timestamps 1980-01-01 00:00,
   modes 0644 (0755 for executables): the same tree gives the same bytes and the same
   ``CodeSha256`` (:func:`code_sha256`).

boto3 is never imported here; pip runs in a subprocess.

Each step lives in its own module, and this one runs them (:func:`package`) and checks the
handler: ``_base`` (targets, limits, errors, the result), ``_requirements`` (step 1),
``_install`` (step 2), ``_tree`` (steps 3 and 4), ``_zip`` (step 6). Import them from here.
"""

from __future__ import annotations

import glob
import os
import platform
import shutil
import subprocess
import tempfile
from pathlib import Path

from pypwext.tools._handler_check import (
    HandlerError,
    check_imported,
    check_static,
    directory_reader,
    explain,
    split_handler,
)
from pypwext.tools.packaging._base import (
    ARCHITECTURES,
    PYTHON_VERSIONS,
    RUNTIME_PROVIDED,
    UNZIPPED_LIMIT,
    ZIPPED_LIMIT,
    LimitError,
    Log,
    PackageResult,
    PackagingError,
    RequirementError,
    _normalize,
    _quiet,
)
from pypwext.tools.packaging._install import install_requirements
from pypwext.tools.packaging._requirements import requirements_for
from pypwext.tools.packaging._tree import _strip_dead_weight, copy_project, prune
from pypwext.tools.packaging._zip import _files, code_sha256, sizes_by_top_level, write_zip

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


# --- the handler string (the rule lives in pypwext.tools._handler_check) ------------------------------


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
        files = _files(tree)
        unzipped = sum(p.stat().st_size for _, p in files)
        log(f"zipping {len(files)} files ({unzipped / 2**20:.1f} MiB) into {out}")
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
