"""Runs the pykeras benchmark suite: prints a table and writes JSON.

    /work/benchvenv/bin/python benchmarks/run.py [--quick] [--only W1,W3] [--json out.json]

Each workload alternates pykeras with its peers in the same process run (Keras 3 on JAX and
on TensorFlow in subprocesses of their own, with pykeras alternating beside them there),
after warm-up, over several passes, and reports medians and pykeras / peer ratios.
Everyone gets 2 threads unless a workload says otherwise (W1 also runs on 1).
"""
import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks import harness  # noqa: E402  (sets no thread state on import)

THREADS = 2
harness.pin_thread_env(THREADS)  # before numpy, torch or pykeras is imported anywhere

WORKLOADS = {
    "W1": ("benchmarks.w1_gemm", "GEMM GFLOPS, 1 and 2 threads"),
    "W2": ("benchmarks.w2_dense", "dense forward relu(xW+b), 128x784->256"),
    "W3": ("benchmarks.w3_mlp_fit", "MLP 784-256-128-10 fit, Adam, batch 32 and 128"),
    "W4": ("benchmarks.w4_predict", "MLP predict: 1-sample latency, 10k throughput"),
    "W5": ("benchmarks.w5_import_memory", "import time and peak RSS"),
    "W6": ("benchmarks.w6_mlp_variants", "the W3 MLP with BatchNormalization, L2, GELU, class_weight or MSE, batch 32 and 128"),
}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer passes, smaller W3 epoch (~3 minutes)")
    parser.add_argument("--only", default="", help="comma-separated workloads, e.g. W1,W3")
    parser.add_argument("--json", default=os.path.join(harness.REPO, "benchmarks", "results", "latest.json"))
    parser.add_argument("--passes", type=int, default=7, help="timed passes per workload (full mode)")
    parser.add_argument("--wait-quiet", type=float, default=None, metavar="S",
                        help="wait up to S seconds for other load to stop before each workload "
                             "(default 0 in --quick mode, 120 otherwise)")
    parser.add_argument("--report", metavar="JSON", help="print a saved run as a markdown table and exit")
    opts = parser.parse_args(argv)
    if opts.report:
        return report(opts.report)
    chosen = [w.strip().upper() for w in opts.only.split(",") if w.strip()] or list(WORKLOADS)
    unknown = [w for w in chosen if w not in WORKLOADS]
    if unknown:
        parser.error(f"unknown workloads {unknown}; choose from {', '.join(WORKLOADS)}")
    wait = opts.wait_quiet if opts.wait_quiet is not None else (0 if opts.quick else 120)

    from benchmarks import machine

    info = machine.describe()
    print(f"machine: {info['cpu_model']}, {info['cores']} cores, clock {info['clock_ghz_measured'] or '?'} GHz, "
          f"peak {info['peak_gflops_per_core']:.0f} GFLOPS/core; commit {info['commit'][:10]}"
          f"{' (+ local changes)' if info['pykeras_tree_dirty'] else ''}", flush=True)
    payload = {"machine": info, "mode": "quick" if opts.quick else "full", "threads": THREADS,
               "workloads": {}, "rows": []}
    started = time.perf_counter()
    for key in chosen:
        module_name, title = WORKLOADS[key]
        busy = harness.wait_until_quiet(wait) if wait else harness.cpu_busy()
        print(f"\n== {key}: {title}  (other load before start: {100 * (busy or 0):.0f}% of the cores)", flush=True)
        t0 = time.perf_counter()
        module = __import__(module_name, fromlist=["run"])
        rows = module.run(opts, info)
        elapsed = time.perf_counter() - t0
        payload["workloads"][key] = {"title": title, "seconds": elapsed, "other_load_before": busy,
                                     "loadavg_after": os.getloadavg()}
        payload["rows"] += rows
        os.makedirs(os.path.dirname(os.path.abspath(opts.json)), exist_ok=True)
        harness.write_json(opts.json, payload)  # after every workload, so a stop loses little
        print(harness.table(rows), flush=True)
    payload["seconds"] = time.perf_counter() - started
    harness.write_json(opts.json, payload)
    print(f"\nall: {payload['seconds']:.0f} s; JSON: {opts.json}")


def report(path):
    """A saved run as markdown: the machine line, then the table (for benchmarks/README.md)."""
    import json

    with open(path) as f:
        payload = json.load(f)
    m = payload["machine"]
    libs = ", ".join(f"{k} {v}" for k, v in m["versions"].items())
    print(f"Measured {m['date']} at commit `{m['commit'][:10]}`"
          f"{' with local changes in csrc/ or pykeras/' if m['pykeras_tree_dirty'] else ''}, "
          f"{payload['mode']} mode: {m['cpu_model']}, {m['cores']} cores, {m['peak_basis']} "
          f"= {m['peak_gflops_per_core']:.0f} GFLOPS/core; pykeras {m['pykeras'].get('isa')} kernels; "
          f"Python {m['python']}; {libs}.\n")
    busy = {k: w.get("other_load_before") for k, w in payload["workloads"].items()}
    print("Other load on the machine just before each workload (share of both cores): "
          + ", ".join(f"{k} {100 * (v or 0):.0f}%" for k, v in busy.items()) + ".\n")
    print(harness.table(payload["rows"], markdown=True))


if __name__ == "__main__":
    main()
