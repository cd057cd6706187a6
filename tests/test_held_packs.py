"""HeldPacks: a dense chain's weights packed once for many batches of inference, as ``predict``
holds them.

Inside the context the chain infers with the bits it infers without it (compared bitwise, and
with a float64 numpy forward pass); the packs are kept per weight and per thread, and ``predict``
lends them only when nothing of the caller's can change the weights between batches.
"""
import threading

import numpy as np
import pytest

import pykeras as keras
from kernel_paths import supported_isas
from pykeras import _core
from pykeras.models import trainer
from test_traced_chain import MLP

RNG = np.random.default_rng(11)


def _layers(widths):
    return [((RNG.normal(size=(k, n)) / np.sqrt(k)).astype(np.float32), RNG.normal(size=n).astype(np.float32),
             "linear" if index == len(widths) - 2 else "relu")
            for index, (k, n) in enumerate(zip(widths[:-1], widths[1:]))]


def _numpy_forward(x, layers):
    h = x.astype(np.float64)
    for kernel, bias, activation in layers:
        h = h @ kernel.astype(np.float64) + bias
        if activation == "relu":
            h = np.maximum(h, 0)
    return h


def _rows(count, width):
    return RNG.normal(size=(count, width)).astype(np.float32)


# Register tile widths: a narrower weight is multiplied without packing (but by the portable kernels).
TILE_WIDTH = {"avx512": 32, "avx2": 16, "portable": 0}


# Batches of more than 512 rows pack every weight at least one register tile wide; 512 rows or fewer
# read the weights in place.
@pytest.mark.parametrize("isa", supported_isas())
@pytest.mark.parametrize("widths, rows", [
    ((784, 256, 128, 10), 1024),
    ((784, 256, 128, 10), 512),
    ((1100, 2100, 40), 520),  # two column blocks and two depth blocks of the first weight
    ((30, 50), 700),
])
def test_held_packs_infer_the_bits_of_unheld_inference(isa, widths, rows):
    _core.set_isa(isa)
    packed = 0 if rows <= 512 else sum(width >= TILE_WIDTH[isa] for width in widths[1:])
    layers = _layers(widths)
    native = _core.DenseLayers(layers)
    batches = [_rows(rows, widths[0]) for _ in range(3)]
    unheld = [native.infer(x) for x in batches]
    with _core.HeldPacks() as held:
        inferred = [native.infer(x) for x in batches]
        assert len(held) == packed
    for got, want, x in zip(inferred, unheld, batches):
        np.testing.assert_array_equal(got, want)
        np.testing.assert_allclose(got, _numpy_forward(x, layers), rtol=1e-4, atol=1e-4)


def test_weights_are_packed_once_while_held():
    # The contract: the weights stay put while held. A write inside the context is not seen (the
    # pack of the first batch serves the second), and is seen once the context is left.
    layers = _layers((40, 64))
    native = _core.DenseLayers(layers)
    x = _rows(600, 40)
    before = native.infer(x)
    with _core.HeldPacks():
        np.testing.assert_array_equal(native.infer(x), before)
        layers[0][0][:] *= 2
        np.testing.assert_array_equal(native.infer(x), before)
    np.testing.assert_allclose(native.infer(x), _numpy_forward(x, layers), rtol=1e-4, atol=1e-4)


def test_layers_made_and_dropped_while_held_keep_their_own_packs():
    # A model that builds new layers at every call: each batch's weights are new arrays, which may
    # take the addresses of the last batch's once those are freed, unless the held packs keep them.
    weights = [_layers((40, 64)) for _ in range(4)]
    x = _rows(600, 40)
    expected = [_core.DenseLayers(layers).infer(x) for layers in weights]
    with _core.HeldPacks() as held:
        for index in range(len(weights)):
            copied = [(kernel.copy(), bias.copy(), activation) for kernel, bias, activation in weights[index]]
            np.testing.assert_array_equal(_core.DenseLayers(copied).infer(x), expected[index])
            del copied
        assert len(held) == len(weights)


