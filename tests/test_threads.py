"""Threads: concurrent predict on one model, predict while another thread trains, and kernel
results that do not depend on the thread count (bitwise, as DESIGN.md promises).

Decision: predicting while another thread runs ``fit`` is safe. Each training step (forward,
backward, optimizer update) holds the model's weights lock alone; ``predict`` calls share it, so a
prediction sees the weights between two steps, never half an update. ``model(x)`` itself takes no
lock (it is the raw layer call): use ``predict`` for thread-safe inference.
"""
import threading

import numpy as np
import pytest

import pykeras as keras
from pykeras import _core, config, ops

rng = np.random.default_rng(11)
X = rng.normal(size=(512, 32)).astype(np.float32)
Y = rng.integers(0, 5, size=512)


def _model(seed=1):
    keras.utils.set_random_seed(seed) if hasattr(keras, "utils") and hasattr(keras.utils, "set_random_seed") \
        else config.set_random_seed(seed)
    model = keras.Sequential([keras.Input(shape=(32,)), keras.layers.Dense(256, activation="relu"),
                              keras.layers.Dense(128, activation="relu"), keras.layers.Dense(5)])
    model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


@pytest.fixture(autouse=True)
def restore_threads():
    threads = config.get_num_threads()
    yield
    config.set_num_threads(threads)


def _run_threads(count, target):
    errors = []

    def guarded(i):
        try:
            target(i)
        except BaseException as error:  # reported in the main thread
            errors.append(error)

    threads = [threading.Thread(target=guarded, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a thread hung"
    if errors:
        raise errors[0]


def test_four_threads_predict_like_serial_calls():
    model = _model()
    inputs = [X[i * 100:(i + 1) * 100 + 37] for i in range(4)]
    serial = [model.predict(x, batch_size=32, verbose=0) for x in inputs]
    results = {}
    barrier = threading.Barrier(4)

    def work(i):
        barrier.wait()
        for _ in range(25):
            out = model.predict(inputs[i], batch_size=32, verbose=0)
            np.testing.assert_array_equal(out, serial[i])
        results[i] = model.predict_on_batch(inputs[i])

    _run_threads(4, work)
    for i in range(4):
        np.testing.assert_array_equal(results[i], serial[i])


def test_predict_while_another_thread_fits_sees_whole_steps():
    """Every prediction made during fit equals the model's output for the weights of some step."""
    model = _model()
    probe = X[:64]
    snapshots = []  # the output on `probe` after each step, taken inside the step's lock

    class Snapshot(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            snapshots.append(model.predict(probe, verbose=0))

    snapshots.append(model.predict(probe, verbose=0))
    seen = []
    done = threading.Event()

    def predictor(_):
        while not done.is_set():
            seen.append(model.predict(probe, verbose=0))

    thread = threading.Thread(target=predictor, args=(0,))
    thread.start()
    try:
        model.fit(X, Y, batch_size=32, epochs=3, verbose=0, callbacks=[Snapshot()])
    finally:
        done.set()
        thread.join(timeout=60)
    assert len(seen) > 5
    keys = {snapshot.tobytes() for snapshot in snapshots}
    torn = sum(out.tobytes() not in keys for out in seen)
    assert torn == 0, f"{torn} of {len(seen)} predictions saw a half-updated model"


def test_train_on_batch_and_predict_threads():
    model = _model()
    done = threading.Event()

    def trainer(_):
        for _ in range(30):
            model.train_on_batch(X[:64], Y[:64])
        done.set()

    def predictor(_):
        while not done.is_set():
            out = model.predict(X[:16], verbose=0)
            assert np.isfinite(out).all()

    _run_threads(2, lambda i: (trainer if i == 0 else predictor)(i))


def test_predict_inside_a_training_callback_does_not_deadlock():
    model = _model()
    outputs = []
    callback = keras.callbacks.LambdaCallback(
        on_train_batch_end=lambda batch, logs: outputs.append(model.predict_on_batch(X[:4])))
    model.fit(X[:128], Y[:128], batch_size=32, epochs=1, verbose=0, callbacks=[callback])
    assert len(outputs) == 4


# ----------------------------------------------------------------------------- determinism


def _threads_to_try():
    return sorted({1, 2, 3, 4, 7})


def _with_threads(n, function):
    config.set_num_threads(n)
    return function()


def test_sgemm_bitwise_across_thread_counts():
    a = rng.normal(size=(700, 1100)).astype(np.float32)
    b = rng.normal(size=(1100, 900)).astype(np.float32)
    results = [_with_threads(n, lambda: _core.matmul(a, b)) for n in _threads_to_try()]
    for result in results[1:]:
        np.testing.assert_array_equal(result, results[0])
    transposed = [_with_threads(n, lambda: _core.matmul(b, a, trans_a=True, trans_b=True))
                  for n in _threads_to_try()]
    for result in transposed[1:]:
        np.testing.assert_array_equal(result, transposed[0])


def test_dense_forward_backward_bitwise_across_thread_counts():
    x = keras.Variable(rng.normal(size=(600, 300)).astype(np.float32))
    w = keras.Variable(rng.normal(size=(300, 500)).astype(np.float32))
    b = keras.Variable(rng.normal(size=(500,)).astype(np.float32))

    def step():
        with ops.GradientTape() as tape:
            y = ops.dense(x, w, b, activation="relu")
            loss = ops.sum(ops.square(y))
        return [y.numpy()] + [np.asarray(g) for g in tape.gradient(loss, [x, w, b])]

    results = [_with_threads(n, step) for n in _threads_to_try()]
    for result in results[1:]:
        for got, want in zip(result, results[0]):
            np.testing.assert_array_equal(got, want)


def test_fit_steps_bitwise_across_thread_counts():
    def train():
        model = _model(seed=7)
        model.fit(X, Y, batch_size=128, epochs=2, shuffle=False, verbose=0)
        return [v.numpy() for v in model.weights] + [model.predict(X, verbose=0)]

    results = [_with_threads(n, train) for n in (1, 2, 4)]
    for result in results[1:]:
        for got, want in zip(result, results[0]):
            np.testing.assert_array_equal(got, want)


def test_import_sets_an_openmp_spin_only_when_the_user_set_no_wait_policy(tmp_path):
    import subprocess
    import sys

    from child_process import child_env

    code = "import os, pykeras; print(os.environ.get('GOMP_SPINCOUNT'))"

    def spin_after_import(**extra):
        env = child_env()
        for key in ("GOMP_SPINCOUNT", "OMP_WAIT_POLICY"):
            env.pop(key, None)
        env.update(extra)
        out = subprocess.run([sys.executable, "-c", code], env=env, cwd=tmp_path,
                             capture_output=True, text=True, check=True)
        return out.stdout.strip()

    assert spin_after_import() == "100000"
    assert spin_after_import(GOMP_SPINCOUNT="7") == "7"
    assert spin_after_import(OMP_WAIT_POLICY="passive") == "None"
