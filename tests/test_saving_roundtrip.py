"""Saving and loading within pykeras: whole models (.keras) and weights (.weights.h5).

Predictions after a round trip are equal bit for bit, and training resumed
from a saved compiled model equals training that never stopped.
"""
import zipfile

import numpy as np
import pytest

import pykeras as keras
from pykeras import ops
from custom_models import ScaledDense, TwoBlockNet

RNG = np.random.default_rng(7)
X = RNG.normal(size=(32, 6)).astype(np.float32)
Y = RNG.normal(size=(32, 3)).astype(np.float32)


def sequential_model():
    return keras.Sequential([
        keras.Input((6,)),
        keras.layers.Dense(8, activation="relu"),
        keras.layers.BatchNormalization(),
        keras.layers.Dropout(0.3),
        keras.layers.Dense(3),
    ])


def functional_model():
    left, right = keras.Input((6,), name="left"), keras.Input((2,), name="right")
    hidden = keras.layers.Dense(8, activation="relu")(left)
    normed = keras.layers.BatchNormalization()(hidden)
    side = keras.layers.Dense(8)(right)
    first = keras.layers.Dense(3, name="first")(normed)
    second = keras.layers.Activation("sigmoid", name="second")(keras.layers.Dense(1)(side))
    return keras.Model([left, right], [first, second])


def subclassed_model():
    model = TwoBlockNet(hidden=8, outputs=3)
    model(X[:2])
    return model


def inputs_for(model):
    return [X, X[:, :2]] if len(getattr(model, "inputs", [None])) == 2 else X


def targets_for(model):
    return [Y, Y[:, :1]] if len(getattr(model, "inputs", [None])) == 2 else Y


def predictions(model):
    out = model.predict(inputs_for(model), verbose=0)
    return out if isinstance(out, list) else [out]


def assert_bitwise(a, b):
    for left, right in zip(a, b):
        np.testing.assert_array_equal(left, right)


MAKERS = {"sequential": sequential_model, "functional": functional_model, "subclassed": subclassed_model}


@pytest.mark.parametrize("kind", sorted(MAKERS))
def test_uncompiled_round_trip_predicts_bit_for_bit(kind, tmp_path):
    keras.utils.set_random_seed(1)
    model = MAKERS[kind]()
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    assert type(loaded) is type(model)
    assert not loaded.compiled
    assert [w.shape for w in loaded.weights] == [w.shape for w in model.weights]
    assert_bitwise(predictions(loaded), predictions(model))


@pytest.mark.parametrize("kind", sorted(MAKERS))
def test_compiled_round_trip_restores_optimizer_state_and_resumes_exactly(kind, tmp_path):
    def fit(model, seed):
        keras.utils.set_random_seed(seed)  # same shuffling and dropout masks in both runs
        model.fit(inputs_for(model), targets_for(model), batch_size=8, epochs=2, verbose=0)

    keras.utils.set_random_seed(3)
    uninterrupted = MAKERS[kind]()
    keras.utils.set_random_seed(3)
    interrupted = MAKERS[kind]()
    metrics = {"first": ["mae"]} if kind == "functional" else ["mae"]
    for model in (uninterrupted, interrupted):
        model.compile(keras.optimizers.Adam(learning_rate=0.01), loss="mse", metrics=metrics)
        fit(model, seed=11)
    interrupted.save(tmp_path / "ckpt.keras")
    resumed = keras.models.load_model(tmp_path / "ckpt.keras")

    assert resumed.compiled and isinstance(resumed.optimizer, keras.optimizers.Adam)
    assert resumed.optimizer.learning_rate.numpy() == np.float32(0.01)
    assert_bitwise([v.numpy() for v in resumed.optimizer.variables],
                   [v.numpy() for v in interrupted.optimizer.variables])
    assert_bitwise(resumed.get_weights(), interrupted.get_weights())  # incl. BatchNormalization's moving stats
    assert_bitwise(predictions(resumed), predictions(interrupted))

    fit(uninterrupted, seed=12)
    fit(resumed, seed=12)
    assert_bitwise(resumed.get_weights(), uninterrupted.get_weights())
    assert_bitwise([v.numpy() for v in resumed.optimizer.variables],
                   [v.numpy() for v in uninterrupted.optimizer.variables])
    history = resumed.evaluate(inputs_for(resumed), targets_for(resumed), verbose=0, return_dict=True)
    assert "loss" in history and any(key.endswith("mae") for key in history)


@pytest.mark.filterwarnings("error")
def test_a_compiled_model_saved_before_training_loads_without_a_warning(tmp_path):
    # Keras warns "Skipping variable loading" here although the saved state (iteration and rate)
    # is all a never-trained optimizer has.
    model = sequential_model()
    model.compile(keras.optimizers.Adam(0.0123), "mse")
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    assert float(loaded.optimizer.learning_rate) == np.float32(0.0123)
    assert int(loaded.optimizer.iterations.numpy()) == 0
    assert len(loaded.optimizer.variables) == 2 + 2 * len(loaded.trainable_weights)


