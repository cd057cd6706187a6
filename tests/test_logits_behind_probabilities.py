"""Cross-entropies given a softmax's or a sigmoid's output compute from that activation's input.

References are numpy formulas in float64: log-softmax and softplus from the logits, and the
clipped-probability formula where the output did not come from the activation.
"""
import warnings

import numpy as np
import pytest

import pykeras as keras
from pykeras import ops

RNG = np.random.default_rng(11)


def _log_softmax(z):
    z = z.astype(np.float64)
    shifted = z - z.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def _confident_logits():
    """Rows whose softmax puts about 1e-17 on class 0: far past the 1e-7 clip."""
    z = RNG.normal(size=(4, 5)).astype(np.float32)
    z[:, 1] += 40.0
    return z


def test_sparse_cross_entropy_of_a_softmax_output_is_the_logits_loss():
    z = _confident_logits()
    labels = np.zeros(4, np.int64)
    expected = -_log_softmax(z)[:, 0]
    assert expected.min() > 30  # the clipped loss could not exceed -log(1e-7) = 16.1
    logits = keras.Variable(z)
    for loss in (keras.losses.SparseCategoricalCrossentropy(), keras.losses.SparseCategoricalCrossentropy(reduction="none")):
        with ops.GradientTape() as tape:
            value = loss(labels, ops.softmax(logits))
            total = ops.sum(value)
        got = value.numpy()
        np.testing.assert_allclose(got, expected if got.ndim else expected.mean(), rtol=1e-6)
        # The gradient is softmax - onehot (over the batch for the mean): not cut off by a clip.
        p = np.exp(_log_softmax(z))
        want = (p - np.eye(5)[labels]) / (4 if got.ndim == 0 else 1)
        grad = tape.gradient(total, logits).numpy()
        np.testing.assert_allclose(grad, want, rtol=1e-5, atol=1e-7)


def test_sparse_function_and_categorical_cross_entropy_agree_on_a_softmax_output():
    z = _confident_logits()
    labels = RNG.integers(0, 5, 4)
    expected = -_log_softmax(z)[np.arange(4), labels]
    probabilities = ops.softmax(z)
    np.testing.assert_allclose(keras.losses.sparse_categorical_crossentropy(labels, probabilities).numpy(),
                               expected, rtol=1e-6)
    onehot = np.eye(5, dtype=np.float32)[labels]
    np.testing.assert_allclose(keras.losses.categorical_crossentropy(onehot, probabilities).numpy(),
                               expected, rtol=1e-6)
    np.testing.assert_allclose(keras.losses.CategoricalCrossentropy()(onehot, probabilities).numpy(),
                               expected.mean(), rtol=1e-6)


def test_binary_cross_entropy_of_a_sigmoid_output_is_the_logits_loss():
    z = np.array([[-30.0, -2.0], [0.5, 25.0]], np.float32)
    t = np.array([[1.0, 0.0], [1.0, 0.0]], np.float32)
    z64 = z.astype(np.float64)
    expected = (np.logaddexp(0, z64) - t * z64).mean(axis=-1)
    logits = keras.Variable(z)
    with ops.GradientTape() as tape:
        value = keras.losses.binary_crossentropy(t, ops.sigmoid(logits))
        total = ops.sum(value)
    np.testing.assert_allclose(value.numpy(), expected, rtol=1e-6)
    sigmoid = 1 / (1 + np.exp(-z64))
    np.testing.assert_allclose(tape.gradient(total, logits).numpy(), (sigmoid - t) / 2, rtol=1e-5)


def test_plain_probabilities_keep_the_clipped_formula():
    p = np.array([[1e-12, 1 - 1e-12], [0.3, 0.7]], np.float32)
    labels = np.array([0, 1])
    clipped = np.clip(p.astype(np.float64), 1e-7, 1 - 1e-7)
    expected = -np.log(clipped[np.arange(2), labels])
    np.testing.assert_allclose(keras.losses.sparse_categorical_crossentropy(labels, p).numpy(), expected, rtol=1e-6)
    # A softmax over another axis leaves no logits for a last-axis loss.
    z = RNG.normal(size=(3, 2)).astype(np.float32)
    over_rows = ops.softmax(z, axis=0)
    clipped = np.clip(over_rows.numpy().astype(np.float64), 1e-7, 1 - 1e-7)
    clipped /= clipped.sum(axis=-1, keepdims=True)
    np.testing.assert_allclose(keras.losses.sparse_categorical_crossentropy(np.array([0, 1, 0]), over_rows).numpy(),
                               -np.log(clipped[np.arange(3), [0, 1, 0]]), rtol=1e-5)


def test_a_softmax_output_is_not_taken_for_sigmoid_logits():
    z = np.array([[2.0, -1.0]], np.float32)
    t = np.array([[1.0, 0.0]], np.float32)
    p = np.exp(_log_softmax(z))
    expected = -(t * np.log(p) + (1 - t) * np.log(1 - p)).mean(axis=-1)
    np.testing.assert_allclose(keras.losses.binary_crossentropy(t, ops.softmax(z)).numpy(), expected, rtol=1e-5)


def test_from_logits_on_a_softmax_output_warns_and_uses_the_logits():
    z = _confident_logits()
    labels = np.zeros(4, np.int64)
    with pytest.warns(UserWarning, match="output of a softmax activation"):
        value = keras.losses.SparseCategoricalCrossentropy(from_logits=True)(labels, ops.softmax(z))
    np.testing.assert_allclose(float(value), -_log_softmax(z)[:, 0].mean(), rtol=1e-6)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        keras.losses.SparseCategoricalCrossentropy(from_logits=True)(labels, z)  # logits: no warning


def test_a_softmax_classifier_learns_from_its_confidently_wrong_samples():
    # One sample whose softmax puts ~1e-17 on its label: clipped, its gradient would be zero.
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, activation="softmax")])
    model.layers[0].kernel.assign(np.array([[0.0, 40.0], [0.0, 0.0], [0.0, 0.0]], np.float32))
    model.compile(optimizer=keras.optimizers.SGD(0.01), loss="sparse_categorical_crossentropy")
    x, y = np.array([[1.0, 0.0, 0.0]], np.float32), np.array([0])
    before = model.layers[0].kernel.numpy().copy()
    model.fit(x, y, epochs=1, verbose=0)
    # d loss / d kernel[0] = x0 * (p - onehot) = (-1, 1) up to 1e-17: SGD moves it by 0.01 each way.
    np.testing.assert_allclose(model.layers[0].kernel.numpy()[0] - before[0], [0.01, -0.01], atol=1e-5)  # 40 - 0.01 rounds in float32
