"""``pypwext package`` offline: local wheels and sdists in a find-links folder stand in for PyPI.

The fake distributions mirror the real shape of boto3's family (boto3 -> botocore, s3transfer,
jmespath; botocore -> python-dateutil -> six, urllib3), so the rule "leave out what the runtime
has, unless something kept needs it" is checked on a real pip --target install.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import zipfile
from pathlib import Path

import pytest

import pypwext
from pypwext.tools import packaging
from pypwext.tools._cli import main

PY = f"{sys.version_info.major}.{sys.version_info.minor}"


def make_wheel(
    folder: Path, name: str, requires: tuple[str, ...] = (), files: dict[str, str] | None = None
) -> Path:
    """A minimal, valid py3-none-any wheel."""
    module = name.replace("-", "_")
    files = dict(files or {f"{module}/__init__.py": f"NAME = {name!r}\n"})
    info = f"{module}-1.0.dist-info"
    meta = "Metadata-Version: 2.1\nName: " + name + "\nVersion: 1.0\n"
    meta += "".join(f"Requires-Dist: {r}\n" for r in requires)
    files[f"{info}/METADATA"] = meta
    files[f"{info}/WHEEL"] = "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    record = []
    for path, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()
        record.append(f"{path},sha256={digest},{len(text.encode())}")
    record.append(f"{info}/RECORD,,")
    files[f"{info}/RECORD"] = "\n".join(record) + "\n"
    out = folder / f"{module}-1.0-py3-none-any.whl"
    with zipfile.ZipFile(out, "w") as archive:
        for path, text in files.items():
            archive.writestr(path, text)
    return out


BACKEND = """
import base64, hashlib, os, zipfile

def _tag():
    with open(os.path.join(os.path.dirname(__file__), "tag.txt")) as f:
        return f.read().strip()

def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    name, tag = "{name}", _tag()
    info = name + "-1.0.dist-info"
    files = {{name + "/__init__.py": "X = 1\\n",
             info + "/METADATA": "Metadata-Version: 2.1\\nName: " + name + "\\nVersion: 1.0\\n",
             info + "/WHEEL": "Wheel-Version: 1.0\\nGenerator: t\\nRoot-Is-Purelib: false\\nTag: " + tag + "\\n"}}
    rows = []
    for p, t in files.items():
        d = base64.urlsafe_b64encode(hashlib.sha256(t.encode()).digest()).rstrip(b"=").decode()
        rows.append(p + ",sha256=" + d + "," + str(len(t.encode())))
    files[info + "/RECORD"] = "\\n".join(rows + [info + "/RECORD,,"]) + "\\n"
    wheel = name + "-1.0-" + tag + ".whl"
    with zipfile.ZipFile(os.path.join(wheel_directory, wheel), "w") as z:
        for p, t in files.items():
            z.writestr(p, t)
    return wheel
"""


def make_sdist(folder: Path, name: str, tag: str) -> Path:
    """A source distribution whose in-tree build backend builds a wheel tagged ``tag``."""
    root = f"{name}-1.0"
    files = {
        "pyproject.toml": '[build-system]\nrequires = []\nbuild-backend = "backend"\nbackend-path = ["."]\n',
        "backend.py": BACKEND.format(name=name),
        "tag.txt": tag + "\n",
        "PKG-INFO": f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n",
    }
    out = folder / f"{root}.tar.gz"
    with tarfile.open(out, "w:gz") as archive:
        for path, text in files.items():
            data = text.encode()
            member = tarfile.TarInfo(f"{root}/{path}")
            member.size = len(data)
            archive.addfile(member, io.BytesIO(data))
    return out


@pytest.fixture
def index(tmp_path: Path) -> Path:
    """A find-links folder with boto3's family, a requests-like library and the project's lib."""
    wheels = tmp_path / "index"
    wheels.mkdir()
    make_wheel(wheels, "boto3", ("botocore", "s3transfer", "jmespath"))
    make_wheel(wheels, "botocore", ("jmespath", "python-dateutil", "urllib3"))
    make_wheel(wheels, "s3transfer", ("botocore",))
    make_wheel(wheels, "jmespath")
    make_wheel(wheels, "python-dateutil", ("six",), {"dateutil/__init__.py": ""})
    make_wheel(wheels, "six", files={"six.py": ""})
    make_wheel(wheels, "urllib3")
    make_wheel(wheels, "fakerequests", ("urllib3",))
    make_wheel(wheels, "onlywin", ())
    make_wheel(
        wheels,
        "mylib",
        ("boto3", "fakerequests", "jmespath", "onlywin; sys_platform == 'win32'"),
        {"mylib/__init__.py": "", "mylib/tests/test_x.py": "", "mylib/__pycache__/x.pyc": ""},
    )
    return wheels


APP = """\
from pypwext import BaseService, Request