def test_batch_normalization_moving_statistics_survive(tmp_path):
    keras.utils.set_random_seed(0)
    model = sequential_model()
    model.compile("sgd", "mse")
    model.fit(X, Y, epochs=2, verbose=0)
    bn = model.layers[1]
    assert not np.allclose(bn.moving_mean.numpy(), 0)
    model.save(tmp_path / "bn.keras")
    loaded_bn = keras.models.load_model(tmp_path / "bn.keras", compile=False).layers[1]
    np.testing.assert_array_equal(loaded_bn.moving_mean.numpy(), bn.moving_mean.numpy())
    np.testing.assert_array_equal(loaded_bn.moving_variance.numpy(), bn.moving_variance.numpy())


def test_compile_false_leaves_the_model_uncompiled(tmp_path):
    model = sequential_model()
    model.compile("adam", "mse")
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras", compile=False)
    assert not loaded.compiled and loaded.optimizer is None


def test_compile_config_round_trips_loss_and_metric_objects(tmp_path):
    model = sequential_model()
    model.compile(keras.optimizers.SGD(learning_rate=0.05, momentum=0.9),
                  loss=keras.losses.MeanSquaredError(), metrics=[keras.metrics.MeanAbsoluteError(), "mse"])
    model.fit(X, Y, epochs=1, verbose=0)
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    assert isinstance(loaded.optimizer, keras.optimizers.SGD) and loaded.optimizer.momentum == 0.9
    logs = loaded.evaluate(X, Y, verbose=0, return_dict=True)
    expected = model.evaluate(X, Y, verbose=0, return_dict=True)
    assert logs == expected


def test_file_layout_is_keras_3s(tmp_path):
    model = sequential_model()
    model.compile("adam", "mse")
    model.fit(X, Y, epochs=1, verbose=0)
    model.save(tmp_path / "m.keras")
    with zipfile.ZipFile(tmp_path / "m.keras") as archive:
        assert archive.namelist() == ["metadata.json", "config.json", "model.weights.h5"]
    import h5py

    model.save_weights(tmp_path / "m.weights.h5")
    with h5py.File(tmp_path / "m.weights.h5", "r") as f:
        assert sorted(f["layers"].keys()) == ["batch_normalization", "dense", "dense_1", "dropout"]
        assert f["layers/dense/vars"].attrs["name"] == model.layers[0].name
        assert f["layers/batch_normalization/vars/3"].shape == (8,)
        assert len(f["optimizer/vars"]) == 2 + 2 * len(model.trainable_weights)


def test_subclassed_weights_use_attribute_names(tmp_path):
    import h5py

    model = subclassed_model()
    model.save_weights(tmp_path / "net.weights.h5")
    with h5py.File(tmp_path / "net.weights.h5", "r") as f:
        names = []
        f.visit(names.append)
    # As Keras: attributes in sorted order (private ones last), each layer once, a
    # custom layer's sublayers under its attribute names, list items by class name.
    assert "block/vars/0" in names and "block/inner/vars/1" in names
    assert "encoder/vars/0" in names
    assert "heads/batch_normalization/vars/3" in names and "heads/dense/vars/0" in names
    assert not any(name.startswith("layers/") for name in names)  # all met before `layers`


def test_save_and_load_weights_round_trip(tmp_path):
    keras.utils.set_random_seed(5)
    source = functional_model()
    keras.utils.set_random_seed(6)
    target = functional_model()
    source.save_weights(tmp_path / "f.weights.h5")
    target.load_weights(tmp_path / "f.weights.h5")
    assert_bitwise(predictions(target), predictions(source))


def test_load_weights_from_a_keras_file(tmp_path):
    keras.utils.set_random_seed(5)
    source = sequential_model()
    source.save(tmp_path / "s.keras")
    target = sequential_model()
    target.load_weights(tmp_path / "s.keras")
    assert_bitwise(predictions(target), predictions(source))


def test_load_weights_restores_optimizer_state_of_a_compiled_model(tmp_path):
    keras.utils.set_random_seed(2)
    source = sequential_model()
    source.compile("adam", "mse")
    source.fit(X, Y, epochs=1, verbose=0)
    source.save_weights(tmp_path / "s.weights.h5")
    target = sequential_model()
    target.compile("adam", "mse")
    target.load_weights(tmp_path / "s.weights.h5")
    assert_bitwise([v.numpy() for v in target.optimizer.variables],
                   [v.numpy() for v in source.optimizer.variables])


