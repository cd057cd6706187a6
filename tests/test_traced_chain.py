"""A subclassed model's call traced once per fit (models/traced_chain.py): a dense chain of
``matmul``, ``+ bias`` and ``relu`` (or of Dense layers) trains on the fused step with the bits of
the general path (compile(run_eagerly=True)); anything else keeps the general path, and what its
call does (a variable it assigns, a loss it adds) still happens at every step."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import pykeras as keras
from generic_path import count_native_calls
from pykeras import ops
from pykeras.models import traced_chain

RNG = np.random.default_rng(12)
X = RNG.normal(size=(96, 12)).astype(np.float32)
LABELS = RNG.integers(0, 4, 96)
STEPS = 2 * 96 // 16  # two epochs of batches of 16


class Linear(keras.layers.Layer):
    """The tutorial's layer: ``matmul(x, w) + b``, the sum written as ``form`` says."""

    def __init__(self, units, form="matmul + b"):
        super().__init__()
        self.units, self.form = units, form

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], self.units), initializer="random_normal")
        if self.form != "no bias":
            self.b = self.add_weight(shape=(self.units,), initializer="random_normal")

    def call(self, inputs):
        if self.form == "b + x @ w":
            return self.b + inputs @ self.w
        product = ops.matmul(inputs, self.w)
        return product if self.form == "no bias" else product + self.b


class MLP(keras.Model):
    """Linear layers with ``ops.relu`` between them; ``before`` and ``after`` change the call."""

    def __init__(self, widths=(16, 8, 4), form="matmul + b", before=None, after=None):
        super().__init__()
        self.blocks = [Linear(units, form) for units in widths]
        self.before, self.after = before, after

    def call(self, inputs):
        if self.before is not None:
            inputs = self.before(inputs)
        for block in self.blocks[:-1]:
            inputs = ops.relu(block(inputs))
        outputs = self.blocks[-1](inputs)
        return outputs if self.after is None else self.after(self, outputs)


class DenseLayers(keras.Model):
    """Keras Dense layers in a subclassed model."""

    def __init__(self):
        super().__init__()
        self.hidden = keras.layers.Dense(16, activation="relu")
        self.middle = keras.layers.Dense(8)
        self.out = keras.layers.Dense(4, activation="tanh")

    def call(self, inputs):
        return self.out(ops.relu(self.middle(self.hidden(inputs))))


def _fit(build, run_eagerly, loss=None, x=X, targets=LABELS, callbacks=None, **compile_args):
    keras.utils.set_random_seed(3)
    model = build()
    model.compile(optimizer=keras.optimizers.Adam(0.01), run_eagerly=run_eagerly,
                  metrics=["mae"] if loss == "mse" else ["accuracy"],
                  loss=loss or keras.losses.SparseCategoricalCrossentropy(from_logits=True), **compile_args)
    history = model.fit(x, targets, batch_size=16, epochs=2, shuffle=False, verbose=0, callbacks=callbacks)
    return model, history.history


def _traced_and_eager(build, monkeypatch, **fit):
    """Fits ``build()`` compiled normally and with run_eagerly=True; checks the same history and
    weights, bitwise. Returns the fused steps of the first and the model."""
    steps = count_native_calls(monkeypatch, "dense_chain_loss_gradients")
    model, history = _fit(build, False, **fit)
    fused = len(steps)
    eager_model, eager_history = _fit(build, True, **fit)
    assert len(steps) == fused  # the eager model never takes the fused step
    assert history == eager_history
    for got, want in zip(model.get_weights(), eager_model.get_weights()):
        np.testing.assert_array_equal(got, want)
    return fused, model


@pytest.mark.parametrize("form", ["matmul + b", "b + x @ w", "no bias"])
def test_tutorial_mlp_trains_on_the_fused_step_with_the_general_paths_bits(form, monkeypatch):
    fused, _ = _traced_and_eager(lambda: MLP(form=form), monkeypatch)
    # The first step builds the compiled loss, the second is traced.
    assert fused == STEPS - 2


def test_dense_layers_in_a_subclassed_model_and_a_regression_loss(monkeypatch):
    targets = RNG.normal(size=(96, 4)).astype(np.float32)
    fused, _ = _traced_and_eager(DenseLayers, monkeypatch, loss="mse", targets=targets)
    assert fused == STEPS - 2


