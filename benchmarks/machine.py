"""What the numbers were measured on: CPU, clock, FP32 peak, library versions, commit.

The clock is measured, not read: a chain of dependent integer adds retires one add per
cycle on any x86-64 core, so adds / seconds is the core's clock while it runs that chain.
The FP32 peak of a Zen 4 core is 32 FLOP/cycle (two 256-bit FMA pipes, 8 lanes x 2 FLOP
each; AVX-512 instructions are split over the same two pipes), times the clock.
"""
import datetime
import os
import platform
import subprocess
import sys
import tempfile
from importlib import metadata

from benchmarks.harness import REPO

FLOP_PER_CYCLE = 32
PACKAGES = ("numpy", "torch", "tensorflow-cpu", "tensorflow", "keras", "jax", "jaxlib", "onnx",
            "onnxruntime", "threadpoolctl", "pybind11")

_CLOCK_C = r"""
#include <stdio.h>
#include <time.h>
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + 1e-9 * t.tv_nsec; }
int main(void) {
    long x = 0;
    const long iters = 10000000;             /* x 64 dependent adds */
    double start = now();
    for (long i = 0; i < iters; ++i) {
#define A1 __asm__ volatile("add $1, %0" : "+r"(x));
#define A8 A1 A1 A1 A1 A1 A1 A1 A1
        A8 A8 A8 A8 A8 A8 A8 A8
    }
    double secs = now() - start;
    printf("%.6f %ld\n", iters * 64.0 / secs / 1e9, x);
    return 0;
}
"""


def measure_clock_ghz(repeats=7):
    """The core clock in GHz from a dependent-add chain; None without a C compiler.

    The best of several runs: on a shared machine being descheduled only ever lowers the rate.
    """
    try:
        with tempfile.TemporaryDirectory() as tmp:
            src, exe = os.path.join(tmp, "clock.c"), os.path.join(tmp, "clock")
            with open(src, "w") as f:
                f.write(_CLOCK_C)
            subprocess.run(["cc", "-O1", "-o", exe, src], check=True, capture_output=True)
            runs = [float(subprocess.run([exe], capture_output=True, text=True, check=True).stdout.split()[0])
                    for _ in range(repeats)]
        return max(runs)
    except (OSError, subprocess.CalledProcessError, ValueError):
        return None


def cpuinfo():
    model, mhz, flags = None, None, ""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                key, _, value = line.partition(":")
                key, value = key.strip(), value.strip()
                if key == "model name" and model is None:
                    model = value
                elif key == "cpu MHz" and mhz is None:
                    mhz = float(value)
                elif key == "flags" and not flags:
                    flags = value
    except OSError:
        pass
    isa = [name for name in ("avx512f", "avx2", "fma") if name in flags.split()]
    return {"cpu_model": model, "cpuinfo_mhz": mhz, "isa_flags": isa}


def versions():
    found = {}
    for name in PACKAGES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    return found


def git_commit():
    def git(*args):
        return subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True).stdout.strip()

    commit = git("rev-parse", "HEAD")
    dirty = bool(git("status", "--porcelain", "--untracked-files=no", "--", "csrc", "pykeras"))
    return {"commit": commit, "pykeras_tree_dirty": dirty}


def pykeras_info():
    try:
        import pykeras
        from pykeras import _core

        return {"version": pykeras.__version__, "isa": _core.selected_isa(),
                "compiled_isas": _core.compiled_isas(), "path": os.path.dirname(pykeras.__file__)}
    except ImportError as error:
        return {"error": str(error)}


def blas_info():
    try:
        from threadpoolctl import threadpool_info

        import numpy  # noqa: F401  (loads numpy's BLAS so threadpoolctl sees it)

        return [{k: v for k, v in lib.items() if k in ("internal_api", "version", "architecture",
                                                        "num_threads", "filepath")}
                for lib in threadpool_info()]
    except ImportError:
        return None


def describe(measure_clock=True):
    """The machine record stored in the JSON."""
    info = cpuinfo()
    info["cores"] = os.cpu_count()
    ghz = measure_clock_ghz() if measure_clock else None
    info["clock_ghz_measured"] = ghz
    basis = ghz or (info["cpuinfo_mhz"] or 3650) / 1000
    info["peak_gflops_per_core"] = FLOP_PER_CYCLE * basis
    info["peak_basis"] = (
        f"{FLOP_PER_CYCLE} FP32 FLOP/cycle (2 x 256-bit FMA pipes) x "
        + (f"{ghz:.2f} GHz measured by a dependent-add chain" if ghz else f"{basis:.2f} GHz from /proc/cpuinfo")
    )
    info.update(
        python=sys.version.split()[0], platform=platform.platform(),
        date=datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        versions=versions(), pykeras=pykeras_info(), blas=blas_info(), **git_commit(),
        env={k: os.environ.get(k) for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")},
    )
    return info