class CreateOrder(BaseService):
    def execute(self, request: Request) -> dict:
        return {"ok": True}

handler = CreateOrder.handler
"""


def project(tmp_path: Path, index: Path, reqs: str = "mylib", app: str = APP) -> Path:
    proj = tmp_path / "proj"
    (proj / "tests").mkdir(parents=True)
    (proj / "app.py").write_text(app)
    (proj / "helpers").mkdir()
    (proj / "helpers" / "__init__.py").write_text("")
    (proj / "tests" / "test_app.py").write_text("")
    (proj / "test_more.py").write_text("")
    (proj / ".env").write_text("SECRET=1")
    (proj / "requirements.txt").write_text(f"--no-index\n--find-links {index}\n{reqs}\n")
    return proj


def names(zip_path: Path) -> list[str]:
    with zipfile.ZipFile(zip_path) as archive:
        return archive.namelist()


def test_leaves_out_what_the_runtime_has_but_keeps_what_something_else_needs(tmp_path, index) -> None:
    proj = project(tmp_path, index)
    result = packaging.package(proj, "app.handler", tmp_path / "f.zip", python="3.12", check=False)
    tops = {n.split("/")[0] for n in names(result.out)}
    assert {"mylib", "fakerequests", "urllib3", "jmespath", "app.py", "helpers"} <= tops
    assert not tops & {"boto3", "botocore", "s3transfer", "dateutil", "six.py", "onlywin"}
    assert result.left_out == ["boto3", "botocore", "python-dateutil", "s3transfer", "six"]  # not onlywin:
    # its marker is false for Lambda, so pip never installed it
    listed = names(result.out)
    assert not [n for n in listed if "/tests/" in n or n.startswith("tests/") or "__pycache__" in n]
    assert not [n for n in listed if n.endswith(("/RECORD", "/INSTALLER", "/REQUESTED", "/direct_url.json"))]
    assert "mylib-1.0.dist-info/METADATA" in listed
    assert not [n for n in listed if n.startswith((".env", "test_more", "requirements"))]


def test_bundle_boto3_keeps_everything(tmp_path, index) -> None:
    proj = project(tmp_path, index)
    result = packaging.package(proj, "app.handler", tmp_path / "f.zip", bundle_boto3=True, check=False)
    assert result.left_out == []
    assert {"boto3", "botocore", "six.py", "dateutil"} <= {n.split("/")[0] for n in names(result.out)}


def test_the_zip_is_reproducible_sorted_with_fixed_dates_and_modes(tmp_path, index) -> None:
    proj = project(tmp_path, index)
    (proj / "run.sh").write_text("#!/bin/sh\n")
    (proj / "run.sh").chmod(0o755)
    first = packaging.package(proj, "app.handler", tmp_path / "a.zip", check=False)
    (proj / "app.py").touch()  # a newer mtime changes nothing
    second = packaging.package(proj, "app.handler", tmp_path / "b.zip", check=False)
    assert first.out.read_bytes() == second.out.read_bytes()
    assert first.code_sha256 == second.code_sha256 == packaging.code_sha256(second.out)
    digest = base64.b64encode(hashlib.sha256(first.out.read_bytes()).digest()).decode()
    assert first.code_sha256 == digest
    with zipfile.ZipFile(first.out) as archive:
        infos = archive.infolist()
    assert [i.filename for i in infos] == sorted(i.filename for i in infos)
    assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
    modes = {i.filename: (i.external_attr >> 16) & 0o777 for i in infos}
    assert modes["run.sh"] == 0o755
    assert set(modes.values()) == {0o644, 0o755}


def test_sizes_by_top_level_package(tmp_path, index) -> None:
    result = packaging.package(project(tmp_path, index), "app.handler", tmp_path / "f.zip", check=False)
    by_name = {name: (unzipped, zipped) for name, unzipped, zipped in result.sizes}
    assert {"mylib", "app", "*.dist-info"} <= set(by_name)
    assert sum(u for u, _ in by_name.values()) == result.unzipped_bytes


def test_a_pure_python_sdist_is_built_into_a_wheel_first(tmp_path, index) -> None:
    make_sdist(index, "puresrc", "py3-none-any")
    result = packaging.package(
        project(tmp_path, index, "puresrc"), "app.handler", tmp_path / "f.zip", check=False
    )
    assert "puresrc/__init__.py" in names(result.out)


def test_a_native_sdist_fails_naming_it(tmp_path, index) -> None:
    make_sdist(index, "nativesrc", "cp312-cp312-linux_x86_64")
    with pytest.raises(packaging.RequirementError, match=r"nativesrc: .*not pure Python.*manylinux"):
        packaging.package(
            project(tmp_path, index, "nativesrc"), "app.handler", tmp_path / "f.zip", check=False
        )


def test_an_unknown_requirement_fails_naming_it(tmp_path, index) -> None:
    with pytest.raises(packaging.RequirementError, match="nosuchthing"):
        packaging.package(
            project(tmp_path, index, "nosuchthing"), "app.handler", tmp_path / "f.zip", check=False
        )


# --- the handler string -------------------------------------------------------------------------


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "tree"
    (root / "pkg").mkdir(parents=True)
    (root / "app.py").write_text(
        "class CreateOrder:\n    @staticmethod\n    def handler(event, context):\n        return 1\n\n"
        "def lambda_handler(event, context):\n    return 2\n\nVALUE = 3\n"
    )
    (root / "pkg" / "__init__.py").write_text("")
    (root / "pkg" / "mod.py").write_text("def handler(event, context):\n    return 4\n")
    (root / "uses_boto3.py").write_text("import boto3\n\ndef handler(event, context):\n    return 5\n")
    (root / "uses_missing.py").write_text(
        "import notinstalled\n\ndef handler(event, context):\n    return 6\n"
    )
    return root


def _interpreter_or_skip() -> str:
    for version in packaging.PYTHON_VERSIONS:
        if packaging.find_interpreter(version):
            return version
    pytest.skip("no python3.12 or python3.13 on this machine: only the static check runs")


@pytest.mark.parametrize("how", ["imported", "static"])
def test_the_classic_dotted_handler_gets_the_fix(tree, how, monkeypatch) -> None:
    version = _interpreter_or_skip() if how == "imported" else "3.12"
    if how == "static":
        monkeypatch.setattr(packaging, "find_interpreter", lambda python: None)
    with pytest.raises(packaging.HandlerError) as info:
        packaging.check_handler(tree, "app.CreateOrder.handler", version, "x86_64")
    message = str(info.value)
    assert "handler = CreateOrder.handler" in message
    assert "'app.handler'" in message


@pytest.mark.parametrize("how", ["imported", "static"])
@pytest.mark.parametrize(
    ("handler", "expected"),
    [
        ("app.handler", r"no attribute 'handler' .*lambda_handler"),
        ("nothere.handler", r"module 'nothere' is not in the package"),
        ("pkg.mod.missing", r"no attribute 'missing'"),
        ("handler", r"must look like 'module.attribute'"),
        # Lambda imports the module part as written: these name no module (one rule, in
        # pypwext.tools._handler_probe.split, for the static check and the import alike)
        ("./app.lambda_handler", r"must look like 'module.attribute'"),
        (".app.lambda_handler", r"must look like 'module.attribute'"),
        ("pkg..mod.handler", r"must look like 'module.attribute'"),
        ("app.lambda_handler.", r"must look like 'module.attribute'"),
    ],
)
def test_handler_mistakes(tree, how, handler, expected, monkeypatch) -> None:
    version = _interpreter_or_skip() if how == "imported" else "3.12"
    if how == "static":
        monkeypatch.setattr(packaging, "find_interpreter", lambda python: None)
    with pytest.raises(packaging.HandlerError, match=expected):
        packaging.check_handler(tree, handler, version, "x86_64")


@pytest.mark.parametrize("handler", ["./app.lambda_handler", ".app.lambda_handler", "app.lambda_handler."])
def test_the_import_check_reads_a_handler_string_by_the_same_rule(tree, handler) -> None:
    """The probe that imports the handler in the target interpreter splits the string as the
    static check does: what one refuses, the other does not try to import."""
    from pypwext.tools import _handler_check

    probe = [sys.executable, "-I", "-S", "-B", _handler_check._PROBE, str(tree), handler]
    done = subprocess.run(probe, capture_output=True, text=True, cwd=tree, timeout=60, check=True)
    marker = _handler_check.MARKER
    assert done.stdout[done.stdout.rindex(marker) + len(marker) :].strip() == '{"error": "handler"}'
    with pytest.raises(packaging.HandlerError, match=r"must look like 'module.attribute'"):
        _handler_check.explain(handler, {"error": "handler"})


def test_good_handlers_resolve(tree) -> None:
    version = _interpreter_or_skip()
    assert packaging.check_handler(tree, "app.lambda_handler", version, "x86_64").startswith("imported with")
    assert packaging.check_handler(tree, "pkg.mod.handler", version, "x86_64").startswith("imported with")
    # boto3 is the runtime's, not the package's: the module is read instead of imported
    assert "provided by the Lambda runtime" in packaging.check_handler(
        tree, "uses_boto3.handler", version, "x86_64"
    )
    with pytest.raises(packaging.HandlerError, match=r"imports 'notinstalled'.*requirements\.txt"):
        packaging.check_handler(tree, "uses_missing.handler", version, "x86_64")
    with pytest.raises(packaging.HandlerError, match="not a callable"):
        packaging.check_handler(tree, "app.VALUE", version, "x86_64")
    assert "the target is arm64" in packaging.check_handler(tree, "app.lambda_handler", "3.12", "arm64")


# --- the command --------------------------------------------------------------------------------


def test_cli_prints_sizes_and_code_sha256(tmp_path, index, capsys) -> None:
    proj = project(tmp_path, index)
    out = tmp_path / "dist" / "function.zip"
    code = main(["package", str(proj), "--handler", "app.handler", "--out", str(out), "--no-check-handler"])
    assert code == 0
    text = capsys.readouterr().out
    assert f"CodeSha256 {packaging.code_sha256(out)}" in text
    assert "mylib" in text and "total" in text
    assert "left out (the Lambda runtime has them): boto3, botocore" in text


def test_cli_exit_codes(tmp_path, index, capsys, monkeypatch) -> None:
    proj = project(tmp_path, index)
    out = str(tmp_path / "f.zip")
    monkeypatch.setattr(packaging, "find_interpreter", lambda python: None)
    assert main(["package", str(proj), "--handler", "app.CreateOrder.handler", "--out", out]) == 3
    assert "handler = CreateOrder.handler" in capsys.readouterr().err
    assert main(["package", str(tmp_path / "nope"), "--handler", "app.handler", "--out", out]) == 2
    (proj / "requirements.txt").write_text(f"--no-index\n--find-links {index}\nnosuchthing\n")
    assert main(["package", str(proj), "--handler", "app.handler", "--out", out]) == 5
    (proj / "requirements.txt").write_text("")
    monkeypatch.setattr(packaging, "UNZIPPED_LIMIT", 10)
    assert main(["package", str(proj), "--handler", "app.handler", "--out", out]) == 6
    assert "Lambda accepts at most" in capsys.readouterr().err


def test_the_pypwext_requirement_comes_from_this_checkout(tmp_path, monkeypatch) -> None:
    built = tmp_path / "pypwext-0.1.0-py3-none-any.whl"
    # the step that reads requirements (pypwext.tools.packaging._requirements) builds the wheel
    monkeypatch.setattr(packaging._requirements, "_build_pypwext_wheel", lambda source, workdir: built)
    proj = tmp_path / "proj"
    proj.mkdir()
    (proj / "other.txt").write_text("attrs\n")
    (proj / "requirements.txt").write_text("# deps\npypwext[extra]>=0.1  # the framework\n-r other.txt\n")
    reqs = packaging.requirements_for(proj, None, tmp_path)
    assert reqs is not None
    assert reqs.read_text().splitlines() == [f"pypwext[extra] @ {built.as_uri()}", f"-r {proj / 'other.txt'}"]
    (proj / "requirements.txt").unlink()  # no requirements.txt: pypwext alone
    reqs = packaging.requirements_for(proj, None, tmp_path)
    assert reqs is not None and reqs.read_text() == f"pypwext @ {built.as_uri()}\n"


def test_cli_shows_one_line_per_phase_on_stderr(tmp_path, index, capsys, monkeypatch) -> None:
    monkeypatch.setattr(packaging, "find_interpreter", lambda python: None)
    proj = project(tmp_path, index)
    out = tmp_path / "f.zip"
    assert main(["package", str(proj), "--handler", "app.handler", "--out", str(out)]) == 0
    captured = capsys.readouterr()
    phases = [line for line in captured.err.splitlines() if line.startswith("package: ")]
    expected = [
        "package: handler app.handler: found in the project's code (read statically)",
        f"package: reading the requirements ({proj / 'requirements.txt'})",
        "package: resolving the requirements (pip)",
        "package: installing 9 distributions (0 downloaded)",
        "package: leaving out what the Lambda runtime has",
        f"package: copying the project's code from {proj}",
        "package: checking the handler app.handler in the built package",
    ]
    assert phases[: len(expected)] == expected
    assert phases[-1].startswith("package: zipping ") and phases[-1].endswith(f"into {out}")
    assert len(phases) == len(expected) + 1  # one line per phase, not one per file
    assert "package: " not in captured.out  # stdout keeps the report only
    assert f"CodeSha256 {packaging.code_sha256(out)}" in captured.out


def test_a_handler_typo_fails_before_anything_is_installed(tmp_path, index, capsys, monkeypatch) -> None:
    monkeypatch.setattr(packaging, "find_interpreter", lambda python: None)
    # a requirement that cannot be installed: reaching pip would exit 5, not 3
    proj = project(tmp_path, index, "nosuchthing")
    out = tmp_path / "f.zip"
    assert main(["package", str(proj), "--handler", "app.hander", "--out", str(out)]) == 3
    err = capsys.readouterr().err
    assert "module 'app' has no attribute 'hander' (its handler-like names: handler)" in err
    assert "Did you mean 'app.handler'?" in err
    assert "resolving" not in err and "reading the requirements" not in err
    assert main(["package", str(proj), "--handler", "app.CreateOrder", "--out", str(out)]) == 3
    assert "names the service class CreateOrder itself" in capsys.readouterr().err
    assert not out.exists()


def test_a_handler_from_a_requirement_is_checked_after_the_install(
    tmp_path, index, capsys, monkeypatch
) -> None:
    monkeypatch.setattr(packaging, "find_interpreter", lambda python: None)
    proj = project(tmp_path, index)
    out = tmp_path / "f.zip"
    assert main(["package", str(proj), "--handler", "mylib.handler", "--out", str(out)]) == 3
    err = capsys.readouterr().err
    assert "'mylib' is not in the project; checked once the requirements are installed" in err
    assert "installing 9 distributions" in err  # it got that far
    assert "module 'mylib' has no attribute 'handler'" in err


# --- the distribution: make dist, then pip install the wheel -------------------------------------


def test_the_built_wheel_installs_into_a_fresh_venv_and_works(tmp_path) -> None:
    """What `make dist` builds (python -m build: the sdist, then the wheel from it) installs
    into a new virtual environment, and `from pypwext import BaseService` works there. Nothing
    is downloaded: the build uses this environment's setuptools (--no-isolation) and the fresh
    venv borrows this one's dependencies through a .pth line (not pypwext: that is the wheel's)."""
    pytest.importorskip("build", reason="build is a dev dependency (make dist)")
    repo = Path(__file__).resolve().parents[2]
    src = tmp_path / "src"
    shutil.copytree(repo / "pypwext", src / "pypwext", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("setup.cfg", "pyproject.toml", "README.md"):
        shutil.copy2(repo / name, src / name)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}

    def sh(*args: str | Path) -> subprocess.CompletedProcess[str]:
        done = subprocess.run([str(a) for a in args], capture_output=True, text=True, env=env, cwd=tmp_path)
        assert done.returncode == 0, done.stdout + done.stderr
        return done

    dist = tmp_path / "dist"
    sh(sys.executable, "-m", "build", "--no-isolation", "--outdir", dist, src)
    (wheel,) = dist.glob("pypwext-*-py3-none-any.whl")
    (sdist,) = dist.glob("pypwext-*.tar.gz")

    assert wheel.name == f"pypwext-{pypwext.__version__}-py3-none-any.whl"
    in_wheel = names(wheel)
    assert "pypwext/py.typed" in in_wheel and "pypwext/cli/__main__.py" in in_wheel
    assert not [n for n in in_wheel if n.startswith(("tests/", "examples/"))]
    with tarfile.open(sdist) as archive:
        in_sdist = {m.name.split("/", 1)[1] for m in archive.getmembers() if "/" in m.name}
    assert {"setup.cfg", "pyproject.toml", "README.md", "pypwext/__init__.py", "pypwext/py.typed"} <= in_sdist

    fresh = tmp_path / "fresh"
    sh(sys.executable, "-m", "venv", "--without-pip", fresh)
    sh(
        sys.executable,
        "-m",
        "pip",
        "--python",
        fresh / "bin" / "python",
        "install",
        "--no-deps",
        "--no-index",
        wheel,
    )
    site = Path(
        sh(
            fresh / "bin" / "python", "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"
        ).stdout.strip()
    )
    (site / "zz_borrowed_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")

    code = "import pypwext; from pypwext import BaseService; print(pypwext.__file__)"
    where = Path(sh(fresh / "bin" / "python", "-c", code).stdout.strip())
    assert where.is_relative_to(site)  # the wheel's pypwext, not this checkout's
    assert sh(fresh / "bin" / "pypwext", "--version").stdout == f"pypwext {pypwext.__version__}\n"
    app = tmp_path / "app.py"
    app.write_text(
        "from pypwext import BaseService, Request\n\n"
        "class Ping(BaseService):\n"
        "    def execute(self, request: Request) -> dict[str, bool]:\n"
        "        return {'pong': True}\n\n"
        "handler = Ping.handler\n"
    )
    answer = sh(fresh / "bin" / "pypwext", "invoke", app, "--http", "GET", "/ping").stdout
    assert '"statusCode": 200' in answer and "pong" in answer

    # `pypwext package` there: a project's `pypwext` requirement is this wheel's pypwext, rebuilt
    # from its installed files, never the unrelated project of that name on the public index
    proj, work = tmp_path / "proj", tmp_path / "work"
    proj.mkdir()
    work.mkdir()
    (proj / "requirements.txt").write_text("pypwext[tracing]>=0.1\n")
    script = (
        "import sys; from pathlib import Path; from pypwext.tools.packaging import requirements_for; "
        "print(requirements_for(Path(sys.argv[1]), None, Path(sys.argv[2])).read_text())"
    )
    line = sh(fresh / "bin" / "python", "-c", script, proj, work).stdout.strip()
    assert line.startswith("pypwext[tracing] @ file://"), line
    rebuilt = Path(line.split(" @ file://", 1)[1])
    assert "pypwext/handler_check.py" in names(rebuilt)
    target = tmp_path / "target"
    sh(sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "--target", target, rebuilt)
    assert (target / "pypwext" / "py.typed").is_file()
