"""The three ways to build a Model, model.layers, get_layer, summary, and the
layers the Model issue adds (Dropout, Flatten, BatchNormalization)."""
import re

import numpy as np
import pytest

import pykeras as keras

rng = np.random.default_rng(3)
X = rng.normal(size=(10, 8)).astype(np.float32)


def _numpy_mlp(model, x):
    w1, b1, w2, b2 = model.get_weights()
    return np.maximum(x @ w1 + b1, 0) @ w2 + b2


def test_sequential_with_input_is_built_and_matches_numpy():
    model = keras.Sequential([keras.Input(shape=(8,)), keras.layers.Dense(4, activation="relu"),
                              keras.layers.Dense(2)])
    assert model.built and len(model.layers) == 2
    np.testing.assert_allclose(model(X).numpy(), _numpy_mlp(model, X), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(model.predict(X, verbose=0), _numpy_mlp(model, X), rtol=1e-5, atol=1e-6)


def test_sequential_add_pop_and_lazy_build():
    model = keras.Sequential()
    model.add(keras.layers.Dense(4, activation="relu"))
    model.add(keras.layers.Dense(3))
    model.add(keras.layers.Dense(2))
    assert not model.built
    assert model.pop().units == 2
    assert len(model.layers) == 2
    out = model(X)
    assert model.built and out.shape == (10, 3)
    with pytest.raises(ValueError, match="Only instances of `keras.Layer`"):
        model.add("dense")
    empty = keras.Sequential()
    with pytest.raises(ValueError, match="There are no layers in the model."):
        empty.pop()


def test_sequential_first_layer_input_shape_builds_it():
    model = keras.Sequential([keras.layers.Dense(3, input_shape=(5,))])
    assert model.built and model.layers[0].kernel.shape == (5, 3)


def test_functional_graph_with_two_inputs_and_two_outputs():
    a = keras.Input(shape=(3,), name="a")
    b = keras.Input(shape=(2,), name="b")
    shared = keras.layers.Dense(4, activation="relu", name="shared")
    joined = keras.layers.Dense(4, name="mix")(a)  # a dead end, not part of the model
    out1 = keras.layers.Dense(1, name="out1")(shared(a))
    out2 = keras.layers.Dense(2, name="out2")(keras.layers.Dense(5, name="side")(b))
    model = keras.Model(inputs=[a, b], outputs=[out1, out2])
    assert isinstance(model, keras.models.Functional)
    assert [layer.name for layer in model.layers][:2] == ["a", "b"]
    assert "mix" not in [layer.name for layer in model.layers]  # not on a path to the outputs
    assert joined.shape == (None, 4)
    xa, xb = X[:, :3], X[:, 3:5]
    y1, y2 = model.predict([xa, xb], verbose=0)
    w_shared, b_shared = shared.get_weights()
    w_out1, b_out1 = model.get_layer("out1").get_weights()
    np.testing.assert_allclose(y1, np.maximum(xa @ w_shared + b_shared, 0) @ w_out1 + b_out1, rtol=1e-5, atol=1e-6)
    assert y2.shape == (10, 2)
    assert model.output_names == ["out1", "out2"]


def test_functional_input_shape_errors_and_disconnected_graph():
    inputs = keras.Input(shape=(8,))
    model = keras.Model(inputs, keras.layers.Dense(2)(inputs))
    with pytest.raises(ValueError, match=r"expected shape \(None, 8\).*\(10, 3\)"):
        model(X[:, :3])
    other = keras.Input(shape=(8,))
    with pytest.raises(ValueError, match="Graph disconnected"):
        keras.Model(inputs, keras.layers.Dense(2)(other))


def test_sequential_with_an_input_refuses_inputs_of_another_rank():
    model = keras.Sequential([keras.Input((4,), name="features"), keras.layers.Dense(3)], name="net")
    for bad in (np.ones(4, np.float32), np.ones((2, 3, 4), np.float32)):
        with pytest.raises(ValueError, match=r"Input 'features' of model 'net' is incompatible: expected shape "
                                             r"\(None, 4\), but received input with shape " + re.escape(str(bad.shape))):
            model.predict(bad, verbose=0)
    # A wrong width is the layer's to report.
    with pytest.raises(ValueError, match=r"layer 'dense.*value 4"):
        model(np.ones((2, 5), np.float32))


class _CountingModel(keras.Model):
    """The "customizing fit()" guide's pattern: a Model subclass with its own train_step, built
    from a functional graph."""

    steps = 0

    def train_step(self, data):
        _CountingModel.steps += 1
        x, y = data
        return super().train_step((x, y))


def test_a_model_subclass_built_from_inputs_and_outputs_is_functional_with_its_own_methods(tmp_path):
    x, y = X[:, :4], X[:, 4:5]
    weights = []
    for kind in (keras.Model, _CountingModel):
        keras.utils.set_random_seed(3)
        inputs = keras.Input((4,), name="features")
        model = kind(inputs, keras.layers.Dense(1, name="head")(keras.layers.Dense(3)(inputs)))
        model.compile(optimizer=keras.optimizers.SGD(0.05), loss="mse")
        model.fit(x, y, batch_size=5, epochs=2, shuffle=False, verbose=0)
        weights.append(model.get_weights())
    assert isinstance(model, _CountingModel) and isinstance(model, keras.Model)
    assert type(model).__name__ == "_CountingModel" and _CountingModel.steps == 4  # 2 epochs of 2 batches
    assert [layer.name for layer in model.layers][0] == "features" and model.output_names == ["head"]
    for got, want in zip(*weights):  # the same training as the plain functional model
        np.testing.assert_array_equal(got, want)
    model.save(tmp_path / "custom.keras")
    loaded = keras.saving.load_model(tmp_path / "custom.keras", custom_objects={"_CountingModel": _CountingModel})
    assert isinstance(loaded, _CountingModel)
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    # keras.Model.from_config of a functional config rebuilds the graph.
    rebuilt = keras.Model.from_config(model.get_config())
    assert [layer.name for layer in rebuilt.layers] == [layer.name for layer in model.layers]
    # Keyword arguments too, and a subclass given other arguments stays an ordinary subclass.
    inputs = keras.Input((4,))
    assert isinstance(_CountingModel(inputs=inputs, outputs=keras.layers.Dense(2)(inputs)), _CountingModel)
    with pytest.raises(TypeError, match="positional arguments are only accepted"):
        _CountingModel(inputs)


def test_feature_extraction_from_a_sequentials_layer_outputs():
    # Keras's Sequential guide: keras.Model(model.inputs, [layer.output for layer in model.layers]).
    model = keras.Sequential([keras.Input((6,)), keras.layers.Dense(5, activation="relu"),
                              keras.layers.Dense(4, activation="relu")])
    model.add(keras.layers.Dense(3))  # a rebuild: the outputs are those of the current graph
    extractor = keras.Model(inputs=model.inputs, outputs=[layer.output for layer in model.layers])
    x = X[:4, :6]
    expected, h = [], x.astype(np.float64)
    for layer, relu in zip(model.layers, (True, True, False)):
        kernel, bias = (w.astype(np.float64) for w in layer.get_weights())
        h = h @ kernel + bias
        h = np.maximum(h, 0) if relu else h
        expected.append(h)
    for got, want in zip(extractor(x), expected):
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-5, atol=1e-6)
    assert model.input is model.inputs[0] and model.output.shape == (None, 3)
    assert all(len(layer._inbound_nodes) == 1 for layer in model.layers)
    with pytest.raises(AttributeError, match="has never been called on symbolic inputs"):
        keras.layers.Dense(2).output
    with pytest.raises(AttributeError, match="give it a `keras.Input` first"):
        keras.Sequential([keras.layers.Dense(2)]).inputs


