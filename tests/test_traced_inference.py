"""A subclassed model's inference in predict and evaluate, traced once per batch size
(models/traced_inference.py): a dense chain runs natively with the bits of the call
(compile(run_eagerly=True)); anything else runs the call at every batch."""
import threading

import numpy as np
import pytest

import pykeras as keras
from generic_path import count_chain_inferences
from pykeras import ops
from pykeras.models import traced_inference
from test_traced_chain import (MLP, ConstantPenalty, DenseLayers, KerasExample, Linear, NestedSequential, Penalized,
                               Residual, Summing, Tied)

RNG = np.random.default_rng(21)
X = RNG.normal(size=(90, 12)).astype(np.float32)  # five batches of 16 and one of 10
LABELS = RNG.integers(0, 4, 90)


def _model(build, compiled=True, **compile_args):
    keras.utils.set_random_seed(4)
    model = build()
    model(X[:2])
    if compiled:
        model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                      metrics=["accuracy"], **compile_args)
    return model


def _predict_and_evaluate(model):
    return model.predict(X, batch_size=16, verbose=0), model.evaluate(X, LABELS, batch_size=16, verbose=0)


def _traced_and_eager(build, monkeypatch):
    """Predicts and evaluates with ``build()`` compiled normally and with run_eagerly=True; checks
    the same bits. Returns the batches the model's chain inferred for the first: the deepest chain
    (a Sequential inside the model infers on its own, shorter, chain either way)."""
    chained = count_chain_inferences(monkeypatch)
    traced = _predict_and_evaluate(_model(build))
    depth = max(map(len, chained), default=0)
    served = sum(len(layers) == depth for layers in chained)
    eager = _predict_and_evaluate(_model(build, run_eagerly=True))
    assert sum(len(layers) == depth for layers in chained) == served  # the eager model never runs it
    np.testing.assert_array_equal(traced[0], eager[0])
    assert traced[1] == eager[1]
    return served


# Six batches of two sizes: predict traces each size once; evaluate then finds both traced.
SERVED = (6 - 2) + 6


@pytest.mark.parametrize("form", ["matmul + b", "b + x @ w", "no bias"])
def test_tutorial_mlp_infers_on_its_chain_with_the_calls_bits(form, monkeypatch):
    assert _traced_and_eager(lambda: MLP(form=form), monkeypatch) == SERVED


@pytest.mark.parametrize("build", [DenseLayers, KerasExample, lambda: Tied(widths=(12, 4)),
                                   lambda: NestedSequential(relu_after=True, dropout=True)],
                         ids=["Dense layers", "Keras's example, Dropout the identity", "weights applied twice",
                              "a Sequential inside"])
def test_other_chains_infer_on_the_chain(build, monkeypatch):
    assert _traced_and_eager(build, monkeypatch) == SERVED


def test_the_chain_infers_what_a_sequential_of_the_same_layers_infers():
    model = _model(MLP, compiled=False)  # not compiled: predict traces, as Keras compiles it
    sequential = keras.Sequential([keras.Input(shape=(12,))] + [
        keras.layers.Dense(block.units, activation="relu" if i < 2 else None) for i, block in enumerate(model.blocks)])
    sequential.set_weights(model.get_weights())
    for batch_size in (1, 16, 90):
        np.testing.assert_array_equal(model.predict(X, batch_size=batch_size, verbose=0),
                                      sequential.predict(X, batch_size=batch_size, verbose=0))
    np.testing.assert_array_equal(model.predict_on_batch(X[:3]), sequential(X[:3]).numpy())


class Branching(MLP):
    """A call whose Python branches on a value of its input, read without an op."""

    def call(self, inputs):
        return super().call(inputs if inputs.numpy().mean() > 0 else inputs * 0.5)


class Normalized(MLP):
    def __init__(self):
        super().__init__()
        self.norm = keras.layers.BatchNormalization()

    def call(self, inputs, training=False):
        return super().call(self.norm(inputs, training=training))


class AlwaysDropping(KerasExample):
    def call(self, inputs, training=False):
        return self.dense2(self.dropout(self.dense1(inputs), training=True))


@pytest.mark.parametrize("build", [
    lambda: MLP(before=lambda x: x * 2.0), lambda: MLP(after=lambda self, y: ops.sigmoid(y)), Branching,
    Normalized, Penalized, ConstantPenalty, Summing, lambda: Residual(widths=(16, 16, 4)), AlwaysDropping,
], ids=["input scaled", "an op the chain does not have", "a branch on a value", "batch normalization",
        "a loss added", "a constant loss added", "a variable assigned", "a residual connection",
        "dropout in inference"])
