"""DenseChain (one native call for a stack of dense layers) and the Sequential inference path on it.

Every result is compared with the layers run one by one through ``ops.dense`` (bitwise: the same
kernels in the same order) and with a float64 numpy forward pass.
"""
import numpy as np
import pytest

import pykeras as keras
from generic_path import count_chain_inferences, fit_fused_and_generic
from kernel_paths import supported_isas
from pykeras import _core, ops

RNG = np.random.default_rng(7)


def _layers(widths, biases=True):
    layers = []
    for index, (k, n) in enumerate(zip(widths[:-1], widths[1:])):
        kernel = (RNG.normal(size=(k, n)) / np.sqrt(k)).astype(np.float32)
        bias = RNG.normal(size=n).astype(np.float32) if biases else None
        activation = "linear" if index == len(widths) - 2 else "relu"
        layers.append((kernel, bias, activation))
    return layers


def _numpy_forward(x, layers):
    h = x.astype(np.float64)
    for kernel, bias, activation in layers:
        h = h @ kernel.astype(np.float64) + (0 if bias is None else bias)
        if activation == "relu":
            h = np.maximum(h, 0)
    return h


def _one_by_one(x, layers):
    for kernel, bias, activation in layers:
        x = ops.dense(x, kernel, bias, activation)
    return x.numpy()


