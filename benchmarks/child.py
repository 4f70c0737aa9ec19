"""One measurement in a fresh interpreter; run by run.py, never imported.

    python -I -S [-B] benchmarks/child.py CONFIG

CONFIG is a file written with ``marshal`` (so that this script imports nothing that a stack
might import itself before the clock starts): ``mode`` ("cold", "warm", "warm-bodies", "check" or "modules"),
``stack`` (a module of benchmarks/stacks, or None for an empty interpreter), ``path`` (what
goes in front of sys.path: the stack's packages), ``event`` (marshalled), ``bodies`` (for
"check" and "warm-bodies": name -> marshalled event), ``warmup``, ``batches``, ``calls`` (for "warm") and ``out`` (where the result goes, as
JSON). The child's stdout is the log sink (the runner sends it to /dev/null).
"""

import marshal
import sys
import time

started = time.perf_counter()
with open(sys.argv[1], "rb") as _f:
    config = marshal.load(_f)
sys.path[0:0] = config["path"]
event_blob = config["event"]
mode = config["mode"]
context = None
result = {}


class LambdaContext:
    """The attributes of Lambda's context object that the stacks read."""

    function_name = "orders"
    function_version = "$LATEST"
    invoked_function_arn = "arn:aws:lambda:eu-west-1:123456789012:function:orders"
    memory_limit_in_mb = 256
    aws_request_id = "00000000-0000-0000-0000-000000000000"
    log_group_name = "/aws/lambda/orders"
    log_stream_name = "2024/01/01/[$LATEST]0"

    def get_remaining_time_in_millis(self):
        return 30_000


if config["stack"] is not None:
    modules_before = len(sys.modules)
    event = marshal.loads(event_blob)
    t0 = time.perf_counter()
    module = __import__("stacks." + config["stack"], fromlist=["handler"])
    handler = module.handler
    t1 = time.perf_counter()
    context = LambdaContext()
    t1b = time.perf_counter()
    answer = handler(event, context)
    t2 = time.perf_counter()
    result.update(
        import_ms=(t1 - t0) * 1e3,
        first_call_ms=(t2 - t1b) * 1e3,
        cold_ms=(t1 - t0 + t2 - t1b) * 1e3,
        modules_added=len(sys.modules) - modules_before,
        first_status=answer.get("statusCode"),
    )

    def timed(blob):
        """µs per call of ``batches`` batches of ``calls`` calls on fresh copies of ``blob``."""
        loads = marshal.loads
        for _ in range(config["warmup"]):
            handler(loads(blob), context)
        per_call = []
        calls = config["calls"]
        for _ in range(config["batches"]):
            batch = [loads(blob) for _ in range(calls)]
            b0 = time.perf_counter()
            for ev in batch:
                handler(ev, context)
            per_call.append((time.perf_counter() - b0) / calls * 1e6)
            del batch
        return per_call

    if mode == "warm":
        result["warm_us"] = timed(event_blob)
    elif mode == "warm-bodies":  # the same, once per event of ``bodies`` (the 400 path)
        result["warm_us"] = {name: timed(blob) for name, blob in config["bodies"].items()}
    elif mode == "check":
        answers = {}
        for name, blob in config["bodies"].items():
            answers[name] = handler(marshal.loads(blob), context)
        result["answers"] = answers
    elif mode == "modules":
        result["modules"] = {name: getattr(mod, "__file__", None) for name, mod in list(sys.modules.items())}

result["process_ms"] = (time.perf_counter() - started) * 1e3
try:
    with open("/proc/self/status", encoding="ascii") as _f:
        for line in _f:
            if line.startswith("VmHWM:"):
                result["vmhwm_kb"] = int(line.split()[1])
except OSError:
    pass

import json  # noqa: E402  (after every measurement)

with open(config["out"], "w", encoding="utf-8") as _f:
    json.dump(result, _f, default=repr)