def test_held_packs_serve_the_thread_that_entered_them():
    native = _core.DenseLayers(_layers((40, 64)))
    x = _rows(600, 40)
    with _core.HeldPacks() as held:
        other = threading.Thread(target=native.infer, args=(x,))
        other.start()
        other.join()
        assert len(held) == 0
        native.infer(x)
        assert len(held) == 1


def test_nested_held_packs_restore_the_outer_one():
    native = _core.DenseLayers(_layers((40, 64)))
    x = _rows(600, 40)
    with _core.HeldPacks() as outer:
        with _core.HeldPacks() as inner:
            native.infer(x)
        native.infer(x)
        assert (len(inner), len(outer)) == (1, 1)
    native.infer(x)
    assert len(outer) == 1


def test_held_packs_refuse_a_wrong_order():
    held = _core.HeldPacks()
    with pytest.raises(RuntimeError, match="exited without being entered"):
        held.__exit__(None, None, None)
    with held:
        with pytest.raises(RuntimeError, match="already entered"):
            held.__enter__()
    outer, inner = _core.HeldPacks(), _core.HeldPacks()
    outer.__enter__()
    inner.__enter__()
    with pytest.raises(RuntimeError, match="innermost first"):
        outer.__exit__(None, None, None)
    inner.__exit__(None, None, None)
    outer.__exit__(None, None, None)
    held.__enter__()
    failure = []
    other = threading.Thread(target=lambda: _record_failure(held, failure))
    other.start()
    other.join()
    held.__exit__(None, None, None)
    assert failure and "on the thread that entered it" in failure[0]


def _record_failure(held, failure):
    try:
        held.__exit__(None, None, None)
    except RuntimeError as error:
        failure.append(str(error))


# ------------------------------------------------------------------------------- predict


def _model():
    model = keras.Sequential([keras.Input(shape=(784,)), keras.layers.Dense(256, activation="relu"),
                              keras.layers.Dense(128, activation="relu"), keras.layers.Dense(10)])
    model.compile(optimizer="adam", loss="mse")
    return model


class _RecordedPacks(_core.HeldPacks):
    """The HeldPacks predict enters, kept to be counted."""

    made = []

    def __init__(self):
        super().__init__()
        self.made.append(self)


@pytest.fixture
def recorded_packs(monkeypatch):
    _RecordedPacks.made = []
    monkeypatch.setattr(trainer._core, "HeldPacks", _RecordedPacks)
    return _RecordedPacks.made


def test_predict_holds_the_weights_of_its_batches(recorded_packs):
    model = _model()
    x = _rows(2600, 784)
    predicted = model.predict(x, batch_size=1024, verbose=0)
    assert [len(held) for held in recorded_packs] == [2]
    for start in range(0, len(x), 1024):
        np.testing.assert_array_equal(predicted[start:start + 1024], model(x[start:start + 1024]).numpy())


class _Doubling(keras.callbacks.Callback):
    """Doubles the first kernel after each batch of predict or evaluate, as a caller's callback may."""

    def _double(self, batch, logs=None):
        kernel = self.model.layers[0].kernel
        kernel.assign(kernel.numpy() * 2)

    on_predict_batch_end = on_test_batch_end = _double


def test_predict_with_callbacks_of_the_caller_reads_the_weights_at_every_batch(recorded_packs):
    model = _model()
    x = _rows(2600, 784)
    first = model.layers[0].kernel.numpy()
    predicted = model.predict(x, batch_size=1024, verbose=0, callbacks=[_Doubling()])
    assert recorded_packs == []
    for index, start in enumerate(range(0, len(x), 1024)):
        model.layers[0].kernel.assign(first * 2 ** index)
        np.testing.assert_array_equal(predicted[start:start + 1024], model(x[start:start + 1024]).numpy())


