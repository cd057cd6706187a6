"""Lion, Adadelta, Ftrl and the CosineDecayRestarts schedule against float64 numpy references of
Keras 3's formulas, written here independently of the code under test."""
import math

import numpy as np
import pytest

import pykeras as keras
from pykeras import optimizers

schedules = optimizers.schedules
RTOL = 1e-6


def make_variables(seed=0, shapes=((3, 4), (4,))):
    rng = np.random.default_rng(seed)
    return [keras.Variable(rng.normal(size=s).astype(np.float32), name=f"v{i}") for i, s in enumerate(shapes)]


def make_grads(variables, steps, seed=1):
    rng = np.random.default_rng(seed)
    return [[rng.normal(size=v.shape).astype(np.float32) for v in variables] for _ in range(steps)]


def run(optimizer, variables, grad_steps):
    for grads in grad_steps:
        optimizer.apply(grads, variables)
    return [v.numpy() for v in variables]


# ---------------------------------------------------------------- references
# Each takes the initial weight and its gradients, returns the final weight and the slots in
# Keras's per-variable order.

def ref_lion(w, grads, lr=0.001, b1=0.9, b2=0.99, wd=None):
    w = w.astype(np.float64)
    m = np.zeros_like(w)
    for g in grads:
        g = g.astype(np.float64)
        if wd is not None:
            w = w - w * wd * lr
        w = w - lr * np.sign(b1 * m + (1 - b1) * g)
        m = b2 * m + (1 - b2) * g
    return w, [m]


def ref_adadelta(w, grads, lr=0.001, rho=0.95, eps=1e-7):
    w = w.astype(np.float64)
    eg, ed = np.zeros_like(w), np.zeros_like(w)
    for g in grads:
        g = g.astype(np.float64)
        eg = rho * eg + (1 - rho) * g * g
        delta = -np.sqrt(ed + eps) / np.sqrt(eg + eps) * g
        ed = rho * ed + (1 - rho) * delta * delta
        w = w + lr * delta
    return w, [eg, ed]


def ref_ftrl(w, grads, lr=0.001, power=-0.5, initial=0.1, l1=0.0, l2=0.0, shrinkage=0.0, beta=0.0):
    """McMahan et al.'s per-coordinate FTRL-Proximal, with Keras's shrinkage and beta terms."""
    w = w.astype(np.float64)
    n, z = np.full_like(w, initial), np.zeros_like(w)
    for g in grads:
        g = g.astype(np.float64)
        n_new = n + g * g
        sigma = (n_new ** -power - n ** -power) / lr
        z = z + g + 2 * shrinkage * w - sigma * w
        w = np.where(np.abs(z) <= l1, 0.0,
                     -(z - np.sign(z) * l1) / (n_new ** -power / lr + 2 * l2 + beta / lr))
        n = n_new
    return w, [n, z]


CASES = {
    "lion": (lambda: optimizers.Lion(), ref_lion),
    "lion_betas": (lambda: optimizers.Lion(0.01, beta_1=0.5, beta_2=0.8), lambda w, g: ref_lion(w, g, 0.01, 0.5, 0.8)),
    "adadelta": (lambda: optimizers.Adadelta(), ref_adadelta),
    "adadelta_paper": (lambda: optimizers.Adadelta(1.0, rho=0.9, epsilon=1e-4),
                       lambda w, g: ref_adadelta(w, g, 1.0, 0.9, 1e-4)),
    "ftrl": (lambda: optimizers.Ftrl(), ref_ftrl),
    "ftrl_regularized": (
        lambda: optimizers.Ftrl(0.1, learning_rate_power=-0.7, initial_accumulator_value=0.2,
                                l1_regularization_strength=0.05, l2_regularization_strength=0.01,
                                l2_shrinkage_regularization_strength=0.02, beta=0.5),
        lambda w, g: ref_ftrl(w, g, 0.1, -0.7, 0.2, 0.05, 0.01, 0.02, 0.5)),
    "ftrl_fixed_rate": (lambda: optimizers.Ftrl(0.05, learning_rate_power=0.0, initial_accumulator_value=0.0),
                        lambda w, g: ref_ftrl(w, g, 0.05, 0.0, 0.0)),
}