class NestedSequential(keras.Model):
    """Layers grouped as Keras groups them: a Sequential of Dense layers (which runs as one op)
    inside the model, then a ``relu`` (``relu_after``) and a Dense head."""

    def __init__(self, relu_after=False, last="linear", dropout=False):
        super().__init__()
        hidden = [keras.layers.Dense(16, activation="relu")] + ([keras.layers.Dropout(0.3, seed=2)] if dropout else [])
        self.body = keras.Sequential(hidden + [keras.layers.Dense(8, activation=last)])
        self.head = keras.layers.Dense(4)
        self.relu_after = relu_after

    def call(self, inputs):
        h = self.body(inputs)
        return self.head(ops.relu(h) if self.relu_after else h)


@pytest.mark.parametrize("build", [NestedSequential, lambda: NestedSequential(relu_after=True),
                                   lambda: NestedSequential(last="tanh"), lambda: NestedSequential(dropout=True)],
                         ids=["as it is", "a relu after it", "a tanh in it", "a Dropout in it"])
def test_a_sequential_inside_the_model_trains_on_the_fused_step(build, monkeypatch):
    fused, _ = _traced_and_eager(build, monkeypatch)
    assert fused == STEPS - 2


class Tied(MLP):
    """One layer's weights applied twice."""

    def call(self, inputs):
        return self.blocks[1](ops.relu(self.blocks[0](ops.relu(self.blocks[0](inputs)))))


KEPT = []


@pytest.mark.parametrize("build", [
    lambda: MLP(before=lambda x: x * 2.0),
    lambda: MLP(before=lambda x: ops.convert_to_tensor(x.numpy() * 2.0)),  # no op records it
    lambda: MLP(after=lambda self, y: ops.sigmoid(y)),
    lambda: MLP(after=lambda self, y: KEPT.append(ops.mean(y)) or y),
    lambda: Tied(widths=(12, 4)), lambda: NestedSequential(relu_after=True, last="relu"),
], ids=["input scaled", "input scaled in numpy", "an op the chain does not have", "a value kept aside",
        "weights applied twice", "a relu after a Sequential's relu"])
def test_calls_that_are_not_a_plain_chain_keep_the_general_path(build, monkeypatch):
    fused, _ = _traced_and_eager(build, monkeypatch)
    assert fused == 0


def test_a_batch_of_another_size_runs_the_call(monkeypatch):
    # As Keras traces its step again for a new input shape: the last, shorter batch of an epoch runs
    # the call, which here computes something else for it.
    class SizeAware(MLP):
        def call(self, inputs):
            return super().call(inputs if inputs.shape[0] == 16 else inputs * 0.5)

    # Five batches of 16 and one of 10 in each epoch.
    fused, _ = _traced_and_eager(SizeAware, monkeypatch, x=X[:90], targets=LABELS[:90])
    assert fused == 2 * 5 - 2


def test_a_branch_on_a_value_read_in_python_keeps_the_general_path(monkeypatch):
    # Read without an op (Tensor.numpy): no trace records it, so the read itself is noted; traced
    # once, the branch taken there would be applied to every batch.
    class Branching(MLP):
        def call(self, inputs):
            return super().call(inputs if inputs.numpy().mean() > 0 else inputs * 0.5)

    signs = np.repeat([1, 1, -1, 1, -1, -1], 16)[:, None].astype(np.float32)  # batch by batch
    fused, _ = _traced_and_eager(Branching, monkeypatch, x=np.abs(X) * signs)
    assert fused == 0


