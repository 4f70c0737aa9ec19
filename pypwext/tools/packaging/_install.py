"""Installing the requirements for the target runtime with pip's cross-platform recipe (one
log line per phase), building a wheel first for a requirement published only as pure-Python
source."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pypwext.tools.packaging._base import _NAME, _OPTION_LINE, ARCHITECTURES, Log, RequirementError, _quiet


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
