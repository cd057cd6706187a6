"""Files move between Keras 3 and pykeras.

Keras -> pykeras: files written by real Keras 3 (tests/data, made by
tests/data/make_keras_fixtures.py; the Keras version is in
tests/data/KERAS_VERSION) load in pykeras and predict what Keras predicted.
These run everywhere; Keras is not needed.

pykeras -> Keras: the last tests save with pykeras and load with Keras 3; they
run only where ``keras`` is importable (KERAS_BACKEND defaults to jax).
"""
import os

import numpy as np
import pytest

import pykeras as keras
from custom_models import ScaledDense, TwoBlockNet

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")
TOLERANCE = 1e-6


def data(name):
    return os.path.join(DATA, name)


def expected(name):
    with np.load(data(name), allow_pickle=False) as arrays:
        return {key: arrays[key] for key in arrays.files}


def test_keras_sequential_with_flatten_batchnorm_dropout():
    model = keras.models.load_model(data("sequential.keras"))
    arrays = expected("sequential.npz")
    assert [type(layer).__name__ for layer in model.layers] == [
        "Flatten", "Dense", "BatchNormalization", "Dropout", "Dense", "ReLU", "Activation"]
    assert not np.allclose(model.layers[2].moving_mean.numpy(), 0)  # trained moving statistics
    np.testing.assert_allclose(model.predict(arrays["x"], verbose=0), arrays["y"], atol=TOLERANCE, rtol=0)


def test_keras_functional_with_two_inputs_and_two_outputs():
    model = keras.models.load_model(data("functional.keras"))
    arrays = expected("functional.npz")
    assert model.input_names == ["left", "right"] and model.output_names == ["first", "second"]
    first, second = model.predict([arrays["x1"], arrays["x2"]], verbose=0)
    np.testing.assert_allclose(first, arrays["y1"], atol=TOLERANCE, rtol=0)
    np.testing.assert_allclose(second, arrays["y2"], atol=TOLERANCE, rtol=0)
    assert model.compiled and isinstance(model.optimizer, keras.optimizers.Adam)


def test_keras_compiled_model_restores_adam_state_and_trains_on_like_keras():
    model = keras.models.load_model(data("compiled_adam.keras"))
    arrays = expected("compiled_adam.npz")
    assert isinstance(model.optimizer, keras.optimizers.Adam)
    assert np.isclose(model.optimizer.learning_rate.numpy(), 0.01)
    assert int(model.optimizer.iterations.numpy()) == int(arrays["iterations"]) - 1
    np.testing.assert_allclose(model.predict(arrays["x"], verbose=0), arrays["before"], atol=TOLERANCE, rtol=0)
    # One more step from the restored moments gives what Keras's next step gave.
    model.train_on_batch(arrays["x"][:8], arrays["y"][:8])
    np.testing.assert_allclose(model.predict(arrays["x"], verbose=0), arrays["after"], atol=TOLERANCE, rtol=0)
    assert int(model.optimizer.iterations.numpy()) == int(arrays["iterations"])


def test_keras_subclassed_model_with_registered_custom_layer():
    model = keras.models.load_model(data("subclassed.keras"))
    arrays = expected("subclassed.npz")
    assert isinstance(model, TwoBlockNet) and isinstance(model.block, ScaledDense)
    np.testing.assert_allclose(model.predict(arrays["x"], verbose=0), arrays["y"], atol=TOLERANCE, rtol=0)


def test_keras_weights_file_loads_into_the_same_architecture():
    model = keras.Sequential([
        keras.Input((6,)),
        keras.layers.Dense(4, activation="relu"),
        keras.layers.BatchNormalization(),
        keras.layers.Dense(2),
    ])
    model.load_weights(data("sequential.weights.h5"))
    arrays = expected("sequential_weights.npz")
    np.testing.assert_allclose(model.predict(arrays["x"], verbose=0), arrays["y"], atol=TOLERANCE, rtol=0)


def test_keras_model_file_weights_load_with_load_weights():
    model = keras.Sequential([
        keras.Input((3, 4)),
        keras.layers.Flatten(),
        keras.layers.Dense(8, activation="relu"),
        keras.layers.BatchNormalization(),
        keras.layers.Dropout(0.25),
        keras.layers.Dense(5),
        keras.layers.ReLU(),
        keras.layers.Activation("softmax"),
    ])
    model.load_weights(data("sequential.keras"))
    arrays = expected("sequential.npz")
    np.testing.assert_allclose(model.predict(arrays["x"], verbose=0), arrays["y"], atol=TOLERANCE, rtol=0)


# ------------------------------------------------------------ pykeras -> Keras 3


@pytest.fixture(scope="module")
def reference_keras():
    os.environ.setdefault("KERAS_BACKEND", "jax")
    return pytest.importorskip("keras", reason="Keras 3 is the optional reference for the reverse direction")


