"""Shared benchmark machinery: threads, alternating timed passes, medians, rows, table, JSON.

Every workload builds a list of candidates (pykeras and its peers) and hands it to
:func:`alternate` (throughput: many calls per sample) or :func:`latencies` (one call per
sample). Both warm every candidate up first, then run several passes in which the
candidates take turns, the order rotating from pass to pass, so a slow phase of the shared
machine falls on all of them alike. Results are rows (plain dicts) that carry the pykeras
median measured in the same process, so a ratio never compares two different runs.
"""
import json
import os
import statistics
import subprocess
import sys
import time
from contextlib import contextmanager

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
RESULT_MARK = "@@BENCH-RESULT@@ "
GAP_S = 0.12


def pin_thread_env(threads):
    """Thread counts for every library, set before any of them is imported.

    OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE (set on some of these machines to work around
    old OpenBLAS builds) make a current numpy pick a slower kernel: benchmarks drop them.
    """
    for name in THREAD_VARS:
        os.environ[name] = str(threads)
    os.environ.pop("OPENBLAS_CORETYPE", None)
    os.environ.pop("OPENBLAS_L2_SIZE", None)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("KMP_AFFINITY", "disabled")


def configure_tensorflow(threads):
    """TensorFlow's intra- and inter-op pools, fixed before its runtime starts."""
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(threads)


def installed(module):
    """True when ``module`` can be imported (without importing it)."""
    import importlib.util

    return importlib.util.find_spec(module) is not None


@contextmanager
def threads(n):
    """Runs the block with ``n`` threads in pykeras, numpy's BLAS and torch (those loaded)."""
    undo = []
    if "pykeras" in sys.modules:
        from pykeras import config

        old = config.get_num_threads()
        config.set_num_threads(n)
        undo.append(lambda: config.set_num_threads(old))
    if "torch" in sys.modules:
        import torch

        old_torch = torch.get_num_threads()
        torch.set_num_threads(n)
        undo.append(lambda: torch.set_num_threads(old_torch))
    limiter = None
    if installed("threadpoolctl"):
        from threadpoolctl import threadpool_limits

        limiter = threadpool_limits(limits=n, user_api="blas")
    try:
        yield
    finally:
        if limiter is not None:
            limiter.restore_original_limits()
        for step in reversed(undo):
            step()


# ---------------------------------------------------------------------------- timing


def _calibrate(fn, target_s):
    """Calls of ``fn`` that fill about ``target_s`` seconds (at least one)."""
    calls = 1
    while True:
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        elapsed = time.perf_counter() - start
        if elapsed >= target_s / 4 or calls >= 1 << 20:
            return max(1, int(calls * target_s / max(elapsed, 1e-9)))
        calls *= 4


def settle(gap_s=GAP_S):
    """Idles before a timed block so the previous candidate's thread pools stop spinning.

    OpenBLAS workers spin for up to ~0.1 s after a call and OpenMP workers for a while too;
    on two cores that spinning would be charged to whichever candidate runs next.
    """
    time.sleep(gap_s)


def alternate(candidates, passes, sample_s=0.2, warmup_s=0.2):
    """Seconds per call of each candidate: one sample per pass, candidates taking turns.

    ``candidates`` is a list of ``(name, fn)``. Each sample times a block of calls sized to
    about ``sample_s``; the block sizes are fixed after warm-up. Returns ``{name: [s, ...]}``.
    """
    calls = {}
    for name, fn in candidates:
        settle()
        _calibrate(fn, warmup_s)  # warm-up: caches, thread pools, lazy initialisation
        calls[name] = _calibrate(fn, sample_s)
    samples = {name: [] for name, _ in candidates}
    for p in range(passes):
        shift = p % len(candidates)
        for name, fn in candidates[shift:] + candidates[:shift]:
            n = calls[name]
            settle()
            start = time.perf_counter()
            for _ in range(n):
                fn()
            samples[name].append((time.perf_counter() - start) / n)
    return samples