def test_subclassed_model_tracks_layers_and_trains_flag():
    class MLP(keras.Model):
        def __init__(self):
            super().__init__()
            self.hidden = keras.layers.Dense(4, activation="relu")
            self.dropout = keras.layers.Dropout(0.5)
            self.out = keras.layers.Dense(2)

        def call(self, x, training=None):
            return self.out(self.dropout(self.hidden(x), training=training))

    model = MLP()
    y = model(X)
    assert [layer.name for layer in model.layers] == [model.hidden.name, model.dropout.name, model.out.name]
    w1, b1, w2, b2 = model.get_weights()
    np.testing.assert_allclose(y.numpy(), np.maximum(X @ w1 + b1, 0) @ w2 + b2, rtol=1e-5, atol=1e-6)
    trained = model(X, training=True).numpy()
    assert not np.allclose(trained, y.numpy())


def test_get_layer_errors_follow_keras():
    model = keras.Sequential([keras.Input(shape=(8,)), keras.layers.Dense(2, name="only")])
    assert model.get_layer("only") is model.get_layer(index=0)
    with pytest.raises(ValueError, match="Provide only a layer name or a layer index"):
        model.get_layer("only", 0)
    with pytest.raises(ValueError, match="index 3 but model only has 1 layers"):
        model.get_layer(index=3)
    with pytest.raises(ValueError, match=r"No such layer: nope. Existing layers are: \['only'\]"):
        model.get_layer("nope")
    with pytest.raises(ValueError, match="Provide either a layer name or layer index"):
        model.get_layer()