def _pykeras_models():
    rng = np.random.default_rng(21)
    keras.utils.set_random_seed(21)
    sequential = keras.Sequential([
        keras.Input((3, 4)), keras.layers.Flatten(), keras.layers.Dense(8, activation="relu"),
        keras.layers.BatchNormalization(), keras.layers.Dropout(0.2), keras.layers.Dense(3),
        keras.layers.ReLU(), keras.layers.Activation("softmax"),
    ])
    x = rng.normal(size=(16, 3, 4)).astype(np.float32)
    sequential.compile(keras.optimizers.Adam(0.01), "mse", metrics=["mae"])
    sequential.fit(x, rng.normal(size=(16, 3)).astype(np.float32), batch_size=8, epochs=2, verbose=0)

    left, right = keras.Input((4,), name="left"), keras.Input((3,), name="right")
    hidden = keras.layers.Dense(5, activation="relu")(left)
    first = keras.layers.Dense(2, name="first")(hidden)
    side = keras.layers.BatchNormalization()(keras.layers.Dense(5)(right))
    second = keras.layers.Activation("sigmoid", name="second")(keras.layers.Dense(1)(side))
    functional = keras.Model([left, right], [first, second])
    x1, x2 = rng.normal(size=(8, 4)).astype(np.float32), rng.normal(size=(8, 3)).astype(np.float32)
    functional.compile("adam", ["mse", "mse"])
    functional.fit([x1, x2], [rng.normal(size=(8, 2)).astype(np.float32), rng.random((8, 1)).astype(np.float32)],
                   epochs=2, verbose=0)
    return [("sequential", sequential, x), ("functional", functional, [x1, x2])]


def _as_list(outputs):
    return [np.asarray(o) for o in outputs] if isinstance(outputs, (list, tuple)) else [np.asarray(outputs)]


# Keras's own variables warn about numpy 2's __array__ copy keyword; nothing of pykeras's.
@pytest.mark.filterwarnings("ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning")
def test_pykeras_files_load_in_keras_3(reference_keras, tmp_path):
    for name, model, x in _pykeras_models():
        model.save(tmp_path / f"{name}.keras")
        model.save_weights(tmp_path / f"{name}.weights.h5")
        theirs = reference_keras.models.load_model(tmp_path / f"{name}.keras")
        for got, want in zip(_as_list(theirs.predict(x, verbose=0)), _as_list(model.predict(x, verbose=0))):
            np.testing.assert_allclose(got, want, atol=TOLERANCE, rtol=0)
        assert int(theirs.optimizer.iterations.numpy()) == int(model.optimizer.iterations.numpy())
        fresh = reference_keras.models.load_model(tmp_path / f"{name}.keras", compile=False)
        fresh.load_weights(tmp_path / f"{name}.weights.h5")
        for got, want in zip(_as_list(fresh.predict(x, verbose=0)), _as_list(model.predict(x, verbose=0))):
            np.testing.assert_allclose(got, want, atol=TOLERANCE, rtol=0)


def _moves_both_ways(reference_keras, tmp_path, make, x, custom_objects=None, atol=TOLERANCE, rtol=0):
    """A model built by ``make(library)`` in each library, saved, loads in the other and predicts the same."""
    for source, target in ((reference_keras, keras), (keras, reference_keras)):
        model = make(source)
        model.save(tmp_path / "model.keras")
        loaded = target.models.load_model(tmp_path / "model.keras", custom_objects=custom_objects)
        np.testing.assert_allclose(np.asarray(loaded.predict(x, verbose=0)), np.asarray(model.predict(x, verbose=0)),
                                   atol=atol, rtol=rtol)


def _branched(library):
    wide, deep = library.Input((4,), name="wide"), library.Input((3,), name="deep")
    hidden = library.layers.Dense(6, activation="relu")(deep)
    merged = [library.layers.Add()([hidden, library.layers.Dense(6)(wide)]),
              library.layers.Subtract()([hidden, hidden]), library.layers.Multiply()([hidden, hidden]),
              library.layers.Average()([hidden, hidden]), library.layers.Maximum()([hidden, hidden]),
              library.layers.Minimum()([hidden, hidden])]
    return library.Model([wide, deep], library.layers.Dense(2)(library.layers.Concatenate()([wide, *merged])))


@pytest.mark.filterwarnings("ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning")
def test_merge_layers_move_between_keras_and_pykeras(reference_keras, tmp_path):
    rng = np.random.default_rng(6)
    x = [rng.normal(size=(5, 4)).astype(np.float32), rng.normal(size=(5, 3)).astype(np.float32)]
    _moves_both_ways(reference_keras, tmp_path, _branched, x)


