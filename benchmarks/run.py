"""Benchmark pypwext against the stacks a Lambda user would pick instead (issue 8).

    python benchmarks/run.py [--quick] [--skip nopyc,importtime,size] [--pypwext-root DIR]

Runs with any Python 3.10+ (stdlib only): the stacks themselves run in fresh interpreters of
the project's virtual environment (pypwext) and of benchmarks/.venv-peers (everything else;
``make bench`` creates it from benchmarks/requirements-peers.txt). Writes
benchmarks/results/latest.md and latest.json. The method is described in docs/performance.md.
"""

from __future__ import annotations

import argparse
import json
import marshal
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path.insert(0, str(BENCH))

from events import BAD_BODIES, EVENT_KINDS, GOOD_ANSWER, GOOD_ORDER  # noqa: E402

PROJECT_PY = REPO / ".venv" / "bin" / "python"
PYPWEXT_ROOT = REPO  # the checkout whose pypwext and examples are measured (--pypwext-root)
PEERS_PY = BENCH / ".venv-peers" / "bin" / "python"
RESULTS = BENCH / "results"

# key (module in stacks/), label as in issue 8's table, which virtual environment runs it
STACKS: list[tuple[str, str, str]] = [
    ("bare", "bare handler (json only)", "peers"),
    ("bare_logger", "bare + Powertools Logger, one line per call", "peers"),
    ("attrs_cattrs", "attrs + cattrs validation, no logging", "peers"),
    ("pt_resolver", "Powertools APIGatewayRestResolver, no validation", "peers"),
    ("pt_pydantic", "Powertools resolver with pydantic validation", "peers"),
    ("chalice_app", "Chalice (no validation)", "peers"),
    ("fastapi_mangum", "FastAPI + Mangum", "peers"),
    ("pypwext_orders", "**pypwext** (examples/orders, INFO logging)", "project"),
]
STACK_EVENTS = {
    "bare": ("rest", "http"),
    "bare_logger": ("rest", "http"),
    "attrs_cattrs": ("rest", "http"),
    "pt_resolver": ("rest",),
    "pt_pydantic": ("rest",),
    "chalice_app": ("rest",),
    "fastapi_mangum": ("rest", "http"),
    "pypwext_orders": ("rest", "http"),
}
HEAVY = ("boto3", "botocore", "requests", "urllib3", "pydantic")
SIZE_EXCLUDED = {"boto3", "botocore", "s3transfer"}
X = "\N{MULTIPLICATION SIGN}"


def log(*args: Any) -> None:
    print(*args, file=sys.stderr, flush=True)


# --- children -------------------------------------------------------------------------------


def site_dirs(python: Path) -> list[str]:
    code = "import sysconfig, json; p = sysconfig.get_paths(); print(json.dumps(sorted({p['purelib'], p['platlib']})))"
    return list(json.loads(subprocess.check_output([str(python), "-I", "-c", code], text=True)))