def test_custom_objects_argument_loads_an_unregistered_layer(tmp_path):
    class Doubler(keras.layers.Layer):
        def call(self, inputs):
            return ops.multiply(inputs, 2.0)

    inputs = keras.Input((3,))
    model = keras.Model(inputs, Doubler()(keras.layers.Dense(2)(inputs)))
    model.save(tmp_path / "d.keras")
    with pytest.raises(TypeError, match="Could not locate class 'Doubler'"):
        keras.models.load_model(tmp_path / "d.keras")
    loaded = keras.models.load_model(tmp_path / "d.keras", custom_objects={"Doubler": Doubler})
    np.testing.assert_array_equal(loaded.predict(X[:, :3], verbose=0), model.predict(X[:, :3], verbose=0))


def test_registered_objects_are_written_with_their_registered_name(tmp_path):
    import json

    model = subclassed_model()
    model.save(tmp_path / "n.keras")
    with zipfile.ZipFile(tmp_path / "n.keras") as archive:
        config = json.loads(archive.read("config.json"))
    assert config["registered_name"] == "fixtures>TwoBlockNet" and config["config"]["hidden"] == 8
    assert keras.saving.get_registered_object("fixtures>TwoBlockNet") is TwoBlockNet
    assert keras.saving.get_registered_name(ScaledDense) == "fixtures>ScaledDense"


def test_custom_loss_function_round_trips_through_compile_config(tmp_path):
    @keras.saving.register_keras_serializable(package="roundtrip")
    def doubled_mse(y_true, y_pred):
        return ops.multiply(keras.losses.mean_squared_error(y_true, y_pred), 2.0)

    model = sequential_model()
    model.compile("sgd", loss=doubled_mse)
    model.save(tmp_path / "l.keras")
    loaded = keras.models.load_model(tmp_path / "l.keras")
    assert loaded.evaluate(X, Y, verbose=0) == model.evaluate(X, Y, verbose=0)


def test_overwrite_false_keeps_the_file_without_a_terminal(tmp_path, monkeypatch):
    model = sequential_model()
    model.save(tmp_path / "m.keras")
    before = (tmp_path / "m.keras").read_bytes()
    monkeypatch.setattr("builtins.input", lambda prompt="": (_ for _ in ()).throw(EOFError))
    keras.utils.set_random_seed(9)
    sequential_model().save(tmp_path / "m.keras", overwrite=False)
    assert (tmp_path / "m.keras").read_bytes() == before


def test_unzipped_directory_round_trip(tmp_path):
    model = sequential_model()
    model.save(tmp_path / "folder", zipped=False)
    loaded = keras.models.load_model(tmp_path / "folder")
    assert_bitwise(predictions(loaded), predictions(model))


def test_model_checkpoint_saves_best_only_weights_only_and_epoch_paths(tmp_path):
    keras.utils.set_random_seed(4)
    model = sequential_model()
    model.compile("adam", "mse")
    every = keras.callbacks.ModelCheckpoint(str(tmp_path / "ckpt-{epoch:02d}.keras"))
    weights = keras.callbacks.ModelCheckpoint(str(tmp_path / "best.weights.h5"), monitor="loss",
                                              save_best_only=True, save_weights_only=True)
    best = keras.callbacks.ModelCheckpoint(str(tmp_path / "best.keras"), monitor="loss", save_best_only=True)
    model.fit(X, Y, epochs=3, verbose=0, callbacks=[every, weights, best])
    assert sorted(p.name for p in tmp_path.glob("ckpt-*.keras")) == ["ckpt-01.keras", "ckpt-02.keras", "ckpt-03.keras"]
    assert not list(tmp_path.glob(".*.tmp"))  # no temporary file left behind
    final = keras.models.load_model(tmp_path / "ckpt-03.keras")
    assert_bitwise(predictions(final), predictions(model))
    restored = sequential_model()
    restored.compile("adam", "mse")
    restored.load_weights(tmp_path / "best.weights.h5")
    best_model = keras.models.load_model(tmp_path / "best.keras")
    assert_bitwise(predictions(restored), predictions(best_model))
    assert int(best_model.optimizer.iterations.numpy()) > 0


def test_subclasses_without_get_config_round_trip_by_their_constructor_arguments(tmp_path):
    class Block(keras.layers.Layer):
        def __init__(self, units, scale=1.0, **kwargs):
            super().__init__(**kwargs)
            self.units, self.scale = units, scale
            self.inner = keras.layers.Dense(units)

        def call(self, x):
            return self.inner(x) * self.scale

    class Net(keras.Model):
        def __init__(self, width):
            super().__init__()
            self.block = Block(width, scale=0.5)
            self.head = keras.layers.Dense(1)

        def call(self, x):
            return self.head(self.block(x))

    model = Net(6)
    x = np.random.default_rng(0).normal(size=(4, 3)).astype(np.float32)
    expected = model.predict(x, verbose=0)
    assert model.get_config() == {"width": 6}  # Net takes only `width`
    assert Block(3, scale=2.0, name="b").get_config()["scale"] == 2.0
    path = tmp_path / "net.keras"
    model.save(path)
    restored = keras.models.load_model(path, custom_objects={"Net": Net, "Block": Block})
    np.testing.assert_array_equal(restored.predict(x, verbose=0), expected)
