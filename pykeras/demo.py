"""The main job: train a spiral classifier, report it, save it."""
import os

import numpy as np

import pykeras as keras
from pykeras.datasets import spirals


def build_model():
    return keras.Sequential(
        [
            keras.Input(shape=(2,)),
            keras.layers.Dense(64, activation="relu"),
            keras.layers.Dense(64, activation="relu"),
            keras.layers.Dense(3),
        ],
        name="spiral_classifier",
    )


def main(epochs=40, path="spiral_classifier.keras"):
    keras.utils.set_random_seed(0)
    x, y = spirals(samples_per_class=1000, turns=2.0, noise=0.3, seed=0)
    split = int(0.8 * len(x))
    x_train, y_train, x_test, y_test = x[:split], y[:split], x[split:], y[split:]
    model = build_model()
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=0.01),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    model.fit(x_train, y_train, batch_size=32, epochs=epochs, validation_split=0.1, verbose=1)
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    print(f"\nTest accuracy: {accuracy:.4f} (loss {loss:.4f}) on {len(x_test)} held-out points\n")
    model.summary()
    model.save(path)
    restored = keras.models.load_model(path)
    same = np.array_equal(restored.predict(x_test, verbose=0), model.predict(x_test, verbose=0))
    print(f"\nSaved to {os.path.abspath(path)} (Keras 3 format); reloaded, predictions identical: {same}")
    return accuracy
