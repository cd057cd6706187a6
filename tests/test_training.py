"""compile / fit / evaluate / predict semantics, and training that learns."""
import numpy as np
import pytest

import pykeras as keras
from pykeras import ops
from pykeras.datasets import spirals

rng = np.random.default_rng(5)


def _regression_data(n=64):
    x = rng.normal(size=(n, 3)).astype(np.float32)
    y = (x @ np.array([[1.0], [-2.0], [0.5]]) + 0.3).astype(np.float32)
    return x, y


def _linear_model(seed=0):
    return keras.Sequential([
        keras.Input(shape=(3,)),
        keras.layers.Dense(1, kernel_initializer=keras.initializers.GlorotUniform(seed=seed)),
    ])


def test_fit_and_evaluate_before_compile_raise_keras_error():
    model = _linear_model()
    x, y = _regression_data()
    with pytest.raises(ValueError, match=r"You must call `compile\(\)` before calling `fit\(\)`"):
        model.fit(x, y)
    with pytest.raises(ValueError, match=r"calling `evaluate\(\)`"):
        model.evaluate(x, y)


def _spiral_split():
    x, y = spirals(samples_per_class=1000, turns=2.0, noise=0.3, seed=0)
    return x[:2400], y[:2400], x[2400:], y[2400:]


