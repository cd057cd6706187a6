"""Optimizers against float64 numpy references of Keras 3's update rules."""
import warnings

import numpy as np
import pytest

import pykeras as keras
from pykeras import optimizers

RTOL = 1e-6


def make_variables(seed=0, shapes=((3, 4), (4,))):
    rng = np.random.default_rng(seed)
    return [keras.Variable(rng.normal(size=s).astype(np.float32), name=f"v{i}")
            for i, s in enumerate(shapes)]


def make_grads(variables, steps, seed=1):
    rng = np.random.default_rng(seed)
    return [[rng.normal(size=v.shape).astype(np.float32) for v in variables] for _ in range(steps)]


# ---------------------------------------------------------------- references

def ref_sgd(w, grads, lr=0.01, momentum=0.0, nesterov=False):
    w = w.astype(np.float64)
    m = np.zeros_like(w)
    for g in grads:
        g = g.astype(np.float64)
        if momentum == 0:
            w = w - lr * g
        else:
            m = momentum * m - lr * g
            w = w + (momentum * m - lr * g if nesterov else m)
    return w


def keras_step_size(lr, b1, b2, t):
    """Keras computes lr * sqrt(1 - b2^t) / (1 - b1^t) in float32 scalars
    (0.999f^1 is not 0.999); the reference does the same so it can be held to 1e-6."""
    f32 = np.float32
    return float(f32(lr) * np.sqrt(f32(1) - f32(b2) ** f32(t)) / (f32(1) - f32(b1) ** f32(t)))


def ref_adam(w, grads, lr=0.001, b1=0.9, b2=0.999, eps=1e-7, amsgrad=False, wd=None):
    w = w.astype(np.float64)
    m = np.zeros_like(w)
    v = np.zeros_like(w)
    vhat = np.zeros_like(w)
    for t, g in enumerate(grads, start=1):
        g = g.astype(np.float64)
        if wd is not None:
            w = w - w * wd * lr
        m = m + (g - m) * (1 - b1)
        v = v + (g * g - v) * (1 - b2)
        if amsgrad:
            vhat = np.maximum(vhat, v)
            denom = np.sqrt(vhat) + eps
        else:
            denom = np.sqrt(v) + eps
        w = w - keras_step_size(lr, b1, b2, t) * m / denom
    return w


def ref_rmsprop(w, grads, lr=0.001, rho=0.9, momentum=0.0, eps=1e-7, centered=False):
    w = w.astype(np.float64)
    v = np.zeros_like(w)
    a = np.zeros_like(w)
    mom = np.zeros_like(w)
    for g in grads:
        g = g.astype(np.float64)
        v = rho * v + (1 - rho) * g * g
        if centered:
            a = rho * a + (1 - rho) * g
            d = v - a * a + eps
        else:
            d = v + eps
        inc = lr * g / np.sqrt(d)
        if momentum > 0:
            mom = momentum * mom + inc
            w = w - mom
        else:
            w = w - inc
    return w


def ref_adagrad(w, grads, lr=0.001, initial=0.1, eps=1e-7):
    w = w.astype(np.float64)
    acc = np.full_like(w, initial)
    for g in grads:
        g = g.astype(np.float64)
        acc = acc + g * g
        w = w - lr * g / np.sqrt(acc + eps)
    return w


def ref_adamax(w, grads, lr=0.001, b1=0.9, b2=0.999, eps=1e-7):
    w = w.astype(np.float64)
    m = np.zeros_like(w)
    u = np.zeros_like(w)
    for t, g in enumerate(grads, start=1):
        g = g.astype(np.float64)
        m = m + (g - m) * (1 - b1)
        u = np.maximum(b2 * u, np.abs(g))
        w = w - lr * m / ((1 - b1 ** t) * (u + eps))
    return w


def ref_nadam(w, grads, lr=0.001, b1=0.9, b2=0.999, eps=1e-7):
    w = w.astype(np.float64)
    m = np.zeros_like(w)
    v = np.zeros_like(w)
    product = 1.0
    for t, g in enumerate(grads, start=1):
        g = g.astype(np.float64)
        u_t, u_next = b1 * (1 - 0.5 * 0.96 ** t), b1 * (1 - 0.5 * 0.96 ** (t + 1))
        product *= u_t
        m = m + (g - m) * (1 - b1)
        v = v + (g * g - v) * (1 - b2)
        m_hat = u_next * m / (1 - product * u_next) + (1 - u_t) * g / (1 - product)
        w = w - lr * m_hat / (np.sqrt(v / (1 - b2 ** t)) + eps)
    return w


