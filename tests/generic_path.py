"""Training a model on the dense chain's fused step and on the generic path, for tests that compare
the two bit for bit."""
import numpy as np

import pykeras as keras
from pykeras import _core


class GenericSequential(keras.Sequential):
    """The same model on the generic path: a call of its own turns the dense chain off."""

    def call(self, inputs, training=None):
        return super().call(inputs, training=training)


def count_native_calls(monkeypatch, name):
    """A list that grows by one at each call of ``_core.<name>``."""
    calls = []
    native = getattr(_core, name)
    monkeypatch.setattr(_core, name, lambda *args: calls.append(1) or native(*args))
    return calls


def count_chain_inferences(monkeypatch):
    """A list that grows by the native layers at each inference through a dense chain: a call of
    ``_core.dense_chain_forward`` or one of ``DenseLayers.infer`` that computed (not None)."""
    calls = []
    forward, infer = _core.dense_chain_forward, _core.DenseLayers.infer
    monkeypatch.setattr(_core, "dense_chain_forward", lambda *args: calls.append(args[1]) or forward(*args))

    def counted_infer(layers, x):
        out = infer(layers, x)
        if out is not None:
            calls.append(layers)
        return out

    monkeypatch.setattr(_core.DenseLayers, "infer", counted_infer)
    return calls


def fit_fused_and_generic(build, x, y, monkeypatch, **fit):
    """Fits ``build(keras.Sequential)`` and ``build(GenericSequential)`` on ``x, y`` and checks that
    both give the same history, weights (non-trainable ones included) and inference outputs,
    bitwise. Returns the number of fused steps each took."""
    results = []
    for kind in (keras.Sequential, GenericSequential):
        model = build(kind)
        steps = count_native_calls(monkeypatch, "dense_chain_loss_gradients")
        history = model.fit(x, y, shuffle=False, verbose=0, **fit)
        results.append((history.history, model.get_weights(), model(x).numpy(), len(steps)))
    assert results[0][0] == results[1][0]
    for got, want in zip(results[0][1], results[1][1]):
        np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(results[0][2], results[1][2])
    return [result[3] for result in results]
