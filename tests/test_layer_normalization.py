"""LayerNormalization against numpy and finite differences; Reshape's shapes and errors."""
import numpy as np
import pytest

import pykeras as keras
from op_check import check_op

rng = np.random.default_rng(12)
X = (rng.normal(size=(4, 3, 5)) * 3 + 1).astype(np.float32)


def _normalized(x, axes, epsilon, gamma=None, beta=None):
    x = x.astype(np.float64)
    mean = x.mean(axis=axes, keepdims=True)
    out = (x - mean) / np.sqrt(x.var(axis=axes, keepdims=True) + epsilon)
    return out * (1 if gamma is None else gamma) + (0 if beta is None else beta)


@pytest.mark.parametrize("axis, axes, shape", [(-1, (2,), (1, 1, 5)), ([1, 2], (1, 2), (1, 3, 5)),
                                               (1, (1,), (1, 3, 1))])
def test_values_and_gradients(axis, axes, shape):
    layer = keras.layers.LayerNormalization(axis=axis, epsilon=0.01)
    layer.build(X.shape)
    gamma, beta = (rng.normal(size=w.shape).astype(np.float32) for w in layer.get_weights())
    layer.set_weights([gamma, beta])
    expected = _normalized(X, axes, 0.01, gamma.reshape(shape), beta.reshape(shape))
    check_op(layer, [X], lambda x: expected, rtol=1e-5, atol=1e-5)


def test_without_scale_and_center_it_has_no_weights():
    layer = keras.layers.LayerNormalization(center=False, scale=False)
    np.testing.assert_allclose(layer(X).numpy(), _normalized(X, (2,), 1e-3), rtol=1e-5, atol=1e-5)
    assert layer.weights == []


def test_config_round_trip_and_a_model_that_trains():
    layer = keras.layers.LayerNormalization(axis=[1, 2], epsilon=0.1, gamma_regularizer="l2")
    assert keras.layers.LayerNormalization.from_config(layer.get_config()).get_config() == layer.get_config()
    x = rng.normal(size=(64, 6)).astype(np.float32) * 5
    y = np.sin(x[:, :1]).astype(np.float32)
    model = keras.Sequential([keras.Input((6,)), keras.layers.Dense(16), keras.layers.LayerNormalization(),
                              keras.layers.Activation("gelu"), keras.layers.Dense(1)])
    model.compile(keras.optimizers.Adam(0.02), "mse")
    history = model.fit(x, y, epochs=30, batch_size=16, verbose=0).history["loss"]
    assert history[-1] < 0.5 * history[0]


def test_an_axis_out_of_range_is_refused():
    with pytest.raises(ValueError, match=r"range \[-ndim, ndim\). Received inputs with ndim=3, while axis=\[3\]"):
        keras.layers.LayerNormalization(axis=3)(X)


@pytest.mark.parametrize("target, expected", [((15,), (4, 15)), ((-1, 3), (4, 5, 3)), ((5, 3), (4, 5, 3))])
def test_reshape(target, expected):
    layer = keras.layers.Reshape(target)
    out = layer(X)
    assert out.shape == expected
    np.testing.assert_array_equal(out.numpy(), X.reshape(expected))
    assert layer.compute_output_shape((None, 3, 5)) == (None,) + expected[1:]
    assert keras.layers.Reshape.from_config(layer.get_config()).target_shape == tuple(target)


@pytest.mark.parametrize("target, message", [((4, -1), r"\(3, 5\) \(15 values\) cannot be reshaped to \(4, -1\)"),
                                             ((2, 2), r"\(3, 5\) \(15 values\) cannot be reshaped to \(2, 2\)")])
def test_reshape_refuses_sizes_that_do_not_fit(target, message):
    with pytest.raises(ValueError, match=message):
        keras.layers.Reshape(target)(X)


@pytest.mark.parametrize("target", [(-1, -1), (0, 3), (2.5,)])
def test_reshape_refuses_bad_target_shapes(target):
    with pytest.raises(ValueError, match="`target_shape` must be positive integers, with at most one -1"):
        keras.layers.Reshape(target)


@pytest.mark.parametrize("axis, axes, shape", [(-1, (2,), (5,)), ([1, 2], (1, 2), (3, 5))])
def test_the_op_against_numpy_with_gamma_and_beta_gradients(axis, axes, shape):
    gamma, beta = rng.uniform(0.5, 2, size=shape).astype(np.float32), rng.normal(size=shape).astype(np.float32)
    broadcast = (1,) * (3 - len(shape)) + shape

    def reference(x, gamma, beta):
        return _normalized(x, axes, 0.01, gamma.reshape(broadcast), beta.reshape(broadcast))

    check_op(lambda x, g, b: keras.ops.layer_normalization(x, g, b, axis=axis, epsilon=0.01), [X, gamma, beta],
             reference, rtol=1e-5, atol=1e-5, grad_rtol=5e-2, grad_atol=5e-3)


