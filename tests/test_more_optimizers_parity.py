"""Optional parity of Lion, Adadelta, Ftrl and CosineDecayRestarts with Keras 3: the same model,
initial weights and batches train to the same losses and weights, and a model saved by either
library loads in the other with its optimizer state. Runs only where Keras 3 is installed."""
import os

import numpy as np
import pytest

import pykeras

os.environ.setdefault("KERAS_BACKEND", "jax")
reference = pytest.importorskip("keras", reason="Keras 3 is the optional parity reference")
from test_keras_parity import fit_matches_keras  # noqa: E402 - after the skip, as it needs Keras
# Keras's own numpy-2 deprecation notices are not ours to fail on.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def _restarts(lib):
    return lib.optimizers.schedules.CosineDecayRestarts(0.01, 5, t_mul=1.5, m_mul=0.8, alpha=0.1)


OPTIMIZERS = {
    "lion": lambda lib: lib.optimizers.Lion(learning_rate=0.003),
    "lion_decay_restarts": lambda lib: lib.optimizers.Lion(_restarts(lib), beta_1=0.8, beta_2=0.95,
                                                           weight_decay=0.05),
    "adadelta": lambda lib: lib.optimizers.Adadelta(learning_rate=1.0),
    "adadelta_clipped": lambda lib: lib.optimizers.Adadelta(learning_rate=0.5, rho=0.9, clipvalue=0.1),
    "adadelta_ema": lambda lib: lib.optimizers.Adadelta(learning_rate=0.5, use_ema=True, ema_momentum=0.9,
                                                        ema_overwrite_frequency=7),
    "lion_ema": lambda lib: lib.optimizers.Lion(learning_rate=0.003, clipnorm=0.5, use_ema=True),
    "ftrl": lambda lib: lib.optimizers.Ftrl(learning_rate=0.1),
    "ftrl_regularized": lambda lib: lib.optimizers.Ftrl(
        learning_rate=0.2, learning_rate_power=-0.6, initial_accumulator_value=0.3, l1_regularization_strength=0.001,
        l2_regularization_strength=0.01, l2_shrinkage_regularization_strength=0.001, beta=0.1, global_clipnorm=2.0),
    "ftrl_accumulated": lambda lib: lib.optimizers.Ftrl(learning_rate=0.1, learning_rate_power=0.0,
                                                        gradient_accumulation_steps=2),
}


def _build(library):
    return library.Sequential([library.Input(shape=(2,)), library.layers.Dense(16, activation="relu"),
                               library.layers.Dense(8, activation="tanh"), library.layers.Dense(3)])


@pytest.mark.parametrize("optimizer", sorted(OPTIMIZERS))
def test_fit_matches_keras_losses_and_weights(optimizer):
    # fit ends by finalizing the optimizer (the EMA cases then hold the averages, as in Keras). No
    # predict: Keras on JAX cannot predict after its EMA finalize ("Array has been deleted").
    ours, theirs = fit_matches_keras(_build, OPTIMIZERS[optimizer], predict=False)
    for mine, keras_variable in zip(ours.optimizer.variables, theirs.optimizer.variables):
        np.testing.assert_allclose(mine.numpy(), np.asarray(keras_variable), rtol=1e-4, atol=1e-5,
                                   err_msg=keras_variable.path)


@pytest.mark.parametrize("optimizer", sorted(OPTIMIZERS))
def test_config_and_variables_are_kerass(optimizer):
    ours, theirs = OPTIMIZERS[optimizer](pykeras), OPTIMIZERS[optimizer](reference)
    ours_config, theirs_config = ours.get_config(), theirs.get_config()
    assert list(ours_config) == list(theirs_config)
    for config in (ours_config, theirs_config):
        config.pop("name")  # unique names depend on what each library created before
    assert ours_config == theirs_config
    layers = pykeras.layers.Dense(3, name="dense"), reference.layers.Dense(3, name="dense")
    for layer, optimizer_ in zip(layers, (ours, theirs)):
        layer.build((None, 2))
        optimizer_.build(layer.trainable_weights)
    assert [v.name for v in ours.variables] == [v.name for v in theirs.variables]
    for mine, keras_variable in zip(ours.variables, theirs.variables):
        np.testing.assert_array_equal(mine.numpy(), np.asarray(keras_variable))


@pytest.mark.parametrize("kwargs", [{}, {"t_mul": 1.0, "m_mul": 0.5}, {"t_mul": 1.5, "m_mul": 0.9, "alpha": 0.1},
                                    {"t_mul": 3.0, "alpha": 0.2}])
def test_cosine_decay_restarts_gives_kerass_rates(kwargs):
    ours = pykeras.optimizers.schedules.CosineDecayRestarts(0.05, 7, **kwargs)
    theirs = reference.optimizers.schedules.CosineDecayRestarts(0.05, 7, **kwargs)
    # float32 in Keras's order; numpy's log, power and cosine may round an ulp from the backend's.
    np.testing.assert_allclose([float(ours(step)) for step in range(300)],
                               [float(theirs(step)) for step in range(300)], rtol=1e-6, atol=1e-9)
    assert ours.get_config() == theirs.get_config()


@pytest.mark.parametrize("optimizer", ["Lion", "Adadelta", "Ftrl"])
def test_optimizer_state_moves_between_keras_and_pykeras(tmp_path, optimizer):
    rng = np.random.default_rng(12)
    x, y = rng.normal(size=(16, 3)).astype(np.float32), rng.normal(size=(16, 2)).astype(np.float32)
    for source, target in ((reference, pykeras), (pykeras, reference)):
        model = source.Sequential([source.Input((3,)), source.layers.Dense(4, activation="tanh"),
                                   source.layers.Dense(2)])
        model.compile(getattr(source.optimizers, optimizer)(0.05), "mse")
        model.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=0)
        model.save(tmp_path / "opt.keras")
        loaded = target.models.load_model(tmp_path / "opt.keras")
        assert type(loaded.optimizer).__name__ == optimizer
        assert int(np.asarray(loaded.optimizer.iterations)) == 4
        for mine, saved in zip(loaded.optimizer.variables, model.optimizer.variables):
            np.testing.assert_array_equal(np.asarray(mine), np.asarray(saved))
        # The next step from the restored state is the one the source takes.
        model.train_on_batch(x, y)
        loaded.train_on_batch(x, y)
        np.testing.assert_allclose(np.asarray(loaded.predict(x, verbose=0)), np.asarray(model.predict(x, verbose=0)),
                                   atol=1e-5, rtol=1e-5)


def test_a_restarting_schedule_moves_between_keras_and_pykeras(tmp_path):
    for source, target in ((reference, pykeras), (pykeras, reference)):
        model = source.Sequential([source.Input((3,)), source.layers.Dense(2)])
        model.compile(source.optimizers.Adadelta(_restarts(source)), "mse")
        model.train_on_batch(np.ones((2, 3), np.float32), np.ones((2, 2), np.float32))  # built, as Keras wants
        model.save(tmp_path / "schedule.keras")
        schedule = target.models.load_model(tmp_path / "schedule.keras").optimizer._learning_rate
        assert type(schedule).__name__ == "CosineDecayRestarts"
        assert schedule.get_config() == _restarts(source).get_config()
