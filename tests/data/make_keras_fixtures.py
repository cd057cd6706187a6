"""Writes the Keras 3 interop fixtures in this folder (run with real Keras, not pykeras).

    python -m venv /tmp/kerasvenv && /tmp/kerasvenv/bin/pip install keras jax jaxlib h5py
    KERAS_BACKEND=jax /tmp/kerasvenv/bin/python tests/data/make_keras_fixtures.py

Each ``<name>.keras`` / ``<name>.weights.h5`` comes with ``<name>.npz``: the
inputs and what Keras's ``predict`` returned for them (and, for the compiled
model, the predictions after one more ``train_on_batch``, which only match
if the optimizer state was restored). ``tests/test_saving_interop.py`` loads
them with pykeras; CI needs no Keras.
"""
import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras  # noqa: E402
import numpy as np  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def path(name):
    return os.path.join(HERE, name)


@keras.saving.register_keras_serializable(package="fixtures")
class ScaledDense(keras.layers.Layer):
    """A custom layer with a sublayer and a weight of its own."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.inner = keras.layers.Dense(units)

    def build(self, input_shape):
        self.inner.build(input_shape)
        self.scale = self.add_weight(shape=(self.units,), initializer="random_uniform", name="scale")

    def call(self, inputs):
        return self.inner(inputs) * self.scale

    def get_config(self):
        config = super().get_config()
        config["units"] = self.units
        return config


@keras.saving.register_keras_serializable(package="fixtures")
class TwoBlockNet(keras.Model):
    """A subclassed model: a Dense, a custom layer, a list of layers."""

    def __init__(self, hidden=6, **kwargs):
        super().__init__(**kwargs)
        self.hidden = hidden
        self.encoder = keras.layers.Dense(hidden, activation="relu")
        self.block = ScaledDense(hidden)
        self.heads = [keras.layers.BatchNormalization(), keras.layers.Dense(2)]

    def call(self, inputs, training=False):
        x = self.block(self.encoder(inputs))
        x = self.heads[0](x, training=training)
        return self.heads[1](x)

    def get_config(self):
        config = super().get_config()
        config["hidden"] = self.hidden
        return config


def train(model, x, y, epochs=3):
    model.fit(x, y, batch_size=8, epochs=epochs, verbose=0, shuffle=False)


def uncompiled_copy(model):
    copy = keras.models.clone_model(model)
    copy.set_weights(model.get_weights())
    return copy


def sequential(rng):
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
    x = rng.normal(size=(32, 3, 4)).astype("float32")
    y = rng.normal(size=(32, 5)).astype("float32")
    model.compile("sgd", "mse")
    train(model, x, y)  # moves BatchNormalization's moving statistics off their initial values
    model = uncompiled_copy(model)
    model.save(path("sequential.keras"))
    np.savez(path("sequential.npz"), x=x, y=model.predict(x, verbose=0))


def functional(rng):
    left = keras.Input((4,), name="left")
    right = keras.Input((3,), name="right")
    hidden = keras.layers.Dense(6, activation="relu", name="shared_hidden")(left)
    side = keras.layers.Dense(6, name="side")(right)
    merged = keras.layers.Dense(6)(side)
    first = keras.layers.Dense(2, name="first")(hidden)
    second = keras.layers.Activation("sigmoid", name="second")(
        keras.layers.Dense(1)(keras.layers.BatchNormalization()(merged))
    )
    model = keras.Model([left, right], [first, second])
    x1 = rng.normal(size=(16, 4)).astype("float32")
    x2 = rng.normal(size=(16, 3)).astype("float32")
    model.compile("adam", ["mse", "mse"])
    model.fit([x1, x2], [rng.normal(size=(16, 2)), rng.random((16, 1))], epochs=2, verbose=0)
    model.save(path("functional.keras"))
    first_out, second_out = model.predict([x1, x2], verbose=0)
    np.savez(path("functional.npz"), x1=x1, x2=x2, y1=first_out, y2=second_out)


def compiled_adam(rng):
    model = keras.Sequential([
        keras.Input((5,)),
        keras.layers.Dense(7, activation="relu"),
        keras.layers.BatchNormalization(),
        keras.layers.Dense(3),
    ])
    model.compile(keras.optimizers.Adam(learning_rate=0.01), loss="mse", metrics=["mae"])
    x = rng.normal(size=(24, 5)).astype("float32")
    y = rng.normal(size=(24, 3)).astype("float32")
    train(model, x, y)
    model.save(path("compiled_adam.keras"))
    before = model.predict(x, verbose=0)
    model.train_on_batch(x[:8], y[:8])
    after = model.predict(x, verbose=0)
    iterations = int(model.optimizer.iterations.numpy())
    np.savez(path("compiled_adam.npz"), x=x, y=y, before=before, after=after, iterations=iterations)


def subclassed(rng):
    model = TwoBlockNet()
    x = rng.normal(size=(16, 4)).astype("float32")
    model(x[:2])
    model.compile("sgd", "mse")
    train(model, x, rng.normal(size=(16, 2)).astype("float32"), epochs=2)
    model.save(path("subclassed.keras"))
    np.savez(path("subclassed.npz"), x=x, y=model.predict(x, verbose=0))


def weights_only(rng):
    model = keras.Sequential([
        keras.Input((6,)),
        keras.layers.Dense(4, activation="relu"),
        keras.layers.BatchNormalization(),
        keras.layers.Dense(2),
    ])
    x = rng.normal(size=(20, 6)).astype("float32")
    model.compile("sgd", "mse")
    train(model, x, rng.normal(size=(20, 2)).astype("float32"))
    model = uncompiled_copy(model)  # a weights file without optimizer state
    model.save_weights(path("sequential.weights.h5"))
    np.savez(path("sequential_weights.npz"), x=x, y=model.predict(x, verbose=0))


def symbolic_ops(rng):
    """Operators and keras.ops on keras.Input tensors: op nodes among the layers of the graph."""
    ops = keras.ops
    a, b = keras.Input((4,), name="a"), keras.Input((3,), name="b")
    hidden = keras.layers.Dense(6, name="hidden")(a * 2.0 - 1.0)
    hidden = ops.relu(hidden) + ops.tanh(hidden) / 2.0
    joined = ops.concatenate([hidden, -b, b ** 2], axis=-1)
    grid = ops.transpose(ops.reshape(joined, (-1, 3, 4)), (0, 2, 1))
    pooled = ops.concatenate([ops.mean(grid, axis=1), ops.max(grid, axis=-1),
                              ops.sum(grid[:, 1:3], axis=(1, 2))[:, None]], axis=-1)
    scores = ops.softmax(keras.layers.Dense(3, name="head")(pooled), axis=-1)
    side = ops.squeeze(ops.expand_dims(ops.sqrt(ops.square(b) + 1.0), 1), 1)[..., ::2]
    model = keras.Model([a, b], [scores, ops.stack([side, ops.clip(side, 1.0, 1.2)], axis=1)])
    x1 = rng.normal(size=(8, 4)).astype("float32")
    x2 = rng.normal(size=(8, 3)).astype("float32")
    model.save(path("symbolic_ops.keras"))
    y1, y2 = model.predict([x1, x2], verbose=0)
    np.savez(path("symbolic_ops.npz"), x1=x1, x2=x2, y1=y1, y2=y2)


def main():
    keras.utils.set_random_seed(1234)
    rng = np.random.default_rng(1234)
    for make in (sequential, functional, compiled_adam, subclassed, weights_only, symbolic_ops):
        make(rng)
    with open(path("KERAS_VERSION"), "w") as handle:
        handle.write(f"{keras.__version__} (backend {keras.backend.backend()})\n")


if __name__ == "__main__":
    main()