def run(optimizer, variables, grad_steps):
    for grads in grad_steps:
        optimizer.apply(grads, variables)
    return [v.numpy() for v in variables]


CASES = [
    (lambda: optimizers.SGD(), lambda w, g: ref_sgd(w, g)),
    (lambda: optimizers.SGD(0.1, momentum=0.9), lambda w, g: ref_sgd(w, g, 0.1, 0.9)),
    (lambda: optimizers.SGD(0.1, momentum=0.9, nesterov=True),
     lambda w, g: ref_sgd(w, g, 0.1, 0.9, True)),
    (lambda: optimizers.Adam(), lambda w, g: ref_adam(w, g)),
    (lambda: optimizers.Adam(0.01, beta_1=0.8, beta_2=0.99, epsilon=1e-3),
     lambda w, g: ref_adam(w, g, 0.01, 0.8, 0.99, 1e-3)),
    (lambda: optimizers.Adam(0.01, amsgrad=True), lambda w, g: ref_adam(w, g, 0.01, amsgrad=True)),
    (lambda: optimizers.AdamW(0.01), lambda w, g: ref_adam(w, g, 0.01, wd=0.004)),
    (lambda: optimizers.AdamW(0.01, weight_decay=0.1, amsgrad=True),
     lambda w, g: ref_adam(w, g, 0.01, amsgrad=True, wd=0.1)),
    (lambda: optimizers.RMSprop(), lambda w, g: ref_rmsprop(w, g)),
    (lambda: optimizers.RMSprop(0.01, rho=0.8, momentum=0.5),
     lambda w, g: ref_rmsprop(w, g, 0.01, 0.8, 0.5)),
    (lambda: optimizers.RMSprop(0.01, centered=True), lambda w, g: ref_rmsprop(w, g, 0.01, centered=True)),
    (lambda: optimizers.RMSprop(0.01, momentum=0.9, centered=True, epsilon=1e-4),
     lambda w, g: ref_rmsprop(w, g, 0.01, momentum=0.9, eps=1e-4, centered=True)),
    (lambda: optimizers.Adagrad(), lambda w, g: ref_adagrad(w, g)),
    (lambda: optimizers.Adagrad(0.05, initial_accumulator_value=0.5, epsilon=1e-3),
     lambda w, g: ref_adagrad(w, g, 0.05, 0.5, 1e-3)),
    (lambda: optimizers.Adamax(), lambda w, g: ref_adamax(w, g)),
    (lambda: optimizers.Adamax(0.02, beta_1=0.8, beta_2=0.95, epsilon=1e-4),
     lambda w, g: ref_adamax(w, g, 0.02, 0.8, 0.95, 1e-4)),
    (lambda: optimizers.Nadam(), lambda w, g: ref_nadam(w, g)),
    (lambda: optimizers.Nadam(0.01, beta_1=0.8, epsilon=1e-4), lambda w, g: ref_nadam(w, g, 0.01, 0.8, eps=1e-4)),
]


@pytest.mark.parametrize("steps", [1, 7])
@pytest.mark.parametrize("make, reference", CASES)
def test_update_rule_matches_reference(make, reference, steps):
    variables = make_variables()
    initial = [v.numpy() for v in variables]
    grad_steps = make_grads(variables, steps)
    got = run(make(), variables, grad_steps)
    for i, (w0, w) in enumerate(zip(initial, got)):
        expected = reference(w0, [g[i] for g in grad_steps])
        np.testing.assert_allclose(w, expected, rtol=RTOL, atol=1e-7)
        assert not np.allclose(w, w0), "the step must move the variable"


