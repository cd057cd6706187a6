"""Operators and ``keras.ops`` on ``keras.Input`` tensors: op nodes of the functional graph.

Each op node computes what numpy computes, passes gradients to the layers before it, is left out of
``model.layers`` (as in Keras) but listed by ``summary()``, and is saved and loaded in Keras 3's
layout (a file Keras 3.15 wrote is in tests/data; test_symbolic_ops_interop.py checks the rest
against Keras itself).
"""
import io
import json
import math
import os
import zipfile

import numpy as np
import pytest

import pykeras as keras
from pykeras import ops
from pykeras.layers.symbolic_ops import OPS

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")
RNG = np.random.default_rng(31)
X = RNG.normal(size=(5, 4)).astype(np.float32)
Y = RNG.normal(size=(5, 4)).astype(np.float32)
W = RNG.normal(size=(4, 3)).astype(np.float32)


def _sigmoid(v):
    return 1 / (1 + np.exp(-v))


def _softmax(v, axis=-1):
    e = np.exp(v - v.max(axis, keepdims=True))
    return e / e.sum(axis, keepdims=True)


_erf = np.vectorize(math.erf)

# (what the graph computes from inputs x and y, the numpy computation). Unary ones use x only.
CASES = {
    "x + y": (lambda x, y: x + y, lambda x, y: x + y),
    "2 + x": (lambda x, y: 2 + x, lambda x, y: 2 + x),
    "x - 1.5": (lambda x, y: x - 1.5, lambda x, y: x - 1.5),
    "1.5 - x": (lambda x, y: 1.5 - x, lambda x, y: 1.5 - x),
    "x * y": (lambda x, y: x * y, lambda x, y: x * y),
    "3 * x": (lambda x, y: 3 * x, lambda x, y: 3 * x),
    "x / (y*y + 1)": (lambda x, y: x / (y * y + 1), lambda x, y: x / (y * y + 1)),
    "2 / (x*x + 1)": (lambda x, y: 2 / (x * x + 1), lambda x, y: 2 / (x * x + 1)),
    "x ** 2": (lambda x, y: x ** 2, lambda x, y: x ** 2),
    "2 ** x": (lambda x, y: 2 ** x, lambda x, y: 2 ** x),
    "x @ W": (lambda x, y: x @ W, lambda x, y: x @ W),
    "array * x": (lambda x, y: np.arange(4, dtype=np.float32) * x, lambda x, y: np.arange(4) * x),
    "-x": (lambda x, y: -x, lambda x, y: -x),
    "abs(x)": (lambda x, y: abs(x), lambda x, y: abs(x)),
    "x[:, :2]": (lambda x, y: x[:, :2], lambda x, y: x[:, :2]),
    "x[..., None, 1]": (lambda x, y: x[..., None, 1], lambda x, y: x[..., None, 1]),
    "x[:, ::-2]": (lambda x, y: x[:, ::-2], lambda x, y: x[:, ::-2]),
    "x[:, -1]": (lambda x, y: x[:, -1], lambda x, y: x[:, -1]),
    "x[0]": (lambda x, y: x[0], lambda x, y: x[0]),
    "x[1:]": (lambda x, y: x[1:], lambda x, y: x[1:]),
    "add": (lambda x, y: ops.add(x, y), lambda x, y: x + y),
    "subtract": (lambda x, y: ops.subtract(x, y), lambda x, y: x - y),
    "multiply": (lambda x, y: ops.multiply(2.0, x), lambda x, y: 2 * x),
    "divide": (lambda x, y: ops.divide(x, 4.0), lambda x, y: x / 4),
    "negative": (lambda x, y: ops.negative(x), lambda x, y: -x),
    "power": (lambda x, y: ops.power(ops.abs(x), y), lambda x, y: np.abs(x) ** y),
    "matmul": (lambda x, y: ops.matmul(x, ops.convert_to_tensor(W)), lambda x, y: x @ W),
    "maximum": (lambda x, y: ops.maximum(x, y), np.maximum),
    "minimum": (lambda x, y: ops.minimum(x, 0.0), lambda x, y: np.minimum(x, 0)),
    "relu": (lambda x, y: ops.relu(x), lambda x, y: np.maximum(x, 0)),
    "sigmoid": (lambda x, y: ops.sigmoid(x), lambda x, y: _sigmoid(x)),
    "tanh": (lambda x, y: ops.tanh(x), lambda x, y: np.tanh(x)),
    "softplus": (lambda x, y: ops.softplus(x), lambda x, y: np.log1p(np.exp(x))),
    "silu": (lambda x, y: ops.silu(x), lambda x, y: x * _sigmoid(x)),
    "leaky_relu": (lambda x, y: ops.leaky_relu(x, 0.1), lambda x, y: np.where(x > 0, x, 0.1 * x)),
    "elu": (lambda x, y: ops.elu(x, alpha=0.5), lambda x, y: np.where(x > 0, x, 0.5 * np.expm1(x))),
    "selu": (lambda x, y: ops.selu(x),
             lambda x, y: 1.0507009873554805 * np.where(x > 0, x, 1.6732632423543772 * np.expm1(x))),
    "gelu": (lambda x, y: ops.gelu(x),
             lambda x, y: 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x ** 3)))),
    "gelu exact": (lambda x, y: ops.gelu(x, approximate=False), lambda x, y: 0.5 * x * (1 + _erf(x / np.sqrt(2)))),
    "relu6": (lambda x, y: ops.relu6(3 * x), lambda x, y: np.clip(3 * x, 0, 6)),
    "softsign": (lambda x, y: ops.softsign(x), lambda x, y: x / (1 + np.abs(x))),
    "log_sigmoid": (lambda x, y: ops.log_sigmoid(x), lambda x, y: np.log(_sigmoid(x))),
    "softmax": (lambda x, y: ops.softmax(x, axis=-1), lambda x, y: _softmax(x)),
    "log_softmax": (lambda x, y: ops.log_softmax(x, axis=1), lambda x, y: np.log(_softmax(x, 1))),
    "exp": (lambda x, y: ops.exp(x), lambda x, y: np.exp(x)),
    "log": (lambda x, y: ops.log(ops.square(x) + 1), lambda x, y: np.log(x * x + 1)),
    "sqrt": (lambda x, y: ops.sqrt(ops.abs(x)), lambda x, y: np.sqrt(np.abs(x))),
    "square": (lambda x, y: ops.square(x), np.square),
    "mean": (lambda x, y: ops.mean(x, axis=1), lambda x, y: x.mean(1)),
    "sum keepdims": (lambda x, y: ops.sum(x, axis=-1, keepdims=True), lambda x, y: x.sum(-1, keepdims=True)),
    "max": (lambda x, y: ops.max(x, axis=1), lambda x, y: x.max(1)),
    "min of all": (lambda x, y: ops.min(x), lambda x, y: x.min()),
    "concatenate": (lambda x, y: ops.concatenate([x, y, x], axis=-1), lambda x, y: np.concatenate([x, y, x], -1)),
    "stack": (lambda x, y: ops.stack([x, y], axis=1), lambda x, y: np.stack([x, y], 1)),
    "reshape": (lambda x, y: ops.reshape(x, (-1, 2, 2)), lambda x, y: x.reshape(-1, 2, 2)),
    "transpose": (lambda x, y: ops.transpose(ops.reshape(x, (-1, 2, 2)), (0, 2, 1)),
                  lambda x, y: x.reshape(-1, 2, 2).transpose(0, 2, 1)),
    "expand_dims": (lambda x, y: ops.expand_dims(x, 1), lambda x, y: x[:, None]),
    "squeeze": (lambda x, y: ops.squeeze(x[:, None], axis=1), lambda x, y: x),
    "clip": (lambda x, y: ops.clip(x, -0.5, 0.5), lambda x, y: np.clip(x, -0.5, 0.5)),
    "cast": (lambda x, y: ops.cast(x * 10, "int32"), lambda x, y: (x * 10).astype(np.int32)),
    "getitem": (lambda x, y: ops.getitem(x, (slice(None), slice(1, 3))), lambda x, y: x[:, 1:3]),
    "keyword tensor": (lambda x, y: ops.mean(x=x, axis=0), lambda x, y: x.mean(0)),
}


