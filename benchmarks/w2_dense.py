"""W2: one dense forward relu(x W + b), batch 128, 784 -> 256, in microseconds per call.

pykeras as a user writes it (``keras.layers.Dense(256, activation="relu")`` on a float32
array) and one level down (``ops.dense``), against numpy and PyTorch (``addmm`` + relu, and
``nn.Linear`` + relu under ``no_grad``).
"""
import numpy as np

from benchmarks import harness

BATCH, IN, OUT = 128, 784, 256


def candidates(rng):
    import pykeras as keras
    from pykeras import ops

    x = rng.standard_normal((BATCH, IN), dtype=np.float32)
    w = (rng.standard_normal((IN, OUT), dtype=np.float32) * 0.05).astype(np.float32)
    b = rng.standard_normal(OUT, dtype=np.float32) * 0.1

    layer = keras.layers.Dense(OUT, activation="relu")
    layer(x)  # builds it (pykeras 0.1.0: a direct layer.build() does not mark the layer built)
    layer.set_weights([w, b])
    expect = np.maximum(x @ w + b, 0)
    assert np.allclose(np.asarray(layer(x)), expect, atol=1e-4), "W2: Dense disagrees with numpy"
    cands = [
        ("pykeras Dense layer", lambda: layer(x)),
        ("pykeras ops.dense", lambda: ops.dense(x, w, b, "relu")),
        ("numpy", lambda: np.maximum(x @ w + b, 0)),
    ]
    if harness.installed("torch"):
        import torch

        tx, tw, tb = torch.from_numpy(x), torch.from_numpy(w), torch.from_numpy(b)
        linear = torch.nn.Linear(IN, OUT)
        with torch.no_grad():
            linear.weight.copy_(tw.t())
            linear.bias.copy_(tb)

        def nn_linear():
            with torch.no_grad():
                return torch.relu(linear(tx))

        cands.append(("torch addmm+relu", lambda: torch.relu(torch.addmm(tb, tx, tw))))
        cands.append(("torch nn.Linear+relu (no_grad)", nn_linear))
    return cands


def run(opts, machine):
    rng = np.random.default_rng(1)
    sample_s, passes = (0.05, 5) if opts.quick else (0.2, max(opts.passes, 9))
    samples = harness.alternate(candidates(rng), passes, sample_s, sample_s)
    case = f"relu(xW+b) {BATCH}x{IN}->{OUT}"
    rows = harness.rows_from(samples, "W2 dense fwd", case, "time/call", "µs", "lower", lambda s: s * 1e6)
    if not harness.installed("torch"):
        rows.append(harness.missing("W2 dense fwd", case, "torch", "time/call", "µs", "lower"))
    return rows