def test_keras_one_step_values():
    # Values printed by Keras 3.15.1 (JAX backend) for w=[1, -2, 3], g=[0.5, -1, 2].
    w0, g = np.array([1.0, -2.0, 3.0], np.float32), np.array([0.5, -1.0, 2.0], np.float32)
    for optimizer, expected in [
        (optimizers.SGD(0.1, momentum=0.9, nesterov=True), [0.9049999713897705, -1.809999942779541, 2.619999885559082]),
        (optimizers.Adam(0.1), [0.9000012874603271, -1.900001049041748, 2.900000810623169]),
        (optimizers.RMSprop(0.1), [0.68377286195755, -1.683772325515747, 2.683772325515747]),
    ]:
        variable = keras.Variable(w0.copy())
        optimizer.apply([g], [variable])
        np.testing.assert_allclose(variable.numpy(), expected, rtol=1e-6)


def test_weight_decay_on_any_optimizer_and_exclusion():
    variables = make_variables()
    initial = [v.numpy() for v in variables]
    grad_steps = make_grads(variables, 3)
    optimizer = optimizers.SGD(0.1, weight_decay=0.05)
    optimizer.exclude_from_weight_decay(var_names=["v1"])
    run(optimizer, variables, grad_steps)
    w, b = initial[0].astype(np.float64), initial[1].astype(np.float64)
    for g in grad_steps:
        w = w - w * 0.05 * 0.1 - 0.1 * g[0]
        b = b - 0.1 * g[1]  # excluded by name
    np.testing.assert_allclose(variables[0].numpy(), w, rtol=RTOL)
    np.testing.assert_allclose(variables[1].numpy(), b, rtol=RTOL)


def test_exclude_from_weight_decay_by_variable_and_after_build_fails():
    variables = make_variables()
    b0 = variables[1].numpy()
    optimizer = optimizers.AdamW(0.1, weight_decay=0.5)
    optimizer.exclude_from_weight_decay(var_list=[variables[1]])
    zero = [np.zeros(v.shape, np.float32) for v in variables]
    optimizer.apply(zero, variables)
    np.testing.assert_array_equal(variables[1].numpy(), b0)
    with pytest.raises(ValueError, match="before the optimizer is built"):
        optimizer.exclude_from_weight_decay(var_names=["v0"])


# ------------------------------------------------------------------ clipping

def test_clipnorm_per_gradient():
    variable_a, variable_b = keras.Variable(np.zeros(2, np.float32)), keras.Variable(np.zeros(2, np.float32))
    ga, gb = np.array([3.0, 4.0], np.float32), np.array([0.3, 0.4], np.float32)  # norms 5 and 0.5
    optimizers.SGD(1.0, clipnorm=1.0).apply([ga, gb], [variable_a, variable_b])
    np.testing.assert_allclose(variable_a.numpy(), -ga / 5, rtol=RTOL)
    np.testing.assert_allclose(variable_b.numpy(), -gb, rtol=RTOL)


def test_global_clipnorm_over_all_gradients():
    variables = [keras.Variable(np.zeros(2, np.float32)), keras.Variable(np.zeros(1, np.float32))]
    grads = [np.array([3.0, 4.0], np.float32), np.array([12.0], np.float32)]  # global norm 13
    optimizers.SGD(1.0, global_clipnorm=2.6).apply(grads, variables)
    np.testing.assert_allclose(variables[0].numpy(), -grads[0] / 5, rtol=RTOL)
    np.testing.assert_allclose(variables[1].numpy(), -grads[1] / 5, rtol=RTOL)
    small = [keras.Variable(np.zeros(1, np.float32))]
    optimizers.SGD(1.0, global_clipnorm=100.0).apply([np.array([2.0], np.float32)], small)
    np.testing.assert_allclose(small[0].numpy(), [-2.0])


def test_global_clipnorm_non_finite_makes_nan_like_keras():
    variables = [keras.Variable(np.zeros(2, np.float32))]
    with np.errstate(over="ignore"):
        optimizers.SGD(1.0, global_clipnorm=1.0).apply([np.array([np.inf, 1.0], np.float32)], variables)
    assert np.isnan(variables[0].numpy()).all()


def test_clipvalue_elementwise_and_gradient_untouched():
    variable = keras.Variable(np.zeros(4, np.float32))
    grad = np.array([-3.0, -0.5, 0.25, 9.0], np.float32)
    saved = grad.copy()
    optimizers.SGD(1.0, clipvalue=1.0).apply([grad], [variable])
    np.testing.assert_allclose(variable.numpy(), [1.0, 0.5, -0.25, -1.0])
    np.testing.assert_array_equal(grad, saved)