def _model(build):
    x, y = keras.Input((4,), name="x"), keras.Input((4,), name="y")
    return keras.Model([x, y], build(x, y))


@pytest.mark.parametrize("name", list(CASES))
def test_an_op_on_inputs_is_a_node_that_computes_like_numpy(name):
    build, reference = CASES[name]
    model = _model(build)
    want = np.asarray(reference(X, Y))
    got = model.predict([X, Y], verbose=0)
    assert got.shape == want.shape and got.dtype == want.astype(got.dtype).dtype
    np.testing.assert_allclose(got, want, rtol=2e-6, atol=2e-6)
    output = model.outputs[0]
    assert type(output.node.layer).__name__ in OPS
    assert output.shape[1:] == want.shape[1:] and output.dtype == got.dtype.name
    if name not in ("x[0]", "min of all", "keyword tensor"):  # those reduce the batch axis away
        assert output.shape[0] is None


def test_every_op_class_of_the_table_has_a_case_above():
    seen = set()
    for build, _ in CASES.values():
        model = _model(build)
        seen |= {type(op).__name__ for op in model.operations}
    assert set(OPS) - seen == {"Abs"}  # Keras's alias of Absolute, read from files only


def test_op_nodes_are_left_out_of_layers_but_listed_by_summary(monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    inputs = keras.Input((4,), name="inputs")
    hidden = keras.layers.Dense(3, name="hidden")(inputs * 2.0)
    model = keras.Model(inputs, ops.mean(ops.relu(hidden), axis=1), name="with_ops")
    assert [layer.name for layer in model.layers] == ["inputs", "hidden"]
    assert [type(op).__name__ for op in model.operations] == ["InputLayer", "Multiply", "Dense", "Relu", "Mean"]
    assert len(model.weights) == 2 and model.count_params() == 15
    text = io.StringIO()
    model.summary(print_fn=text.write)
    rows = [line.split("│")[1:4] for line in text.getvalue().splitlines() if line.startswith("│")]
    names = [row[0].strip() for row in rows]
    operations = model.operations
    multiply, relu, mean = (names.index(f"{op.name} ({type(op).__name__})") for op in operations[1:2] + operations[3:])
    assert rows[mean][1].strip() == "(None)" and rows[mean][2].strip() == "0"
    assert multiply < names.index("hidden (Dense)") < relu < mean
    assert model.output_names == [model.operations[-1].name]


def test_gradients_flow_through_op_nodes_as_the_hand_derived_formula_says():
    x = RNG.normal(size=(6, 3)).astype(np.float32)
    y = RNG.normal(size=(6, 1)).astype(np.float32)
    kernel = RNG.normal(size=(3, 1)).astype(np.float32)
    inputs = keras.Input((3,))
    h = keras.layers.Dense(1, use_bias=False)(inputs)
    both = ops.concatenate([ops.tanh(h), h * 0.5], axis=-1)
    model = keras.Model(inputs, both[:, :1] * 3.0 + both[:, 1:])  # 3 tanh(h) + h / 2
    model.layers[1].set_weights([kernel])
    model.compile(keras.optimizers.SGD(learning_rate=0.1), "mse")
    model.train_on_batch(x, y)
    h = (x @ kernel).astype(np.float64)
    out = 3 * np.tanh(h) + 0.5 * h
    d_out = 2 * (out - y) / len(x)  # the mean squared error's gradient
    grad = x.T @ (d_out * (3 * (1 - np.tanh(h) ** 2) + 0.5))
    np.testing.assert_allclose(model.layers[1].get_weights()[0], kernel - 0.1 * grad, rtol=1e-5, atol=1e-6)


def test_fit_through_op_nodes_lowers_the_loss():
    keras.utils.set_random_seed(3)
    x = RNG.normal(size=(64, 4)).astype(np.float32)
    y = (np.sin(x[:, :1]) + x[:, 1:2] * x[:, 2:3]).astype(np.float32)
    inputs = keras.Input((4,))
    hidden = keras.layers.Dense(16)(inputs * 0.5)
    features = ops.concatenate([ops.relu(hidden), ops.tanh(hidden), inputs[:, :2] ** 2], axis=-1)
    model = keras.Model(inputs, keras.layers.Dense(1)(features) + 0.1)
    model.compile(keras.optimizers.Adam(0.02), "mse")
    losses = model.fit(x, y, batch_size=16, epochs=30, verbose=0).history["loss"]
    assert losses[-1] < 0.3 * losses[0]


def _with_ops():
    a, b = keras.Input((4,), name="a"), keras.Input((4,), name="b")
    hidden = keras.layers.Dense(6, activation="relu", name="hidden")(ops.concatenate([a * 2.0, 1.0 - b], axis=-1))
    pooled = ops.mean(ops.reshape(hidden, (-1, 3, 2)), axis=1)
    return keras.Model([a, b], [keras.layers.Dense(2, name="head")(pooled) @ W[:2, :2], hidden[..., None, ::2]])


def test_a_model_with_op_nodes_saves_and_loads(tmp_path):
    model = _with_ops()
    model.save(tmp_path / "ops.keras")
    loaded = keras.models.load_model(tmp_path / "ops.keras")
    for got, want in zip(loaded.predict([X, Y], verbose=0), model.predict([X, Y], verbose=0)):
        np.testing.assert_array_equal(got, want)
    assert json.dumps(loaded.get_config()) == json.dumps(model.get_config())
    assert [layer.name for layer in loaded.layers] == ["a", "b", "hidden", "head"]
    with zipfile.ZipFile(tmp_path / "ops.keras") as archive:
        layers = json.loads(archive.read("config.json"))["config"]["layers"]
    mean = next(entry for entry in layers if entry["class_name"] == "Mean")
    assert {key: mean[key] for key in ("module", "class_name", "registered_name")} == {
        "module": "keras.src.ops.numpy", "class_name": "Mean", "registered_name": "Mean"}
    assert mean["config"] == {"name": mean["name"], "axis": 1, "keepdims": False}
    get_item = next(entry for entry in layers if entry["class_name"] == "GetItem")
    assert get_item["inbound_nodes"][0]["args"][1] == [
        {"class_name": "__ellipsis__", "config": {}}, None,
        {"class_name": "__slice__", "config": {"start": None, "stop": None, "step": 2}}]
    matmul = next(entry for entry in layers if entry["class_name"] == "Matmul")
    assert matmul["inbound_nodes"][0]["args"][1] == {"class_name": "__numpy__",
                                                      "config": {"value": W[:2, :2].tolist(), "dtype": "float32"}}
    subtract = next(entry for entry in layers if entry["class_name"] == "Subtract")
    assert subtract["inbound_nodes"][0]["args"][0] == 1.0  # the constant stays where it was
    clone = keras.models.clone_model(model)
    assert [type(op).__name__ for op in clone.operations] == [type(op).__name__ for op in model.operations]
    assert keras.models.model_from_json(model.to_json()).get_config() == model.get_config()


def test_a_lone_slice_is_written_as_a_one_tuple_which_keras_can_load():
    x = keras.Input((4,))
    node = x[1:].node
    assert node.args[1] == (slice(1, None, None),) and x[0].node.args[1] == 0
    assert x[None].node.args[1] == (None,) and x[[0, slice(None)]].node.args[1] == (0, slice(None))


def test_a_file_keras_wrote_with_op_nodes_loads_and_predicts_as_keras():
    model = keras.models.load_model(os.path.join(DATA, "symbolic_ops.keras"))
    with np.load(os.path.join(DATA, "symbolic_ops.npz")) as arrays:
        expected = {key: arrays[key] for key in arrays.files}
    first, second = model.predict([expected["x1"], expected["x2"]], verbose=0)
    np.testing.assert_allclose(first, expected["y1"], rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(second, expected["y2"], rtol=1e-6, atol=1e-6)
    assert [layer.name for layer in model.layers] == ["a", "hidden", "b", "head"]
    assert {type(op).__name__ for op in model.operations} >= {"Add", "Softmax", "Concatenate", "GetItem", "Sum"}


def _rewrite(source, target, edit):
    with zipfile.ZipFile(source) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    config = json.loads(files["config.json"])
    edit(config["config"]["layers"])
    files["config.json"] = json.dumps(config).encode()
    with zipfile.ZipFile(target, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)


def _entry(layers, class_name):
    return next(entry for entry in layers if entry["class_name"] == class_name)


def test_an_op_node_pykeras_does_not_know_is_a_clear_error(tmp_path):
    source = os.path.join(DATA, "symbolic_ops.keras")
    _rewrite(source, tmp_path / "einsum.keras", lambda layers: _entry(layers, "Mean").update(class_name="Einsum"))
    with pytest.raises(ValueError, match=r"Keras op 'Einsum' \(keras\.src\.ops\.numpy\)"):
        keras.models.load_model(tmp_path / "einsum.keras")
    _rewrite(source, tmp_path / "initial.keras", lambda layers: _entry(layers, "Max")["config"].update(initial=1.0))
    with pytest.raises(ValueError, match="Max: pykeras supports only initial=None"):
        keras.models.load_model(tmp_path / "initial.keras")
    bad_key = {"class_name": "__numpy__"}  # no value, no dtype
    _rewrite(source, tmp_path / "slice.keras",
             lambda layers: _entry(layers, "GetItem")["inbound_nodes"][0]["args"][1].append(bad_key))
    with pytest.raises(ValueError, match="malformed __numpy__ entry"):
        keras.models.load_model(tmp_path / "slice.keras")


@pytest.mark.parametrize("call", [
    lambda x: ops.sin(x), lambda x: ops.einsum("ij->i", x), lambda x: ops.logsumexp(x=x),
    lambda x: ops.meshgrid(x, x), lambda x: ops.dense(x, W),
])
def test_an_op_without_a_node_names_itself_and_suggests_a_lambda_layer(call):
    with pytest.raises(ValueError, match=r"^\w+: pykeras cannot apply keras\.ops\.\w+ to a symbolic tensor.*Lambda"):
        call(keras.Input((4,)))


def test_symbolic_arguments_where_keras_keeps_constants_are_errors():
    x = keras.Input((4,))
    with pytest.raises(ValueError, match="clip: `x_min` must be a constant"):
        ops.clip(x, x, 1.0)
    with pytest.raises(ValueError, match="get_item: indexing a symbolic tensor takes ints, slices"):
        x[x]
    with pytest.raises(ValueError, match=r"get_item: index 3 is out of bounds.*shape \(None, 4\)"):
        x[3]
    with pytest.raises(TypeError, match="symbolic"):
        np.asarray(x)
    with pytest.raises(TypeError, match="Iterating"):
        list(x)


def test_ops_on_values_are_unchanged():
    np.testing.assert_array_equal(ops.add(X, Y).numpy(), X + Y)
    np.testing.assert_array_equal(ops.concatenate([X, Y], axis=1).numpy(), np.concatenate([X, Y], 1))
    with pytest.raises(ValueError, match=r"^add: .*Received: shape=\(5, 4\)"):
        ops.add(X, np.ones((3,), np.float32))


def test_a_chain_of_dense_layers_and_op_nodes_runs_every_node():
    inputs = keras.Input((4,))
    first, second = keras.layers.Dense(3), keras.layers.Dense(2)
    model = keras.Model(inputs, ops.softmax(second(ops.relu(first(inputs)) * 2.0)))
    kernel, bias = first.get_weights()
    hidden = np.maximum(X @ kernel + bias, 0) * 2
    want = hidden @ second.get_weights()[0] + second.get_weights()[1]
    np.testing.assert_allclose(model.predict(X, verbose=0), np.exp(want) / np.exp(want).sum(1, keepdims=True),
                               rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(model(X).numpy(), model.predict(X, verbose=0), rtol=1e-6)