def test_an_attribute_set_during_fit_is_traced_anew(monkeypatch):
    # A callback sets an attribute the call reads (over a class attribute, the first time): the
    # steps after it train what the call computes then, here no longer a chain.
    class Switching(MLP):
        scale = None

        def call(self, inputs):
            return super().call(inputs if self.scale is None else inputs * self.scale)

    class SetScale(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            self.model.scale = 3.0

    fused, _ = _traced_and_eager(Switching, monkeypatch, callbacks=[SetScale()])
    assert fused == STEPS // 2 - 2  # the first epoch's, after its first two steps


class Residual(MLP):
    def call(self, inputs):
        h = ops.relu(self.blocks[0](inputs))
        h = h + ops.relu(self.blocks[1](h))
        return self.blocks[2](h)


def test_a_residual_connection_keeps_the_general_path(monkeypatch):
    fused, _ = _traced_and_eager(lambda: Residual(widths=(16, 16, 4)), monkeypatch)
    assert fused == 0


def test_an_unused_trainable_weight_keeps_the_general_path(monkeypatch):
    class Spare(MLP):
        def build(self, input_shape):
            self.spare = self.add_weight(shape=(3,), initializer="ones")

    with pytest.warns(UserWarning, match="Gradients do not exist for variables"):
        fused, model = _traced_and_eager(Spare, monkeypatch)
    assert fused == 0 and model.spare.numpy().tolist() == [1.0, 1.0, 1.0]


class Summing(MLP):
    """The tutorial's ComputeSum: a non-trainable weight updated in call."""

    def build(self, input_shape):
        self.seen = self.add_weight(shape=(), initializer="zeros", trainable=False)

    def call(self, inputs):
        self.seen.assign_add(float(inputs.shape[0]))
        return super().call(inputs)


def test_a_variable_assigned_in_call_is_assigned_at_every_step(monkeypatch):
    # Traced once, the update would be lost; the call is not a plain chain, so every step runs it.
    fused, model = _traced_and_eager(Summing, monkeypatch)
    assert fused == 0 and float(model.seen.numpy()) == 2 * 96


class Penalized(MLP):
    """A loss added in call, computed by ops or (``constant``) by none."""

    constant = False

    def call(self, inputs):
        outputs = super().call(inputs)
        self.add_loss(ops.convert_to_tensor(0.5) if self.constant else ops.mean(ops.square(outputs)))
        return outputs


class ConstantPenalty(Penalized):
    constant = True


@pytest.mark.parametrize("build", [Penalized, ConstantPenalty], ids=["by ops", "a constant"])
def test_a_loss_added_in_call_counts_at_every_step(build, monkeypatch):
    fused, _ = _traced_and_eager(build, monkeypatch)
    assert fused == 0


class KerasExample(keras.Model):
    """Keras's own example of a subclassed model: Dense, Dropout in training, Dense."""

    def __init__(self, dropout_at="hidden", noise_shape=None):
        super().__init__()
        self.dense1 = keras.layers.Dense(16, activation="relu")
        self.dropout = keras.layers.Dropout(0.3, noise_shape=noise_shape, seed=1)
        self.dense2 = keras.layers.Dense(4)
        self.dropout_at = dropout_at

    def call(self, inputs, training=False):
        if self.dropout_at == "input":
            inputs = self.dropout(inputs, training=training)
        x = self.dense1(inputs)
        if self.dropout_at == "hidden":
            x = self.dropout(x, training=training)
        x = self.dense2(x)
        return self.dropout(x, training=training) if self.dropout_at == "output" else x


def test_keras_subclassing_example_with_dropout_trains_on_the_fused_step(monkeypatch):
    # The masks are drawn by the layer, in call order, on either path: the same bits.
    fused, _ = _traced_and_eager(KerasExample, monkeypatch)
    assert fused == STEPS - 2


@pytest.mark.parametrize("dropout_at, noise_shape", [("input", None), ("output", None), ("hidden", (None, 1))])
def test_dropout_the_chain_does_not_have_keeps_the_general_path(dropout_at, noise_shape, monkeypatch):
    fused, _ = _traced_and_eager(lambda: KerasExample(dropout_at, noise_shape), monkeypatch)
    assert fused == 0


@pytest.mark.parametrize("compile_args", [{"jit_compile": False}, {}])
def test_run_eagerly_or_no_jit_runs_call_at_every_step(compile_args, monkeypatch):
    calls = []

    class Noting(MLP):
        def call(self, inputs):
            calls.append(1)
            return super().call(inputs)

    steps = count_native_calls(monkeypatch, "dense_chain_loss_gradients")
    _fit(Noting, run_eagerly=not compile_args, **compile_args)
    assert len(steps) == 0 and len(calls) == STEPS


def test_each_fit_traces_the_call_anew(monkeypatch):
    # A call whose computation changes between fits (a Python attribute): the second fit trains
    # what the call computes then, as compile(run_eagerly=True) does.
    class Switching(MLP):
        scale = None

        def call(self, inputs):
            return super().call(inputs if self.scale is None else inputs * self.scale)

    steps = count_native_calls(monkeypatch, "dense_chain_loss_gradients")
    results = []
    for run_eagerly in (False, True):
        keras.utils.set_random_seed(5)
        model = Switching()
        model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                      run_eagerly=run_eagerly)
        model.fit(X, LABELS, batch_size=16, epochs=1, shuffle=False, verbose=0)
        model.scale = 3.0
        model.fit(X, LABELS, batch_size=16, epochs=1, shuffle=False, verbose=0)
        results.append(model.get_weights())
    assert len(steps) == 96 // 16 - 2  # the first fit only: the second scales its input
    for got, want in zip(*results):
        np.testing.assert_array_equal(got, want)