def test_summary_layout_and_totals():
    model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(64, name="dense_a"),
                              keras.layers.BatchNormalization(name="bn"), keras.layers.Dense(3, name="dense_b")],
                             name="tiny")
    lines = []
    model.summary(print_fn=lambda text: lines.extend(text.splitlines()))
    text = "\n".join(lines)
    assert lines[0] == 'Model: "tiny"'
    assert re.search(r"│ dense_a \(Dense\)\s+│ \(None, 64\)\s+│\s+320 │", text)
    assert re.search(r"│ bn \(BatchNormalization\)\s+│ \(None, 64\)\s+│\s+256 │", text)
    total = 320 + 256 + 195
    assert f" Total params: {total:,} ({total * 4 / 1024:.2f} KB)" in text
    assert f" Trainable params: {total - 128:,}" in text
    assert " Non-trainable params: 128 (512.00 B)" in text
    unbuilt = keras.Sequential([keras.layers.Dense(2)])
    lines = []
    unbuilt.summary(print_fn=lambda text: lines.extend(text.splitlines()))
    assert any("0 (unbuilt)" in line for line in lines)
    assert " Total params: 0 (0.00 B)" in lines  # and no note on building: Keras prints none


def test_summary_of_a_branched_graph_has_kerass_connected_to_column():
    a, b = keras.Input((4,), name="a"), keras.Input((3,), name="b")
    joined = keras.layers.Concatenate(name="concatenate")([keras.layers.Dense(5, name="dense")(a), b])
    model = keras.Model([a, b], joined, name="functional")
    lines = []
    model.summary(print_fn=lambda text: lines.extend(text.splitlines()))
    # Keras 3.15's own output for this model, in a 76-column console.
    assert lines[1:4] == [
        "┏━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━┓",
        "┃ Layer (type)        ┃ Output Shape      ┃    Param # ┃ Connected to      ┃",
        "┡━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━┩",
    ]
    assert "│ a (InputLayer)      │ (None, 4)         │          0 │ -                 │" in lines
    assert "│ dense (Dense)       │ (None, 5)         │         25 │ a[0][0]           │" in lines
    at = lines.index("│ concatenate         │ (None, 8)         │          0 │ dense[0][0],      │")
    assert lines[at + 1] == "│ (Concatenate)       │                   │            │ b[0][0]           │"


def test_dropout_scales_kept_units_and_is_identity_at_inference():
    layer = keras.layers.Dropout(0.25, seed=1)
    x = np.ones((200, 50), np.float32)
    np.testing.assert_array_equal(layer(x).numpy(), x)
    out = layer(x, training=True).numpy()
    kept = out != 0
    np.testing.assert_allclose(out[kept], 1 / 0.75, rtol=1e-6)
    assert abs(kept.mean() - 0.75) < 0.02
    with pytest.raises(ValueError, match="rate"):
        keras.layers.Dropout(1.5)