@pytest.mark.parametrize("steps", [1, 7])
@pytest.mark.parametrize("case", sorted(CASES))
def test_update_rule_matches_reference(case, steps):
    make, reference = CASES[case]
    variables = make_variables()
    initial = [v.numpy() for v in variables]
    grad_steps = make_grads(variables, steps)
    optimizer = make()
    got = run(optimizer, variables, grad_steps)
    slot_count = len(optimizer.variables[2:]) // len(variables)
    for i, (w0, w) in enumerate(zip(initial, got)):
        expected, slots = reference(w0, [g[i] for g in grad_steps])
        np.testing.assert_allclose(w, expected, rtol=RTOL, atol=_atol(case, expected))
        assert not np.array_equal(w, w0), "the step must move the variable"
        ours = optimizer.variables[2 + i * slot_count: 2 + (i + 1) * slot_count]
        for mine, want in zip(ours, slots):
            np.testing.assert_allclose(mine.numpy(), want, rtol=RTOL, atol=_atol(case, want), err_msg=mine.name)


def _atol(case, expected):
    # Ftrl's linear term z sums terms of size |w| / lr that cancel: float32 keeps them to about
    # 1e-7 of the largest z, not of each element (and w = -z / (...) inherits that).
    return 1e-6 * np.abs(expected).max() if "ftrl" in case else 1e-7


def test_ftrl_l1_sets_small_weights_to_exactly_zero():
    variable = keras.Variable(np.ones(200, np.float32))
    grads = [np.random.default_rng(2).normal(scale=0.5, size=200).astype(np.float32)]
    optimizers.Ftrl(0.1, l1_regularization_strength=0.3).apply(grads, [variable])
    expected, _ = ref_ftrl(np.ones(200, np.float32), grads, 0.1, l1=0.3)
    zeros = expected == 0
    assert 0 < zeros.sum() < 200
    np.testing.assert_array_equal(variable.numpy()[zeros], 0.0)
    np.testing.assert_allclose(variable.numpy(), expected, rtol=RTOL, atol=1e-7)


