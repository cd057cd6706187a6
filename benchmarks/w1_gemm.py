"""W1: single-precision GEMM throughput (GFLOPS) and its fraction of the machine's peak.

pykeras ``_core.matmul`` (transposes as flags, output preallocated) against numpy's BLAS
(``np.matmul`` with ``out=``, transposed operands as views) and PyTorch ``torch.mm``, on
one thread and on two.
"""
import numpy as np

from benchmarks import harness

# (case, m, k, n, trans_a, trans_b): C[m x n] = op(A) @ op(B) with a k-long inner product.
SHAPES = [
    ("256³", 256, 256, 256, False, False),
    ("512³", 512, 512, 512, False, False),
    ("1024³", 1024, 1024, 1024, False, False),
    ("2048³", 2048, 2048, 2048, False, False),
    ("128x784x256", 128, 784, 256, False, False),
    ("32x784x256", 32, 784, 256, False, False),
    ("1024x4096x1024", 1024, 4096, 1024, False, False),
    # Backward of the 128x784x256 dense layer: dW = X^T dY and dX = dY W^T.
    ("dW=XT·dY 784x128x256", 784, 128, 256, True, False),
    ("dX=dY·WT 128x256x784", 128, 256, 784, False, True),
]


def _operands(m, k, n, trans_a, trans_b, rng):
    a = rng.standard_normal((k, m) if trans_a else (m, k), dtype=np.float32)
    b = rng.standard_normal((n, k) if trans_b else (k, n), dtype=np.float32)
    return a, b, np.empty((m, n), np.float32)


def candidates(m, k, n, trans_a, trans_b, rng):
    a, b, c = _operands(m, k, n, trans_a, trans_b, rng)
    from pykeras import _core

    cands = [("pykeras", lambda: _core.matmul(a, b, trans_a=trans_a, trans_b=trans_b, out=c))]
    na, nb = (a.T if trans_a else a), (b.T if trans_b else b)
    cn = np.empty_like(c)
    cands.append(("numpy (OpenBLAS)", lambda: np.matmul(na, nb, out=cn)))
    if harness.installed("torch"):
        import torch

        ta, tb = torch.from_numpy(a), torch.from_numpy(b)
        ta, tb = (ta.t() if trans_a else ta), (tb.t() if trans_b else tb)
        tc = torch.from_numpy(np.empty_like(c))
        cands.append(("torch", lambda: torch.mm(ta, tb, out=tc)))
    # Same answer before timing anything.
    cands[0][1]()
    expect = na.astype(np.float64) @ nb.astype(np.float64)
    if not np.allclose(c, expect, rtol=1e-3, atol=1e-3 * np.sqrt(k)):
        raise AssertionError(f"W1: pykeras matmul disagrees with numpy for {m}x{k}x{n}")
    return cands


def run(opts, machine):
    rng = np.random.default_rng(0)
    peak_core = machine["peak_gflops_per_core"]
    shapes = SHAPES if not opts.quick else [s for s in SHAPES if s[0] not in ("2048³", "1024x4096x1024")]
    sample_s, passes = (0.05, 3) if opts.quick else (0.15, opts.passes)
    rows = []
    for thread_count in (2, 1):
        with harness.threads(thread_count):
            for case, m, k, n, ta, tb in shapes:
                flop = 2.0 * m * n * k
                samples = harness.alternate(candidates(m, k, n, ta, tb, rng), passes, sample_s, sample_s)
                found = harness.rows_from(samples, "W1 GEMM", case, "GFLOPS", "GFLOPS", "higher",
                                          lambda s: flop / s / 1e9, threads=thread_count)
                if not harness.installed("torch"):
                    found.append(harness.missing("W1 GEMM", case, "torch", "GFLOPS", "GFLOPS", "higher",
                                                 threads=thread_count))
                for r in found:
                    if r.get("median"):
                        r["peak_fraction"] = r["median"] / (peak_core * thread_count)
                        r["note"] = f"{100 * r['peak_fraction']:.0f}% of peak"
                rows += found
    return rows