def test_clipnorm_with_adam_clips_before_the_moments():
    variables = make_variables()
    initial = [v.numpy() for v in variables]
    grad_steps = make_grads(variables, 4)
    run(optimizers.Adam(0.01, clipnorm=0.5), variables, grad_steps)
    for i, w0 in enumerate(initial):
        clipped = []
        for g in grad_steps:
            g = g[i].astype(np.float64)
            clipped.append(g * 0.5 / max(np.linalg.norm(g), 0.5))
        np.testing.assert_allclose(variables[i].numpy(), ref_adam(w0, clipped, 0.01), rtol=RTOL)


def test_more_than_one_clip_argument_is_rejected():
    with pytest.raises(ValueError, match="only one of `clipnorm`"):
        optimizers.SGD(clipnorm=1.0, global_clipnorm=1.0)
    with pytest.raises(ValueError, match="only one of `clipnorm`"):
        optimizers.Adam(clipnorm=1.0, clipvalue=1.0)


# --------------------------------------------------------- learning rate, steps

def test_learning_rate_changed_between_steps_takes_effect():
    variable = keras.Variable(np.array([1.0], np.float32))
    optimizer = optimizers.SGD(0.1)
    optimizer.apply([np.array([1.0], np.float32)], [variable])
    optimizer.learning_rate = 0.5
    assert float(optimizer.learning_rate) == pytest.approx(0.5)
    optimizer.apply([np.array([1.0], np.float32)], [variable])
    np.testing.assert_allclose(variable.numpy(), [1.0 - 0.1 - 0.5], rtol=RTOL)
    optimizer.learning_rate.assign(0.25)  # Keras also exposes the Variable
    optimizer.apply([np.array([1.0], np.float32)], [variable])
    np.testing.assert_allclose(variable.numpy(), [1.0 - 0.1 - 0.5 - 0.25], rtol=RTOL)


def test_callable_learning_rates():
    variable = keras.Variable(np.array([0.0], np.float32))
    optimizer = optimizers.SGD(lambda step: 0.1 * (step + 1))  # schedule(iterations)
    for _ in range(3):
        optimizer.apply([np.array([1.0], np.float32)], [variable])
    np.testing.assert_allclose(variable.numpy(), [-(0.1 + 0.2 + 0.3)], rtol=RTOL)
    assert [v.name for v in optimizer.variables] == ["iteration"]
    assert float(optimizer.learning_rate) == pytest.approx(0.4)
    with pytest.raises(TypeError, match="schedule"):
        optimizer.learning_rate = 0.1
    no_arg = optimizers.SGD(lambda: 0.5)  # Keras's plain callable
    no_arg.apply([np.array([1.0], np.float32)], [variable])
    np.testing.assert_allclose(variable.numpy(), [-1.1], rtol=RTOL)


def test_bad_learning_rate():
    with pytest.raises(ValueError, match="learning_rate"):
        optimizers.Adam(learning_rate="fast")


def test_iterations_count_applied_steps():
    variables = make_variables()
    optimizer = optimizers.Adam()
    assert int(optimizer.iterations) == 0
    assert optimizer.iterations.dtype == "int64" and not optimizer.iterations.trainable
    run(optimizer, variables, make_grads(variables, 3))
    assert int(optimizer.iterations) == 3
    assert optimizer.apply_gradients(zip(make_grads(variables, 1)[0], variables)) is optimizer.iterations
    assert int(optimizer.iterations) == 4


def test_apply_without_variables_uses_the_built_list():
    variables = make_variables()
    grads = make_grads(variables, 2)
    optimizer = optimizers.SGD(0.1)
    with pytest.raises(ValueError, match="must already be built"):
        optimizer.apply(grads[0])
    optimizer.build(variables)
    optimizer.apply(grads[0])
    optimizer.apply(grads[1])
    for i, w in enumerate(variables):
        assert np.isfinite(w.numpy()).all()
    with pytest.raises(ValueError, match="one gradient per variable"):
        optimizer.apply(grads[0][:1])


# ------------------------------------------------------------ None and errors