def test_calls_that_are_not_a_plain_chain_run_at_every_batch(build, monkeypatch):
    assert _traced_and_eager(build, monkeypatch) == 0


def test_a_branch_on_a_value_is_taken_as_each_batch_says(monkeypatch):
    # Batches whose means differ in sign: traced once, the first batch's branch would be applied to all.
    x = np.concatenate([np.abs(X[:16]), -np.abs(X[16:32])])
    model, eager = _model(Branching), _model(Branching, run_eagerly=True)
    np.testing.assert_array_equal(model.predict(x, batch_size=16, verbose=0),
                                  eager.predict(x, batch_size=16, verbose=0))


def test_a_variable_assigned_in_call_is_assigned_at_every_batch():
    model = _model(Summing)
    model.predict(X, batch_size=16, verbose=0)
    assert float(model.seen.numpy()) == 2 + 90  # the build call's two rows, then every batch


class Noting(MLP):
    calls = []

    def call(self, inputs):
        Noting.calls.append(inputs.shape[0])
        return super().call(inputs)


@pytest.mark.parametrize("compile_args, expected", [
    ({}, [16, 10]), ({"run_eagerly": True}, 2 * ([16] * 5 + [10])), ({"jit_compile": False}, 2 * ([16] * 5 + [10])),
], ids=["traced", "run_eagerly", "no jit"])
def test_python_side_effects_happen_when_the_call_runs(compile_args, expected):
    # As in Keras's compiled predict: a counter kept in Python counts the traces, one per batch size
    # (none in a second predict of an unchanged model); eager, every batch.
    model = _model(Noting, **compile_args)
    Noting.calls = []
    model.predict(X, batch_size=16, verbose=0)
    model.predict(X, batch_size=16, verbose=0)
    assert Noting.calls == expected


def test_a_model_changed_between_predicts_is_traced_anew():
    class Switching(MLP):
        scale = None

        def call(self, inputs):
            return super().call(inputs if self.scale is None else inputs * self.scale)

    results = []
    for run_eagerly in (False, True):
        model = _model(Switching, run_eagerly=run_eagerly)
        first = model.predict(X, batch_size=16, verbose=0)
        model.scale = 3.0
        results.append((first, model.predict(X, batch_size=16, verbose=0)))
    for got, want in zip(*results):
        np.testing.assert_array_equal(got, want)
    assert not np.array_equal(results[0][0], results[0][1])


def test_a_model_fitted_between_predicts_infers_with_its_new_weights():
    model = _model(MLP)
    before = model.predict(X, batch_size=16, verbose=0)
    model.fit(X, LABELS, batch_size=16, epochs=1, verbose=0)
    after = model.predict(X, batch_size=16, verbose=0)
    eager = _model(MLP, run_eagerly=True)
    eager.set_weights(model.get_weights())
    assert not np.array_equal(before, after)
    np.testing.assert_array_equal(after, eager.predict(X, batch_size=16, verbose=0))


def test_threads_predicting_at_once_get_the_calls_bits():
    model = _model(MLP)
    eager = _model(MLP, run_eagerly=True)
    expected = eager.predict(X, batch_size=8, verbose=0)
    results, errors = [None] * 4, []

    def predict(index):
        try:
            results[index] = [model.predict(X, batch_size=8, verbose=0) for _ in range(5)]
        except Exception as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=predict, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    for runs in results:
        for got in runs:
            np.testing.assert_array_equal(got, expected)


def test_custom_layers_called_directly_still_run_call():
    # model(x) runs the call, as Keras runs it eagerly: a print or a counter sees every call.
    calls = []

    class Noting(Linear):
        def call(self, inputs):
            calls.append(1)
            return super().call(inputs)

    class One(keras.Model):
        def __init__(self):
            super().__init__()
            self.linear = Noting(3)

        def call(self, inputs):
            return self.linear(inputs)

    model = _model(One)
    calls.clear()
    for _ in range(3):
        model(X[:4])
    assert len(calls) == 3


def test_batch_sizes_past_the_traced_ones_run_the_call(monkeypatch):
    monkeypatch.setattr(traced_inference, "_MAX_SIZES", 3)
    model, eager = _model(MLP), _model(MLP, run_eagerly=True)
    for rows in range(1, 7):
        np.testing.assert_array_equal(model.predict(X[:rows], verbose=0), eager.predict(X[:rows], verbose=0))
    assert sorted(model._inference_traces._chains) == [1, 2, 3]