def test_predict_with_its_own_step_reads_the_weights_at_every_batch(recorded_packs):
    class Scaling(keras.Sequential):
        def predict_step(self, data):
            kernel = self.layers[0].kernel
            kernel.assign(kernel.numpy() * 2)
            return super().predict_step(data)

    model = Scaling([keras.Input(shape=(784,)), keras.layers.Dense(64, activation="relu"), keras.layers.Dense(3)])
    x = _rows(2600, 784)
    first = model.layers[0].kernel.numpy()
    predicted = model.predict(x, batch_size=1024, verbose=0)
    assert recorded_packs == []
    for index, start in enumerate(range(0, len(x), 1024)):
        model.layers[0].kernel.assign(first * 2 ** (index + 1))
        np.testing.assert_array_equal(predicted[start:start + 1024], model(x[start:start + 1024]).numpy())


@pytest.mark.parametrize("run_eagerly", [False, True])
def test_a_traced_subclassed_model_holds_its_weights_with_the_calls_bits(recorded_packs, run_eagerly):
    model = MLP(widths=(96, 64, 4))
    x = _rows(1500, 40)
    model(x[:2])
    model.compile(optimizer="adam", loss="mse", run_eagerly=run_eagerly)
    predicted = model.predict(x, batch_size=600, verbose=0)
    # Traced, the batches after the first of each size run on the chain, which packs the 96- and
    # 64-wide weights (on the portable kernels the 4-wide one too); eagerly nothing is packed.
    assert [len(held) >= 2 for held in recorded_packs] == [not run_eagerly]
    for start in range(0, len(x), 600):
        np.testing.assert_array_equal(predicted[start:start + 600], model(x[start:start + 600]).numpy())


class _Passive(keras.callbacks.Callback):
    """A callback of the caller's that changes nothing."""


def test_evaluate_holds_the_weights_of_its_batches(recorded_packs):
    model = _model()
    x, y = _rows(2600, 784), _rows(2600, 10)
    held = model.evaluate(x, y, batch_size=1024, verbose=0)
    assert [len(packs) for packs in recorded_packs] == [2]
    assert model.evaluate(x, y, batch_size=1024, verbose=0, callbacks=[_Passive()]) == held
    assert len(recorded_packs) == 1  # a callback of the caller's: nothing held
    squared = [((model(x[s:s + 1024]).numpy().astype(np.float64) - y[s:s + 1024]) ** 2).mean(axis=1)
               for s in range(0, len(x), 1024)]
    np.testing.assert_allclose(held, np.concatenate(squared).mean(), rtol=1e-5)


def test_evaluate_with_callbacks_of_the_caller_reads_the_weights_at_every_batch(recorded_packs):
    model = _model()
    x, y = _rows(2600, 784), _rows(2600, 10)
    first = model.layers[0].kernel.numpy()
    result = model.evaluate(x, y, batch_size=1024, verbose=0, callbacks=[_Doubling()])
    assert recorded_packs == []
    squared = []
    for index, start in enumerate(range(0, len(x), 1024)):
        model.layers[0].kernel.assign(first * 2 ** index)
        outputs = model(x[start:start + 1024]).numpy().astype(np.float64)
        squared.append(((outputs - y[start:start + 1024]) ** 2).mean(axis=1))
    np.testing.assert_allclose(result, np.concatenate(squared).mean(), rtol=1e-5)


def test_fit_validates_with_held_weights_without_callbacks_of_the_callers(recorded_packs):
    model = _model()
    x, y = _rows(700, 784), _rows(700, 10)
    history = model.fit(x[:64], y[:64], validation_data=(x, y), validation_batch_size=600, epochs=2, verbose=0)
    assert [len(packs) for packs in recorded_packs] == [2, 2]
    assert history.history["val_loss"][-1] == model.evaluate(x, y, batch_size=600, verbose=0)
    model.fit(x[:64], y[:64], validation_data=(x, y), validation_batch_size=600, verbose=0, callbacks=[_Passive()])
    assert len(recorded_packs) == 3  # the evaluate's, none for the last fit's validation
