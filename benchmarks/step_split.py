"""Where one training step's time goes: each native call of a batch-32 step of the
W3 MLP (784-256-128-10, Adam) timed by wrapping the `_core` functions, the rest
being Python. Usage: python benchmarks/step_split.py [batch] [steps]"""
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # the checkout's pykeras

import pykeras as keras  # noqa: E402
from pykeras import _core  # noqa: E402

TIMED = ("dense_forward", "dense_backward", "dense_chain_forward", "dense_chain_backward", "dense_chain_loss_gradients", "adam_update",
         "softmax_cross_entropy")


def main(batch=32, steps=1000):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(batch, 784)).astype(np.float32)
    y = rng.integers(0, 10, batch)
    model = keras.Sequential([keras.Input(shape=(784,)), keras.layers.Dense(256, activation="relu"),
                              keras.layers.Dense(128, activation="relu"), keras.layers.Dense(10)])
    model.compile(optimizer=keras.optimizers.Adam(1e-3),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    for _ in range(200):
        model._fit_batch(x, y, None)
    spent = dict.fromkeys(TIMED, 0.0)

    def timed(name, function):
        def call(*args):
            start = time.perf_counter()
            result = function(*args)
            spent[name] += time.perf_counter() - start
            return result
        return call

    originals = {name: getattr(_core, name) for name in TIMED}
    for name, function in originals.items():
        setattr(_core, name, timed(name, function))
    try:
        start = time.perf_counter()
        for _ in range(steps):
            model._fit_batch(x, y, None)
        total = (time.perf_counter() - start) / steps
    finally:
        for name, function in originals.items():
            setattr(_core, name, function)
    native = sum(spent.values()) / steps
    parts = ", ".join(f"{name} {value / steps * 1e6:.0f} us" for name, value in spent.items())
    print(f"batch {batch}: step {total * 1e6:.0f} us = {parts}, Python and numpy {(total - native) * 1e6:.0f} us")


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:]))
