"""fit, evaluate and predict on a keras.utils.PyDataset or a Python generator, against the same
data given as arrays."""
import numpy as np
import pytest

import pykeras as keras

RNG = np.random.default_rng(23)
X = RNG.normal(size=(40, 3)).astype(np.float32)
Y = (X @ np.array([[1.0], [-2.0], [0.5]], np.float32) + 0.3).astype(np.float32)


class Batches(keras.utils.PyDataset):
    def __init__(self, x, y, batch_size, weights=None, **kwargs):
        super().__init__(**kwargs)
        self.x, self.y, self.weights, self.batch_size = x, y, weights, batch_size
        self.epochs_ended = 0
        self.seen = []

    def __len__(self):
        return -(-len(self.x) // self.batch_size)

    def __getitem__(self, index):
        self.seen.append(index)
        rows = slice(index * self.batch_size, (index + 1) * self.batch_size)
        if self.y is None:
            return self.x[rows]
        if self.weights is None:
            return self.x[rows], self.y[rows]
        return self.x[rows], self.y[rows], self.weights[rows]

    def on_epoch_end(self):
        self.epochs_ended += 1


def _model():
    keras.utils.set_random_seed(8)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4, activation="relu"), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(0.05), loss="mse", metrics=["mae"])
    return model


def _generator(x, y, batch_size, repeat=1):
    for _ in range(repeat):
        for start in range(0, len(x), batch_size):
            yield x[start:start + batch_size], y[start:start + batch_size]


@pytest.mark.parametrize("kind", ["py_dataset", "generator"])
def test_fit_on_batches_made_in_python_equals_fit_on_the_arrays(kind):
    reference = _model()
    expected = reference.fit(X, Y, batch_size=8, epochs=3, shuffle=False, verbose=0,
                             validation_data=(X[:16], Y[:16])).history
    model = _model()
    if kind == "py_dataset":
        data, validation = Batches(X, Y, 8), Batches(X[:16], Y[:16], 8)
        history = model.fit(data, epochs=3, shuffle=False, verbose=0, validation_data=validation).history
        assert data.epochs_ended == 3 and data.seen == list(range(5)) * 3
    else:
        data = _generator(X, Y, 8, repeat=3)
        history = model.fit(data, epochs=3, steps_per_epoch=5, verbose=0, validation_data=(X[:16], Y[:16]),
                            validation_batch_size=8).history
    assert history == expected
    for got, want in zip(model.get_weights(), reference.get_weights()):
        np.testing.assert_array_equal(got, want)
    assert model.evaluate(Batches(X, Y, 8), verbose=0) == reference.evaluate(X, Y, batch_size=8, verbose=0)
    np.testing.assert_array_equal(model.predict(Batches(X, None, 8), verbose=0),
                                  reference.predict(X, batch_size=8, verbose=0))
    np.testing.assert_array_equal(model.predict(iter([X[:8], X[8:]]), verbose=0), reference.predict(X, verbose=0))


def test_a_py_dataset_is_shuffled_by_batch_each_epoch_and_weights_come_from_its_batches():
    data = Batches(X, Y, 8, weights=np.linspace(0.5, 1.5, 40).astype(np.float32))
    keras.utils.set_random_seed(1)
    _model().fit(data, epochs=2, verbose=0)  # shuffle=True: every batch once an epoch, in a new order
    first, second = data.seen[:5], data.seen[5:]
    assert sorted(first) == sorted(second) == list(range(5)) and first != list(range(5))
    weighted = _model().evaluate(Batches(X, Y, 40, weights=np.r_[np.zeros(20), np.ones(20)].astype(np.float32)),
                                 verbose=0, return_dict=True)
    plain = _model().evaluate(X[20:], Y[20:], verbose=0, return_dict=True)
    # Keras's default reduction divides the weighted sum by the batch size, zero weights included.
    assert weighted["loss"] == pytest.approx(plain["loss"] / 2, rel=1e-6)


def test_generators_that_run_out_and_arguments_that_cannot_go_with_a_dataset():
    model = _model()
    with pytest.warns(UserWarning, match="ran out of data"):
        history = model.fit(_generator(X, Y, 8), epochs=3, verbose=0)  # one pass, then nothing
    assert len(history.history["loss"]) == 1
    with pytest.raises(ValueError, match="fit: the dataset gave no batches"):
        model.fit(iter([]), verbose=0)
    with pytest.raises(ValueError, match=r"`y`, `validation_split` cannot be given as well"):
        model.fit(Batches(X, Y, 8), Y, validation_split=0.2, verbose=0)
    with pytest.raises(ValueError, match=r"fit: a batch's y: expected numbers .* dtype object"):
        model.fit(iter([(X[:8], object())]), verbose=0)