def child_env() -> dict[str, str]:
    """The environment of a stack: the caller's, less anything that changes what a stack does."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("POWERTOOLS_", "PYTHON", "_X_AMZN"))}
    env.pop("LOG_LEVEL", None)
    env.update(AWS_REGION="eu-west-1", AWS_DEFAULT_REGION="eu-west-1", AWS_LAMBDA_FUNCTION_NAME="orders")
    return env


class Children:
    """Runs child.py in fresh interpreters and collects what they measured."""

    def __init__(self) -> None:
        self.tmp = Path(tempfile.mkdtemp(prefix="pypwext-bench-"))
        self.env = child_env()
        self.paths = {
            "peers": [str(BENCH), *site_dirs(PEERS_PY)],
            "project": [str(BENCH), str(PYPWEXT_ROOT), *site_dirs(PROJECT_PY)],
        }
        self.pythons = {"peers": PEERS_PY, "project": PROJECT_PY}
        self.count = 0

    def run(
        self,
        stack: str | None,
        venv: str,
        mode: str,
        event: dict[str, Any] | None = None,
        *,
        script: Path | None = None,
        path: list[str] | None = None,
        no_pyc: bool = False,
        **extra: Any,
    ) -> dict[str, Any]:
        self.count += 1
        config_file = self.tmp / f"config-{self.count}.bin"
        out = self.tmp / f"out-{self.count}.json"
        config = {
            "mode": mode,
            "stack": stack,
            "path": self.paths[venv] if path is None else path,
            "event": marshal.dumps(event if event is not None else {}),
            "out": str(out),
            **extra,
        }
        config_file.write_bytes(marshal.dumps(config))
        flags = ["-I", "-S", *(["-B"] if no_pyc else [])]
        argv = [str(self.pythons[venv]), *flags, str(script or BENCH / "child.py"), str(config_file)]
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=self.env, cwd=self.tmp
        )
        assert proc.stderr is not None
        err = proc.stderr.read()
        _, status, usage = os.wait4(proc.pid, 0)
        wall_ms = (time.perf_counter() - t0) * 1e3
        proc.returncode = os.waitstatus_to_exitcode(status)
        proc.stderr.close()
        if proc.returncode != 0 or not out.exists():
            raise RuntimeError(
                f"{stack} ({mode}) failed with {proc.returncode}:\n{err.decode(errors='replace')}"
            )
        result: dict[str, Any] = json.loads(out.read_text())
        out.unlink()
        config_file.unlink()
        result["wall_ms"] = wall_ms
        # wait4's ru_maxrss is the peak of the process's whole life, and on Linux that includes
        # the image of this runner that fork() copied before exec(): every small stack showed the
        # same 17 MB. The child's own peak is VmHWM, which it reads from /proc/self/status at exit.
        result["maxrss_mb"] = usage.ru_maxrss / 1024  # Linux: kB; kept for comparison only
        result["rss_mb"] = result["vmhwm_kb"] / 1024 if "vmhwm_kb" in result else result["maxrss_mb"]
        return result


# --- correctness ----------------------------------------------------------------------------


def _body_json(answer: dict[str, Any]) -> Any:
    body = answer.get("body")
    if answer.get("isBase64Encoded"):
        import base64

        body = base64.b64decode(body).decode()
    return json.loads(body) if body else None


def check_correctness(children: Children) -> dict[str, Any]:
    """Every stack answers 201 with the same body to the good order, and a 4xx naming the field
    to each bad body, for each event kind it serves; raises SystemExit otherwise."""
    failures: list[str] = []
    report: dict[str, Any] = {}
    for key, _label, venv in STACKS:
        for kind in STACK_EVENTS[key]:
            make = EVENT_KINDS[kind]
            bodies = {"good": marshal.dumps(make(json.dumps(GOOD_ORDER)))}
            bodies.update({name: marshal.dumps(make(text)) for name, (text, _) in BAD_BODIES.items()})
            answers = children.run(key, venv, "check", make(json.dumps(GOOD_ORDER)), bodies=bodies)["answers"]
            good = answers["good"]
            if good.get("statusCode") != 201 or _body_json(good) != GOOD_ANSWER:
                failures.append(f"{key}/{kind}: good order answered {good}")
            statuses = {"good": good.get("statusCode")}
            for name, (_text, field) in BAD_BODIES.items():
                answer = answers[name]
                status = answer.get("statusCode")
                statuses[name] = status
                if not (isinstance(status, int) and 400 <= status < 500):
                    failures.append(f"{key}/{kind}: {name!r} answered {status}: {answer.get('body')}")
                elif field is not None and field not in str(answer.get("body")):
                    failures.append(
                        f"{key}/{kind}: {name!r} answer does not name {field!r}: {answer.get('body')}"
                    )
            report[f"{key}/{kind}"] = statuses
    if failures:
        raise SystemExit("correctness check failed:\n  " + "\n  ".join(failures))
    return report


# --- measurements ---------------------------------------------------------------------------


def rotated(items: list[Any], n: int) -> list[Any]:
    k = n % len(items)
    return items[k:] + items[:k]


def measure_cold(children: Children, rounds: int, *, no_pyc: bool = False) -> dict[str, list[dict[str, Any]]]:
    """Fresh interpreters, interleaved: each round runs every stack once (the start rotates)."""
    runs: dict[str, list[dict[str, Any]]] = {key: [] for key, _, _ in STACKS}
    runs["(empty interpreter)"] = []
    targets: list[tuple[str | None, str]] = [(key, venv) for key, _, venv in STACKS] + [(None, "peers")]
    copies = make_pyc_free_copies(children) if no_pyc else {}
    event = EVENT_KINDS["rest"](json.dumps(GOOD_ORDER))
    for n in range(rounds):
        for key, venv in rotated(targets, n):
            name = key or "(empty interpreter)"
            if no_pyc:
                copy = copies[name]
                result = children.run(
                    key, venv, "cold", event, script=copy / "child.py", path=[str(copy)], no_pyc=True
                )
            else:
                result = children.run(key, venv, "cold", event)
            runs[name].append(result)
        log(f"  {'no-pyc ' if no_pyc else ''}cold round {n + 1}/{rounds}")
    return runs


def make_pyc_free_copies(children: Children) -> dict[str, Path]:
    """For each stack, a folder with everything it imports from outside the standard library,
    copied without __pycache__ (as a zip shipped without .pyc files unpacks), plus child.py."""
    copies: dict[str, Path] = {}
    event = EVENT_KINDS["rest"](json.dumps(GOOD_ORDER))
    for key, _label, venv in [*STACKS, (None, "", "peers")]:
        name = key or "(empty interpreter)"
        dest = children.tmp / "nopyc" / (key or "empty")
        dest.mkdir(parents=True)
        shutil.copy2(BENCH / "child.py", dest / "child.py")
        # most specific first: the project's site-packages lies inside the repository
        roots = sorted({Path(p) for p in children.paths[venv]}, key=lambda p: -len(p.parts))
        if key is not None:
            modules = children.run(key, venv, "modules", event)["modules"]
            tops: set[tuple[Path, str]] = set()
            for file in modules.values():
                if not file:
                    continue
                path = Path(file)
                for root in roots:
                    if path.is_relative_to(root):
                        tops.add((root, path.relative_to(root).parts[0]))
                        break
            for root, top in sorted(tops):
                if top in ("child.py", "events.py"):
                    continue
                src = root / top
                if src.is_dir():
                    shutil.copytree(src, dest / top, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
                else:
                    shutil.copy2(src, dest / top)
            for root in roots:  # metadata, for packages that ask importlib.metadata their version
                for info in root.glob("*.dist-info"):
                    shutil.copytree(info, dest / info.name, dirs_exist_ok=True)
        copies[name] = dest
    return copies


def measure_warm(
    children: Children, rounds: int, batches: int, calls: int, warmup: int
) -> dict[str, dict[str, list[float]]]:
    """In-process µs per call after a warm-up; one process per stack and event kind per round,
    interleaved; each process times ``batches`` batches of ``calls`` calls."""
    runs: dict[str, dict[str, list[float]]] = {kind: {} for kind in EVENT_KINDS}
    targets = [(key, venv, kind) for key, _, venv in STACKS for kind in STACK_EVENTS[key]]
    for n in range(rounds):
        for key, venv, kind in rotated(targets, n):
            event = EVENT_KINDS[kind](json.dumps(GOOD_ORDER))
            result = children.run(key, venv, "warm", event, warmup=warmup, batches=batches, calls=calls)
            runs[kind].setdefault(key, []).extend(result["warm_us"])
        log(f"  warm round {n + 1}/{rounds}")
    return runs


def measure_warm_invalid(
    children: Children, rounds: int, batches: int, calls: int, warmup: int
) -> dict[str, dict[str, list[float]]]:
    """The warm measurement on the 400 path: for each stack, one process per round times each of
    the bad bodies of events.BAD_BODIES (REST event) in turn; interleaved as the valid path."""
    make = EVENT_KINDS["rest"]
    bodies = {name: marshal.dumps(make(text)) for name, (text, _) in BAD_BODIES.items()}
    runs: dict[str, dict[str, list[float]]] = {}
    targets = [(key, venv) for key, _, venv in STACKS]
    for n in range(rounds):
        for key, venv in rotated(targets, n):
            result = children.run(
                key,
                venv,
                "warm-bodies",
                make(json.dumps(GOOD_ORDER)),
                bodies=bodies,
                warmup=warmup,
                batches=batches,
                calls=calls,
            )
            for name, values in result["warm_us"].items():
                runs.setdefault(key, {}).setdefault(name, []).extend(values)
        log(f"  warm invalid round {n + 1}/{rounds}")
    return runs


def measure_importtime(runs: int) -> dict[str, Any]:
    """``python -X importtime`` of ``import pypwext`` (median total of ``runs`` runs, and the
    entries of the median run)."""
    paths = [str(PYPWEXT_ROOT), *site_dirs(PROJECT_PY)]
    code = f"import sys; sys.path[1:1] = {paths!r}; import pypwext"
    parsed: list[tuple[int, list[tuple[int, int, str]]]] = []
    for _ in range(runs):
        out = subprocess.run(
            [str(PROJECT_PY), "-I", "-S", "-X", "importtime", "-c", code],
            capture_output=True,
            text=True,
            check=True,
            env=child_env(),
        ).stderr
        entries = []
        for line in out.splitlines():
            m = re.match(r"import time:\s+(\d+) \|\s+(\d+) \| (.*)$", line)
            if m:
                entries.append((int(m[1]), int(m[2]), m[3]))
        total = next(cum for _self, cum, name in entries if name.strip() == "pypwext")
        parsed.append((total, entries))
    parsed.sort(key=lambda p: p[0])
    total, entries = parsed[len(parsed) // 2]
    # importtime lists a module after what it imported: pypwext's block is everything after the
    # previous top-level entry (the interpreter's own start-up imports come before it)
    end = next(i for i, e in enumerate(entries) if e[2] == "pypwext")
    start = max((i for i, e in enumerate(entries[:end]) if not e[2].startswith(" ")), default=-1) + 1
    block = entries[start : end + 1]
    top = sorted(block, key=lambda e: -e[1])[:20]
    by_self = sorted(block, key=lambda e: -e[0])[:15]
    return {
        "runs": runs,
        "total_ms": total / 1e3,
        "all_totals_ms": [p[0] / 1e3 for p in parsed],
        "modules": len(block),
        "top_cumulative": [{"self_us": s, "cumulative_us": c, "module": n.rstrip()} for s, c, n in top],
        "top_self": [{"self_us": s, "cumulative_us": c, "module": n.strip()} for s, c, n in by_self],
    }


def measure_size(work: Path) -> dict[str, Any]:
    """The deployable closure of pypwext without boto3: its wheel and dependencies installed with
    ``pip install --target`` (no .pyc), boto3/botocore/s3transfer and what only they need left
    out, zipped."""
    pip = [str(PROJECT_PY), "-m", "pip", "--disable-pip-version-check"]
    wheels = work / "wheel"
    subprocess.run(
        [*pip, "wheel", "--no-deps", "-q", "-w", str(wheels), str(PYPWEXT_ROOT)],
        check=True,
        capture_output=True,
    )
    wheel = next(wheels.glob("pypwext-*.whl"))
    report_file = work / "report.json"
    subprocess.run(
        [*pip, "install", "-q", "--dry-run", "--ignore-installed", "--report", str(report_file), str(wheel)],
        check=True,
        capture_output=True,
    )
    report = json.loads(report_file.read_text())
    from packaging.markers import default_environment  # pip's dependencies are in the project venv
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    found = {canonicalize_name(i["metadata"]["name"]): i["metadata"] for i in report["install"]}
    environment = default_environment()
    keep: dict[str, str] = {}
    todo = ["pypwext"]
    while todo:
        name = todo.pop()
        if name in keep or name in SIZE_EXCLUDED:
            continue
        meta = found[name]
        keep[name] = meta["version"]
        for text in meta.get("requires_dist", []):
            req = Requirement(text)
            if req.marker is None or req.marker.evaluate({**environment, "extra": ""}):
                todo.append(canonicalize_name(req.name))
    target = work / "target"
    pins = [f"{n}=={v}" for n, v in sorted(keep.items()) if n != "pypwext"]
    subprocess.run(
        [*pip, "install", "-q", "--no-deps", "--no-compile", "--target", str(target), str(wheel), *pins],
        check=True,
        capture_output=True,
    )
    archive = work / "deploy.zip"
    per_top: dict[str, int] = {}
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for file in sorted(target.rglob("*")):
            if file.is_dir() or "__pycache__" in file.parts or file.suffix == ".pyc":
                continue
            rel = file.relative_to(target)
            zf.write(file, rel.as_posix())
            top = re.sub(r"-[^-]+\.dist-info$", " (metadata)", rel.parts[0])
            per_top[top] = per_top.get(top, 0) + zf.getinfo(rel.as_posix()).compress_size
    size = archive.stat().st_size
    return {
        "zip_bytes": size,
        "zip_mb": size / 1e6,
        "packages": keep,
        "largest": sorted(((k, v / 1e6) for k, v in per_top.items()), key=lambda kv: -kv[1])[:12],
    }


# --- report ---------------------------------------------------------------------------------


def med(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def machine() -> dict[str, Any]:
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    versions = {}
    for venv, py in (("project", PROJECT_PY), ("peers", PEERS_PY)):
        code = (
            "import importlib.metadata as m, json, sys\n"
            "names = ['aws-lambda-powertools', 'attrs', 'cattrs', 'pydantic', 'chalice', 'fastapi', 'mangum']\n"
            "out = {'python': sys.version.split()[0]}\n"
            "for n in names:\n"
            "    try: out[n] = m.version(n)\n"
            "    except m.PackageNotFoundError: pass\n"
            "print(json.dumps(out))"
        )
        versions[venv] = json.loads(subprocess.check_output([str(py), "-I", "-c", code], text=True))
    try:
        load = os.getloadavg()
    except OSError:
        load = (0.0, 0.0, 0.0)
    return {
        "nproc": os.cpu_count(),
        "cpu": model,
        "platform": platform.platform(),
        "versions": versions,
        "loadavg_at_start": load,
    }


def summarise(raw: dict[str, Any]) -> dict[str, Any]:
    rows: dict[str, dict[str, Any]] = {}
    for key, label, _venv in STACKS:
        cold = raw["cold"][key]
        row: dict[str, Any] = {
            "label": label,
            "cold_wall_ms": med([r["wall_ms"] for r in cold]),
            "cold_inside_ms": med([r["cold_ms"] for r in cold]),
            "import_ms": med([r["import_ms"] for r in cold]),
            "first_call_ms": med([r["first_call_ms"] for r in cold]),
            "rss_mb": med([r["rss_mb"] for r in cold]),
            "modules_added": med([r["modules_added"] for r in cold]),
            "warm_us": med(raw["warm"]["rest"].get(key, [])),
            "warm_http_us": med(raw["warm"]["http"].get(key, [])),
            "warm_invalid_us": {
                name: med(values) for name, values in raw.get("warm_invalid", {}).get(key, {}).items()
            },
        }
        if raw.get("nopyc"):
            row["nopyc_wall_ms"] = med([r["wall_ms"] for r in raw["nopyc"][key]])
            row["nopyc_inside_ms"] = med([r["cold_ms"] for r in raw["nopyc"][key]])
        rows[key] = row
    empty = raw["cold"]["(empty interpreter)"]
    base = rows["bare"]
    for row in rows.values():
        for col in ("cold_wall_ms", "cold_inside_ms", "warm_us", "warm_http_us", "rss_mb", "nopyc_wall_ms"):
            if col in row:
                row[col + "_ratio"] = row[col] / base[col] if base.get(col) else float("nan")
    return {
        "rows": rows,
        "empty_interpreter": {
            "wall_ms": med([r["wall_ms"] for r in empty]),
            "rss_mb": med([r["rss_mb"] for r in empty]),
        },
    }


def goals(summary: dict[str, Any], raw: dict[str, Any]) -> list[tuple[str, str, bool]]:
    rows = summary["rows"]
    p, logger, resolver, pydantic = (
        rows["pypwext_orders"],
        rows["bare_logger"],
        rows["pt_resolver"],
        rows["pt_pydantic"],
    )
    out: list[tuple[str, str, bool]] = []

    def goal(text: str, value: float, limit: float, unit: str = X) -> None:
        out.append((text, f"{value:.2f}{unit} (limit {limit:.2f}{unit})", value <= limit))

    chalice = rows["chalice_app"]
    goal("warm valid: pypwext / bare+Logger ≤ 0.7", p["warm_us"] / logger["warm_us"], 0.7)
    goal("warm valid: pypwext / Chalice (no validation) ≤ 1", p["warm_us"] / chalice["warm_us"], 1.0)
    goal("warm valid: pypwext / Powertools+pydantic ≤ 0.4", p["warm_us"] / pydantic["warm_us"], 0.4)
    for name, value in p["warm_invalid_us"].items():
        base = logger["warm_invalid_us"].get(name)
        if base:
            goal(f"warm invalid ({name}): pypwext / bare+Logger ≤ 1", value / base, 1.0)
    goal("cold: pypwext / bare+Logger ≤ 1.25", p["cold_wall_ms"] / logger["cold_wall_ms"], 1.25)
    goal("cold: pypwext / Powertools resolver ≤ 0.6", p["cold_wall_ms"] / resolver["cold_wall_ms"], 0.6)
    goal("memory: pypwext / bare+Logger peak RSS (VmHWM) ≤ 1.1", p["rss_mb"] / logger["rss_mb"], 1.1)
    if raw.get("size"):
        goal("size: deployable closure without boto3 ≤ 2.5 MB", raw["size"]["zip_mb"], 2.5, " MB")
    return out


def markdown(raw: dict[str, Any], summary: dict[str, Any]) -> str:
    rows = summary["rows"]
    m = raw["machine"]
    lines = [
        "# pypwext benchmark: latest run",
        "",
        f"{raw['started']} · {m['nproc']} {X} {m['cpu']} · Python {m['versions']['project']['python']} · "
        f"load at start {', '.join(f'{x:.2f}' for x in m['loadavg_at_start'])} · mode: {raw['mode']}",
        "",
        "Medians; ratios to the bare handler from this one run. Cold start: wall time of a fresh "
        "interpreter that imports the handler and answers one REST event, measured outside the process "
        f"(an empty interpreter takes {summary['empty_interpreter']['wall_ms']:.1f} ms and "
        f"{summary['empty_interpreter']['rss_mb']:.1f} MB). Warm: µs per call in-process after a warm-up "
        "(REST event). Peak RSS: the child's own peak resident set (VmHWM of /proc/self/status, read by "
        "the child as it exits; wait4's ru_maxrss would include the runner's image from before exec).",
        "",
        "| stack | cold start (import + first call) | warm µs per call | peak RSS |",
        "|---|---|---|---|",
    ]
    for row in rows.values():
        lines.append(
            f"| {row['label']} | {row['cold_wall_ms']:.0f} ms ({row['cold_wall_ms_ratio']:.1f}{X}) "
            f"| {row['warm_us']:.1f} ({row['warm_us_ratio']:.1f}{X}) "
            f"| {row['rss_mb']:.0f} MB ({row['rss_mb_ratio']:.2f}{X}) |"
        )
    lines += [
        "",
        "Detail: cold start measured inside the process (import | first call), modules the import "
        "added, the same cold start without .pyc files (a zip shipped without them), warm calls on "
        "an HTTP API (payload 2.0) event.",
        "",
        "| stack | inside: import + first call | modules added | cold without .pyc | warm µs, HTTP API |",
        "|---|---|---|---|---|",
    ]
    for key, row in rows.items():
        nopyc = (
            f"{row['nopyc_wall_ms']:.0f} ms ({row['nopyc_wall_ms_ratio']:.1f}{X})"
            if "nopyc_wall_ms" in row
            else "-"
        )
        http = (
            f"{row['warm_http_us']:.1f} ({row['warm_http_us_ratio']:.1f}{X})"
            if "http" in STACK_EVENTS[key]
            else "-"
        )
        lines.append(
            f"| {row['label']} | {row['import_ms']:.1f} + {row['first_call_ms']:.1f} ms "
            f"| {row['modules_added']:.0f} | {nopyc} | {http} |"
        )
    names = list(BAD_BODIES)
    if any(row["warm_invalid_us"] for row in rows.values()):
        lines += [
            "",
            "Warm µs per call on the 400 path (REST event), one column per bad body "
            "(ratio to bare + Logger on the same body).",
            "",
            "| stack | " + " | ".join(names) + " |",
            "|---|" + "---|" * len(names),
        ]
        base = rows["bare_logger"]["warm_invalid_us"]
        for row in rows.values():
            cells = []
            for name in names:
                value = row["warm_invalid_us"].get(name)
                cells.append("-" if value is None else f"{value:.1f} ({value / base[name]:.2f}{X})")
            lines.append(f"| {row['label']} | " + " | ".join(cells) + " |")
    lines += ["", "## Goals (issues 8 and 18)", "", "| goal | measured | |", "|---|---|---|"]
    for text, value, ok in goals(summary, raw):
        lines.append(f"| {text} | {value} | {'pass' if ok else '**FAIL**'} |")
    if raw.get("heavy_imports") is not None:
        ok = not raw["heavy_imports"]
        lines.append(
            f"| `import pypwext` imports none of {', '.join(HEAVY)} | "
            f"{', '.join(raw['heavy_imports']) or 'none'} | {'pass' if ok else '**FAIL**'} |"
        )
    if raw.get("importtime"):
        it = raw["importtime"]
        lines += [
            "",
            f"## `python -X importtime -c 'import pypwext'`: {it['total_ms']:.1f} ms "
            f"(median of {it['runs']}), {it['modules']} modules",
            "",
            "| cumulative µs | self µs | module |",
            "|---|---|---|",
        ]
        lines += [
            f"| {e['cumulative_us']} | {e['self_us']} | {'&nbsp;' * (len(e['module']) - len(e['module'].lstrip()))}`{e['module'].strip()}` |"
            for e in it["top_cumulative"]
        ]
    if raw.get("size"):
        size = raw["size"]
        lines += [
            "",
            f"## Size: {size['zip_mb']:.2f} MB zipped ({size['zip_bytes']} bytes), without boto3/botocore/s3transfer",
            "",
            "Packages: " + ", ".join(f"{n} {v}" for n, v in sorted(size["packages"].items())) + ".",
            "",
            "Largest parts (MB, zipped): " + ", ".join(f"{n} {mb:.2f}" for n, mb in size["largest"]) + ".",
        ]
    return "\n".join(lines) + "\n"


def heavy_imports(children: Children) -> list[str]:
    paths = [str(PYPWEXT_ROOT), *site_dirs(PROJECT_PY)]
    code = f"import sys; sys.path[1:1] = {paths!r}; import pypwext; print(' '.join(sorted(sys.modules)))"
    out = subprocess.check_output([str(PROJECT_PY), "-I", "-S", "-c", code], text=True, env=children.env)
    loaded = set(out.split())
    return [name for name in HEAVY if name in loaded]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="a smoke run: few rounds, small batches")
    parser.add_argument(
        "--skip",
        default="",
        help="comma-separated parts to leave out: nopyc, importtime, size (cold and warm always run)",
    )
    parser.add_argument("--out", default=str(RESULTS / "latest"), help="results path without extension")
    parser.add_argument(
        "--pypwext-root",
        default=str(REPO),
        help="measure the pypwext (and examples/) of this checkout, e.g. a `git worktree` of another commit",
    )
    args = parser.parse_args()
    global PYPWEXT_ROOT
    PYPWEXT_ROOT = Path(args.pypwext_root).resolve()
    skip = set(filter(None, args.skip.split(",")))
    for py in (PROJECT_PY, PEERS_PY):
        if not py.exists():
            raise SystemExit(f"{py} is missing: run `make bench` (it creates both environments)")
    q = args.quick
    children = Children()
    raw: dict[str, Any] = {
        "started": time.strftime("%Y-%m-%d %H:%M:%S"),
        "mode": "quick" if q else "full",
        "machine": machine(),
    }
    try:
        log("correctness check")
        raw["correctness"] = check_correctness(children)
        raw["heavy_imports"] = heavy_imports(children)
        log("cold starts")
        raw["cold"] = measure_cold(children, 3 if q else 21)
        log("warm calls")
        raw["warm"] = measure_warm(children, 1, 3, 200, 100) if q else measure_warm(children, 5, 7, 2000, 500)
        log("warm calls on the 400 path (each bad body)")
        raw["warm_invalid"] = (
            measure_warm_invalid(children, 1, 3, 200, 100)
            if q
            else measure_warm_invalid(children, 3, 5, 1000, 300)
        )
        if "nopyc" not in skip:
            log("cold starts without .pyc")
            raw["nopyc"] = measure_cold(children, 2 if q else 9, no_pyc=True)
        if "importtime" not in skip:
            log("importtime")
            raw["importtime"] = measure_importtime(3 if q else 9)
        if "size" not in skip:
            log("size")
            raw["size"] = measure_size(children.tmp / "size")
    finally:
        shutil.rmtree(children.tmp, ignore_errors=True)
    summary = summarise(raw)
    raw["summary"] = summary
    raw["goals"] = [{"goal": g, "measured": v, "pass": ok} for g, v, ok in goals(summary, raw)]
    text = markdown(raw, summary)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".json").write_text(json.dumps(raw, indent=1, default=str) + "\n")
    out.with_suffix(".md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
