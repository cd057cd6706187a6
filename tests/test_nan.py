"""NaN and divergence: TerminateOnNaN stops training, NaN inputs propagate through predict,
and the documented gradients at the edges of relu and log."""
import math

import numpy as np
import pytest

import pykeras as keras
from pykeras import ops

rng = np.random.default_rng(5)
X = rng.normal(size=(64, 4)).astype(np.float32)
Y = rng.normal(size=(64, 1)).astype(np.float32)


def _regressor(learning_rate):
    model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(8, activation="relu"),
                              keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=learning_rate), loss="mse")
    return model


def test_terminate_on_nan_stops_a_diverging_fit(capsys):
    model = _regressor(learning_rate=1e6)  # diverges to Inf and then NaN within a few steps
    batches = []
    history = model.fit(X, Y * 1e3, batch_size=8, epochs=20, verbose=0,
                        callbacks=[keras.callbacks.TerminateOnNaN(),
                                   keras.callbacks.LambdaCallback(on_train_batch_end=lambda b, logs: batches.append(logs["loss"]))])
    assert not math.isfinite(batches[-1])
    assert all(math.isfinite(loss) for loss in batches[:-1])  # stopped at the first bad batch
    assert len(batches) < 20 * 8
    assert model.stop_training
    assert len(history.history["loss"]) == 1  # the epoch in which it happened is the last one
    assert "Invalid loss, terminating training" in capsys.readouterr().out


def test_terminate_on_nan_raise_error():
    model = _regressor(learning_rate=1e6)
    with pytest.raises(RuntimeError, match="NaN or Inf loss"):
        model.fit(X, Y * 1e3, batch_size=8, epochs=20, verbose=0,
                  callbacks=[keras.callbacks.TerminateOnNaN(raise_error=True)])


def test_nan_loss_from_nan_inputs_stops_at_once():
    model = _regressor(learning_rate=0.01)
    x = X.copy()
    x[:8] = np.nan  # the first batch (no shuffling) is all NaN
    history = model.fit(x, Y, batch_size=8, epochs=3, shuffle=False, verbose=0,
                        callbacks=[keras.callbacks.TerminateOnNaN()])
    assert math.isnan(history.history["loss"][0])
    assert model.stop_training


@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
def test_nan_and_inf_in_predict_propagate_per_row(value):
    model = _regressor(learning_rate=0.01)
    model.layers[0].kernel.assign(np.abs(model.layers[0].kernel.numpy()) + 0.1)  # every unit sees x[0]
    model.layers[1].kernel.assign(np.abs(model.layers[1].kernel.numpy()) + 0.1)
    x = X.copy()
    x[3, 0] = value
    clean = model.predict(X, verbose=0)
    out = model.predict(x, verbose=0)
    rows = np.arange(len(X)) != 3
    np.testing.assert_array_equal(out[rows], clean[rows])  # other rows untouched
    if value == -np.inf:
        assert np.isfinite(out[3]).all()  # relu(-inf) = 0: the row is the bias path
    elif np.isnan(value):
        assert np.isnan(out[3]).all()  # NaN passes through relu and the matmuls
    else:
        assert np.isinf(out[3]).all() or np.isnan(out[3]).all()
    assert np.isnan(model(x[3:4]).numpy()).all() == np.isnan(out[3]).all()


def test_nan_weights_predict_nan_without_crash():
    model = _regressor(learning_rate=0.01)
    model.layers[1].kernel.assign(np.full((8, 1), np.nan, np.float32))
    assert np.isnan(model.predict(X, verbose=0)).all()


# The documented gradients: relu'(0) = 0 (the mask comes from the output y = relu(x) > 0);
# log'(x) = 1/x, so log'(0) = +inf times the upstream gradient (and -inf for -0.0).


def _grad(function, value):
    x = keras.Variable(np.asarray(value, np.float32))
    with ops.GradientTape() as tape:
        y = ops.sum(function(x))
    return tape.gradient(y, [x])[0]


def test_relu_gradient_at_zero_is_zero():
    g = _grad(ops.relu, [-1.0, -0.0, 0.0, 1e-30, 2.0])
    np.testing.assert_array_equal(np.asarray(g), [0, 0, 0, 1, 1])


def test_relu_gradient_of_nan_is_zero_and_value_propagates():
    x = np.array([np.nan, 1.0], np.float32)
    assert np.isnan(ops.relu(x).numpy()[0])
    np.testing.assert_array_equal(np.asarray(_grad(ops.relu, x)), [0, 1])  # NaN > 0 is False


def test_fused_dense_relu_gradient_at_zero_is_zero():
    # Inputs that make pre-activations exactly 0: dW and db get nothing from those units.
    x = keras.Variable(np.array([[1.0, -1.0]], np.float32))
    w = keras.Variable(np.array([[1.0, 2.0], [1.0, -3.0]], np.float32))  # z = [0, 5]
    b = keras.Variable(np.zeros(2, np.float32))
    with ops.GradientTape() as tape:
        y = ops.sum(ops.dense(x, w, b, activation="relu"))
    dx, dw, db = tape.gradient(y, [x, w, b])
    np.testing.assert_array_equal(np.asarray(db), [0, 1])
    np.testing.assert_array_equal(np.asarray(dw), [[0, 1], [0, -1]])
    np.testing.assert_array_equal(np.asarray(dx), [[2, -3]])


def test_log_gradient_near_and_at_zero():
    g = np.asarray(_grad(ops.log, [1e-30, 1e-45, 0.0, -0.0, 1.0]))
    assert g[0] == np.float32(1e30)
    assert np.isinf(g[1]) or g[1] > 1e44  # 1/denormal overflows float32 to inf
    assert g[2] == np.inf and g[3] == -np.inf
    assert g[4] == 1.0
    assert np.asarray(ops.log(np.float32(0))) == -np.inf


def test_log_gradient_scales_the_upstream_gradient():
    x = keras.Variable(np.array([0.0, 0.5], np.float32))
    with ops.GradientTape() as tape:
        y = ops.sum(ops.multiply(ops.log(x), np.array([0.0, 3.0], np.float32)))
    g = np.asarray(tape.gradient(y, [x])[0])
    assert np.isnan(g[0])  # inf * 0: IEEE, the documented inf * g
    assert g[1] == 6.0
