"""Optional parity with Keras 3: the same script, initial weights and batches
give the same losses and weights. Runs only where Keras 3 is installed (it is
never a dependency); set KERAS_BACKEND to choose its backend (default jax)."""
import os

import numpy as np
import pytest

import pykeras
from pykeras.datasets import spirals

os.environ.setdefault("KERAS_BACKEND", "jax")
reference = pytest.importorskip("keras", reason="Keras 3 is the optional parity reference")
# Keras's own numpy-2 deprecation notices are not ours to fail on.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def _build(library, batch_norm):
    layers = [library.Input(shape=(2,)), library.layers.Dense(16, activation="relu")]
    if batch_norm:
        layers.append(library.layers.BatchNormalization(momentum=0.9))
    layers += [library.layers.Dense(8, activation="relu"), library.layers.Dense(3)]
    return library.Sequential(layers)


OPTIMIZERS = {
    "adam": lambda lib: lib.optimizers.Adam(learning_rate=0.01),
    "sgd_nesterov": lambda lib: lib.optimizers.SGD(learning_rate=0.05, momentum=0.9, nesterov=True),
    "rmsprop": lambda lib: lib.optimizers.RMSprop(learning_rate=0.005, momentum=0.5, centered=True),
    "adamw_amsgrad": lambda lib: lib.optimizers.AdamW(learning_rate=0.01, amsgrad=True),
    "adagrad": lambda lib: lib.optimizers.Adagrad(learning_rate=0.05, initial_accumulator_value=0.2),
    "adamax_clipped": lambda lib: lib.optimizers.Adamax(learning_rate=0.01, clipnorm=0.5),
    "nadam": lambda lib: lib.optimizers.Nadam(learning_rate=0.01),
}


def fit_matches_keras(build, make_optimizer, predict=True):
    """``build(library)`` trained in both libraries from the same weights with ``make_optimizer
    (library)``: the same history, weights and (with ``predict``) predictions. Returns (ours, theirs)."""
    x, y = spirals(samples_per_class=64, seed=3)
    # Initial weights from a fixed seed, so that a run does not depend on the process's entropy: two
    # float32 implementations drift apart step by step, and one unseeded run left a prediction 1.7e-5
    # off (the tolerance is 1e-5) after three epochs of Nesterov momentum; seeds 0-11 pass every case.
    pykeras.utils.set_random_seed(1)
    ours, theirs = build(pykeras), build(reference)
    theirs.set_weights(ours.get_weights())
    for model, library in ((ours, pykeras), (theirs, reference)):
        model.compile(optimizer=make_optimizer(library),
                      loss=library.losses.SparseCategoricalCrossentropy(from_logits=True),
                      metrics=["accuracy"])
    kwargs = dict(batch_size=16, epochs=3, shuffle=False, verbose=0, validation_split=0.25)
    ours_history = ours.fit(x, y, **kwargs).history
    theirs_history = theirs.fit(x, y, **kwargs).history
    assert sorted(ours_history) == sorted(theirs_history)
    for key in theirs_history:
        np.testing.assert_allclose(ours_history[key], theirs_history[key], rtol=1e-4, atol=1e-5, err_msg=key)
    for mine, keras_weight in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(mine, keras_weight, rtol=1e-4, atol=1e-5)
    if predict:
        np.testing.assert_allclose(ours.predict(x, verbose=0), theirs.predict(x, verbose=0), rtol=1e-4, atol=1e-5)
    return ours, theirs


@pytest.mark.parametrize("optimizer", sorted(OPTIMIZERS))
@pytest.mark.parametrize("batch_norm", [False, True])
def test_fit_matches_keras_losses_metrics_and_weights(optimizer, batch_norm):
    fit_matches_keras(lambda library: _build(library, batch_norm), OPTIMIZERS[optimizer])


def _layer_normalized(library):
    return library.Sequential([
        library.Input(shape=(2,)), library.layers.Dense(16), library.layers.LayerNormalization(),
        library.layers.ReLU(), library.layers.Dense(8, activation="tanh"),
        library.layers.LayerNormalization(epsilon=0.01, center=False), library.layers.Dense(3)])


def test_layer_normalized_dense_chain_trains_like_keras(monkeypatch):
    # The LayerNormalization layers are part of the dense chain: one native call per step.
    steps = []
    native = pykeras._core.dense_chain_loss_gradients
    monkeypatch.setattr(pykeras._core, "dense_chain_loss_gradients", lambda *args: steps.append(1) or native(*args))
    fit_matches_keras(_layer_normalized, OPTIMIZERS["adam"])
    assert len(steps) > 10