@pytest.mark.parametrize("isa", supported_isas())
@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("rows", [0, 1, 3, 4, 5, 64])
@pytest.mark.parametrize("widths", [(784, 256, 128, 10), (300, 129, 200), (17, 1)])
def test_chain_equals_layer_by_layer_and_numpy(isa, threads, rows, widths):
    _core.set_isa(isa)
    _core.set_num_threads(threads)
    layers = _layers(widths, biases=widths[0] != 17)
    x = RNG.normal(size=(rows, widths[0])).astype(np.float32)
    result = ops.DenseChain(layers)(x).numpy()
    assert result.shape == (rows, widths[-1])
    np.testing.assert_array_equal(result, _one_by_one(x, layers))
    np.testing.assert_allclose(result, _numpy_forward(x, layers), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("isa", supported_isas())
@pytest.mark.parametrize("rows", [1, 2, 4])
@pytest.mark.parametrize("n", [128, 144, 256, 1000])
def test_few_row_products_split_over_threads_give_the_same_bits(isa, rows, n):
    # A few rows times a large B: the columns are split between threads (B >= 64K floats).
    _core.set_isa(isa)
    a = RNG.normal(size=(rows, 784)).astype(np.float32)
    b = RNG.normal(size=(784, n)).astype(np.float32)
    bias = RNG.normal(size=n).astype(np.float32)
    outputs = []
    for threads in (1, 2, 3):
        _core.set_num_threads(threads)
        out = np.empty((rows, n), np.float32)
        _core.dense_forward(a, b, bias, "relu", out)
        outputs.append(out)
    for out in outputs[1:]:
        np.testing.assert_array_equal(out, outputs[0])
    expected = np.maximum(a.astype(np.float64) @ b + bias, 0)
    np.testing.assert_allclose(outputs[0], expected, rtol=1e-4, atol=1e-3)


def test_chain_sees_variable_updates_in_place():
    kernel = keras.Variable(np.eye(3, dtype=np.float32))
    chain = ops.DenseChain([(kernel, None, "linear")])
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    np.testing.assert_array_equal(chain(x).numpy(), x)
    kernel.assign(2 * np.eye(3, dtype=np.float32))
    np.testing.assert_array_equal(chain(x).numpy(), 2 * x)


def test_chain_under_a_tape_gives_the_composed_gradients():
    layers = [(keras.Variable(k), keras.Variable(b), a) for k, b, a in _layers((5, 7, 3))]
    x = RNG.normal(size=(4, 5)).astype(np.float32)
    variables = [v for k, b, _ in layers for v in (k, b)]
    with ops.GradientTape() as tape:
        chained = ops.sum(ops.DenseChain(layers)(x))
    with ops.GradientTape() as reference:
        h = x
        for kernel, bias, activation in layers:
            h = ops.dense(h, kernel, bias, activation)
        composed = ops.sum(h)
    assert float(chained) == float(composed)
    for got, want in zip(tape.gradient(chained, variables), reference.gradient(composed, variables)):
        np.testing.assert_array_equal(got.numpy(), want.numpy())


def test_chain_accepts_other_inputs_through_dense():
    layers = _layers((6, 4, 2))
    chain = ops.DenseChain(layers)
    x = RNG.normal(size=(3, 5, 6))
    expected = _numpy_forward(x.reshape(15, 6), layers).reshape(3, 5, 2)
    np.testing.assert_allclose(chain(x).numpy(), expected, rtol=1e-4, atol=1e-5)  # float64, 3-D
    strided = np.asfortranarray(x[0].astype(np.float32))
    np.testing.assert_allclose(chain(strided).numpy(), expected[0], rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize(
    "layers, message",
    [
        ([], "at least one"),
        ([(np.ones((3, 2), np.float32), None, "softmax")], r"activation must be one of \(.linear., .relu., .tanh., .sigmoid."),
        ([(np.ones((3, 2)), None, "relu")], "float32"),
        ([(np.ones((3, 2), np.float32), None, "relu"), (np.ones((3, 2), np.float32), None, "relu")],
         r"kernel must have shape \(2, units\)"),
    ],
)
def test_chain_rejects_bad_layers(layers, message):
    with pytest.raises(ValueError, match=message):
        ops.DenseChain(layers)


def test_chain_rejects_a_wrong_input_width():
    chain = ops.DenseChain(_layers((4, 3)))
    with pytest.raises(ValueError, match=r"dense_chain_forward: argument 'x' must have shape \(batch, 4\) .*"
                                         r"Received: x.shape=\(2, 5\)"):
        chain(np.ones((2, 5), np.float32))


@pytest.mark.parametrize(
    "layers, message",
    [
        ([], "at least one"),
        ([np.ones((2, 2), np.float32)], "must be a tuple"),
        ([(np.ones((2, 2), np.float32), None, 3)], "activation must be a str"),
        ([(np.ones((2, 2), np.float32), None, "softmax")],
         "must be one of 'linear', 'relu', 'tanh', 'sigmoid', 'elu'"),
        ([(np.ones((2, 2), np.float64), None, "relu")], "dtype float32"),
        ([(np.ones((2, 3), np.float32), np.ones(2, np.float32), "relu")], r"b must have shape \(3,\)"),
    ],
)
@pytest.mark.parametrize("prepared", [False, True])
def test_native_chain_checks_its_arguments(layers, message, prepared):
    with pytest.raises(ValueError, match=message):
        _core.dense_chain_forward(np.ones((1, 2), np.float32), _core.DenseLayers(layers) if prepared else layers)


def test_prepared_layers_must_be_a_sequence():
    with pytest.raises(ValueError, match="DenseLayers: argument 'layers' must be a sequence .* Received: .* int"):
        _core.DenseLayers(3)


def test_prepared_layers_give_the_listed_layers_bits_and_see_later_writes():
    layers = _layers((6, 5, 3))
    prepared = _core.DenseLayers(layers)
    assert (prepared.input_width, prepared.output_width, len(prepared)) == (6, 3, 2)
    x = RNG.normal(size=(4, 6)).astype(np.float32)
    np.testing.assert_array_equal(_core.dense_chain_forward(x, prepared), _core.dense_chain_forward(x, layers))
    results = []
    for given in (layers, prepared):
        hidden, out, dy = np.empty((4, 5), np.float32), np.empty((4, 3), np.float32), np.ones((4, 3), np.float32)
        _core.dense_chain_forward(x, given, [hidden])
        out[...] = _core.dense_chain_forward(x, given)
        grads = [(np.empty((6, 5), np.float32), np.empty(5, np.float32)), (np.empty((5, 3), np.float32),
                                                                          np.empty(3, np.float32))]
        dx = np.empty_like(x)
        _core.dense_chain_backward(x, given, [hidden, out], dy, dx, grads)
        results.append([hidden, out, dx] + [g for pair in grads for g in pair])
    for got, want in zip(*results):
        np.testing.assert_array_equal(got, want)
    layers[0][0][...] *= 2  # written in place, as an optimizer step writes
    np.testing.assert_allclose(_core.dense_chain_forward(x, prepared), _numpy_forward(x, layers), rtol=1e-5,
                               atol=1e-5)


@pytest.mark.parametrize("rows", [0, 1, 5, 600])
def test_prepared_layers_infer_float32_rows_with_the_chains_bits(rows):
    layers = _layers((6, 5, 3))
    prepared = _core.DenseLayers(layers)
    x = RNG.normal(size=(rows, 6)).astype(np.float32)
    x.flags.writeable = False  # read only
    out = prepared.infer(x)
    assert out.shape == (rows, 3) and out.dtype == np.float32
    np.testing.assert_array_equal(out, _core.dense_chain_forward(x, layers))
    np.testing.assert_allclose(out, _numpy_forward(x, layers), rtol=1e-5, atol=1e-5)


def _unaligned(x):
    buffer = np.empty(x.nbytes + 1, np.uint8)
    view = np.frombuffer(buffer.data, np.float32, x.size, offset=1).reshape(x.shape)
    view[...] = x
    return view


@pytest.mark.parametrize("make", [
    lambda x: x.astype(np.float64), lambda x: x.astype(">f4"), np.asfortranarray,
    lambda x: np.repeat(x, 2, axis=1)[:, ::2], lambda x: np.ascontiguousarray(x[:, :5]), lambda x: x[0],
    lambda x: x[None], lambda x: x.tolist(), ops.convert_to_tensor, _unaligned, lambda x: None,
    lambda x: np.ma.masked_less(x, 0),
], ids=["float64", "byte-swapped", "fortran", "strided", "narrow", "1-D", "3-D", "list", "Tensor", "unaligned",
        "None", "masked"])
def test_prepared_layers_infer_nothing_but_float32_rows_of_their_width(make):
    # None: the caller takes its general path, which converts or rejects the input.
    prepared = _core.DenseLayers(_layers((6, 5, 3)))
    x = RNG.normal(size=(4, 6)).astype(np.float32)
    assert prepared.infer(x) is not None
    assert prepared.infer(make(x)) is None


# ------------------------------------------------------------------ Sequential


def _mlp(dropout=False, output_activation=None):
    layers = [keras.Input(shape=(784,)), keras.layers.Dense(256, activation="relu")]
    if dropout:
        layers.append(keras.layers.Dropout(0.5, seed=1))
    layers += [keras.layers.Dense(128, activation="relu"), keras.layers.Dense(10, activation=output_activation)]
    return keras.Sequential(layers)


def _layer_by_layer(model, x, training=None):
    for layer in model.layers:
        x = layer(x, training=training)
    return x.numpy()


@pytest.mark.parametrize("output_activation", [None, "softmax"])
@pytest.mark.parametrize("rows", [1, 32, 1024])
def test_sequential_inference_equals_its_layers_called_one_by_one(rows, output_activation, monkeypatch):
    model = _mlp(dropout=True, output_activation=output_activation)
    x = RNG.normal(size=(rows, 784)).astype(np.float32)
    expected = _layer_by_layer(model, x)
    if output_activation == "softmax":
        np.testing.assert_allclose(expected.sum(axis=1), 1, rtol=1e-6)
    chained = count_chain_inferences(monkeypatch)
    np.testing.assert_array_equal(model(x).numpy(), expected)
    np.testing.assert_array_equal(model(keras.ops.convert_to_tensor(x), training=False).numpy(), expected)
    # One batch, as model(x): a batch of more than 512 rows reads the deep first layer in one pass
    # (dense.cpp), smaller batches in two halves, so bits agree between equal batch shapes.
    np.testing.assert_array_equal(model.predict(x, batch_size=rows, verbose=0), expected)
    assert len(chained) == 3  # each of the three through the chain


@pytest.mark.parametrize("make", [lambda x: x.astype(">f4"), lambda x: np.asfortranarray(x),
                                  lambda x: x.astype(np.float64), lambda x: x.tolist()],
                         ids=["byte-swapped", "fortran", "float64", "list"])
def test_sequential_inference_of_other_inputs_equals_the_float32_rows(make):
    # The one-call path takes native float32 C-contiguous rows; the rest is converted first.
    model = _mlp(dropout=True, output_activation=None)
    x = RNG.normal(size=(3, 784)).astype(np.float32)
    np.testing.assert_array_equal(model(make(x)).numpy(), model(x).numpy())


def test_sequential_training_call_still_applies_dropout():
    model = _mlp(dropout=True)
    x = RNG.normal(size=(8, 784)).astype(np.float32)
    assert not np.array_equal(model(x, training=True).numpy(), model(x).numpy())


def test_sequential_inference_follows_changes_to_the_model():
    model = _mlp()
    x = RNG.normal(size=(2, 784)).astype(np.float32)
    model(x)
    model.layers[0].activation = keras.activations.linear
    np.testing.assert_array_equal(model(x).numpy(), _layer_by_layer(model, x))
    model.set_weights([w * 2 for w in model.get_weights()])
    np.testing.assert_array_equal(model(x).numpy(), _layer_by_layer(model, x))
    model.add(keras.layers.Dense(3, activation="softsign"))  # not in a chain: the generic path
    np.testing.assert_array_equal(model(x).numpy(), _layer_by_layer(model, x))
    model.pop()
    model.pop()
    assert model(x).shape == (2, 128)


def test_sequential_subclass_with_its_own_call_is_respected():
    class Doubled(keras.Sequential):
        def call(self, inputs, training=None):
            return super().call(inputs, training=training) * 2.0

    model = Doubled([keras.Input(shape=(4,)), keras.layers.Dense(3)])
    x = RNG.normal(size=(2, 4)).astype(np.float32)
    np.testing.assert_array_equal(model(x).numpy(), 2 * _layer_by_layer(model, x))


def test_sequential_bad_width_still_names_the_layer():
    model = _mlp()
    with pytest.raises(ValueError, match="expected axis -1 of input shape to have value 784"):
        model(np.ones((1, 783), np.float32))


def _quickstart(kind="sequential", generic=False):
    """Keras's MNIST quickstart model: Flatten, Dense(relu), Dropout(0.2), Dense; Sequential or
    functional, or (generic) a Sequential with a call of its own."""
    keras.utils.set_random_seed(6)
    layers = [keras.layers.Flatten(), keras.layers.Dense(24, activation="relu"), keras.layers.Dropout(0.2, seed=2),
              keras.layers.Dense(10)]
    if kind == "functional":
        inputs = x = keras.Input(shape=(7, 8))
        for layer in layers:
            x = layer(x)
        return keras.Model(inputs, x)
    return (_GenericSequential if generic else keras.Sequential)([keras.Input(shape=(7, 8))] + layers)


@pytest.mark.parametrize("kind", ["sequential", "functional"])
def test_a_leading_flatten_is_part_of_the_chain_in_inference_and_training(kind, monkeypatch):
    x = RNG.normal(size=(40, 7, 8)).astype(np.float32)
    y = RNG.integers(0, 10, 40)
    model = _quickstart(kind)
    expected = _layer_by_layer(model, x)
    chained = count_chain_inferences(monkeypatch)
    np.testing.assert_array_equal(model(x).numpy(), expected)
    assert len(chained) == 1
    # Training: the fused step, with the bits of the generic step.
    results = []
    for candidate in (model, _quickstart(generic=True)):
        candidate.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                          metrics=["accuracy"])
        steps = _count_fused_steps(monkeypatch)
        history = candidate.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
        results.append((history.history, candidate.get_weights(), len(steps)))
    assert [count for _, _, count in results] == [9, 0]  # the first step builds the compiled loss
    assert results[0][0] == results[1][0]
    for got, want in zip(results[0][1], results[1][1]):
        np.testing.assert_array_equal(got, want)


def test_the_chain_keeps_the_declared_input_rank():
    flat = _quickstart()
    with pytest.raises(ValueError, match=r"expected shape \(None, 7, 8\), but received input with shape \(2, 56\)"):
        flat(np.ones((2, 56), np.float32))
    strided = RNG.normal(size=(3, 7, 16)).astype(np.float32)[:, :, ::2]  # not C-contiguous: the generic path
    np.testing.assert_array_equal(flat(strided).numpy(), _layer_by_layer(flat, strided))
    # Dense on the last axis of a 3-D input is not a chain of rows: the rank is checked, as without it.
    per_position = keras.Sequential([keras.Input(shape=(5, 4)), keras.layers.Dense(3)])
    with pytest.raises(ValueError, match=r"expected shape \(None, 5, 4\), but received input with shape \(2, 4\)"):
        per_position(np.ones((2, 4), np.float32))
    assert per_position(np.ones((2, 5, 4), np.float32)).shape == (2, 5, 3)


def test_sequential_under_a_tape_records_gradients():
    model = _mlp()
    x = RNG.normal(size=(3, 784)).astype(np.float32)
    with keras.ops.GradientTape() as tape:
        loss = keras.ops.sum(model(x))
    grads = tape.gradient(loss, model.trainable_weights)
    assert all(g is not None and np.any(g.numpy() != 0) for g in grads)


def test_chain_gradient_for_a_watched_input_equals_the_composed_one():
    layers = [(keras.Variable(k), keras.Variable(b), a) for k, b, a in _layers((6, 5, 4, 3))]
    x = keras.Variable(RNG.normal(size=(9, 6)).astype(np.float32))
    with ops.GradientTape() as tape:
        chained = ops.sum(ops.square(ops.DenseChain(layers)(x)))
    with ops.GradientTape() as reference:
        h = x
        for kernel, bias, activation in layers:
            h = ops.dense(h, kernel, bias, activation)
        composed = ops.sum(ops.square(h))
    np.testing.assert_array_equal(tape.gradient(chained, x).numpy(), reference.gradient(composed, x).numpy())
    # and against central differences in float64 on one entry
    w = [(k.numpy().astype(np.float64), b.numpy().astype(np.float64), a) for k, b, a in layers]
    x64 = x.numpy().astype(np.float64)

    def f(v):
        for kernel, bias, activation in w:
            v = v @ kernel + bias
            v = np.maximum(v, 0) if activation == "relu" else v
        return np.sum(v ** 2)

    step = np.zeros_like(x64)
    step[2, 3] = 1e-5
    numeric = (f(x64 + step) - f(x64 - step)) / 2e-5
    with ops.GradientTape() as again:
        value = ops.sum(ops.square(ops.DenseChain(layers)(x)))
    assert float(again.gradient(value, x).numpy()[2, 3]) == pytest.approx(numeric, rel=1e-3, abs=1e-4)


class _GenericSequential(keras.Sequential):
    """The same model on the generic path: a call of its own turns the dense chain off."""

    def call(self, inputs, training=None):
        return super().call(inputs, training=training)


@pytest.mark.parametrize("dropout, output_activation, targets", [
    (False, None, "labels"), (True, None, "labels"), (False, "softmax", "labels"), (True, "softmax", "labels"),
    (False, None, "one-hot"), (True, "softmax", "one-hot"), (False, "softmax", "soft"),
    (False, "sigmoid", "binary"), (True, None, "binary"), (False, "sigmoid", "multi-label")])
def test_fit_on_the_dense_chain_equals_fit_on_the_generic_path(dropout, output_activation, targets, monkeypatch):
    calls = {"dense_chain_backward": 0, "dense_chain_loss_gradients": 0}
    for name in calls:
        native = getattr(_core, name)

        def counted(*args, native=native, name=name):
            calls[name] += 1
            return native(*args)

        monkeypatch.setattr(_core, name, counted)
    x = RNG.normal(size=(96, 784)).astype(np.float32)
    y = RNG.integers(0, 10, 96)
    if targets == "one-hot":
        y = keras.utils.to_categorical(y, 10)
    elif targets == "soft":  # float64 rows of unequal mass, converted as the loss converts them
        y = RNG.uniform(0, 1, size=(96, 10))
    elif targets == "binary":  # (batch,) int labels for one logit
        y = RNG.integers(0, 2, 96)
    elif targets == "multi-label":
        y = RNG.integers(0, 2, size=(96, 10)).astype(bool)
    histories, weights, counts = [], [], []
    for kind in (keras.Sequential, _GenericSequential):
        keras.utils.set_random_seed(5)
        layers = [keras.Input(shape=(784,)), keras.layers.Dense(32, activation="relu")]
        if dropout:
            layers.append(keras.layers.Dropout(0.25, seed=3))
        units = 1 if targets == "binary" else 10
        layers += [keras.layers.Dense(16, activation="relu"), keras.layers.Dense(units, activation=output_activation)]
        model = kind(layers)
        # A softmax output with the loss by name: the form of Keras's own examples.
        name, loss_class = {
            "labels": ("sparse_categorical_crossentropy", keras.losses.SparseCategoricalCrossentropy),
            "binary": ("binary_crossentropy", keras.losses.BinaryCrossentropy),
            "multi-label": ("binary_crossentropy", keras.losses.BinaryCrossentropy),
        }.get(targets, ("categorical_crossentropy", keras.losses.CategoricalCrossentropy))
        loss = name if output_activation else loss_class(from_logits=True)
        model.compile(optimizer=keras.optimizers.Adam(1e-3), loss=loss, metrics=["accuracy", name])
        history = model.fit(x, y, batch_size=16, epochs=3, validation_split=0.25, shuffle=False, verbose=0)
        histories.append(history.history)
        weights.append(model.get_weights())
        counts.append(dict(calls))
        calls.update(dict.fromkeys(calls, 0))
    # 3 epochs of 5 steps: on the chain, the first step (which builds the compiled loss) goes through
    # the tape (layer by layer with Dropout in training, else the chain's op) and the rest through the
    # fused training step, Dropout's masks included; a model with its own call stays on the generic
    # path.
    fused = {"dense_chain_backward": 0 if dropout else 1, "dense_chain_loss_gradients": 14}
    assert counts == [fused, dict.fromkeys(calls, 0)]
    assert histories[0] == histories[1]
    for got, want in zip(*weights):
        np.testing.assert_array_equal(got, want)


def _count_fused_steps(monkeypatch):
    """A list that grows by one at each call of the fused training step's native function."""
    steps = []
    native = _core.dense_chain_loss_gradients
    monkeypatch.setattr(_core, "dense_chain_loss_gradients", lambda *args: steps.append(1) or native(*args))
    return steps


def _dropout_model(kind, layout):
    """A 30-24-16-5 classifier with Dropout where ``layout`` says (seeded by the global seed)."""
    dense = [keras.layers.Dense(24, activation="relu"), keras.layers.Dense(16, activation="relu"),
             keras.layers.Dense(5)]
    drop = keras.layers.Dropout
    layers = {
        "both hidden": [dense[0], drop(0.5), dense[1], drop(0.2), dense[2]],
        "second hidden": [dense[0], dense[1], drop(0.3), dense[2]],
        "two in a row": [dense[0], drop(0.5), drop(0.2), dense[1], dense[2]],
        "on the input": [drop(0.2), dense[0], dense[1], dense[2]],
        "on the logits": [dense[0], dense[1], dense[2], drop(0.2)],
        "noise shape": [dense[0], drop(0.5, noise_shape=(None, 1)), dense[1], dense[2]],
    }[layout]
    model = kind([keras.Input(shape=(30,))] + layers)
    model.compile(optimizer=keras.optimizers.Adam(1e-2),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    return model


@pytest.mark.parametrize("layout, fused", [("both hidden", True), ("second hidden", True), ("two in a row", False),
                                           ("on the input", False), ("on the logits", False),
                                           ("noise shape", False)])
def test_dropout_in_training_has_the_generic_paths_bits_fused_or_not(layout, fused, monkeypatch):
    steps = _count_fused_steps(monkeypatch)
    x = RNG.normal(size=(48, 30)).astype(np.float32)
    y = RNG.integers(0, 5, 48)
    results = []
    for kind in (keras.Sequential, _GenericSequential):
        keras.utils.set_random_seed(11)
        model = _dropout_model(kind, layout)
        history = model.fit(x, y, batch_size=8, epochs=2, verbose=0)
        results.append((history.history, model.get_weights(), len(steps)))
        steps.clear()
    assert results[0][2] == (11 if fused else 0)  # 12 steps, the first on the tape
    assert results[1][2] == 0
    assert results[0][0] == results[1][0]
    for got, want in zip(results[0][1], results[1][1]):
        np.testing.assert_array_equal(got, want)


def test_native_loss_gradients_with_dropout_equal_the_numpy_formulas():
    # 6 rows, 5 -> 4 (ReLU, dropout) -> 3 (ReLU, no dropout) -> 2 classes, derived by hand in float64.
    x = RNG.normal(size=(6, 5)).astype(np.float32)
    layers = _layers([5, 4, 3, 2])
    keep = (RNG.random((6, 4)) >= 0.5).astype(np.float32) * np.float32(2.0)
    labels = RNG.integers(0, 2, 6)
    (w1, b1, _), (w2, b2, _), (w3, b3, _) = [(k.astype(np.float64), b, a) for k, b, a in layers]
    h1 = np.maximum(x @ w1 + b1, 0)
    d1 = h1 * keep
    h2 = np.maximum(d1 @ w2 + b2, 0)
    z = h2 @ w3 + b3
    p = np.exp(z - z.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    loss = -np.log(p[np.arange(6), labels]).mean()
    dz = (p - np.eye(2)[labels]) / 6
    g2 = (dz @ w3.T) * (h2 > 0)
    g1 = (g2 @ w2.T) * keep * (h1 > 0)
    expected = [x.T @ g1, g1.sum(0), d1.T @ g2, g2.sum(0), h2.T @ dz, dz.sum(0)]

    hidden = [np.empty((6, 4), np.float32), np.empty((6, 3), np.float32)]
    logits, dlogits = np.empty((6, 2), np.float32), np.empty((6, 2), np.float32)
    grads = [(np.empty_like(k), np.empty_like(b)) for k, b, _ in layers]
    dropped = np.empty((6, 4), np.float32)
    got = _core.dense_chain_loss_gradients(x, layers, labels, hidden, logits, dlogits, grads,
                                          [(keep, dropped), None])
    assert got == pytest.approx(loss, rel=1e-5)
    np.testing.assert_allclose(hidden[0], h1, rtol=1e-5, atol=1e-6)  # kept before the dropout
    np.testing.assert_allclose(dropped, d1, rtol=1e-5, atol=1e-6)
    for grad, want in zip([g for pair in grads for g in pair], expected):
        np.testing.assert_allclose(grad, want, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"outputs": []}, "'outputs' must be a list of 2 arrays"),
        ({"dy": np.ones((3, 5), np.float32)}, r"'dy' must have shape \(3, 2\)"),
        ({"dx": np.ones((3, 5), np.float32)}, r"'dx' must have shape \(3, 4\)"),
        ({"grads": [(np.ones((4, 3), np.float32), None)]}, "list of 2 \\(dw, db\\) tuples"),
        ({"grads": [(np.ones((4, 3), np.float32), None), (np.ones((3, 3), np.float32), None)]},
         r"grads\[1\] dw must have shape \(3, 2\)"),
        ({"grads": "same"}, "must not share memory"),
    ],
)
@pytest.mark.parametrize("prepared", [False, True])
def test_native_chain_backward_checks_its_arguments(overrides, message, prepared):
    x = np.ones((3, 4), np.float32)
    layers = [(np.ones((4, 3), np.float32), np.ones(3, np.float32), "relu"), (np.ones((3, 2), np.float32), None, "linear")]
    hidden = np.ones((3, 3), np.float32)
    out = np.ones((3, 2), np.float32)
    shared = np.ones((4, 3), np.float32)
    args = {"outputs": [hidden, out], "dy": np.ones((3, 2), np.float32), "dx": None,
            "grads": [(np.ones((4, 3), np.float32), np.ones(3, np.float32)), (np.ones((3, 2), np.float32), None)]}
    args.update(overrides)
    if args["grads"] == "same":
        args["grads"] = [(shared, None), (np.ones((3, 2), np.float32), None)]
        args["dx"] = None
        layers[0] = (shared, layers[0][1], "relu")
    with pytest.raises(ValueError, match=message):
        given = _core.DenseLayers(layers) if prepared else layers
        _core.dense_chain_backward(x, given, args["outputs"], args["dy"], args["dx"], args["grads"])


