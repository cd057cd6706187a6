"""Embedding: lookups, the summed gradient of repeated indices, bad indices, configs, and a
model with a categorical input that trains, saves and loads."""
import numpy as np
import pytest

import pykeras as keras

rng = np.random.default_rng(14)
TABLE = rng.normal(size=(6, 3)).astype(np.float32)
INDICES = np.array([[0, 5, 2], [2, 2, 4]])


def _layer():
    return keras.layers.Embedding(6, 3, weights=[TABLE])


def test_lookup_and_the_gradient_adds_up_repeated_rows():
    layer = _layer()
    np.testing.assert_array_equal(layer(INDICES).numpy(), TABLE[INDICES])
    upstream = rng.normal(size=(2, 3, 3)).astype(np.float32)
    with keras.GradientTape() as tape:
        loss = keras.ops.sum(layer(INDICES) * upstream)
    expected = np.zeros_like(TABLE)
    for (i, j), row in np.ndenumerate(INDICES):
        expected[row] += upstream[i, j]
    np.testing.assert_allclose(tape.gradient(loss, layer.embeddings).numpy(), expected, rtol=1e-6)


def test_whole_floats_are_indices_and_other_input_is_refused():
    layer = _layer()
    np.testing.assert_array_equal(layer(INDICES.astype(np.float32)).numpy(), TABLE[INDICES])
    with pytest.raises(ValueError, match=r"indices must be in \[0, 6\). Received: 6"):
        layer(np.array([[1, 6]]))
    with pytest.raises(ValueError, match=r"indices must be in \[0, 6\). Received: -1"):
        layer(np.array([[-1, 0]]))
    with pytest.raises(ValueError, match="expected integer indices. Received: non-whole floats"):
        layer(np.array([[0.5]]))


@pytest.mark.parametrize("kwargs, message", [({"mask_zero": True}, "`mask_zero` is not supported"),
                                             ({"input_dim": 0}, "`input_dim` must be a positive integer")])
def test_unsupported_options_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        keras.layers.Embedding(**{"input_dim": 4, "output_dim": 2, **kwargs})


def test_config_is_kerass():
    config = keras.layers.Embedding(10, 4, name="e").get_config()
    assert config["embeddings_initializer"] == {"module": "keras.initializers", "class_name": "RandomUniform",
                                                "config": {"minval": -0.05, "maxval": 0.05, "seed": None},
                                                "registered_name": None}
    assert (config["input_dim"], config["output_dim"], config["mask_zero"]) == (10, 4, False)
    assert keras.layers.Embedding.from_config(config).get_config() == config


def test_a_model_with_a_categorical_input_trains_saves_and_loads(tmp_path):
    keras.utils.set_random_seed(3)
    ids, numbers = keras.Input((2,), dtype="int32"), keras.Input((1,))
    embedded = keras.layers.Flatten()(keras.layers.Embedding(8, 2)(ids))
    model = keras.Model([ids, numbers], keras.layers.Dense(1)(keras.layers.Concatenate()([embedded, numbers])))
    x = [rng.integers(0, 8, size=(96, 2)), rng.normal(size=(96, 1)).astype(np.float32)]
    y = (np.where(x[0][:, :1] % 2 == 0, 1.0, -1.0) + x[1]).astype(np.float32)  # learnable only through the ids
    model.compile(keras.optimizers.Adam(0.05), "mse")
    history = model.fit(x, y, batch_size=16, epochs=40, verbose=0).history["loss"]
    assert history[-1] < 0.05 * history[0]
    model.save(tmp_path / "m.keras")
    np.testing.assert_array_equal(keras.models.load_model(tmp_path / "m.keras").predict(x, verbose=0),
                                  model.predict(x, verbose=0))