def test_mse_regression_with_sample_weights_matches_keras():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(48, 3)).astype(np.float32)
    y = np.sin(x.sum(1, keepdims=True)).astype(np.float32)
    weights = rng.uniform(0.1, 2.0, size=48).astype(np.float32)
    models = []
    for library in (pykeras, reference):
        model = library.Sequential([library.Input(shape=(3,)), library.layers.Dense(8, activation="tanh"),
                                    library.layers.Dense(1)])
        models.append(model)
    models[1].set_weights(models[0].get_weights())
    histories = []
    for model, library in zip(models, (pykeras, reference)):
        model.compile(optimizer=library.optimizers.SGD(0.05), loss="mse", metrics=["mae"])
        histories.append(model.fit(x, y, sample_weight=weights, batch_size=12, epochs=4, shuffle=False,
                                   verbose=0).history)
    for key in histories[1]:
        np.testing.assert_allclose(histories[0][key], histories[1][key], rtol=1e-4, err_msg=key)


@pytest.mark.parametrize("weighting", ["class_weight", "sample_weight"])
def test_weighted_classifier_trains_like_keras(weighting):
    """Row weights on the fused training step: the weighted loss, metrics and weights of Keras."""
    x, y = spirals(samples_per_class=64, seed=7)
    weights = np.random.default_rng(2).uniform(0.0, 3.0, size=len(y)).astype(np.float32)
    given = {"class_weight": {0: 1.0, 1: 3.0, 2: 0.5}} if weighting == "class_weight" else {"sample_weight": weights}
    ours, theirs = _build(pykeras, False), _build(reference, False)
    theirs.set_weights(ours.get_weights())
    histories = []
    for model, library in ((ours, pykeras), (theirs, reference)):
        model.compile(optimizer=library.optimizers.Adam(0.01),
                      loss=library.losses.SparseCategoricalCrossentropy(from_logits=True),
                      metrics=["accuracy"], weighted_metrics=["accuracy"])
        histories.append(model.fit(x, y, batch_size=16, epochs=3, shuffle=False, verbose=0, **given).history)
    assert sorted(histories[0]) == sorted(histories[1])
    for key in histories[1]:
        np.testing.assert_allclose(histories[0][key], histories[1][key], rtol=1e-4, atol=1e-5, err_msg=key)
    for mine, keras_weight in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(mine, keras_weight, rtol=1e-4, atol=1e-5)


def test_regularizers_and_constraints_train_like_keras(tmp_path):
    x, y = spirals(samples_per_class=32, seed=5)
    models = []
    for library in (pykeras, reference):
        models.append(library.Sequential([
            library.Input(shape=(2,)),
            library.layers.Dense(16, activation="relu", kernel_regularizer=library.regularizers.L1L2(1e-3, 1e-2),
                                 kernel_constraint=library.constraints.MaxNorm(1.0)),
            library.layers.Dense(3, bias_regularizer="l2", bias_constraint="non_neg"),
        ]))
    models[1].set_weights(models[0].get_weights())
    histories = []
    for model, library in zip(models, (pykeras, reference)):
        model.compile(optimizer=library.optimizers.Adam(0.01),
                      loss=library.losses.SparseCategoricalCrossentropy(from_logits=True))
        histories.append(model.fit(x, y, batch_size=16, epochs=3, shuffle=False, verbose=0).history)
    np.testing.assert_allclose(histories[0]["loss"], histories[1]["loss"], rtol=1e-4)
    for mine, theirs in zip(models[0].get_weights(), models[1].get_weights()):
        np.testing.assert_allclose(mine, theirs, rtol=1e-4, atol=1e-5)
    # Each library's file carries them into the other.
    models[0].save(tmp_path / "ours.keras")
    models[1].save(tmp_path / "theirs.keras")
    for path, library in ((tmp_path / "ours.keras", reference), (tmp_path / "theirs.keras", pykeras)):
        loaded = library.models.load_model(path)
        assert loaded.layers[0].kernel_regularizer.get_config() == {"l1": pytest.approx(1e-3), "l2": 1e-2}
        assert loaded.layers[0].kernel_constraint.get_config() == {"max_value": 1.0, "axis": 0}
        assert type(loaded.layers[1].bias_constraint).__name__ == "NonNeg"


def _schedules(library):
    schedules = library.optimizers.schedules
    return [schedules.ExponentialDecay(0.05, 3, 0.7), schedules.PolynomialDecay(0.05, 9, cycle=True),
            schedules.CosineDecay(0.0, 20, warmup_target=0.05, warmup_steps=4),
            schedules.PiecewiseConstantDecay([4, 8], [0.05, 0.02, 0.01]),
            schedules.InverseTimeDecay(0.05, 2, 0.3, staircase=True)]


def test_schedules_give_kerass_rates():
    for ours, theirs in zip(_schedules(pykeras), _schedules(reference)):
        # float32 in Keras's order; numpy's power and cosine may round one ulp from the backend's.
        np.testing.assert_allclose([float(ours(step)) for step in range(30)],
                                   [float(theirs(step)) for step in range(30)], rtol=3e-7, err_msg=ours.name)