def latencies(candidates, calls, passes, warmup=50, budget_s=10.0):
    """Per-call seconds of each candidate, ``calls`` calls each, spread over ``passes`` turns.

    A candidate slower than ``budget_s / calls`` per call gets fewer calls (at least 20 a
    pass) so one slow peer cannot hold the suite up for minutes.
    """
    per_pass = {}
    for name, fn in candidates:
        start = time.perf_counter()
        for _ in range(warmup):
            fn()
        each = (time.perf_counter() - start) / warmup
        per_pass[name] = max(1, min(calls, max(20 * passes, int(budget_s / each))) // passes)
    samples = {name: [] for name, _ in candidates}
    clock = time.perf_counter
    for p in range(passes):
        shift = p % len(candidates)
        for name, fn in candidates[shift:] + candidates[:shift]:
            out = samples[name]
            settle()
            for _ in range(per_pass[name]):
                start = clock()
                fn()
                out.append(clock() - start)
    return samples


def once_each(candidates, passes):
    """One timed call of each candidate per pass, taking turns (for calls of seconds)."""
    samples = {name: [] for name, _ in candidates}
    for p in range(passes):
        shift = p % len(candidates)
        for name, fn in candidates[shift:] + candidates[:shift]:
            settle()
            start = time.perf_counter()
            fn()
            samples[name].append(time.perf_counter() - start)
    return samples


# ---------------------------------------------------------------------------- rows


def row(workload, case, impl, metric, unit, better, values, threads=2, note=None, reference=None):
    """One result: the median of ``values`` with its spread, and the same-run pykeras median."""
    values = [float(v) for v in values]
    result = {
        "workload": workload, "case": case, "impl": impl, "metric": metric, "unit": unit,
        "better": better, "threads": threads, "median": statistics.median(values) if values else None,
        "min": min(values) if values else None, "max": max(values) if values else None,
        "n": len(values), "samples": values,
    }
    if note:
        result["note"] = note
    if reference is not None:
        result["pykeras_same_run"] = reference
    return result


def missing(workload, case, impl, metric, unit, better, why="not installed", threads=2):
    return {"workload": workload, "case": case, "impl": impl, "metric": metric, "unit": unit,
            "better": better, "threads": threads, "median": None, "status": why}


def rows_from(samples, workload, case, metric, unit, better, convert, threads=2, notes=None):
    """Rows for every candidate in ``samples``; ``convert`` maps seconds to the metric.

    The candidate whose name starts with "pykeras" (the first such) is the reference that
    every other row's ratio is taken against.
    """
    notes = notes or {}
    values = {name: [convert(s) for s in secs] for name, secs in samples.items()}
    ref_name = next((name for name in values if name.startswith("pykeras")), None)
    ref = statistics.median(values[ref_name]) if ref_name else None
    return [
        row(workload, case, name, metric, unit, better, vals, threads, notes.get(name),
            reference=None if name.startswith("pykeras") else ref)
        for name, vals in values.items()
    ]


def ratio(result):
    """pykeras / peer for the metric, from the same run; None when not comparable."""
    ref, med = result.get("pykeras_same_run"), result.get("median")
    if not ref or not med:
        return None
    return ref / med


# ---------------------------------------------------------------------------- subprocesses


def emit(rows):
    """Used by a worker subprocess: hands its rows to the parent on stdout."""
    sys.stdout.write(RESULT_MARK + json.dumps(rows) + "\n")
    sys.stdout.flush()


def run_worker(module, args, env_extra=None, timeout=1800):
    """Runs ``python -m benchmarks.<module> <args>`` and returns the rows it emitted."""
    env = dict(os.environ)
    env["PYTHONPATH"] = REPO + os.pathsep + env.get("PYTHONPATH", "")
    env.update(env_extra or {})
    proc = subprocess.run(
        [sys.executable, "-m", f"benchmarks.{module}", *args],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout,
    )
    rows = []
    for line in proc.stdout.splitlines():
        if line.startswith(RESULT_MARK):
            rows.extend(json.loads(line[len(RESULT_MARK):]))
    if proc.returncode != 0 or not rows:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-8:]
        raise RuntimeError(f"worker {module} {' '.join(args)} failed ({proc.returncode}):\n" + "\n".join(tail))
    return rows


# ---------------------------------------------------------------------------- output


def _fmt(value):
    if value is None:
        return "-"
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    if value >= 1:
        return f"{value:.2f}"
    return f"{value:.3g}"


def table(rows, markdown=False):
    """The results as text: one line per (workload, case, implementation)."""
    head = ["workload", "case", "thr", "implementation", "median", "unit", "pykeras/peer", "spread", "note"]
    lines = []
    for r in rows:
        if r.get("median") is None:
            cells = [r["workload"], r["case"], str(r["threads"]), r["impl"], r.get("status", "-"),
                     r["unit"], "", "", ""]
        else:
            q = ratio(r)
            arrow = "↑" if r["better"] == "higher" else "↓"
            spread = f"{_fmt(r['min'])}–{_fmt(r['max'])} (n={r['n']})"
            cells = [r["workload"], r["case"], str(r["threads"]), r["impl"], _fmt(r["median"]),
                     f"{r['unit']} {arrow}", "" if q is None else f"{q:.3g}", spread,
                     r.get("note", "")]
        lines.append(cells)
    if markdown:
        out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        out += ["| " + " | ".join(c) + " |" for c in lines]
        return "\n".join(out)
    widths = [max(len(h), *(len(c[i]) for c in lines)) if lines else len(h) for i, h in enumerate(head)]
    fmt = lambda cells: "  ".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip()
    return "\n".join([fmt(head), fmt(["-" * w for w in widths])] + [fmt(c) for c in lines])


def write_json(path, payload):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(payload, f, indent=1)
    os.replace(tmp, path)


def cpu_busy(interval=1.0):
    """Fraction of all cores busy over ``interval`` seconds (this process idle meanwhile)."""
    def sample():
        with open("/proc/stat") as f:
            fields = [int(v) for v in f.readline().split()[1:]]
        idle = fields[3] + fields[4]
        return idle, sum(fields)

    try:
        idle0, total0 = sample()
        time.sleep(interval)
        idle1, total1 = sample()
    except OSError:
        return None
    return 1.0 - (idle1 - idle0) / max(1, total1 - total0)


def wait_until_quiet(limit_s, threshold=0.25):
    """Waits up to ``limit_s`` seconds for other work on the machine to stop; returns the last reading."""
    deadline = time.monotonic() + limit_s
    busy = cpu_busy()
    while busy is not None and busy > threshold and time.monotonic() < deadline:
        busy = cpu_busy(2.0)
    return busy
