"""Models with op nodes (``x * 2``, ``x[:, :2]``, ``keras.ops.mean(x, axis=1)`` on ``keras.Input``)
move between Keras 3 and pykeras: saved by either, they load in the other, predict the same, write
the same op entries in ``config.json``, print the same summary and train the same.
Runs only where ``keras`` is importable (KERAS_BACKEND defaults to jax)."""
import io
import json
import os

import numpy as np
import pytest

import pykeras as keras
from pykeras.layers.symbolic_ops import OPS

pytestmark = pytest.mark.filterwarnings(
    "ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning")

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")
W = np.linspace(-1, 1, 12, dtype=np.float32).reshape(4, 3)
RNG = np.random.default_rng(41)
X = [RNG.normal(size=(6, 4)).astype(np.float32), RNG.normal(size=(6, 4)).astype(np.float32)]


@pytest.fixture(scope="module")
def reference_keras():
    os.environ.setdefault("KERAS_BACKEND", "jax")
    return pytest.importorskip("keras", reason="Keras 3 is the optional reference")


def every_op(library):
    """A model of every op class in symbolic_ops.OPS (but Abs, Keras's alias) and every operator,
    in ``library`` (pykeras or Keras)."""
    ops = library.ops
    a, b = library.Input((4,), name="a"), library.Input((4,), name="b")
    x = library.layers.Dense(4, name="hidden")(a * 2.0 - 1.0)
    x = (3.0 - x) / (abs(b) + 1.0)
    x = -x + x ** 2 - 2.0 ** ops.tanh(x)
    x = ops.divide(ops.multiply(ops.add(x, b), 0.5), ops.subtract(2.0, ops.sigmoid(b)))
    x = ops.maximum(ops.minimum(x, 4.0), -4.0)
    x = ops.negative(ops.power(ops.square(x), 0.5)) + ops.sqrt(ops.exp(ops.clip(x, -2.0, 2.0)))
    x = ops.squeeze(ops.expand_dims(ops.cast(x + ops.log(ops.abs(x) + 1.0), "float32"), 1), axis=1)
    x = 1.0 + 0.5 * x
    activations = [ops.relu(x), ops.sigmoid(x), ops.tanh(x), ops.softplus(x), ops.silu(x), ops.leaky_relu(x, 0.1),
                   ops.elu(x, 0.5), ops.selu(x), ops.gelu(x), ops.gelu(x, approximate=False), ops.relu6(x * 4.0),
                   ops.softsign(x), ops.log_sigmoid(x), ops.softmax(x, axis=-1), ops.log_softmax(x, axis=1)]
    stacked = ops.stack(activations, axis=1)
    grid = ops.transpose(ops.reshape(ops.concatenate(activations, axis=-1), (-1, 15, 4)), (0, 2, 1))
    pooled = ops.concatenate([
        ops.mean(stacked, axis=1), ops.sum(grid, axis=-1), ops.max(stacked, axis=(1,)),
        ops.min(grid, axis=2, keepdims=True)[:, :, 0], ops.mean(grid[:, 1:3], axis=(1, 2), keepdims=True)[:, 0],
        x[:, 1:3], x[..., None, 0], x[:, ::2], x[:, None][:, 0], x @ W, ops.matmul(x, ops.convert_to_tensor(W)),
    ], axis=-1)
    return library.Model([a, b], [library.layers.Dense(3, name="head")(pooled), stacked, x[:, -1]])


def _op_entries(model):
    """The op nodes' entries of the model's config, as JSON gives them back."""
    layers = json.loads(json.dumps(model.get_config()))["layers"]
    return [entry for entry in layers if entry["module"].startswith("keras.src.ops")]


def _summary(model, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    text = io.StringIO()
    model.summary(print_fn=lambda line, **kwargs: text.write(line))
    return text.getvalue()


def test_the_model_of_every_op_covers_the_table():
    assert {type(op).__name__ for op in every_op(keras).operations} >= set(OPS) - {"Abs"}


def test_a_model_of_every_op_moves_both_ways(reference_keras, tmp_path, monkeypatch):
    for source, target in ((reference_keras, keras), (keras, reference_keras)):
        model = every_op(source)
        model.save(tmp_path / "ops.keras")
        loaded = target.models.load_model(tmp_path / "ops.keras")
        for got, want in zip(loaded.predict(X, verbose=0), model.predict(X, verbose=0)):
            np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=1e-5, atol=1e-5)
        # Both write the same op entries (classes, modules, configs, call arguments)...
        assert _op_entries(loaded) == _op_entries(model)
        assert len(_op_entries(model)) > 60
        # ...leave them out of `layers`, and print them alike.
        assert [layer.name for layer in loaded.layers] == [layer.name for layer in model.layers] == [
            "a", "b", "hidden", "head"]
        assert _summary(loaded, monkeypatch) == _summary(model, monkeypatch)


def test_a_file_keras_wrote_prints_the_summary_keras_prints(reference_keras, monkeypatch):
    path = os.path.join(DATA, "symbolic_ops.keras")
    theirs, ours = reference_keras.models.load_model(path), keras.models.load_model(path)
    assert _summary(ours, monkeypatch) == _summary(theirs, monkeypatch)
    assert _op_entries(ours) == _op_entries(theirs)


def test_a_training_step_through_op_nodes_moves_the_weights_as_in_keras(reference_keras, tmp_path):
    y = [RNG.normal(size=(6, 3)).astype(np.float32), RNG.normal(size=(6, 15, 4)).astype(np.float32),
         RNG.normal(size=(6,)).astype(np.float32)]
    theirs = every_op(reference_keras)
    theirs.save(tmp_path / "ops.keras")
    ours = keras.models.load_model(tmp_path / "ops.keras")
    theirs.compile(reference_keras.optimizers.SGD(0.1), ["mse", "mse", "mse"])
    ours.compile(keras.optimizers.SGD(0.1), ["mse", "mse", "mse"])
    before = ours.get_weights()
    theirs.train_on_batch(X, y)
    ours.train_on_batch(X, y)
    for got, want, start in zip(ours.get_weights(), theirs.get_weights(), before):
        assert not np.allclose(got, start)
        np.testing.assert_allclose(got, np.asarray(want), rtol=1e-5, atol=1e-5)