def test_flatten():
    out = keras.layers.Flatten()(np.arange(24, dtype=np.float32).reshape(2, 3, 4))
    np.testing.assert_array_equal(out.numpy(), np.arange(24).reshape(2, 12))
    assert keras.layers.Flatten().compute_output_shape((None, 3, 4)) == (None, 12)


def test_batch_normalization_training_and_inference_against_numpy():
    layer = keras.layers.BatchNormalization(momentum=0.9, epsilon=1e-3)
    x = rng.normal(2.0, 3.0, size=(64, 5)).astype(np.float32)
    y = layer(x, training=True).numpy()
    mean, var = x.mean(0), x.var(0)
    np.testing.assert_allclose(y, (x - mean) / np.sqrt(var + 1e-3), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(layer.moving_mean.numpy(), 0.1 * mean, rtol=1e-5)
    np.testing.assert_allclose(layer.moving_variance.numpy(), 0.9 + 0.1 * var, rtol=1e-5)
    inference = layer(x).numpy()
    expected = (x - layer.moving_mean.numpy()) / np.sqrt(layer.moving_variance.numpy() + 1e-3)
    np.testing.assert_allclose(inference, expected, rtol=1e-4, atol=1e-4)
    assert [v.name for v in layer.weights] == ["gamma", "beta", "moving_mean", "moving_variance"]
    assert len(layer.trainable_weights) == 2 and len(layer.non_trainable_weights) == 2


@pytest.mark.parametrize("scale, center", [(True, True), (False, False)])
def test_batch_normalization_training_op_against_numpy_and_finite_differences(scale, center):
    from op_check import check_op

    # A 3-D input normalized over its middle axis: the statistics reduce axes 0 and 2.
    x = rng.normal(1.0, 2.0, size=(4, 3, 5)).astype(np.float32)
    gamma, beta = rng.uniform(0.5, 2.0, size=3).astype(np.float32), rng.normal(size=3).astype(np.float32)

    def reference(x, gamma=None, beta=None):
        mean, var = x.mean((0, 2), keepdims=True), x.var((0, 2), keepdims=True)
        out = (x - mean) / np.sqrt(var + 1e-3)
        out = out * gamma.reshape(1, 3, 1) if gamma is not None else out
        return out + beta.reshape(1, 3, 1) if beta is not None else out

    def op(x, gamma=None, beta=None):
        return keras.ops.nn.batch_normalization_training(x, gamma, beta, 1, 1e-3)[0]

    inputs = [x, gamma, beta] if scale and center else [x]
    check_op(op, inputs, reference, rtol=1e-4, atol=1e-5, grad_rtol=5e-2, grad_atol=5e-3)
    _, mean, variance = keras.ops.nn.batch_normalization_training(x, None, None, -2, 1e-3)
    np.testing.assert_allclose(mean, x.mean((0, 2)), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(variance, x.var((0, 2)), rtol=1e-5)


def test_batch_normalization_of_feature_rows_runs_natively_with_its_gradients(monkeypatch):
    from op_check import check_op

    from pykeras import _core

    calls = []
    for name in ("batch_norm_forward", "batch_norm_backward"):
        native = getattr(_core, name)
        monkeypatch.setattr(_core, name, lambda *args, native=native, name=name: calls.append(name) or native(*args))
    # 70 features: two column chunks of the kernel, and a ragged one.
    x = rng.normal(1.0, 2.0, size=(9, 70)).astype(np.float32)
    gamma, beta = rng.uniform(0.5, 2.0, size=70).astype(np.float32), rng.normal(size=70).astype(np.float32)

    def reference(x, gamma, beta):
        x = x.astype(np.float64)
        return (x - x.mean(0)) / np.sqrt(x.var(0) + 1e-3) * gamma + beta

    def op(x, gamma, beta):
        return keras.ops.nn.batch_normalization_training(x, gamma, beta, -1, 1e-3)[0]

    check_op(op, [x, gamma, beta], reference, rtol=1e-5, atol=1e-5, grad_rtol=5e-2, grad_atol=5e-3)
    assert "batch_norm_forward" in calls and "batch_norm_backward" in calls
    _, mean, variance = keras.ops.nn.batch_normalization_training(x, None, None, 1, 1e-3)
    np.testing.assert_allclose(mean, x.astype(np.float64).mean(0), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(variance, x.astype(np.float64).var(0), rtol=1e-6)


@pytest.mark.parametrize("change, message", [
    ({"x": np.ones(4, np.float32)}, "'x' must be 2-D"),
    ({"gamma": np.ones(3, np.float32)}, r"'gamma' must have shape \(5,\) or be None"),
    ({"out": np.ones((4, 5), np.float64)}, "'out' must have dtype float32"),
    ({"mean": np.ones(4, np.float32)}, r"'mean' must have shape \(5,\)"),
    ({"xhat": "x"}, "'xhat' must not share memory with 'x'"),
])
def test_native_batch_normalization_checks_its_arguments(change, message):
    from pykeras import _core

    args = {"x": np.ones((4, 5), np.float32), "gamma": None, "beta": None, "epsilon": 1e-3,
            "out": np.empty((4, 5), np.float32), "xhat": np.empty((4, 5), np.float32),
            "mean": np.empty(5, np.float32), "var": np.empty(5, np.float32), "inv_std": np.empty(5, np.float32)}
    args.update(change)
    if isinstance(args["xhat"], str):
        args["xhat"] = args["x"]
    with pytest.raises(ValueError, match=message):
        _core.batch_norm_forward(**args)


def test_batch_normalization_gradient_matches_finite_differences():
    from op_check import check_op

    layer = keras.layers.BatchNormalization()
    x = rng.normal(size=(6, 3)).astype(np.float32)
    layer(x)

    def forward(inputs):
        return layer(inputs, training=True)

    moving = [v.numpy() for v in layer.non_trainable_weights]
    check_op(forward, [x], grad_rtol=5e-2, grad_atol=5e-3)
    for variable, value in zip(layer.non_trainable_weights, moving):
        variable.assign(value)


def test_the_batch_normalization_op_against_numpy_with_gradients():
    from op_check import check_op

    x = rng.normal(2.0, 3.0, size=(4, 3, 5)).astype(np.float32)
    mean, variance = rng.normal(size=3).astype(np.float32), rng.uniform(0.5, 2, size=3).astype(np.float32)
    offset, scale = rng.normal(size=3).astype(np.float32), rng.uniform(0.5, 2, size=3).astype(np.float32)

    def reference(x, mean, variance, offset, scale):
        b = (1, 3, 1)
        return (x - mean.reshape(b)) / np.sqrt(variance.reshape(b) + 0.01) * scale.reshape(b) + offset.reshape(b)

    check_op(lambda *args: keras.ops.batch_normalization(args[0], args[1], args[2], axis=1, offset=args[3],
                                                         scale=args[4], epsilon=0.01),
             [x, mean, variance, offset, scale], reference, rtol=1e-5, atol=1e-5, grad_rtol=5e-2, grad_atol=5e-3)
    plain = keras.ops.batch_normalization(x, mean, variance, axis=-2).numpy()
    np.testing.assert_allclose(plain, (x - mean.reshape(1, 3, 1)) / np.sqrt(variance.reshape(1, 3, 1) + 1e-3),
                               rtol=1e-5, atol=1e-5)


def test_native_batch_normalization_backward_checks_its_arguments():
    from pykeras import _core

    dy, xhat = np.ones((4, 5), np.float32), np.ones((4, 5), np.float32)
    with pytest.raises(ValueError, match="'inv_std' must be a numpy array of dtype float32"):
        _core.batch_norm_backward(dy, xhat, None, None, None, None, None)
    with pytest.raises(ValueError, match=r"'xhat' must have shape \(4, 5\)"):
        _core.batch_norm_backward(dy, xhat[:2], None, np.ones(5, np.float32), None, None, None)
    with pytest.raises(ValueError, match="'dx' must not share memory with 'dy'"):
        _core.batch_norm_backward(dy, xhat, None, np.ones(5, np.float32), dy, None, None)