def test_none_gradient_skips_that_variable():
    variables = make_variables()
    before = [v.numpy() for v in variables]
    grads = make_grads(variables, 1)[0]
    optimizer = optimizers.Adam(0.1)
    with pytest.warns(UserWarning, match="v1"):
        optimizer.apply([grads[0], None], variables)
    assert not np.allclose(variables[0].numpy(), before[0])
    np.testing.assert_array_equal(variables[1].numpy(), before[1])
    np.testing.assert_array_equal(optimizer._velocities[1].numpy(), 0)
    with pytest.raises(ValueError, match="no gradients provided"):
        optimizer.apply([None, None], variables)


def test_gradients_may_be_tensors_or_numpy_float64():
    a, b = make_variables(), make_variables()
    grads = make_grads(a, 1)[0]
    optimizers.SGD(0.1).apply([keras.ops.convert_to_tensor(g) for g in grads], a)
    optimizers.SGD(0.1).apply([g.astype(np.float64) for g in grads], b)
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x.numpy(), y.numpy())
        assert x.dtype == "float32"


def test_wrong_count_and_shape_errors_name_the_variable():
    variables = make_variables()
    optimizer = optimizers.SGD()
    with pytest.raises(ValueError, match="1 gradients for 2 variables"):
        optimizer.apply([np.zeros((3, 4))], variables)
    with pytest.raises(ValueError, match=r"'v1'.*\(5,\).*\(4,\)"):
        optimizer.apply([np.zeros((3, 4)), np.zeros(5)], variables)
    other = keras.Variable(np.zeros(2, np.float32), name="stranger")
    with pytest.raises(ValueError, match="stranger"):
        optimizer.apply([np.zeros(2)], [other])


def test_unknown_keyword_is_rejected():
    with pytest.raises(ValueError, match="not recognized"):
        optimizers.Adam(beta1=0.5)


def test_constraint_applied_after_update():
    variable = keras.Variable(np.array([0.5, -0.5], np.float32))
    variable.constraint = lambda v: keras.ops.clip(v, -0.6, 0.6)
    optimizers.SGD(1.0).apply([np.array([-1.0, 1.0], np.float32)], [variable])
    np.testing.assert_allclose(variable.numpy(), [0.6, -0.6])


def test_loss_scale_factor_divides_gradients():
    variable = keras.Variable(np.array([1.0], np.float32))
    optimizer = optimizers.SGD(0.5, loss_scale_factor=4.0)
    assert float(optimizer.scale_loss(keras.ops.convert_to_tensor(2.0))) == 8.0
    optimizer.apply([np.array([4.0], np.float32)], [variable])
    np.testing.assert_allclose(variable.numpy(), [0.5])


def test_gradient_accumulation_applies_the_mean_every_n_steps():
    variable = keras.Variable(np.array([0.0], np.float32))
    optimizer = optimizers.SGD(1.0, gradient_accumulation_steps=2)
    optimizer.apply([np.array([1.0], np.float32)], [variable])
    np.testing.assert_array_equal(variable.numpy(), [0.0])
    optimizer.apply([np.array([3.0], np.float32)], [variable])
    np.testing.assert_allclose(variable.numpy(), [-2.0])
    assert int(optimizer.iterations) == 1 and int(optimizer._iterations) == 2
    np.testing.assert_array_equal(optimizer._accumulated_gradients[0].numpy(), [0.0])


def test_ema_averages_and_finalize():
    variable = keras.Variable(np.array([0.0], np.float32))
    optimizer = optimizers.SGD(1.0, use_ema=True, ema_momentum=0.5)
    values = []
    for _ in range(3):
        optimizer.apply([np.array([-1.0], np.float32)], [variable])
        values.append(float(variable.numpy()[0]))
    average = values[0]  # first step: momentum 0, the average is the variable
    for value in values[1:]:
        average = 0.5 * average + 0.5 * value
    np.testing.assert_allclose(optimizer._averages[0].numpy(), [average], rtol=RTOL)
    optimizer.finalize_variable_values([variable])
    np.testing.assert_allclose(variable.numpy(), [average], rtol=RTOL)


# ------------------------------------------------------- variables and config

