"""Resident memory (RSS, what the operating system charges the process) stays flat across
repeated ``model(x)``, ``predict`` and ``fit`` calls once warmed up.

tests/test_memory.py checks Python allocations with tracemalloc; this one also sees native
allocations (the kernels' workspaces, OpenMP thread stacks, h5py, malloc fragmentation).

The test runs reduced counts; the full figures of docs/RELIABILITY.md come from
``python tests/test_rss.py`` (10,000 model(x), 10,000 predict, 1,000 fit).
"""
import gc
import os
import sys

import numpy as np
import pytest

import pykeras as keras

LIMIT = 1 << 20  # 1 MiB
pytestmark = [
    pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="reads RSS from /proc"),
    # AddressSanitizer holds freed memory in quarantine (256 MiB by default): RSS means nothing there.
    pytest.mark.skipif(os.environ.get("PYKERAS_SANITIZED") == "1", reason="RSS under AddressSanitizer"),
]


def rss_bytes():
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _model():
    model = keras.Sequential([keras.Input(shape=(20,)), keras.layers.Dense(64, activation="relu"),
                              keras.layers.BatchNormalization(), keras.layers.Dropout(0.1),
                              keras.layers.Dense(4)])
    model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    return model


rng = np.random.default_rng(3)
X = rng.normal(size=(256, 20)).astype(np.float32)
Y = rng.integers(0, 4, size=256)


def growth(action, repeats, warmup):
    """RSS after `repeats` calls minus RSS after `warmup` calls (both after a collection)."""
    for _ in range(warmup):
        action()
    gc.collect()
    before = rss_bytes()
    for _ in range(repeats):
        action()
    gc.collect()
    return rss_bytes() - before


def actions():
    model = _model()
    return {
        "model(x)": (lambda: model(X[:32]), 10_000),
        "predict": (lambda: model.predict(X, verbose=0), 10_000),
        "fit": (lambda: model.fit(X, Y, batch_size=64, epochs=1, verbose=0), 1_000),
    }


@pytest.mark.parametrize("name", ["model(x)", "predict", "fit"])
def test_rss_flat(name):
    action, full = actions()[name]
    repeats = full // 10
    delta = growth(action, repeats, warmup=max(20, repeats // 5))
    assert delta < LIMIT, f"{name}: RSS grew by {delta / 1024:.0f} KiB over {repeats} calls"


def main():
    print(f"pykeras RSS growth after warm-up (limit {LIMIT // 1024} KiB)")
    for name, (action, full) in actions().items():
        warmup = max(50, full // 10)
        start = rss_bytes()
        delta = growth(action, full, warmup)
        print(f"{name:10s} {full:6d} calls after {warmup} warm-up: RSS {start / 2**20:.1f} MiB -> "
              f"growth {delta / 1024:+.0f} KiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