def test_lion_moves_every_weight_by_the_scheduled_rate():
    # A constant positive gradient: sign(...) is 1, so each step subtracts that step's rate.
    schedule = schedules.CosineDecayRestarts(0.1, 3, t_mul=1.0, m_mul=0.5)
    variable = keras.Variable(np.zeros(3, np.float32))
    optimizer = optimizers.Lion(schedule)
    for _ in range(8):
        optimizer.apply([np.ones(3, np.float32)], [variable])
    rates = [0.1 * 0.5 ** (step // 3) * 0.5 * (1 + math.cos(math.pi * (step % 3) / 3)) for step in range(8)]
    np.testing.assert_allclose(variable.numpy(), -sum(rates), rtol=RTOL)


# ------------------------------------------------ base-class features on the new rules

NEW = {"lion": (lambda **kw: optimizers.Lion(0.01, **kw), lambda w, g, **kw: ref_lion(w, g, 0.01, **kw)),
       "adadelta": (lambda **kw: optimizers.Adadelta(1.0, **kw), lambda w, g: ref_adadelta(w, g, 1.0)),
       "ftrl": (lambda **kw: optimizers.Ftrl(0.1, l1_regularization_strength=0.01, **kw),
                lambda w, g: ref_ftrl(w, g, 0.1, l1=0.01))}


def _clip_norm(g, norm):
    g = g.astype(np.float64)
    return g * norm / max(np.linalg.norm(g), norm)


@pytest.mark.parametrize("name", sorted(NEW))
@pytest.mark.parametrize("clip", ["clipnorm", "clipvalue", "global_clipnorm"])
def test_clipping_happens_before_the_rule(name, clip):
    make, reference = NEW[name]
    variables = make_variables()
    initial = [v.numpy() for v in variables]
    grad_steps = make_grads(variables, 4)
    run(make(**{clip: 0.8}), variables, grad_steps)
    for i, w0 in enumerate(initial):
        if clip == "clipnorm":
            clipped = [_clip_norm(g[i], 0.8) for g in grad_steps]
        elif clip == "clipvalue":
            clipped = [np.clip(g[i], -0.8, 0.8) for g in grad_steps]
        else:
            norms = [math.sqrt(sum(np.sum(np.square(x.astype(np.float64))) for x in g)) for g in grad_steps]
            clipped = [g[i] * 0.8 / max(n, 0.8) for g, n in zip(grad_steps, norms)]
        np.testing.assert_allclose(variables[i].numpy(), reference(w0, clipped)[0], rtol=3e-6, atol=1e-7)


def test_weight_decay_and_its_exclusion_on_lion():
    variables = make_variables()
    initial = [v.numpy() for v in variables]
    grad_steps = make_grads(variables, 5)
    optimizer = optimizers.Lion(0.01, weight_decay=0.5)
    optimizer.exclude_from_weight_decay(var_names=["v1"])
    run(optimizer, variables, grad_steps)
    expected = ref_lion(initial[0], [g[0] for g in grad_steps], 0.01, wd=0.5)[0]
    np.testing.assert_allclose(variables[0].numpy(), expected, rtol=RTOL, atol=1e-7)
    expected = ref_lion(initial[1], [g[1] for g in grad_steps], 0.01)[0]
    np.testing.assert_allclose(variables[1].numpy(), expected, rtol=RTOL, atol=1e-7)


@pytest.mark.parametrize("name", sorted(NEW))
def test_gradient_accumulation_applies_the_mean(name):
    make, reference = NEW[name]
    variables = make_variables()
    initial = [v.numpy() for v in variables]
    grad_steps = make_grads(variables, 4)
    optimizer = make(gradient_accumulation_steps=2)
    run(optimizer, variables[:1], [g[:1] for g in grad_steps])
    means = [(grad_steps[0][0] + grad_steps[1][0]) / 2, (grad_steps[2][0] + grad_steps[3][0]) / 2]
    np.testing.assert_allclose(variables[0].numpy(), reference(initial[0], means)[0], rtol=3e-6, atol=1e-7)
    assert int(optimizer.iterations) == 2


@pytest.mark.parametrize("name", sorted(NEW))
def test_ema_tracks_the_variables_and_finalizes(name):
    make, _ = NEW[name]
    variables = make_variables()[:1]
    optimizer = make(use_ema=True, ema_momentum=0.8)
    average = None
    for grads in make_grads(variables, 4):
        optimizer.apply(grads[:1], variables)
        value = variables[0].numpy().astype(np.float64)
        average = value if average is None else 0.8 * average + 0.2 * value
    np.testing.assert_allclose(optimizer._averages[0].numpy(), average, rtol=1e-5, atol=1e-7)
    optimizer.finalize_variable_values(variables)
    np.testing.assert_allclose(variables[0].numpy(), average, rtol=1e-5, atol=1e-7)


# ------------------------------------------------------- variables and config

def test_variables_order_and_names_follow_keras():
    # Keras 3.15's own lists (printed by it for the same Dense layer).
    dense = keras.layers.Dense(3, name="dense")
    dense.build((None, 2))
    expected = {
        optimizers.Lion(name="lion"): ["lion/iteration", "lion/learning_rate", "lion/dense_kernel_momentum",
                                       "lion/dense_bias_momentum"],
        optimizers.Adadelta(use_ema=True, gradient_accumulation_steps=2, name="adadelta"): [
            "adadelta/iteration", "adadelta/learning_rate", "adadelta/dense_kernel_average",
            "adadelta/dense_bias_average", "adadelta/dense_kernel_gradient_accumulator",
            "adadelta/dense_bias_gradient_accumulator", "adadelta/dense_kernel_accumulated_grad",
            "adadelta/dense_kernel_accumulated_delta_var", "adadelta/dense_bias_accumulated_grad",
            "adadelta/dense_bias_accumulated_delta_var"],
        optimizers.Ftrl(initial_accumulator_value=0.3, name="ftrl"): [
            "ftrl/iteration", "ftrl/learning_rate", "ftrl/dense_kernel_accumulator", "ftrl/dense_kernel_linear",
            "ftrl/dense_bias_accumulator", "ftrl/dense_bias_linear"],
    }
    for optimizer, paths in expected.items():
        optimizer.build(dense.trainable_weights)
        assert [v.path for v in optimizer.variables] == paths
        assert optimizer.variables[2].shape == (2, 3)
    ftrl = list(expected)[2]
    np.testing.assert_array_equal(ftrl.variables[2].numpy(), np.full((2, 3), 0.3, np.float32))
    np.testing.assert_array_equal(ftrl.variables[3].numpy(), np.zeros((2, 3), np.float32))


BASE_KEYS = ["name", "learning_rate", "weight_decay", "clipnorm", "global_clipnorm", "clipvalue", "use_ema",
             "ema_momentum", "ema_overwrite_frequency", "loss_scale_factor", "gradient_accumulation_steps"]


@pytest.mark.parametrize("make, own_keys", [
    (lambda: optimizers.Lion(0.0003, beta_1=0.95, beta_2=0.98, weight_decay=0.1), ["beta_1", "beta_2"]),
    (lambda: optimizers.Adadelta(1.0, rho=0.9, epsilon=1e-6, clipnorm=1.0, use_ema=True), ["rho", "epsilon"]),
    (lambda: optimizers.Ftrl(0.05, learning_rate_power=-0.3, initial_accumulator_value=0.5,
                             l1_regularization_strength=0.1, l2_regularization_strength=0.2,
                             l2_shrinkage_regularization_strength=0.3, beta=0.4, gradient_accumulation_steps=3),
     ["learning_rate_power", "initial_accumulator_value", "l1_regularization_strength",
      "l2_regularization_strength", "l2_shrinkage_regularization_strength", "beta"]),
])
def test_config_has_kerass_keys_and_round_trips(make, own_keys):
    optimizer = make()
    config = optimizer.get_config()
    assert list(config) == BASE_KEYS + own_keys  # Keras 3.15's keys, in its order
    clone = type(optimizer).from_config(config)
    assert clone.get_config() == config
    via_get = optimizers.get(optimizers.serialize(optimizer))
    assert type(via_get) is type(optimizer) and via_get.get_config() == config


def test_keras_written_config_loads():
    # A compile_config optimizer entry as Keras 3.15 writes it.
    config = {"module": "keras.optimizers", "class_name": "Ftrl", "config": {
        "name": "ftrl", "learning_rate": 0.0010000000474974513, "weight_decay": None, "clipnorm": None,
        "global_clipnorm": None, "clipvalue": None, "use_ema": False, "ema_momentum": 0.99,
        "ema_overwrite_frequency": None, "loss_scale_factor": None, "gradient_accumulation_steps": None,
        "learning_rate_power": -0.5, "initial_accumulator_value": 0.3, "l1_regularization_strength": 0.0,
        "l2_regularization_strength": 0.0, "l2_shrinkage_regularization_strength": 0.0, "beta": 0.0},
        "registered_name": None}
    optimizer = optimizers.get(config)
    assert isinstance(optimizer, optimizers.Ftrl) and optimizer.initial_accumulator_value == 0.3


def test_get_resolves_the_new_names():
    for name, cls in [("lion", optimizers.Lion), ("Lion", optimizers.Lion), ("adadelta", optimizers.Adadelta),
                      ("Adadelta", optimizers.Adadelta), ("ftrl", optimizers.Ftrl), ("FTRL", optimizers.Ftrl)]:
        optimizer = optimizers.get(name)
        assert type(optimizer) is cls and optimizer.name.startswith(cls.__name__.lower())
    assert optimizers.Lion().get_config()["beta_2"] == 0.99  # Keras's defaults
    assert optimizers.Adadelta().get_config()["rho"] == 0.95
    assert optimizers.Ftrl().get_config()["learning_rate_power"] == -0.5
    with pytest.raises(ValueError, match="adadelta.*ftrl.*lion"):
        optimizers.get("lions")


@pytest.mark.parametrize("make, message", [
    (lambda: optimizers.Lion(beta_1=0.0), r"Lion: argument `beta_1` must be in the \(0, 1\] range.*beta_1=0.0"),
    (lambda: optimizers.Lion(beta_1=1.5), r"Lion: .*beta_1=1.5"),
    (lambda: optimizers.Lion(betas=0.5), "Lion: argument.*not recognized"),
    (lambda: optimizers.Adadelta(learning_rate="1"), "Adadelta: `learning_rate` must be a float"),
    (lambda: optimizers.Adadelta(gradient_accumulation_steps=1), "Adadelta: `gradient_accumulation_steps`"),
    (lambda: optimizers.Adadelta(clipnorm=1.0, clipvalue=1.0), "Adadelta: only one of `clipnorm`"),
    (lambda: optimizers.Ftrl(learning_rate_power=0.5),
     "Ftrl: `learning_rate_power` must be negative or zero. Received: learning_rate_power=0.5"),
    (lambda: optimizers.Ftrl(initial_accumulator_value=-0.1),
     "Ftrl: `initial_accumulator_value` must be positive or zero. Received: initial_accumulator_value=-0.1"),
    (lambda: optimizers.Ftrl(l1_regularization_strength=-1.0), "Ftrl: `l1_regularization_strength`"),
    (lambda: optimizers.Ftrl(l2_regularization_strength=-1.0), "Ftrl: `l2_regularization_strength`"),
    (lambda: optimizers.Ftrl(l2_shrinkage_regularization_strength=-1.0),
     "Ftrl: `l2_shrinkage_regularization_strength`"),
    (lambda: optimizers.Ftrl(use_ema=True, ema_momentum=2.0), "Ftrl: `ema_momentum`"),
])
def test_bad_arguments_are_refused_naming_the_optimizer(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_ftrl_accepts_the_boundary_values():
    optimizer = optimizers.Ftrl(learning_rate_power=0.0, initial_accumulator_value=0.0)
    variable = keras.Variable(np.ones(2, np.float32))
    optimizer.apply([np.array([1.0, -1.0], np.float32)], [variable])
    assert np.isfinite(variable.numpy()).all()


# ------------------------------------------------------------------ training

@pytest.mark.parametrize("make", [lambda: optimizers.Lion(0.003), lambda: optimizers.Adadelta(1.0),
                                  lambda: optimizers.Ftrl(0.1), lambda: "lion", lambda: "adadelta", lambda: "ftrl"],
                         ids=["lion", "adadelta", "ftrl", "lion_name", "adadelta_name", "ftrl_name"])
def test_training_a_small_model_decreases_the_loss(make):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(128, 4)).astype(np.float32)
    y = (x @ np.array([[1.0], [-2.0], [0.5], [0.0]], np.float32) + 0.3).astype(np.float32)
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="tanh"), keras.layers.Dense(1)])
    model.compile(make(), "mse")
    history = model.fit(x, y, batch_size=16, epochs=6, shuffle=False, verbose=0).history["loss"]
    assert type(model.optimizer).__name__.lower() in ("lion", "adadelta", "ftrl")
    assert all(later < earlier for earlier, later in zip(history, history[1:])), history
    if not isinstance(make(), str):  # the names carry Keras's small default rates
        assert history[-1] < 0.85 * history[0], history