def test_variables_order_and_names_follow_keras():
    from pykeras.layers import Dense

    dense = Dense(3, name="dense")
    dense.build((None, 2))
    adam = optimizers.Adam(amsgrad=True, name="adam")
    adam.build(dense.trainable_weights)
    assert [v.path for v in adam.variables] == [
        "adam/iteration", "adam/learning_rate",
        "adam/dense_kernel_momentum", "adam/dense_kernel_velocity",
        "adam/dense_bias_momentum", "adam/dense_bias_velocity",
        "adam/dense_kernel_velocity_hat", "adam/dense_bias_velocity_hat",
    ]
    rms = optimizers.RMSprop(momentum=0.5, centered=True, name="rmsprop")
    rms.build(dense.trainable_weights)
    assert [v.name for v in rms.variables] == [
        "iteration", "learning_rate",
        "dense_kernel_velocity", "dense_bias_velocity",
        "dense_kernel_momentum", "dense_bias_momentum",
        "dense_kernel_average_gradient", "dense_bias_average_gradient",
    ]
    sgd = optimizers.SGD(name="sgd")
    sgd.build(dense.trainable_weights)
    assert [v.name for v in sgd.variables] == ["iteration", "learning_rate"]
    ema = optimizers.SGD(momentum=0.9, use_ema=True, name="sgd_ema")
    ema.build(dense.trainable_weights)
    assert [v.name for v in ema.variables] == [
        "iteration", "learning_rate", "dense_kernel_average", "dense_bias_average",
        "dense_kernel_momentum", "dense_bias_momentum",
    ]
    assert all(not v.trainable for v in adam.variables)
    assert adam.variables[2].shape == (2, 3) and adam.variables[3].shape == (2, 3)
    # Keras 3.15's own lists for these two (checked against it).
    adagrad = optimizers.Adagrad(initial_accumulator_value=0.25, name="adagrad")
    adagrad.build(dense.trainable_weights)
    assert [v.name for v in adagrad.variables] == [
        "iteration", "learning_rate", "dense_kernel_accumulator", "dense_bias_accumulator"]
    np.testing.assert_array_equal(adagrad.variables[2].numpy(), np.full((2, 3), 0.25, np.float32))
    nadam = optimizers.Nadam(name="nadam")
    nadam.build(dense.trainable_weights)
    assert [v.name for v in nadam.variables] == [
        "iteration", "learning_rate", "dense_kernel_momentum", "dense_kernel_velocity", "dense_bias_momentum",
        "dense_bias_velocity", "u_product"]  # Keras's last one is unnamed; files go by position
    adamax = optimizers.Adamax(name="adamax")
    adamax.build(dense.trainable_weights)
    assert [v.name for v in adamax.variables] == [
        "iteration", "learning_rate", "dense_kernel_momentum", "dense_kernel_norm", "dense_bias_momentum",
        "dense_bias_norm"]


def test_default_names_are_keras_snake_case():
    assert optimizers.AdamW().name.startswith("adam_w")
    assert optimizers.RMSprop().name.startswith("rm_sprop")
    assert optimizers.SGD().name.startswith("sgd")


@pytest.mark.parametrize("make", [
    lambda: optimizers.SGD(0.05, momentum=0.5, nesterov=True, clipnorm=1.0),
    lambda: optimizers.Adam(0.002, beta_1=0.8, amsgrad=True, global_clipnorm=2.0),
    lambda: optimizers.AdamW(0.003, weight_decay=0.01, clipvalue=0.5),
    lambda: optimizers.RMSprop(0.004, rho=0.7, momentum=0.1, centered=True, use_ema=True),
    lambda: optimizers.Adagrad(0.01, initial_accumulator_value=0.3, clipnorm=1.0),
    lambda: optimizers.Adamax(0.002, beta_2=0.9, weight_decay=0.01),
])
def test_config_round_trip(make):
    optimizer = make()
    config = optimizer.get_config()
    for key in ("name", "learning_rate", "weight_decay", "clipnorm", "global_clipnorm",
                "clipvalue", "use_ema", "ema_momentum", "ema_overwrite_frequency",
                "loss_scale_factor", "gradient_accumulation_steps"):
        assert key in config
    clone = type(optimizer).from_config(config)
    assert clone.get_config() == config
    via_get = optimizers.get(optimizers.serialize(optimizer))
    assert type(via_get) is type(optimizer) and via_get.get_config() == config