def _classifier(kind=keras.Sequential, trainable_first=True):
    keras.utils.set_random_seed(9)
    model = kind([keras.Input(shape=(20,)), keras.layers.Dense(12, activation="relu"), keras.layers.Dense(4)])
    model.layers[0].trainable = trainable_first
    model.compile(optimizer=keras.optimizers.SGD(0.1, momentum=0.9),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    return model


@pytest.mark.parametrize("labels", ["int32", "column", "float", "uint8"])
@pytest.mark.parametrize("trainable_first", [True, False])
def test_fused_step_matches_the_generic_step_for_label_kinds_and_frozen_layers(labels, trainable_first):
    x = RNG.normal(size=(40, 20)).astype(np.float32)
    y = RNG.integers(0, 4, 40)
    y = {"int32": y.astype(np.int32), "column": y.reshape(-1, 1), "float": y.astype(np.float32),
         "uint8": y.astype(np.uint8)}[labels]
    results = []
    for kind in (keras.Sequential, _GenericSequential):
        model = _classifier(kind, trainable_first)
        history = model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
        results.append((history.history, model.get_weights()))
    assert results[0][0] == results[1][0]
    for got, want in zip(results[0][1], results[1][1]):
        np.testing.assert_array_equal(got, want)


class _Sparsity(keras.regularizers.Regularizer):
    """A regularizer of the user's own, written with ops."""

    def __call__(self, x):
        return 1e-3 * keras.ops.sum(keras.ops.abs(x))


def _regularized_layers(plain_l2, activity):
    """Three Dense layers with weight penalties: every one a plain L2 (the fused step adds their
    gradients natively), or a mix with L1 terms and one of the user's own (it takes a tape)."""
    if plain_l2:
        return [keras.layers.Dense(12, activation="relu", kernel_regularizer=keras.regularizers.L2(0.05),
                                   bias_regularizer=keras.regularizers.L1L2(l2=0.02)),
                keras.layers.Dense(8, activation="tanh", kernel_regularizer="l2"),
                keras.layers.Dense(4, kernel_regularizer=keras.regularizers.L2(1e-4))]
    return [keras.layers.Dense(12, activation="relu", kernel_regularizer=keras.regularizers.L2(0.05),
                               bias_regularizer=keras.regularizers.L1L2(0.01, 0.02)),
            keras.layers.Dense(8, activation="relu", kernel_regularizer=_Sparsity(),
                               activity_regularizer="l2" if activity else None),
            keras.layers.Dense(4, kernel_regularizer="l1")]


@pytest.mark.parametrize("plain_l2, activity", [(False, False), (False, True), (True, False)])
def test_weight_regularizers_train_on_the_fused_step_with_the_generic_steps_bits(plain_l2, activity, monkeypatch):
    x = RNG.normal(size=(48, 20)).astype(np.float32)
    y = RNG.integers(0, 4, 48)
    results = []
    for kind in (keras.Sequential, _GenericSequential):
        keras.utils.set_random_seed(4)
        model = kind([keras.Input(shape=(20,))] + _regularized_layers(plain_l2, activity))
        model.compile(optimizer=keras.optimizers.Adam(1e-2),
                      loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
        steps = _count_fused_steps(monkeypatch)
        penalized = []
        l2_penalty = _core.l2_penalty
        monkeypatch.setattr(_core, "l2_penalty", lambda *args: penalized.append(len(args[0])) or l2_penalty(*args))
        history = model.fit(x, y, batch_size=8, epochs=3, shuffle=False, verbose=0)
        results.append((history.history, model.get_weights(), len(steps), penalized))
    # 18 steps: the first builds the compiled loss on the generic path, the rest are fused unless
    # a layer adds a loss when called (an activity regularizer). Plain L2 penalties add their four
    # gradients natively on each fused step, in one call.
    fused = 0 if activity else 17
    assert [result[2:] for result in results] == [(fused, [4] * fused if plain_l2 else []), (0, [])]
    assert results[0][0] == results[1][0]
    for got, want in zip(results[0][1], results[1][1]):
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("weighting", ["sample_weight", "column of weights", "class_weight", "binary class_weight"])
def test_sample_weights_train_on_the_fused_step_with_the_generic_steps_bits(weighting, monkeypatch):
    binary = weighting.startswith("binary")
    x = RNG.normal(size=(60, 20)).astype(np.float32)
    y = RNG.integers(0, 2 if binary else 4, 60)
    weights = RNG.uniform(0, 3, 60).astype(np.float32)
    given = {"sample_weight": {"sample_weight": weights},
             "column of weights": {"sample_weight": weights[:, None].astype(np.float64)},
             "class_weight": {"class_weight": {0: 1.0, 1: 4.0, 2: 0.5, 3: 2.0}},
             "binary class_weight": {"class_weight": {0: 1.0, 1: 9.0}}}[weighting]
    results = []
    for kind in (keras.Sequential, _GenericSequential):
        keras.utils.set_random_seed(8)
        model = kind([keras.Input(shape=(20,)), keras.layers.Dense(12, activation="relu"),
                      keras.layers.Dense(1 if binary else 4, activation="sigmoid" if binary else "softmax")])
        model.compile(optimizer=keras.optimizers.Adam(1e-2),
                      loss="binary_crossentropy" if binary else "sparse_categorical_crossentropy",
                      metrics=["accuracy"], weighted_metrics=["accuracy"])
        steps = _count_fused_steps(monkeypatch)
        history = model.fit(x, y, batch_size=8, epochs=3, shuffle=False, validation_split=0.2, verbose=0, **given)
        results.append((history.history, model.get_weights(), len(steps)))
    # 6 steps an epoch: the first builds the compiled loss on the generic path, the rest are fused.
    assert [count for _, _, count in results] == [17, 0]
    assert results[0][0] == results[1][0]
    for got, want in zip(results[0][1], results[1][1]):
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("loss, output, targets, weighted, fused", [
    ("mse", None, "columns", False, True), ("mae", None, "columns", True, True), ("mse", "relu", "rows", True, True),
    ("mean_absolute_error", None, "rows", False, True), ("mse", "softmax", "columns", False, False)])
def test_regression_trains_on_the_fused_step_with_the_generic_steps_bits(loss, output, targets, weighted, fused,
                                                                         monkeypatch):
    x = RNG.normal(size=(60, 20)).astype(np.float32)
    units = 3 if targets == "columns" else 1
    y = RNG.normal(size=(60, units)) if targets == "columns" else RNG.normal(size=60)  # float64, converted
    given = {"sample_weight": RNG.uniform(0, 2, 60)} if weighted else {}
    results = []
    for kind in (keras.Sequential, _GenericSequential):
        keras.utils.set_random_seed(9)
        model = kind([keras.Input(shape=(20,)), keras.layers.Dense(16, activation="relu"),
                      keras.layers.Dense(units, activation=output)])
        model.compile(optimizer=keras.optimizers.Adam(1e-2), loss=loss, metrics=["mae", "mse"])
        steps = _count_fused_steps(monkeypatch)
        history = model.fit(x, y, batch_size=8, epochs=3, shuffle=False, validation_split=0.2, verbose=0, **given)
        results.append((history.history, model.get_weights(), len(steps)))
    # 6 steps an epoch: the first builds the compiled loss on the generic path, the rest are fused
    # unless the output has a softmax (the loss then reads probabilities, not the chain's output).
    assert [count for _, _, count in results] == [17 if fused else 0, 0]
    assert results[0][0] == results[1][0]
    for got, want in zip(results[0][1], results[1][1]):
        np.testing.assert_array_equal(got, want)
    assert results[0][0]["loss"][-1] < results[0][0]["loss"][0]


RULE_ACTIVATIONS = ["sigmoid", "elu", "leaky_relu", "selu", "silu", "softplus", "gelu", "relu6", "softsign",
                    "hard_sigmoid", "hard_silu", "mish", "log_sigmoid"]


@pytest.mark.parametrize("activation", RULE_ACTIVATIONS)
def test_a_chain_with_an_activation_rule_equals_dense_and_the_activation_op(activation):
    weights = [_array(RNG, (7, 9)), _array(RNG, (9,)), _array(RNG, (9, 5)), _array(RNG, (5, 3)), _array(RNG, (3,))]
    x = RNG.normal(size=(6, 7)).astype(np.float32)
    apply = getattr(keras.activations, activation)

    def entries(w):
        return [(w[0], w[1], activation), (w[2], None, "relu"), (w[3], w[4], activation)]

    def composed(inputs, w):
        h = inputs
        for kernel, bias, name in entries(w):
            h = ops.dense(h, kernel, bias, name if name == "relu" else "linear")
            h = h if name == "relu" else apply(h)
        return h

    chain = ops.DenseChain(entries(weights))
    for rows in (x, x[:1], x.astype(np.float64)):  # float64 rows take the op-by-op path
        np.testing.assert_array_equal(chain(rows).numpy(), composed(rows, weights).numpy())
    # The gradients, for the input and every weight.
    gradients = []
    for forward in (lambda v, w: ops.DenseChain(entries(w))(v), composed):
        variables = [keras.Variable(x)] + [keras.Variable(w) for w in weights]
        with ops.GradientTape() as tape:
            value = ops.sum(ops.square(forward(variables[0], variables[1:])))
        gradients.append([g.numpy() for g in tape.gradient(value, variables)])
    for got, want in zip(*gradients):
        np.testing.assert_array_equal(got, want)


def _array(generator, shape):
    return (generator.normal(size=shape) * 0.5).astype(np.float32)


def _count_chain_steps(monkeypatch):
    """A list that grows by one at each fused training step, native or layer by layer."""
    steps = []
    method = ops.DenseChain.loss_gradients
    monkeypatch.setattr(ops.DenseChain, "loss_gradients", lambda *args: steps.append(1) or method(*args))
    return steps


@pytest.mark.parametrize("activation", RULE_ACTIVATIONS + ["tanh"])  # tanh: native in the chain
@pytest.mark.parametrize("dropout", [False, True])
def test_activation_rules_train_on_the_fused_step_with_the_generic_steps_bits(activation, dropout, monkeypatch):
    x = RNG.normal(size=(60, 20)).astype(np.float32)
    y = RNG.integers(0, 4, 60)

    def build(kind):
        keras.utils.set_random_seed(3)
        layers = [keras.Input(shape=(20,)), keras.layers.Dense(16, activation=activation)]
        if dropout:
            layers.append(keras.layers.Dropout(0.3, seed=1))
        layers += [keras.layers.Dense(12, activation=activation), keras.layers.Dense(4)]
        model = kind(layers)
        model.compile(optimizer=keras.optimizers.Adam(1e-2),
                      loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
        return model

    steps = _count_chain_steps(monkeypatch)
    assert fit_fused_and_generic(build, x, y, monkeypatch, batch_size=8, epochs=3, validation_split=0.2) == [17, 0]
    assert len(steps) == 17  # the native call is the chain's, each step


@pytest.mark.parametrize("activation", RULE_ACTIVATIONS)
def test_activation_rules_keep_training_inference_and_tapes_in_the_chains_native_calls(activation, monkeypatch):
    model = keras.Sequential([keras.Input(shape=(6,)), keras.layers.Dense(5, activation=activation),
                              keras.layers.Dense(4, activation=activation), keras.layers.Dense(3)])
    model.compile(optimizer="adam", loss="mse")
    layer_calls = []  # counted once the model is built (shape inference runs the layers themselves)
    for name in ("dense_forward", "dense_backward"):
        native = getattr(_core, name)
        monkeypatch.setattr(_core, name, lambda *args, _native=native: layer_calls.append(1) or _native(*args))
    x, y = RNG.normal(size=(16, 6)).astype(np.float32), RNG.normal(size=(16, 3)).astype(np.float32)
    model.fit(x, y, batch_size=8, epochs=2, verbose=0)
    model(x)
    with ops.GradientTape() as tape:
        value = ops.sum(model(x))
    tape.gradient(value, model.trainable_weights)
    assert not layer_calls


def test_the_native_chain_backward_needs_the_pre_activations_it_reads():
    # A gradient through an activation applied after the product reads its pre-activation: the
    # chain's backward rejects such a layer without one instead of guessing, and a single layer
    # takes only the fused activations.
    w, x = _array(RNG, (4, 3)), RNG.normal(size=(2, 4)).astype(np.float32)
    layers = _core.DenseLayers([(w, None, "gelu")])
    pre = [np.empty((2, 3), np.float32)]
    out = _core.dense_chain_forward(x, layers, [], pre)
    np.testing.assert_allclose(pre[0], x.astype(np.float64) @ w, rtol=1e-5, atol=1e-6)  # the product, kept
    grads = [(np.empty_like(w), None)]
    with pytest.raises(ValueError, match=r"dense_chain_backward: layer 0's activation is applied after the GEMM"):
        _core.dense_chain_backward(x, layers, [out], np.ones_like(out), None, grads)
    with pytest.raises(ValueError, match=r"dense_chain_backward: pre\[0\] must have shape \(2, 3\)"):
        _core.dense_chain_backward(x, layers, [out], np.ones_like(out), None, grads, [np.empty((3, 3), np.float32)])
    _core.dense_chain_backward(x, layers, [out], np.ones_like(out), None, grads, pre)
    np.testing.assert_allclose(grads[0][0], x.T @ _gelu_grad(pre[0].astype(np.float64)), rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match=r"argument 'activation' must be one of 'linear', 'relu', 'tanh'\. "):
        _core.dense_forward(x, w, None, "gelu", np.empty((2, 3), np.float32))


def _gelu_grad(z):
    """d/dz of z Phi(z), in float64."""
    from math import erf, pi, sqrt

    phi = np.exp(-z * z / 2) / sqrt(2 * pi)
    return 0.5 * (1 + np.vectorize(erf)(z / sqrt(2))) + z * phi


def test_a_hidden_sigmoid_is_an_activation_rule_and_a_last_one_the_output():
    model = keras.Sequential([keras.Input(shape=(5,)), keras.layers.Dense(4, activation="sigmoid"),
                              keras.layers.Dense(1, activation="sigmoid")])
    chain = model._dense_stack.get(model, model._chain_layers)
    assert [entry[2] for entry in chain.layers] == ["sigmoid", "linear"]
    assert model._dense_stack.output_activation == "sigmoid"


def test_a_weighted_fused_step_equals_the_numpy_formulas(monkeypatch):
    """One step of SGD(1) on a linear classifier with row weights, derived by hand in float64."""
    x = RNG.normal(size=(5, 3)).astype(np.float32)
    y = np.array([0, 1, 1, 0, 1])
    weights = np.array([0.5, 2.0, 0.0, 1.0, 3.0], np.float32)
    model = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(2)])
    model.compile(optimizer=keras.optimizers.SGD(1.0),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.train_on_batch(x[:1], y[:1])  # builds the compiled loss: the next step is fused
    kernel, bias = (w.astype(np.float64) for w in model.get_weights())
    steps = _count_fused_steps(monkeypatch)
    loss = model.train_on_batch(x, y, sample_weight=weights)
    assert steps == [1]
    logits = x.astype(np.float64) @ kernel + bias
    p = np.exp(logits - logits.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    w = weights.astype(np.float64)[:, None]
    assert loss == pytest.approx(float((w[:, 0] * -np.log(p[np.arange(5), y])).mean()), rel=1e-6)
    dlogits = w * (p - np.eye(2)[y]) / 5
    np.testing.assert_allclose(model.get_weights()[0], kernel - x.T @ dlogits, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(model.get_weights()[1], bias - dlogits.sum(0), rtol=1e-5, atol=1e-6)


def test_a_model_the_fused_step_does_not_take_is_checked_once_per_fit(monkeypatch):
    from pykeras.models import fused_step

    checks = []
    check = fused_step._eligible_chain
    monkeypatch.setattr(fused_step, "_eligible_chain", lambda *args: checks.append(1) or check(*args))
    model = _classifier(_GenericSequential)
    model.fit(RNG.normal(size=(40, 20)).astype(np.float32), RNG.integers(0, 4, 40), batch_size=8, verbose=0)
    assert checks == [1]  # five steps, one check


def test_fused_step_rejects_a_bad_label_before_touching_the_weights():
    model = _classifier()
    x = RNG.normal(size=(8, 20)).astype(np.float32)
    model.train_on_batch(x, np.zeros(8, np.int64))  # builds the compiled loss: the next step is fused
    before = model.get_weights()
    with pytest.raises(ValueError, match="label"):
        model.train_on_batch(x, np.full(8, 4, np.int64))
    for got, want in zip(model.get_weights(), before):
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize(
    "args, message",
    [
        ({"labels": np.zeros(3, np.int16)}, r"int32 or int64 labels of shape \(3,\) or float32 class probabilities"),
        ({"labels": np.zeros(2, np.int64)}, r"Received: labels.shape=\(2,\)"),
        ({"labels": np.zeros((3, 3), np.float32)}, r"probabilities of shape \(3, 2\). Received: labels.shape=\(3, 3\)"),
        ({"loss": "tanh"}, r"'loss' must be 'softmax', 'sigmoid', 'squared' or 'absolute'. Received: loss='tanh'"),
        ({"loss": "squared"}, r"float32 targets of shape \(3, 2\). Received: labels.dtype=int64"),
        ({"loss": "sigmoid"}, r"float32 binary targets of shape \(3, 2\). Received: labels.dtype=int64"),
        ({"logits": np.zeros((3, 5), np.float32)}, r"must have shape \(3, 2\)"),
        ({"hidden": []}, "'hidden' must be a list of 1 arrays"),
        ({"dlogits": "the logits array"}, "must not share memory"),
        ({"dropout": []}, "'dropout' must be None or a list of 1 entries"),
        ({"dropout": [np.ones((3, 3), np.float32)]}, r"dropout\[0\] must be None or a tuple \(keep, dropped\)"),
        ({"dropout": [(np.ones((3, 3), np.float32), np.ones((3, 2), np.float32))]},
         r"dropout\[0\] arrays must have shape \(3, 3\)"),
        ({"dropout": [(np.ones((3, 3), np.float64), np.ones((3, 3), np.float32))]}, "'keep' must have dtype float32"),
        ({"dropout": "dropped is hidden"}, "must not share memory"),
        ({"row_weights": np.ones(2, np.float32)},
         r"'row_weights' must have shape \(3,\), one weight per row. Received: row_weights.shape=\(2,\)"),
        ({"row_weights": np.ones(3, np.float64)}, "'row_weights' must have dtype float32"),
        ({"row_weights": "dlogits' first entries"}, "must not share memory"),
    ],
)
@pytest.mark.parametrize("prepared", [False, True])
def test_native_loss_gradients_checks_its_arguments(args, message, prepared):
    layers = [(np.ones((4, 3), np.float32), None, "relu"), (np.ones((3, 2), np.float32), None, "linear")]
    logits = np.zeros((3, 2), np.float32)
    call = {"labels": np.zeros(3, np.int64), "hidden": [np.zeros((3, 3), np.float32)], "logits": logits,
            "dlogits": np.zeros((3, 2), np.float32),
            "grads": [(np.zeros((4, 3), np.float32), None), (np.zeros((3, 2), np.float32), None)]}
    call.update(args)
    if isinstance(call["dlogits"], str):
        call["dlogits"] = logits
    if isinstance(call.get("dropout"), str):
        call["dropout"] = [(np.ones((3, 3), np.float32), call["hidden"][0])]
    if isinstance(call.get("row_weights"), str):
        call["row_weights"] = call["dlogits"].reshape(-1)[:3]
    with pytest.raises(ValueError, match=message):
        given = _core.DenseLayers(layers) if prepared else layers
        _core.dense_chain_loss_gradients(np.ones((3, 4), np.float32), given, call["labels"], call["hidden"],
                                         call["logits"], call["dlogits"], call["grads"], call.get("dropout"),
                                         call.get("loss", "softmax"), call.get("row_weights"))


# ------------------------------------------------------------------ functional chains


def _functional_mlp(dropout=False, outputs_as_list=False):
    inputs = keras.Input(shape=(784,))
    h = keras.layers.Dense(64, activation="relu")(inputs)
    if dropout:
        h = keras.layers.Dropout(0.5, seed=2)(h)
    h = keras.layers.Dense(32, activation="relu")(h)
    outputs = keras.layers.Dense(10)(h)
    return keras.Model(inputs, [outputs] if outputs_as_list else outputs)


class _GenericFunctional(keras.Model):
    """Built like a functional model, but through its own call: the generic path when compiled with
    run_eagerly=True (else its call is traced, and its chain fused)."""

    def __init__(self, layers):
        super().__init__()
        self.stack = layers

    def call(self, inputs, training=None):
        for layer in self.stack:
            inputs = layer(inputs, training=training)
        return inputs


def test_functional_chain_inference_equals_its_layers(monkeypatch):
    calls = count_chain_inferences(monkeypatch)
    model = _functional_mlp(dropout=True)
    x = RNG.normal(size=(5, 784)).astype(np.float32)
    expected = _layer_by_layer(model, x)  # InputLayer first: the identity
    np.testing.assert_array_equal(model(x).numpy(), expected)
    np.testing.assert_array_equal(model.predict(x, verbose=0), expected)
    assert len(calls) == 2
    assert not np.array_equal(model(x, training=True).numpy(), expected)  # Dropout: generic path
    assert len(calls) == 2


def test_functional_graphs_that_are_not_one_chain_keep_the_generic_path(monkeypatch):
    calls = count_chain_inferences(monkeypatch)
    x = RNG.normal(size=(3, 784)).astype(np.float32)
    listed = _functional_mlp(outputs_as_list=True)
    result = listed(x)
    assert isinstance(result, list) and result[0].shape == (3, 10)
    inputs = keras.Input(shape=(784,))
    shared = keras.layers.Dense(784, activation="relu")
    twice = keras.Model(inputs, keras.layers.Dense(4)(shared(shared(inputs))))  # a layer used twice
    last = twice.layers[-1]
    np.testing.assert_array_equal(twice(x).numpy(), last(shared(shared(x))).numpy())
    fixed = keras.Model(*(lambda i: (i, keras.layers.Dense(2)(i)))(keras.Input(batch_shape=(3, 784))))
    assert fixed(x).shape == (3, 2)
    with pytest.raises(ValueError, match="incompatible"):
        fixed(x[:2])
    assert calls == []


def test_fit_on_a_functional_chain_equals_the_generic_path(monkeypatch):
    calls = _count_fused_steps(monkeypatch)
    x = RNG.normal(size=(64, 784)).astype(np.float32)
    y = RNG.integers(0, 10, 64)
    results = []
    for functional in (True, False):
        keras.utils.set_random_seed(4)
        model = _functional_mlp()
        if not functional:
            model = _GenericFunctional([layer for layer in model.layers[1:]])
            model.build((None, 784))
        model.compile(optimizer=keras.optimizers.Adam(1e-3),
                      loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"],
                      run_eagerly=not functional)
        history = model.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
        results.append((history.history, model.get_weights()))
    assert len(calls) == 7  # the first of 8 steps builds the compiled loss on the generic path
    assert results[0][0] == results[1][0]
    for got, want in zip(results[0][1], results[1][1]):
        np.testing.assert_array_equal(got, want)


def test_a_deep_dense_stack_trains_on_the_fused_step_like_the_generic_path():
    x = RNG.normal(size=(24, 6)).astype(np.float32)
    y = RNG.integers(0, 3, 24)
    results = []
    for kind in (keras.Sequential, _GenericSequential):
        keras.utils.set_random_seed(8)
        model = kind([keras.Input(shape=(6,))] + [keras.layers.Dense(6, activation="relu") for _ in range(80)]
                     + [keras.layers.Dense(3)])
        model.compile(optimizer="sgd", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
        history = model.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
        results.append((history.history, model.get_weights()))
    assert results[0][0] == results[1][0]
    for got, want in zip(results[0][1], results[1][1]):
        np.testing.assert_array_equal(got, want)