def test_a_saved_model_keeps_the_optimizer_state(tmp_path):
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=(16, 3)).astype(np.float32), rng.normal(size=(16, 2)).astype(np.float32)
    for optimizer in (optimizers.Lion(0.01), optimizers.Adadelta(1.0), optimizers.Ftrl(0.1, beta=0.2)):
        model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4, activation="tanh"), keras.layers.Dense(2)])
        model.compile(optimizer, "mse")
        model.fit(x, y, batch_size=8, epochs=1, verbose=0)
        model.save(tmp_path / "m.keras")
        loaded = keras.models.load_model(tmp_path / "m.keras")
        assert type(loaded.optimizer) is type(optimizer)
        assert loaded.optimizer.get_config() == optimizer.get_config()
        for mine, theirs in zip(optimizer.variables, loaded.optimizer.variables):
            np.testing.assert_array_equal(mine.numpy(), theirs.numpy())
        model.train_on_batch(x, y)
        loaded.train_on_batch(x, y)
        np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


# ------------------------------------------------------ CosineDecayRestarts

def sgdr(step, initial, first, t_mul=2.0, m_mul=1.0, alpha=0.0):
    """Walks the periods one by one (no logarithms, unlike Keras's closed form)."""
    start, length, peak = 0.0, float(first), 1.0
    while step >= start + length:
        start, length, peak = start + length, length * t_mul, peak * m_mul
    fraction = (step - start) / length
    return initial * ((1 - alpha) * peak * 0.5 * (1 + math.cos(math.pi * fraction)) + alpha)