@pytest.mark.filterwarnings("ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning")
def test_layer_normalization_and_reshape_move_between_keras_and_pykeras(reference_keras, tmp_path):
    def make(library):
        return library.Sequential([
            library.Input((12,)), library.layers.Reshape((3, 4)),
            library.layers.LayerNormalization(axis=[1, 2], gamma_initializer="random_normal",
                                              beta_initializer="random_normal"),
            library.layers.Reshape((-1,)), library.layers.Dense(2, activation="gelu"),
            library.layers.BatchNormalization(gamma_regularizer="l2")])

    _moves_both_ways(reference_keras, tmp_path, make, np.random.default_rng(8).normal(size=(5, 12)).astype(np.float32))


@pytest.mark.filterwarnings("ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning")
def test_embedding_moves_between_keras_and_pykeras(reference_keras, tmp_path):
    def make(library):
        return library.Sequential([library.Input((3,), dtype="int32"), library.layers.Embedding(7, 4),
                                   library.layers.Flatten(), library.layers.Dense(2)])

    _moves_both_ways(reference_keras, tmp_path, make, np.random.default_rng(9).integers(0, 7, size=(5, 3)))


def halve(x):
    return x * 0.5


@pytest.mark.filterwarnings("ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning")
def test_a_lambda_of_a_named_function_moves_between_keras_and_pykeras(reference_keras, tmp_path):
    def make(library):
        return library.Sequential([library.Input((3,)), library.layers.Lambda(halve), library.layers.Dense(2)])

    _moves_both_ways(reference_keras, tmp_path, make, np.random.default_rng(10).normal(size=(4, 3)).astype(np.float32),
                     custom_objects={"halve": halve})


@pytest.mark.filterwarnings("ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning")
def test_an_adapted_normalization_moves_between_keras_and_pykeras(reference_keras, tmp_path):
    data = (np.random.default_rng(11).normal(size=(40, 3)) * [1, 5, 10]).astype(np.float32)

    def make(library):
        norm = library.layers.Normalization()
        norm.adapt(data)
        return library.Sequential([library.Input((3,)), norm, library.layers.Dense(2)])

    _moves_both_ways(reference_keras, tmp_path, make, data, atol=1e-5, rtol=1e-6)


@pytest.mark.filterwarnings("ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning")
@pytest.mark.parametrize("optimizer", ["Nadam", "Adagrad", "Adamax"])
def test_optimizer_state_moves_between_keras_and_pykeras(reference_keras, tmp_path, optimizer):
    rng = np.random.default_rng(12)
    x, y = rng.normal(size=(16, 3)).astype(np.float32), rng.normal(size=(16, 2)).astype(np.float32)
    for source, target in ((reference_keras, keras), (keras, reference_keras)):
        model = source.Sequential([source.Input((3,)), source.layers.Dense(4, activation="tanh"), source.layers.Dense(2)])
        model.compile(getattr(source.optimizers, optimizer)(0.05), "mse")
        for _ in range(3):
            model.train_on_batch(x, y)
        model.save(tmp_path / "opt.keras")
        loaded = target.models.load_model(tmp_path / "opt.keras")
        # The next step from the restored state is the one the source takes.
        model.train_on_batch(x, y)
        loaded.train_on_batch(x, y)
        np.testing.assert_allclose(np.asarray(loaded.predict(x, verbose=0)), np.asarray(model.predict(x, verbose=0)),
                                   atol=1e-5, rtol=1e-5)


@pytest.mark.filterwarnings("ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning")
def test_loss_metrics_move_between_keras_and_pykeras(reference_keras, tmp_path):
    rng = np.random.default_rng(13)
    x = rng.normal(size=(24, 4)).astype(np.float32)
    labels, targets = rng.integers(0, 3, 24), rng.uniform(0.5, 2, size=(24, 3)).astype(np.float32)

    def classifier(library):
        m = library.metrics
        return ["sparse_categorical_crossentropy", m.SparseCategoricalCrossentropy(name="sce")], "softmax", labels

    def regressor(library):
        m = library.metrics
        return ([m.MeanSquaredLogarithmicError(), m.MeanAbsolutePercentageError(), m.LogCoshError(),
                 m.CosineSimilarity(), m.Poisson(), m.KLDivergence(), m.SquaredHinge(), "bce"], "softplus", targets)

    for spec in (classifier, regressor):
        for source, target in ((reference_keras, keras), (keras, reference_keras)):
            metrics, activation, y = spec(source)
            model = source.Sequential([source.Input((4,)), source.layers.Dense(3, activation=activation)])
            loss = "sparse_categorical_crossentropy" if y is labels else "mse"
            model.compile(optimizer="sgd", loss=loss, metrics=metrics)
            model.fit(x, y, batch_size=8, epochs=1, verbose=0)
            model.save(tmp_path / "model.keras")
            loaded = target.models.load_model(tmp_path / "model.keras")
            want = model.evaluate(x, y, batch_size=8, verbose=0, return_dict=True)
            got = loaded.evaluate(x, y, batch_size=8, verbose=0, return_dict=True)
            assert sorted(got) == sorted(want)
            for name in want:
                assert float(got[name]) == pytest.approx(float(want[name]), rel=1e-5), name
