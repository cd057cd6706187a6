"""What holding the packed weights gives W4's 10,000-sample predict: the W4 model's `predict` in
batches of 1,024 with its weights packed once (`_core.HeldPacks`, as predict does) and packed at
every batch, alternating in one process, and the two outputs compared bit for bit.
Usage: python benchmarks/predict_packing.py [rounds]"""
import contextlib
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # the checkout's pykeras

import pykeras as keras  # noqa: E402
from benchmarks.w3_mlp_fit import keras_mlp  # noqa: E402
from benchmarks.w4_predict import THROUGHPUT_BATCH, THROUGHPUT_SAMPLES  # noqa: E402
from pykeras import _core  # noqa: E402
from pykeras.models import trainer  # noqa: E402


class _PackedAtEveryBatch:
    """Stands in for `_core` in the training loop: predict's HeldPacks is a context that holds nothing."""

    HeldPacks = staticmethod(contextlib.nullcontext)


def main(rounds=30):
    model = keras_mlp(keras)
    x = np.random.default_rng(4).standard_normal((THROUGHPUT_SAMPLES, 784), dtype=np.float32)
    ways = {"packed at every batch": _PackedAtEveryBatch, "packed once (held)": _core}
    rates, outputs = {name: [] for name in ways}, {}
    try:
        for _ in range(rounds + 3):  # the first three are warm-up
            for name, core in ways.items():
                trainer._core = core
                start = time.perf_counter()
                outputs[name] = model.predict(x, batch_size=THROUGHPUT_BATCH, verbose=0)
                rates[name].append(THROUGHPUT_SAMPLES / (time.perf_counter() - start))
    finally:
        trainer._core = _core
    same = np.array_equal(*outputs.values())
    for name, values in rates.items():
        print(f"{name}: median {np.median(values[3:]):,.0f} samples/s (best {max(values[3:]):,.0f})")
    print("outputs bit for bit equal:", same)


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:]))
