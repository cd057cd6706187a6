"""W5: import time and peak resident memory, each library in fresh subprocesses.

Import time is the time the ``import X`` statement takes, timed inside a fresh
``python -c`` (medians of several runs); the note gives the wall time of that process less
that of ``python -c "pass"`` (the two alternate), which adds interpreter teardown. Peak RSS
(VmHWM, else ru_maxrss) is read after the import, and after one W3 training epoch at batch
128 (the W3 data included) for the libraries that train; ONNX Runtime, which only infers,
is read after the W4 throughput run instead.

Run alone as a worker: ``python -m benchmarks.w5_import_memory --after-train LIB [--quick]``.
"""
import argparse
import inspect
import json
import os
import resource
import subprocess
import sys
import time

from benchmarks import harness

LIBRARIES = [("pykeras", "pykeras"), ("numpy", "numpy"), ("torch", "torch"),
             ("tensorflow", "tensorflow"), ("onnxruntime", "onnxruntime")]


def peak_rss_mb():
    """This process's peak resident set in MB."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _env(extra=None):
    env = dict(os.environ)
    env["PYTHONPATH"] = harness.REPO + os.pathsep + env.get("PYTHONPATH", "")
    env.update(extra or {})
    return env


def _timed(code, env):
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    return time.perf_counter() - start, out.stdout


def compile_checkout():
    """Byte-compiles the checkout's pykeras, as pip does when it installs a wheel.

    The peers come from site-packages with their bytecode; the checkout has none when the
    environment sets PYTHONDONTWRITEBYTECODE, and every import would then recompile every module.
    """
    import compileall

    compileall.compile_dir(os.path.join(harness.REPO, "pykeras"), quiet=1)


def import_rows(runs):
    """Import time and peak RSS after import for every library, alternating with a bare start."""
    compile_checkout()
    env = _env({"KERAS_BACKEND": "tensorflow"})
    present = [(label, module) for label, module in LIBRARIES if harness.installed(module)]
    # Only `resource` is loaded after the import and before the RSS read: the reader is pasted in.
    probe = ("import time; t = time.perf_counter(); import {m}; t = time.perf_counter() - t\n"
             "import resource\n" + inspect.getsource(peak_rss_mb) + "print(t, peak_rss_mb())")
    wall = {label: [] for label, _ in present}
    inner = {label: [] for label in wall}
    rss = {label: [] for label in wall}
    bare = []
    for run in range(runs):
        for label, module in present[run % len(present):] + present[:run % len(present)]:
            bare.append(_timed("pass", env)[0])
            secs, out = _timed(probe.format(m=module), env)
            t_in, mb = out.split()[-2:]
            wall[label].append(secs)
            inner[label].append(float(t_in))
            rss[label].append(float(mb))
    base = sorted(bare)[len(bare) // 2]
    net = {label: [s - base for s in secs] for label, secs in wall.items()}
    rows, memory = [], []
    for label, _ in present:
        own = label == "pykeras" or "pykeras" not in wall
        rows.append(harness.row("W5 import", "import time (in process)", label, "time", "s", "lower",
                                inner[label], reference=None if own else _median(inner["pykeras"]),
                                note=f"wall - bare python {_median(net[label]):.3f} s"))
        memory.append(harness.row("W5 memory", "peak RSS after import", label, "peak RSS", "MB", "lower",
                                rss[label], reference=None if own else _median(rss["pykeras"])))
    rows += [harness.missing("W5 import", "import time (in process)", label, "time", "s", "lower")
             for label, module in LIBRARIES if (label, module) not in present]
    return rows + memory


def _median(values):
    values = sorted(values)
    return values[len(values) // 2] if values else None


def after_train(library, quick):
    """In this (fresh) process: import, run one W3 epoch at batch 128 (W4 for ORT), return MB."""
    from benchmarks import w3_mlp_fit as w3

    x, y = w3.make_data(w3.QUICK_SAMPLES if quick else w3.SAMPLES)
    if library == "onnxruntime":
        from benchmarks import w4_predict

        forward = w4_predict.onnx_session(w3.init_weights())
        for start in range(0, w4_predict.THROUGHPUT_SAMPLES, w4_predict.THROUGHPUT_BATCH):
            forward(x[start:start + w4_predict.THROUGHPUT_BATCH])
        return peak_rss_mb()
    factory = {"pykeras": w3.pykeras_trainer, "numpy": w3.numpy_trainer, "torch": w3.torch_trainer,
               "tensorflow": w3.keras3_trainer}[library]
    if library == "tensorflow":
        harness.configure_tensorflow(int(os.environ.get("OMP_NUM_THREADS", "2")))
    _, epoch = factory(x, y, 128)
    epoch()
    return peak_rss_mb()


def train_rows(quick):
    rows = []
    results = {}
    for label, module in LIBRARIES:
        case = "peak RSS after W4 10k predict" if label == "onnxruntime" else "peak RSS after 1 W3 epoch (b=128)"
        if not harness.installed(module) or (label == "tensorflow" and not harness.installed("keras")):
            rows.append(harness.missing("W5 memory", case, label, "peak RSS", "MB", "lower"))
            continue
        args = [sys.executable, "-m", "benchmarks.w5_import_memory", "--after-train", label]
        out = subprocess.run(args + (["--quick"] if quick else []), cwd=harness.REPO, capture_output=True,
                             text=True, env=_env({"KERAS_BACKEND": "tensorflow"}))
        if out.returncode != 0:
            rows.append(harness.missing("W5 memory", case, label, "peak RSS", "MB", "lower",
                                        why=f"failed: {out.stderr.strip().splitlines()[-1][:60]}"))
            continue
        results[label] = json.loads(out.stdout.strip().splitlines()[-1])
        rows.append(harness.row("W5 memory", case, label, "peak RSS", "MB", "lower", [results[label]],
                                reference=None if label == "pykeras" else results.get("pykeras")))
    return rows


def run(opts, machine):
    return import_rows(3 if opts.quick else 7) + train_rows(opts.quick)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--after-train", required=True, choices=[label for label, _ in LIBRARIES])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    print(json.dumps(after_train(args.after_train, args.quick)))
