"""Repeated calls keep memory flat: nothing accumulates across fit, predict
or model(x) calls once warmed up (tracemalloc sees numpy's buffers too)."""
import gc
import tracemalloc

import numpy as np

import pykeras as keras

rng = np.random.default_rng(2)
X = rng.normal(size=(256, 20)).astype(np.float32)
Y = rng.integers(0, 4, size=256)


def _model():
    model = keras.Sequential([keras.Input(shape=(20,)), keras.layers.Dense(32, activation="relu"),
                              keras.layers.BatchNormalization(), keras.layers.Dropout(0.1),
                              keras.layers.Dense(4)])
    model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    return model


def _growth(action, warmup, repeats):
    for _ in range(warmup):
        action()
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for _ in range(repeats):
            action()
        gc.collect()
        return tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()


def test_repeated_fit_does_not_grow_memory():
    model = _model()
    growth = _growth(lambda: model.fit(X, Y, batch_size=32, epochs=1, verbose=0), warmup=3, repeats=30)
    assert growth < 64 * 1024, f"{growth} bytes retained after 30 fits"


def test_repeated_predict_and_call_do_not_grow_memory():
    model = _model()
    assert _growth(lambda: model.predict(X, verbose=0), warmup=3, repeats=200) < 32 * 1024
    assert _growth(lambda: model(X[:1]), warmup=3, repeats=2000) < 32 * 1024
    assert _growth(lambda: model.evaluate(X, Y, verbose=0), warmup=3, repeats=50) < 32 * 1024