def test_serialize_form():
    data = optimizers.serialize(optimizers.SGD(name="sgd_x"))
    assert data["module"] == "keras.optimizers" and data["class_name"] == "SGD"
    assert data["registered_name"] is None
    assert data["config"]["learning_rate"] == pytest.approx(0.01)
    assert data["config"]["momentum"] == 0.0 and data["config"]["nesterov"] is False


def test_keras_written_config_loads():
    # A compile_config optimizer entry as Keras 3.15 writes it.
    config = {"module": "keras.optimizers", "class_name": "Adam", "config": {
        "name": "adam", "learning_rate": 0.0010000000474974513, "weight_decay": None,
        "clipnorm": None, "global_clipnorm": None, "clipvalue": None, "use_ema": False,
        "ema_momentum": 0.99, "ema_overwrite_frequency": None, "loss_scale_factor": None,
        "gradient_accumulation_steps": None, "beta_1": 0.9, "beta_2": 0.999,
        "epsilon": 1e-07, "amsgrad": False}, "registered_name": None}
    optimizer = optimizers.get(config)
    assert isinstance(optimizer, optimizers.Adam) and optimizer.name == "adam"


def test_get_resolves_names_and_rejects_unknown():
    assert isinstance(optimizers.get("sgd"), optimizers.SGD)
    assert isinstance(optimizers.get("adam"), optimizers.Adam)
    assert isinstance(optimizers.get("adamw"), optimizers.AdamW)
    assert isinstance(optimizers.get("rmsprop"), optimizers.RMSprop)
    assert isinstance(optimizers.get("RMSprop"), optimizers.RMSprop)
    instance = optimizers.Adam()
    assert optimizers.get(instance) is instance
    with pytest.raises(ValueError, match="adamw.*rmsprop.*sgd"):
        optimizers.get("adagradx")


def test_save_and_load_own_variables():
    variables = make_variables()
    a = optimizers.Adam(0.1)
    run(a, variables, make_grads(variables, 2))
    store = {}
    a.save_own_variables(store)
    b = optimizers.Adam(0.1)
    b.build(variables)
    b.load_own_variables(store)
    for x, y in zip(a.variables, b.variables):
        np.testing.assert_array_equal(x.numpy(), y.numpy())
    c = optimizers.Adam(0.1)
    with pytest.warns(UserWarning, match="Skipping variable loading"):
        c.load_own_variables(store)


def test_step_does_not_reallocate_variables_or_slots():
    variables = make_variables()
    optimizer = optimizers.Adam(0.1, amsgrad=True)
    grads = make_grads(variables, 2)
    optimizer.apply(grads[0], variables)
    arrays = [v._value for v in variables] + [v._value for v in optimizer.variables]
    optimizer.apply(grads[1], variables)
    assert all(a is b for a, b in zip(arrays, [v._value for v in variables]
                                      + [v._value for v in optimizer.variables]))


def test_training_a_linear_model_converges():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 3)).astype(np.float32)
    true_w = np.array([[1.0], [-2.0], [0.5]], np.float32)
    y = x @ true_w
    for optimizer in [optimizers.SGD(0.1, momentum=0.9), optimizers.Adam(0.05),
                      optimizers.RMSprop(0.01), optimizers.AdamW(0.05, weight_decay=0.0)]:
        w = keras.Variable(np.zeros((3, 1), np.float32), name="w")
        for _ in range(300):
            with keras.GradientTape() as tape:
                loss = keras.ops.mean(keras.ops.square(keras.ops.matmul(x, w) - y))
            optimizer.apply(tape.gradient(loss, [w]), [w])
        np.testing.assert_allclose(w.numpy(), true_w, atol=2e-2, err_msg=type(optimizer).__name__)


def test_no_warning_on_normal_step():
    variables = make_variables()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        run(optimizers.RMSprop(), variables, make_grads(variables, 2))


def test_fit_with_ema_leaves_the_model_holding_the_averages():
    # Keras's fit finalizes: the weights become the optimizer's moving averages.
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(optimizer=optimizers.SGD(0.1, use_ema=True, ema_momentum=0.9), loss="mse")
    x, y = np.ones((8, 2), np.float32), np.zeros((8, 1), np.float32)
    model.fit(x, y, batch_size=4, epochs=2, verbose=0)
    averages = [v.numpy() for v in model.optimizer._averages]
    for weight, average in zip(model.get_weights(), averages):
        np.testing.assert_array_equal(weight, average)
