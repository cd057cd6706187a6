"""keras.optimizers.schedules against their formulas, in an optimizer and a saved file, and the
LearningRateScheduler callback."""
import math

import numpy as np
import pytest

import pykeras as keras

schedules = keras.optimizers.schedules
STEPS = range(0, 60)


def _cosine(step, decay_steps, alpha, start):
    step = min(step, decay_steps)
    return start * ((1 - alpha) * 0.5 * (1 + math.cos(math.pi * step / decay_steps)) + alpha)


def _warm_cosine(step):  # warmup from 0.0 to 0.2 over 10 steps, then a cosine over 40
    step = min(step, 50)
    return 0.2 * step / 10 if step < 10 else _cosine(step - 10, 40, 0.0, 0.2)


@pytest.mark.parametrize("schedule, formula", [
    (schedules.ExponentialDecay(0.1, 7, 0.9), lambda s: 0.1 * 0.9 ** (s / 7)),
    (schedules.ExponentialDecay(0.1, 7, 0.9, staircase=True), lambda s: 0.1 * 0.9 ** (s // 7)),
    (schedules.InverseTimeDecay(0.1, 5, 0.5), lambda s: 0.1 / (1 + 0.5 * s / 5)),
    (schedules.InverseTimeDecay(0.1, 5, 0.5, staircase=True), lambda s: 0.1 / (1 + 0.5 * (s // 5))),
    (schedules.PiecewiseConstantDecay([10, 20], [0.1, 0.01, 0.001]),
     lambda s: 0.1 if s <= 10 else 0.01 if s <= 20 else 0.001),
    (schedules.PolynomialDecay(0.1, 30, power=2.0), lambda s: (0.1 - 1e-4) * (1 - min(s, 30) / 30) ** 2 + 1e-4),
    (schedules.PolynomialDecay(0.1, 30, end_learning_rate=0.01, cycle=True),
     lambda s: 0.09 * (1 - s / (30 * max(1, math.ceil(s / 30)))) + 0.01),
    (schedules.CosineDecay(0.1, 40, alpha=0.1), lambda s: _cosine(s, 40, 0.1, 0.1)),
    (schedules.CosineDecay(0.0, 40, warmup_target=0.2, warmup_steps=10), _warm_cosine),
], ids=["exponential", "exponential_staircase", "inverse_time", "inverse_time_staircase", "piecewise",
        "polynomial", "polynomial_cycle", "cosine", "cosine_warmup"])
def test_rates_follow_the_formula(schedule, formula):
    got = [float(schedule(step)) for step in STEPS]
    # float32: absolute errors of a few 1e-9 where a cosine nears -1 and 1 + cos(...) cancels.
    np.testing.assert_allclose(got, [formula(step) for step in STEPS], rtol=2e-6, atol=1e-8)
    assert type(schedule).from_config(schedule.get_config()).get_config() == schedule.get_config()


@pytest.mark.parametrize("make, message", [
    (lambda: schedules.ExponentialDecay(0.1, 0, 0.9), "`decay_steps` must be > 0. Received: decay_steps=0"),
    (lambda: schedules.CosineDecay(0.1, -3), "`decay_steps` must be > 0. Received: decay_steps=-3"),
    (lambda: schedules.PiecewiseConstantDecay([10], [0.1]), "boundaries should be 1 less than the length of values"),
    (lambda: schedules.PiecewiseConstantDecay([20, 10], [1.0, 0.5, 0.1]), "`boundaries` must be increasing"),
])
def test_bad_arguments_are_refused(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_the_optimizer_uses_the_rate_of_each_step():
    # SGD on loss = sum(w): each step subtracts that step's rate from every weight.
    schedule = schedules.PiecewiseConstantDecay([1, 2], [0.5, 0.25, 0.125])
    optimizer = keras.optimizers.SGD(schedule)
    weight = keras.Variable(np.zeros(3, np.float32))
    for _ in range(4):
        optimizer.apply([np.ones(3, np.float32)], [weight])
    np.testing.assert_allclose(weight.numpy(), -(0.5 + 0.5 + 0.25 + 0.125))
    assert float(optimizer.learning_rate) == 0.125


def test_a_saved_model_keeps_its_schedule(tmp_path):
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(keras.optimizers.Adam(schedules.CosineDecay(1e-3, 100, alpha=0.2)), "mse")
    model.save(tmp_path / "m.keras")
    schedule = keras.models.load_model(tmp_path / "m.keras").optimizer._learning_rate
    assert isinstance(schedule, schedules.CosineDecay)
    assert schedule.get_config() == {"initial_learning_rate": 1e-3, "decay_steps": 100, "alpha": 0.2,
                                     "name": "CosineDecay", "warmup_target": None, "warmup_steps": 0}


def _fit_with(callback, epochs=3):
    rng = np.random.default_rng(0)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile(keras.optimizers.SGD(0.1), "mse")
    history = model.fit(rng.random((16, 3), dtype=np.float32), rng.random((16, 1), dtype=np.float32),
                        epochs=epochs, verbose=0, callbacks=[callback])
    return model, history.history


def test_the_scheduler_sets_each_epochs_rate_and_logs_it():
    seen = []

    def halve_after_the_first(epoch, lr):
        seen.append((epoch, lr))
        return lr if epoch == 0 else lr / 2

    model, history = _fit_with(keras.callbacks.LearningRateScheduler(halve_after_the_first))
    assert [epoch for epoch, _ in seen] == [0, 1, 2]
    assert seen[0][1] == pytest.approx(0.1)
    np.testing.assert_allclose(history["learning_rate"], [0.1, 0.05, 0.025], rtol=1e-6)
    assert float(model.optimizer.learning_rate) == pytest.approx(0.025)


def test_the_scheduler_takes_the_one_argument_form_and_prints_when_verbose(capsys):
    _, history = _fit_with(keras.callbacks.LearningRateScheduler(lambda epoch: 0.01 * (epoch + 1), verbose=1))
    np.testing.assert_allclose(history["learning_rate"], [0.01, 0.02, 0.03], rtol=1e-6)
    assert "Epoch 2: LearningRateScheduler setting learning rate to 0.02." in capsys.readouterr().out


def test_a_schedule_that_returns_no_number_is_refused():
    with pytest.raises(ValueError, match=r"should be a float. Got: '0.1'"):
        _fit_with(keras.callbacks.LearningRateScheduler(lambda epoch, lr: "0.1"))


def test_a_type_error_inside_the_schedule_is_not_hidden():
    def broken(epoch, lr):
        return lr + "x"

    with pytest.raises(TypeError, match="unsupported operand"):
        _fit_with(keras.callbacks.LearningRateScheduler(broken))