def test_non_trainable_state_too_large_to_check_keeps_the_general_path(monkeypatch):
    # A frozen table the call does not use: small, it is copied and found unchanged after the
    # traced call; past the copy limit the call is not traced into a chain.
    class WithTable(MLP):
        def build(self, input_shape):
            self.table = self.add_weight(shape=(64,), initializer="ones", trainable=False)

    fused, _ = _traced_and_eager(WithTable, monkeypatch)
    assert fused == STEPS - 2
    monkeypatch.setattr(traced_chain, "_SNAPSHOT_MAX_FLOATS", 63)
    fused, _ = _traced_and_eager(WithTable, monkeypatch)
    assert fused == 0


class Drawn(keras.Model):
    """A model whose call applies ``blocks`` in order: ("linear", units, form), ("dense", units,
    activation), ("relu",), ("dropout", rate), ("scale",) (an op no chain has), ("sigmoid",)."""

    def __init__(self, blocks):
        super().__init__()
        self.blocks = blocks
        self.parts = []
        for block in blocks:
            if block[0] == "linear":
                self.parts.append(Linear(block[1], block[2]))
            elif block[0] == "dense":
                self.parts.append(keras.layers.Dense(block[1], activation=block[2]))
            elif block[0] == "dropout":
                self.parts.append(keras.layers.Dropout(block[1], seed=7))
            else:
                self.parts.append(None)

    def call(self, inputs, training=False):
        for block, part in zip(self.blocks, self.parts):
            if block[0] == "dropout":
                inputs = part(inputs, training=training)
            elif part is not None:
                inputs = part(inputs)
            elif block[0] == "relu":
                inputs = ops.relu(inputs)
            elif block[0] == "scale":
                inputs = inputs * 0.5
            else:
                inputs = ops.sigmoid(inputs)
        return inputs


_CHAIN_BLOCKS = [
    st.tuples(st.just("linear"), st.integers(3, 9), st.sampled_from(["matmul + b", "b + x @ w", "no bias"])),
    st.tuples(st.just("dense"), st.integers(3, 9), st.sampled_from(["linear", "relu", "tanh", "sigmoid"])),
    st.tuples(st.just("relu")), st.tuples(st.just("dropout"), st.sampled_from([0.2, 0.5]))]
# Blocks a chain has drawn twice as often as the others, so that many calls are chains.
_BLOCKS = st.one_of(*_CHAIN_BLOCKS, *_CHAIN_BLOCKS, st.tuples(st.just("scale")), st.tuples(st.just("sigmoid")))


@settings(max_examples=40, deadline=None)
@given(blocks=st.lists(_BLOCKS, min_size=0, max_size=5))
def test_any_call_trains_as_it_does_eagerly(blocks):
    # Whatever the call computes, fused or not: the same histories and weights as run_eagerly=True.
    blocks = blocks + [("linear", 4, "matmul + b")]
    results = []
    for run_eagerly in (False, True):
        model, history = _fit(lambda: Drawn(blocks), run_eagerly)
        results.append((history, model.get_weights()))
    assert results[0][0] == results[1][0]
    for got, want in zip(results[0][1], results[1][1]):
        np.testing.assert_array_equal(got, want)


def test_python_side_effects_of_a_traced_call_happen_when_it_runs(monkeypatch):
    # As in Keras's compiled step: a counter kept in Python counts the calls that ran (the step that
    # built the compiled loss and the traced one), not the steps; eager, every step.
    class Counting(MLP):
        calls = 0

        def call(self, inputs):
            self.calls = self.calls + 1
            return super().call(inputs)

    counts = []
    for run_eagerly in (False, True):
        model, _ = _fit(Counting, run_eagerly)
        counts.append(model.calls)
    assert counts == [2, STEPS]