def test_the_op_defaults_and_rms_scaling_as_keras():
    default = keras.ops.layer_normalization(X).numpy()
    np.testing.assert_allclose(default, _normalized(X, (2,), keras.config.epsilon()), rtol=1e-5, atol=1e-5)
    gamma = rng.normal(size=5).astype(np.float32)
    with pytest.warns(UserWarning, match="rms_scaling=True`, which is deprecated"):
        rms = keras.ops.layer_normalization(X, gamma, axis=-1, epsilon=0.1, rms_scaling=True).numpy()
    x = X.astype(np.float64)  # Keras divides by the root of the variance, uncentered x
    np.testing.assert_allclose(rms, x / np.sqrt(x.var(axis=2, keepdims=True) + 0.1) * gamma, rtol=1e-5, atol=1e-5)


def test_rows_of_features_take_the_native_kernels_with_their_gradients(monkeypatch):
    from pykeras import _core

    calls = []
    for name in ("layer_norm_forward", "layer_norm_backward"):
        native = getattr(_core, name)
        monkeypatch.setattr(_core, name, lambda *args, native=native, name=name: calls.append(name) or native(*args))
    x = (rng.normal(size=(6, 70)) * 3 + 1).astype(np.float32)  # 70 features: two column chunks, a ragged one
    gamma, beta = rng.uniform(0.5, 2, size=70).astype(np.float32), rng.normal(size=70).astype(np.float32)
    check_op(lambda x, g, b: keras.ops.layer_normalization(x, g, b, epsilon=0.01), [x, gamma, beta],
             lambda x, g, b: _normalized(x, (1,), 0.01, g, b), rtol=1e-5, atol=1e-5, grad_rtol=5e-2, grad_atol=5e-3)
    assert "layer_norm_forward" in calls and "layer_norm_backward" in calls


@pytest.mark.parametrize("scaled", [True, False])
@pytest.mark.parametrize("features", [5003, 8, 3])
def test_native_layer_normalization_sums_rows_in_double(features, scaled):
    # Rows far from zero (mean 1e4, spread 1): summed in float32, the variance and the gradient's
    # means would lose most of their digits; in double (eight lanes and a tail) they keep float32's.
    from pykeras import _core

    x = (1e4 + rng.normal(size=(3, features))).astype(np.float32)
    dy = (50.0 + rng.normal(size=(3, features))).astype(np.float32)
    gamma = rng.uniform(0.5, 2.0, size=features).astype(np.float32) if scaled else None
    out, xhat = np.empty_like(x), np.empty_like(x)
    mean, var, inv_std = (np.empty(3, np.float32) for _ in range(3))
    _core.layer_norm_forward(x, gamma, None, 1e-3, out, xhat, mean, var, inv_std)
    x64 = x.astype(np.float64)
    np.testing.assert_allclose(mean, x64.mean(axis=1), rtol=1e-7)
    mu = mean.astype(np.float64)[:, None]  # the variance is taken about the rounded mean
    np.testing.assert_allclose(var, ((x64 - mu) ** 2).mean(axis=1), rtol=1e-6)
    dx = np.empty_like(x)
    _core.layer_norm_backward(dy, xhat, gamma, inv_std, dx, None, None)
    d = dy.astype(np.float64) * (1.0 if gamma is None else gamma.astype(np.float64))
    h = xhat.astype(np.float64)
    expected = inv_std[:, None].astype(np.float64) * (d - d.mean(axis=1, keepdims=True)
                                                      - h * (d * h).mean(axis=1, keepdims=True))
    np.testing.assert_allclose(dx, expected, rtol=1e-4, atol=1e-4 * np.abs(expected).max())


@pytest.mark.parametrize("kind, statistics", [("batch_norm", 257), ("layer_norm", 400)])
@pytest.mark.parametrize("threads", [1, 2])
def test_native_normalizations_have_the_same_bits_on_any_thread_count(kind, statistics, threads):
    # Batch normalization has one statistic per feature, layer normalization one per row.
    from pykeras import _core, config

    x, dy = rng.normal(size=(400, 257)).astype(np.float32), rng.normal(size=(400, 257)).astype(np.float32)
    gamma = rng.uniform(0.5, 2.0, size=257).astype(np.float32)

    def run():
        outs = [np.empty_like(x), np.empty_like(x)] + [np.empty(statistics, np.float32) for _ in range(3)]
        getattr(_core, f"{kind}_forward")(x, gamma, None, 1e-3, *outs)
        grads = [np.empty_like(x), np.empty(257, np.float32), np.empty(257, np.float32)]
        getattr(_core, f"{kind}_backward")(dy, outs[1], gamma, outs[4], *grads)
        return outs + grads

    saved = config.get_num_threads()
    try:
        config.set_num_threads(1)
        one = run()
        config.set_num_threads(threads)
        for got, want in zip(run(), one):
            np.testing.assert_array_equal(got, want)
    finally:
        config.set_num_threads(saved)


def test_native_layer_normalization_wants_one_statistic_per_row():
    from pykeras import _core

    x = np.ones((4, 5), np.float32)
    outs = [np.empty_like(x), np.empty_like(x), np.empty(5, np.float32), np.empty(4, np.float32),
            np.empty(4, np.float32)]
    with pytest.raises(ValueError, match=r"layer_norm_forward: argument 'mean' must have shape \(4,\)"):
        _core.layer_norm_forward(x, None, None, 1e-3, *outs)
    with pytest.raises(ValueError, match=r"layer_norm_backward: argument 'inv_std' must have shape \(4,\)"):
        _core.layer_norm_backward(x, x, None, np.ones(5, np.float32), None, None, None)