@pytest.mark.parametrize("kwargs", [
    {}, {"t_mul": 1.0}, {"t_mul": 1.0, "m_mul": 0.5}, {"t_mul": 2.0, "m_mul": 0.5, "alpha": 0.1},
    {"t_mul": 3.0, "m_mul": 0.8, "alpha": 0.05}, {"t_mul": 1.5, "m_mul": 0.9},
], ids=["defaults", "t_mul_1", "m_mul", "t_m_alpha", "t_mul_3", "t_mul_1_5"])
def test_cosine_decay_restarts_follows_the_formula(kwargs):
    schedule = schedules.CosineDecayRestarts(0.2, 10, **kwargs)
    steps = range(0, 200)
    got = [float(schedule(step)) for step in steps]
    # float32, as in Keras: the fraction of the period, from step / 10 ~ 20, is off by ~1e-6, so
    # late in a period (where 1 + cos(...) cancels) the rate is off by ~1e-6 of the peak, absolute.
    np.testing.assert_allclose(got, [sgdr(step, 0.2, 10, **kwargs) for step in steps], rtol=2e-6, atol=5e-7)
    assert schedule.get_config() == {"initial_learning_rate": 0.2, "first_decay_steps": 10,
                                     "t_mul": kwargs.get("t_mul", 2.0), "m_mul": kwargs.get("m_mul", 1.0),
                                     "alpha": kwargs.get("alpha", 0.0), "name": "SGDRDecay"}
    clone = schedules.deserialize(schedules.serialize(schedule))
    assert type(clone) is schedules.CosineDecayRestarts and clone.get_config() == schedule.get_config()


