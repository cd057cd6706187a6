"""Layer semantics: tracking, freezing, weights I/O, config, names, errors."""
import numpy as np
import pytest

import pykeras as keras
from pykeras import ops


class Holder(keras.layers.Layer):
    def __init__(self):
        super().__init__()
        self.scale = self.add_weight(shape=(), initializer="ones", name="scale")
        self.count = self.add_weight(shape=(), initializer="zeros", trainable=False, name="count")
        self.blocks = [keras.layers.Dense(3), keras.layers.Dense(2)]
        self.by_name = {"head": keras.layers.Dense(1)}
        self.again = self.blocks[0]  # the same layer twice is tracked once

    def call(self, x):
        for block in self.blocks:
            x = block(x)
        return self.by_name["head"](x) * self.scale


def test_tracking_order_lists_dicts_and_no_duplicates():
    layer = Holder()
    layer(np.ones((2, 4), np.float32))
    names = [v.path.split("/")[-1] for v in layer.weights]
    assert names == ["scale", "count", "kernel", "bias", "kernel", "bias", "kernel", "bias"]
    assert len(layer._layers) == 3
    assert [v.name for v in layer.non_trainable_weights] == ["count"]
    assert len(layer.trainable_weights) == 7


def test_freezing_the_subtree_and_restoring_it():
    layer = Holder()
    layer(np.ones((1, 4), np.float32))
    layer.trainable = False
    assert layer.trainable_weights == []
    assert all(not block.trainable for block in layer.blocks)
    assert len(layer.non_trainable_weights) == 8
    layer.trainable = True
    assert len(layer.trainable_weights) == 7
    assert not layer.count.trainable  # created non-trainable, stays so


def test_frozen_sublayer_gets_no_gradient():
    layer = Holder()
    x = np.ones((2, 4), np.float32)
    layer(x)
    layer.blocks[1].trainable = False
    with keras.GradientTape() as tape:
        loss = ops.sum(layer(x))
    grads = tape.gradient(loss, layer.weights)
    frozen = {id(v) for v in layer.blocks[1].weights}
    for variable, grad in zip(layer.weights, grads):
        if id(variable) in frozen or not variable.trainable:
            assert grad is None
        else:
            assert grad is not None


def test_get_and_set_weights_with_clear_errors():
    layer = keras.layers.Dense(3, name="probe")
    layer(np.ones((1, 2), np.float32))
    kernel, bias = layer.get_weights()
    assert kernel.shape == (2, 3) and bias.shape == (3,)
    layer.set_weights([np.full((2, 3), 0.5), np.arange(3)])
    np.testing.assert_array_equal(layer.kernel.numpy(), np.full((2, 3), 0.5))
    with pytest.raises(ValueError, match="length 1, but the layer was expecting 2 weights"):
        layer.set_weights([kernel])
    with pytest.raises(ValueError, match=r"probe.*\(2, 3\).*\(3, 2\)"):
        layer.set_weights([np.zeros((3, 2)), bias])
    np.testing.assert_array_equal(layer.kernel.numpy(), np.full((2, 3), 0.5))  # nothing half-set


def test_count_params_needs_a_built_layer():
    layer = keras.layers.Dense(5)
    with pytest.raises(ValueError, match="isn't built"):
        layer.count_params()
    layer(np.ones((1, 7), np.float32))
    assert layer.count_params() == 7 * 5 + 5


def test_auto_names_are_unique():
    first, second = keras.layers.Dense(1), keras.layers.Dense(1)
    assert first.name.startswith("dense") and second.name.startswith("dense")
    assert first.name != second.name
    assert keras.layers.ReLU().name.startswith("re_lu")


def test_unknown_kwargs_and_positional_base_args_are_refused():
    with pytest.raises(ValueError, match="Unrecognized keyword arguments passed to Dense"):
        keras.layers.Dense(2, foo=1)
    with pytest.raises(TypeError):
        keras.layers.Layer(True)


def test_state_created_after_build_is_an_error():
    class Late(keras.layers.Layer):
        def call(self, x):
            self.extra = self.add_weight(shape=(1,))
            return x

    with pytest.raises(RuntimeError, match="already built"):
        Late()(np.ones((1, 1), np.float32))


def test_dense_input_width_and_rank_errors_name_the_layer():
    layer = keras.layers.Dense(4, name="head")
    layer(np.ones((2, 3), np.float32))
    with pytest.raises(ValueError, match=r"'head'.*value 3.*shape \(2, 5\)"):
        layer(np.ones((2, 5), np.float32))
    with pytest.raises(ValueError, match=r"'head'.*found ndim=0. Full shape received: \(\)"):
        layer(np.float32(1.0))
    with pytest.raises(ValueError, match=r"'head'.*expected min_ndim=2, found ndim=1. Full shape received: \(3,\)"):
        layer(np.ones(3, np.float32))


