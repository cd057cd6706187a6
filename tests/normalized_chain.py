"""What the batch- and the layer-normalization tests of the dense chain share: a normalized MLP,
and the native training pass against float64 formulas derived by hand (32 rows, 9 -> 40
(normalized, ReLU) -> 24 (tanh, normalized without beta) -> 3 classes under the softmax
cross-entropy)."""
import numpy as np
import pytest

import pykeras as keras
from pykeras import _core


def normalized_mlp(kind, normalization, activation="ReLU", dropout=False, center=True, scale=True, use_bias=True,
                   before=None):
    """A compiled ``kind`` (Sequential or a subclass): 20 -> Dense(16, before) ->
    ``normalization(center=, scale=)`` -> ``activation`` (a layer name, "ReLU", or "none" for no
    layer) [-> Dropout] -> Dense(12) -> ``normalization(epsilon=1e-2)`` -> ReLU -> Dense(4)."""
    keras.utils.set_random_seed(4)
    after = None if activation == "none" else keras.layers.ReLU() if activation == "ReLU" else keras.layers.Activation(
        activation)
    layers = [keras.Input(shape=(20,)), keras.layers.Dense(16, activation=before, use_bias=use_bias),
              normalization(center=center, scale=scale), after]
    if dropout:
        layers.append(keras.layers.Dropout(0.25, seed=2))
    layers += [keras.layers.Dense(12), normalization(epsilon=1e-2), keras.layers.ReLU(), keras.layers.Dense(4)]
    model = kind([layer for layer in layers if layer is not None])
    model.compile(optimizer=keras.optimizers.Adam(1e-2),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    return model


def batch_norm(z, gamma, beta, eps):
    """(output, xhat, mean, variance) of normalizing each feature over the batch."""
    mean, var = z.mean(0), z.var(0)
    xhat = (z - mean) / np.sqrt(var + eps)
    return xhat * gamma + beta, xhat, mean, var


def batch_norm_grad(g, xhat, gamma, var, eps):
    """(dz, dgamma, dbeta) of batch_norm for the output's gradient g."""
    d = g * gamma
    dz = (d - d.mean(0) - xhat * (d * xhat).mean(0)) / np.sqrt(var + eps)
    return dz, (g * xhat).sum(0), g.sum(0)


def layer_norm(z, gamma, beta, eps):
    """(output, xhat, mean, variance) of normalizing each row over its features."""
    mean, var = z.mean(1, keepdims=True), z.var(1, keepdims=True)
    xhat = (z - mean) / np.sqrt(var + eps)
    return xhat * gamma + beta, xhat, mean[:, 0], var[:, 0]


def layer_norm_grad(g, xhat, gamma, var, eps):
    """(dz, dgamma, dbeta) of layer_norm for the output's gradient g."""
    d = g * gamma
    dz = (d - d.mean(1, keepdims=True) - xhat * (d * xhat).mean(1, keepdims=True)) / np.sqrt(var[:, None] + eps)
    return dz, (g * xhat).sum(0), g.sum(0)


def check_native_pass(rng, isa, threads, normalize, normalize_grad, norm_entry, per_row):
    """Runs dense_chain_loss_gradients on `isa` with `threads` threads, the normalized layers'
    entries made by ``norm_entry(gamma, beta, epsilon, before)``, and checks the loss, the hidden
    outputs, the statistics and every gradient against the formulas. Returns the pass's logits and,
    for per-row statistics (the same in inference), dense_chain_forward's on the same ISA."""
    rows, eps1, eps2 = 32, 1e-3, 0.5
    x = rng.normal(size=(rows, 9)).astype(np.float32)
    w1, b1 = rng.normal(size=(9, 40)).astype(np.float32), rng.normal(size=40).astype(np.float32)
    g1, be1 = rng.uniform(0.5, 2, 40).astype(np.float32), rng.normal(size=40).astype(np.float32)
    w2, g2 = rng.normal(size=(40, 24)).astype(np.float32), rng.uniform(0.5, 2, 24).astype(np.float32)
    w3, b3 = rng.normal(size=(24, 3)).astype(np.float32), rng.normal(size=3).astype(np.float32)
    labels = rng.integers(0, 3, rows)
    x64, w1d, b1d, g1d, be1d, w2d, g2d, w3d, b3d = [a.astype(np.float64) for a in (x, w1, b1, g1, be1, w2, g2, w3, b3)]
    a1, xhat1, mean1, var1 = normalize(x64 @ w1d + b1d, g1d, be1d, eps1)
    h1 = np.maximum(a1, 0)
    t2 = np.tanh(h1 @ w2d)
    h2, xhat2, mean2, var2 = normalize(t2, g2d, 0.0, eps2)
    logits = h2 @ w3d + b3d
    p = np.exp(logits - logits.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    loss = -np.log(p[np.arange(rows), labels]).mean()
    dlogits = (p - np.eye(3)[labels]) / rows
    dt2, dg2, _ = normalize_grad(dlogits @ w3d.T, xhat2, g2d, var2, eps2)
    dz2 = dt2 * (1 - t2 * t2)
    dz1, dg1, dbe1 = normalize_grad((dz2 @ w2d.T) * (a1 > 0), xhat1, g1d, var1, eps1)
    expected = [x64.T @ dz1, dz1.sum(0), dg1, dbe1, h1.T @ dz2, dg2, h2.T @ dlogits, dlogits.sum(0)]

    layers = [(w1, b1, "relu", norm_entry(g1, be1, eps1, "linear")), (w2, None, "linear", norm_entry(g2, None, eps2, "tanh")),
              (w3, b3, "linear")]
    hidden = [np.empty((rows, 40), np.float32), np.empty((rows, 24), np.float32)]
    out, dout = np.empty((rows, 3), np.float32), np.empty((rows, 3), np.float32)
    grads = [(np.empty_like(w1), np.empty_like(b1), np.empty_like(g1), np.empty_like(be1)),
             (np.empty_like(w2), None, np.empty_like(g2), None), (np.empty_like(w3), np.empty_like(b3))]
    stats = [np.empty((3, rows if per_row else 40), np.float32), np.empty((3, rows if per_row else 24), np.float32),
             None]
    previous_isa, previous_threads = _core.selected_isa(), _core.get_num_threads()
    try:
        _core.set_isa(isa)
        _core.set_num_threads(threads)
        got = _core.dense_chain_loss_gradients(x, layers, labels, hidden, out, dout, grads, None, "softmax", None,
                                              stats)
        inferred = _core.dense_chain_forward(x, layers) if per_row else None
    finally:
        _core.set_isa(previous_isa)
        _core.set_num_threads(previous_threads)
    assert got == pytest.approx(loss, rel=1e-5)
    np.testing.assert_allclose(hidden[0], h1, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(hidden[1], h2, rtol=1e-4, atol=1e-5)
    for stat, (mean, var, eps) in zip(stats, [(mean1, var1, eps1), (mean2, var2, eps2)]):
        np.testing.assert_allclose(stat, [mean, var, 1 / np.sqrt(var + eps)], rtol=1e-5, atol=1e-6)
    flat = [g for entry in grads for g in entry if g is not None]
    for grad, want in zip(flat, expected):
        np.testing.assert_allclose(grad, want, rtol=2e-4, atol=1e-5)
    return out, inferred


def call_native_pass(args, prepared):
    """dense_chain_loss_gradients on a dict of its arguments (x, layers, labels, hidden, logits,
    dlogits, grads, norm_stats), the layers prepared as a DenseLayers first when ``prepared``."""
    layers = _core.DenseLayers(args["layers"]) if prepared else args["layers"]
    return _core.dense_chain_loss_gradients(args["x"], layers, args["labels"], args["hidden"], args["logits"],
                                            args["dlogits"], args["grads"], None, "softmax", None, args["norm_stats"])