def test_cosine_decay_restarts_restarts_at_the_period_ends():
    schedule = schedules.CosineDecayRestarts(1.0, 4, t_mul=2.0, m_mul=0.5, alpha=0.25)
    # Periods [0, 4), [4, 12), [12, 28): each starts at its peak, 0.25 + 0.75 * 0.5^i.
    for step, peak in [(0, 1.0), (4, 0.625), (12, 0.4375), (28, 0.34375)]:
        assert float(schedule(step)) == pytest.approx(peak, rel=1e-6)
    assert float(schedule(2)) == pytest.approx(0.25 + 0.75 * 0.5, rel=1e-6)  # mid-period: half way down
    assert float(schedule(8)) == pytest.approx(0.25 + 0.75 * 0.5 * 0.5, rel=1e-6)


def test_cosine_decay_restarts_refuses_a_bad_first_decay_steps():
    for bad in (0, -5):
        with pytest.raises(ValueError, match=f"`first_decay_steps` must be > 0. Received: first_decay_steps={bad}"):
            schedules.CosineDecayRestarts(0.1, bad)


def test_a_saved_model_keeps_its_restarting_schedule(tmp_path):
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(optimizers.Lion(schedules.CosineDecayRestarts(1e-3, 50, t_mul=1.5, m_mul=0.9, alpha=0.1)), "mse")
    model.save(tmp_path / "m.keras")
    schedule = keras.models.load_model(tmp_path / "m.keras").optimizer._learning_rate
    assert isinstance(schedule, schedules.CosineDecayRestarts)
    assert schedule.get_config() == {"initial_learning_rate": 1e-3, "first_decay_steps": 50, "t_mul": 1.5,
                                     "m_mul": 0.9, "alpha": 0.1, "name": "SGDRDecay"}