def test_spirals_are_not_linearly_separable():
    keras.utils.set_random_seed(0)
    x_train, y_train, x_test, y_test = _spiral_split()
    linear = keras.Sequential([keras.Input(shape=(2,)), keras.layers.Dense(3)])
    linear.compile(optimizer=keras.optimizers.Adam(0.01),
                   loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    linear.fit(x_train, y_train, batch_size=32, epochs=20, verbose=0)
    assert linear.evaluate(x_test, y_test, verbose=0)[1] < 0.7


def test_spirals_mlp_reaches_95_percent_held_out_accuracy_in_40_epochs():
    keras.utils.set_random_seed(0)
    x_train, y_train, x_test, y_test = _spiral_split()
    model = keras.Sequential([
        keras.Input(shape=(2,)),
        keras.layers.Dense(64, activation="relu"),
        keras.layers.Dense(64, activation="relu"),
        keras.layers.Dense(3),
    ])
    model.compile(optimizer=keras.optimizers.Adam(0.01),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    history = model.fit(x_train, y_train, batch_size=32, epochs=40, verbose=0)
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    assert accuracy >= 0.95, (accuracy, history.history["accuracy"][-5:])
    predicted = model.predict(x_test, verbose=0).argmax(axis=1)
    assert np.mean(predicted == y_test) == pytest.approx(accuracy, abs=1e-6)


class OpsMLP(keras.layers.Layer):
    """The same MLP as Dense(relu) -> Dense, written only with ops."""

    def __init__(self, weights):
        super().__init__()
        self.values = weights

    def build(self, input_shape):
        w1, b1, w2, b2 = self.values
        self.w1 = self.add_weight(shape=w1.shape, initializer=keras.initializers.Constant(0), name="w1")
        self.b1 = self.add_weight(shape=b1.shape, initializer="zeros", name="b1")
        self.w2 = self.add_weight(shape=w2.shape, initializer="zeros", name="w2")
        self.b2 = self.add_weight(shape=b2.shape, initializer="zeros", name="b2")
        for variable, value in zip((self.w1, self.b1, self.w2, self.b2), self.values):
            variable.assign(value)

    def call(self, x):
        hidden = ops.relu(ops.matmul(x, self.w1) + self.b1)
        return ops.matmul(hidden, self.w2) + self.b2


def test_fused_dense_model_and_ops_model_have_the_same_loss_trajectory():
    x, y = spirals(samples_per_class=100, seed=1)
    fused = keras.Sequential([keras.Input(shape=(2,)), keras.layers.Dense(16, activation="relu"),
                              keras.layers.Dense(3)])
    inputs = keras.Input(shape=(2,))
    composed = keras.Model(inputs, OpsMLP(fused.get_weights())(inputs))
    histories = []
    for model in (fused, composed):
        model.compile(optimizer=keras.optimizers.SGD(0.1, momentum=0.9),
                      loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
        histories.append([model.train_on_batch(x[i:i + 50], y[i:i + 50]) for i in range(0, 300, 50)])
    np.testing.assert_allclose(histories[0], histories[1], rtol=1e-5)
    for a, b in zip(fused.get_weights(), composed.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)


def test_logged_loss_is_the_batch_size_weighted_mean_and_evaluate_forms():
    x, y = _regression_data(10)
    model = _linear_model()
    model.compile(optimizer=keras.optimizers.SGD(0.0), loss="mse", metrics=["mae"])
    history = model.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=0)
    prediction = model.predict(x, verbose=0)
    squared = (prediction - y) ** 2
    expected = np.mean(squared)  # batches of 4, 4, 2 weighted by size: the plain mean
    assert history.history["loss"][0] == pytest.approx(expected, rel=1e-5)
    assert history.history["mae"][0] == pytest.approx(np.mean(np.abs(prediction - y)), rel=1e-5)
    loss, mae = model.evaluate(x, y, verbose=0)
    assert loss == pytest.approx(expected, rel=1e-5)
    assert model.evaluate(x, y, verbose=0, return_dict=True) == {"mae": pytest.approx(mae), "loss": pytest.approx(loss)}
    model.compile(optimizer="sgd", loss="mse")
    assert isinstance(model.evaluate(x, y, verbose=0), float)


def test_validation_split_takes_the_last_samples_before_shuffling():
    x, y = _regression_data(20)
    model = _linear_model()
    model.compile(optimizer=keras.optimizers.SGD(0.0), loss="mse")
    history = model.fit(x, y, validation_split=0.25, epochs=1, verbose=0)
    tail = model.evaluate(x[15:], y[15:], verbose=0)
    assert history.history["val_loss"][0] == pytest.approx(tail, rel=1e-6)
    assert set(history.history) == {"loss", "val_loss"}


def test_sample_weight_and_class_weight_change_the_loss_as_weights():
    x, y = _regression_data(8)
    model = _linear_model()
    model.compile(optimizer=keras.optimizers.SGD(0.0), loss="mse")
    weights = np.array([1, 0, 0, 0, 0, 0, 0, 3], np.float32)
    loss = model.evaluate(x, y, sample_weight=weights, verbose=0)
    per_sample = ((model.predict(x, verbose=0) - y) ** 2)[:, 0]
    assert loss == pytest.approx(np.sum(per_sample * weights) / 8, rel=1e-5)

    labels = np.array([0, 1, 1, 1], np.int64)
    classifier = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(2)])
    classifier.compile(optimizer=keras.optimizers.SGD(0.0),
                       loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    logits = classifier.predict(x[:4], verbose=0)
    log_p = logits - np.log(np.exp(logits).sum(1, keepdims=True))
    per_sample = -log_p[np.arange(4), labels]
    history = classifier.fit(x[:4], labels, class_weight={0: 3.0, 1: 1.0}, batch_size=4, verbose=0)
    class_weights = np.array([3.0, 1, 1, 1])
    assert history.history["loss"][0] == pytest.approx(np.sum(per_sample * class_weights) / 4, rel=1e-5)


def test_training_flag_reaches_dropout_only_in_fit():
    class Recorder(keras.layers.Layer):
        seen = []

        def call(self, x, training=None):
            Recorder.seen.append(training)
            return x

    model = keras.Sequential([keras.Input(shape=(3,)), Recorder(), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    x, y = _regression_data(4)
    Recorder.seen.clear()
    model.fit(x, y, verbose=0)
    assert Recorder.seen == [True]
    Recorder.seen.clear()
    model.evaluate(x, y, verbose=0)
    model.predict(x, verbose=0)
    assert Recorder.seen == [False, False]


def test_inputs_of_any_float_dtype_lists_and_tensors_are_accepted():
    x, y = _regression_data(6)
    model = _linear_model()
    model.compile(optimizer="adam", loss="mse")
    expected = model.predict(x, verbose=0)
    for variant in (x.astype(np.float64), x.tolist(), ops.convert_to_tensor(x), x.astype(np.float16)):
        np.testing.assert_allclose(model.predict(variant, verbose=0), expected, rtol=1e-2 if
                                   np.asarray(variant).dtype == np.float16 else 1e-6, atol=1e-2)
    model.fit(x.astype(np.float64), y.astype(np.int64), verbose=0)
    with pytest.raises(ValueError, match="cardinality"):
        model.fit(x, y[:3], verbose=0)
    with pytest.raises(ValueError, match="dtype"):
        model.predict(np.array([["a", "b", "c"]]), verbose=0)


def test_on_batch_methods_and_multi_output_losses():
    a = keras.Input(shape=(3,))
    hidden = keras.layers.Dense(4, activation="relu")(a)
    out1 = keras.layers.Dense(1, name="reg")(hidden)
    out2 = keras.layers.Dense(2, name="cls")(hidden)
    model = keras.Model(a, [out1, out2])
    model.compile(optimizer=keras.optimizers.SGD(0.0),
                  loss=["mse", keras.losses.SparseCategoricalCrossentropy(from_logits=True)],
                  loss_weights=[2.0, 1.0], metrics=[[], ["accuracy"]])
    x, y = _regression_data(6)
    labels = np.array([0, 1, 0, 1, 1, 0])
    reg, logits = model.predict_on_batch(x)
    mse = np.mean((reg - y) ** 2)
    log_p = logits - np.log(np.exp(logits).sum(1, keepdims=True))
    ce = -np.mean(log_p[np.arange(6), labels])
    logs = model.test_on_batch(x, [y, labels], return_dict=True)
    assert logs["loss"] == pytest.approx(2 * mse + ce, rel=1e-5)
    assert logs["cls_accuracy"] == pytest.approx(np.mean(logits.argmax(1) == labels))
    # As Keras: each output's own (unweighted) loss, and lists ordered loss, output losses, metrics.
    assert logs["reg_loss"] == pytest.approx(mse, rel=1e-5) and logs["cls_loss"] == pytest.approx(ce, rel=1e-5)
    assert sorted(logs) == ["cls_accuracy", "cls_loss", "loss", "reg_loss"]
    loss = model.train_on_batch(x, [y, labels])
    assert loss == pytest.approx([2 * mse + ce, mse, ce, logs["cls_accuracy"]], rel=1e-5)
    history = model.fit(x, [y, labels], batch_size=4, epochs=1, verbose=0, validation_data=(x, [y, labels]))
    assert sorted(history.history) == ["cls_accuracy", "cls_loss", "loss", "reg_loss", "val_cls_accuracy",
                                       "val_cls_loss", "val_loss", "val_reg_loss"]
    # Over two batches (of 4 and 2): the batch-size-weighted mean, like the loss.
    assert history.history["val_reg_loss"][0] == pytest.approx(mse, rel=1e-5)


def test_result_dicts_are_sorted_by_name_and_lists_start_with_the_loss():
    # Keras 3 (JAX and TensorFlow) returns these dicts sorted, and lists as the loss, then the
    # metrics in the order compile was given them.
    x, y = _regression_data(8)
    model = _linear_model()
    model.compile(optimizer=keras.optimizers.SGD(0.0), loss="mse", metrics=["mse", "mae"])
    by_name = model.evaluate(x, y, verbose=0, return_dict=True)
    assert list(by_name) == ["loss", "mae", "mse"]
    assert model.evaluate(x, y, verbose=0) == [by_name["loss"], by_name["mse"], by_name["mae"]]
    assert list(model.test_on_batch(x, y, return_dict=True)) == ["loss", "mae", "mse"]
    assert list(model.train_on_batch(x, y, return_dict=True)) == ["loss", "mae", "mse"]


def test_learning_rate_can_be_changed_between_epochs():
    x, y = _regression_data(8)
    model = _linear_model()
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    model.optimizer.learning_rate = 0.0
    before = model.get_weights()
    model.fit(x, y, epochs=2, verbose=0)
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_predict_never_returns_the_callers_array_or_a_variables_storage():
    x = np.ones((2, 3), np.float32)
    identity = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Flatten()])
    out = identity.predict(x, verbose=0)
    out[...] = 7
    np.testing.assert_array_equal(x, np.ones((2, 3)))

    class Stateful(keras.layers.Layer):
        def __init__(self):
            super().__init__()
            self.state = keras.Variable(np.zeros(3, np.float32), trainable=False)

        def call(self, inputs):
            return self.state

    model = keras.Sequential([keras.Input(shape=(3,)), Stateful()])
    result = model.predict(x, verbose=0)
    result[...] = 5
    np.testing.assert_array_equal(model.layers[0].state.numpy(), np.zeros(3))


def test_a_flat_metric_list_applies_to_every_output():
    a = keras.Input(shape=(3,))
    model = keras.Model(a, [keras.layers.Dense(1, name="first")(a), keras.layers.Dense(1, name="second")(a)])
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    x, y = _regression_data(6)
    logs = model.evaluate(x, [y, 2 * y], verbose=0, return_dict=True)
    first, second = model.predict(x, verbose=0)
    assert logs["first_mae"] == pytest.approx(np.mean(np.abs(first - y)), rel=1e-5)
    assert logs["second_mae"] == pytest.approx(np.mean(np.abs(second - 2 * y)), rel=1e-5)


class _TwoLayerNet(keras.Model):
    def __init__(self):
        super().__init__()
        self.hidden = keras.layers.Dense(8, activation="relu")
        self.out = keras.layers.Dense(3)

    def call(self, inputs):
        return self.out(self.hidden(inputs))


@pytest.mark.parametrize("kind", ["sequential", "subclassed"])
@pytest.mark.parametrize("entry", ["fit", "train_on_batch"])
def test_a_model_built_by_its_first_call_trains_from_the_first_step(kind, entry):
    # Reference: the same model with the same initial weights, built before compile. Both must
    # take the same SGD steps, the first one included.
    rng = np.random.default_rng(21)
    x, y = rng.normal(size=(32, 5)).astype(np.float32), rng.integers(0, 3, 32)
    models = []
    for built in (False, True):
        keras.utils.set_random_seed(4)
        if kind == "sequential":
            model = keras.Sequential([keras.layers.Dense(8, activation="relu"), keras.layers.Dense(3)])
        else:
            model = _TwoLayerNet()
        if built:
            model.build((None, 5))
        model.compile(optimizer=keras.optimizers.SGD(0.1),
                      loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
        if entry == "fit":
            model.fit(x, y, batch_size=32, epochs=2, shuffle=False, verbose=0)
        else:
            model.train_on_batch(x, y)
            model.train_on_batch(x, y)
        models.append(model)
    lazy, eager = models
    initial = keras.Sequential([keras.layers.Dense(8, activation="relu"), keras.layers.Dense(3)])
    keras.utils.set_random_seed(4)
    initial.build((None, 5))
    assert int(lazy.optimizer.iterations) == 2
    assert len(lazy.optimizer.variables) == len(eager.optimizer.variables)
    for got, want, start in zip(lazy.get_weights(), eager.get_weights(), initial.get_weights()):
        np.testing.assert_array_equal(got, want)
        assert not np.array_equal(got, start)


def test_step_methods_receive_the_data_as_keras_packs_it():
    # The "customizing fit()" guide's pattern: x, y = data; and x alone when there is no y.
    seen = []

    class Custom(keras.Sequential):
        def train_step(self, data):
            seen.append(("train", type(data).__name__, len(data) if isinstance(data, tuple) else None))
            x, y = data
            return super().train_step((x, y))

        def test_step(self, data):
            seen.append(("test", type(data).__name__, len(data) if isinstance(data, tuple) else None))
            x, y = data
            return super().test_step(data)

        def predict_step(self, data):
            seen.append(("predict", type(data).__name__, None))
            return super().predict_step(data)

    x, y = np.ones((4, 3), np.float32), np.zeros((4, 1), np.float32)
    model = Custom([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    model.fit(x, y, batch_size=4, verbose=0)
    model.evaluate(x, y, verbose=0)
    model.train_on_batch(x, y)
    model.test_on_batch(x, y)
    model.predict(x, verbose=0)
    assert seen == [("train", "tuple", 2), ("test", "tuple", 2), ("train", "tuple", 2), ("test", "tuple", 2),
                    ("predict", "ndarray", None)]
    with pytest.raises(ValueError, match="too many values to unpack"):
        model.train_on_batch(x, y, sample_weight=np.ones(4))  # three items: `x, y = data` fails as in Keras
    unpack = keras.utils.unpack_x_y_sample_weight
    assert unpack(x)[0] is x and unpack((x,))[1:] == (None, None) and unpack((x, y))[1] is y
    assert keras.utils.pack_x_y_sample_weight([x, x]) == ([x, x],)


def test_no_samples_and_labels_that_are_not_class_numbers_are_refused_by_name():
    model = _linear_model()
    model.compile(optimizer="sgd", loss="mse")
    empty = np.zeros((0, 3), np.float32)
    with pytest.raises(ValueError, match=r"fit: the data has no samples\. Received: arrays of 0 rows"):
        model.fit(empty, np.zeros((0, 1), np.float32), verbose=0)
    with pytest.raises(ValueError, match=r"evaluate: the data has no samples"):
        model.evaluate(empty, np.zeros((0, 1), np.float32), verbose=0)
    assert model.predict(empty, verbose=0).shape == (0, 1)
    classifier = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, activation="softmax")])
    classifier.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    for labels, shown in (([0.0, 1.0, np.nan, 1.0], "nan"), ([0.0, 1.5, 1.0, 0.0], "1.5")):
        with pytest.raises(ValueError, match=rf"labels must be whole class numbers\. Received: float labels "
                                             rf"including \[{shown}\]"):
            classifier.fit(np.ones((4, 3), np.float32), np.array(labels), verbose=0)


def test_one_outputs_loss_and_weight_may_come_in_a_list_of_one():
    x, y = _regression_data(8)
    listed, plain = _linear_model(), _linear_model()
    listed.compile(optimizer=keras.optimizers.SGD(0.0), loss=["mse"], loss_weights=[2.0])
    plain.compile(optimizer=keras.optimizers.SGD(0.0), loss="mse")
    assert listed.evaluate(x, y, verbose=0) == pytest.approx(2 * plain.evaluate(x, y, verbose=0), rel=1e-6)