def test_dense_matches_numpy_for_every_activation_and_rank_3_input():
    x = np.random.default_rng(0).normal(size=(2, 5, 3)).astype(np.float32)
    for activation, function in [
        (None, lambda z: z),
        ("relu", lambda z: np.maximum(z, 0)),
        ("sigmoid", lambda z: 1 / (1 + np.exp(-z))),
    ]:
        layer = keras.layers.Dense(4, activation=activation, bias_initializer="random_normal")
        y = layer(x).numpy()
        kernel, bias = layer.get_weights()
        np.testing.assert_allclose(y, function(x @ kernel + bias), rtol=1e-5, atol=1e-6)
        assert y.shape == (2, 5, 4)
        assert layer.compute_output_shape((None, 5, 3)) == (None, 5, 4)


def test_dense_without_bias():
    layer = keras.layers.Dense(2, use_bias=False)
    layer(np.ones((1, 3), np.float32))
    assert [v.name for v in layer.weights] == ["kernel"]


def test_config_round_trip_recreates_an_equivalent_layer():
    layer = keras.layers.Dense(7, activation="relu", use_bias=False, name="cfg",
                               kernel_initializer=keras.initializers.RandomNormal(stddev=0.3, seed=4))
    config = layer.get_config()
    clone = keras.layers.Dense.from_config(config)
    assert clone.get_config() == config
    assert (clone.units, clone.use_bias, clone.name) == (7, False, "cfg")
    a = layer(np.ones((1, 2), np.float32)).numpy()
    b = clone(np.ones((1, 2), np.float32)).numpy()
    np.testing.assert_array_equal(a, b)  # same seeded initializer, same weights


def test_relu_and_activation_layers():
    x = np.array([[-2.0, -0.5, 0.5, 3.0]], np.float32)
    np.testing.assert_array_equal(keras.layers.ReLU()(x).numpy(), [[0, 0, 0.5, 3]])
    np.testing.assert_allclose(
        keras.layers.ReLU(max_value=1.0, negative_slope=0.1)(x).numpy(), [[-0.2, -0.05, 0.5, 1.0]]
    )
    np.testing.assert_allclose(keras.layers.Activation("tanh")(x).numpy(), np.tanh(x), rtol=1e-6)
    with pytest.raises(ValueError, match="Could not interpret activation"):
        keras.layers.Activation("nope")


def test_variable_assign_checks_shapes_and_repr_names_the_path():
    layer = keras.layers.Dense(4, name="linear")
    layer(np.ones((1, 2), np.float32))
    assert repr(layer.kernel).startswith("<Variable path=linear/kernel, shape=(2, 4), dtype=float32")
    with pytest.raises(ValueError, match=r"shape \(4, 2\).*shape \(2, 4\)"):
        layer.kernel.assign(np.zeros((4, 2)))
    layer.bias.assign_add(np.ones(4))
    layer.bias.assign_sub(np.full(4, 0.25))
    np.testing.assert_array_equal(layer.bias.numpy(), np.full(4, 0.75))


def test_float64_dtype_is_refused_clearly():
    with pytest.raises(ValueError, match="float32 only"):
        keras.layers.Dense(2, dtype="float64")


def test_a_nested_list_of_numbers_is_one_tensor_input():
    layer = keras.layers.Dense(2, kernel_initializer="ones")
    np.testing.assert_array_equal(layer([[1.0, 2.0, 3.0]]).numpy(), [[6.0, 6.0]])


def test_calling_build_directly_marks_the_layer_built_and_keeps_set_weights():
    layer = keras.layers.Dense(2)
    layer.build((None, 3))
    assert layer.built
    layer.set_weights([np.ones((3, 2)), np.zeros(2)])
    np.testing.assert_array_equal(layer(np.ones((1, 3), np.float32)).numpy(), [[3.0, 3.0]])

    class Custom(keras.layers.Layer):
        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1],), initializer="zeros")

        def call(self, x):
            return x * self.w

    custom = Custom()
    custom.build((None, 4))
    assert custom.built and custom.w.shape == (4,)
    custom.w.assign(np.full(4, 2.0))
    np.testing.assert_array_equal(custom(np.ones((1, 4), np.float32)).numpy(), [[2.0] * 4])


def test_assigning_the_same_object_again_changes_no_cached_structure():
    # The walks over layers and variables are cached under one version number: assigning an
    # attribute the object it already holds (History sets model.history each epoch) must leave it,
    # a new object must not, and an attribute first set to None is set.
    from pykeras.layers import tracking

    outer, inner = keras.layers.Layer(), keras.layers.Dense(2)
    outer.inner = inner
    outer.note = None
    assert outer.note is None
    version = tracking.structure_version()
    outer.inner = inner
    outer.note = None
    assert tracking.structure_version() == version and outer._layers == [inner]
    outer.inner = keras.layers.Dense(3)
    assert tracking.structure_version() > version