@pytest.mark.parametrize("how", ["schedule", "callback"])
def test_changing_rates_train_like_keras(how):
    x, y = spirals(samples_per_class=32, seed=7)
    ours, theirs = _build(pykeras, False), _build(reference, False)
    theirs.set_weights(ours.get_weights())
    histories = []
    for model, library in ((ours, pykeras), (theirs, reference)):
        callbacks = []
        if how == "schedule":
            optimizer = library.optimizers.Adam(library.optimizers.schedules.ExponentialDecay(0.02, 4, 0.8))
        else:
            optimizer = library.optimizers.SGD(0.1)
            callbacks = [library.callbacks.LearningRateScheduler(lambda epoch, lr: lr * 0.5)]
        model.compile(optimizer=optimizer, loss=library.losses.SparseCategoricalCrossentropy(from_logits=True))
        histories.append(model.fit(x, y, batch_size=16, epochs=3, shuffle=False, verbose=0,
                                   callbacks=callbacks).history)
    assert sorted(histories[0]) == sorted(histories[1])
    for key in histories[1]:
        np.testing.assert_allclose(histories[0][key], histories[1][key], rtol=1e-4, err_msg=key)
    for mine, keras_weight in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(mine, keras_weight, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name, kwargs", [
    ("Precision", {"thresholds": [0.2, 0.5, 0.9]}), ("Precision", {"top_k": 2}), ("Recall", {"class_id": 1}),
    ("AUC", {}), ("AUC", {"curve": "PR"}), ("AUC", {"curve": "PR", "summation_method": "majoring"}),
    ("AUC", {"thresholds": [0.1, 0.5, 0.7], "from_logits": True}),
])
def test_confusion_metrics_match_keras(name, kwargs):
    rng = np.random.default_rng(1)
    labels = (rng.random((300, 3)) > 0.6).astype(np.float32)
    scores = rng.random((300, 3)).astype(np.float32)
    weights = rng.random(300).astype(np.float32)
    ours, theirs = getattr(pykeras.metrics, name)(**kwargs), getattr(reference.metrics, name)(**kwargs)
    for start in range(0, 300, 100):
        part = slice(start, start + 100)
        for metric in (ours, theirs):
            metric.update_state(labels[part], scores[part], sample_weight=weights[part])
    np.testing.assert_allclose(np.asarray(ours.result()), np.asarray(theirs.result()), atol=3e-7)
    assert ours.get_config() == theirs.get_config()


@pytest.mark.parametrize("name", ["mean_squared_logarithmic_error", "mean_absolute_percentage_error", "huber",
                                  "log_cosh", "cosine_similarity", "hinge", "squared_hinge", "categorical_hinge",
                                  "kl_divergence", "poisson"])
def test_more_losses_match_keras(name):
    rng = np.random.default_rng(0)
    target = (rng.random((6, 4)) > 0.5).astype(np.float32) if "hinge" in name else rng.random((6, 4)).astype(np.float32)
    prediction = rng.random((6, 4)).astype(np.float32) * 2 + 0.05
    np.testing.assert_allclose(pykeras.losses.get(name)(target, prediction).numpy(),
                               np.asarray(reference.losses.get(name)(target, prediction)), rtol=1e-6, atol=1e-7)


def _with_call_losses(library):
    class ActivitySum(library.layers.Layer):
        def call(self, inputs):
            self.add_loss(0.01 * library.ops.sum(library.ops.abs(inputs)))
            return inputs

    return library.Sequential([
        library.Input(shape=(2,)), library.layers.Dense(8, activation="relu", activity_regularizer="l2"),
        ActivitySum(), library.layers.Dense(3, activity_regularizer=library.regularizers.L1(0.02))])


def test_add_loss_and_activity_regularizers_train_like_keras():
    x, y = spirals(samples_per_class=32, seed=5)
    ours, theirs = _with_call_losses(pykeras), _with_call_losses(reference)
    theirs.set_weights(ours.get_weights())
    for model, library in ((ours, pykeras), (theirs, reference)):
        model.compile(optimizer=library.optimizers.Adam(0.01),
                      loss=library.losses.SparseCategoricalCrossentropy(from_logits=True))
    kwargs = dict(batch_size=16, epochs=2, shuffle=False, verbose=0)
    np.testing.assert_allclose(ours.fit(x, y, **kwargs).history["loss"], theirs.fit(x, y, **kwargs).history["loss"],
                               rtol=1e-4)
    for mine, keras_weight in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(mine, keras_weight, rtol=1e-4, atol=1e-5)
    ours(x[:5])
    theirs(x[:5])
    np.testing.assert_allclose([float(v) for v in ours.losses], [float(v) for v in theirs.losses], rtol=1e-4)
