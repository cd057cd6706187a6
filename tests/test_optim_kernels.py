"""The fused multi-tensor optimizer kernels (_core.sgd_update / adam_update / rmsprop_update /
factored_update) against the numpy reference rules of pykeras.optimizers, bit for bit, on every ISA
and thread count."""
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import pykeras as keras
from pykeras import _core, optimizers
from pykeras.optimizers.optimizer import Optimizer
from kernel_paths import supported_isas

HYPOTHESIS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


ISAS = supported_isas()


@pytest.fixture(autouse=True)
def restore_native_updates():
    yield
    Optimizer.use_native_updates = True


# Each rule: the optimizer whose numpy `_update` is the reference, the number of slots, and the native call.
RULES = {
    "sgd": (lambda: optimizers.SGD(0.1), 0,
            lambda w, g, s, lr, t, **kw: _core.sgd_update(w, g, None, lr, 0.0, False, **kw)),
    "sgd_momentum": (lambda: optimizers.SGD(0.1, momentum=0.9), 1,
                     lambda w, g, s, lr, t, **kw: _core.sgd_update(w, g, s[0], lr, 0.9, False, **kw)),
    "sgd_nesterov": (lambda: optimizers.SGD(0.1, momentum=0.7, nesterov=True), 1,
                     lambda w, g, s, lr, t, **kw: _core.sgd_update(w, g, s[0], lr, 0.7, True, **kw)),
    "adam": (lambda: optimizers.Adam(0.01), 2,
             lambda w, g, s, lr, t, **kw: _core.adam_update(w, g, s[0], s[1], None, lr, 0.9, 0.999, 1e-7, t, **kw)),
    "adam_custom": (lambda: optimizers.Adam(0.01, beta_1=0.8, beta_2=0.99, epsilon=1e-3), 2,
                    lambda w, g, s, lr, t, **kw: _core.adam_update(w, g, s[0], s[1], None, lr, 0.8, 0.99, 1e-3, t,
                                                                   **kw)),
    "amsgrad": (lambda: optimizers.Adam(0.01, amsgrad=True), 3,
                lambda w, g, s, lr, t, **kw: _core.adam_update(w, g, s[0], s[1], s[2], lr, 0.9, 0.999, 1e-7, t,
                                                               **kw)),
    "rmsprop": (lambda: optimizers.RMSprop(0.01), 1,
                lambda w, g, s, lr, t, **kw: _core.rmsprop_update(w, g, s[0], None, None, lr, 0.9, 0.0, 1e-7, **kw)),
    "rmsprop_momentum": (lambda: optimizers.RMSprop(0.01, rho=0.8, momentum=0.5), 2,
                         lambda w, g, s, lr, t, **kw: _core.rmsprop_update(w, g, s[0], s[1], None, lr, 0.8, 0.5,
                                                                           1e-7, **kw)),
    "rmsprop_centered": (lambda: optimizers.RMSprop(0.01, centered=True), 2,
                         lambda w, g, s, lr, t, **kw: _core.rmsprop_update(w, g, s[0], None, s[1], lr, 0.9, 0.0,
                                                                           1e-7, **kw)),
    "rmsprop_both": (lambda: optimizers.RMSprop(0.01, momentum=0.9, centered=True, epsilon=1e-4), 3,
                     lambda w, g, s, lr, t, **kw: _core.rmsprop_update(w, g, s[0], s[1], s[2], lr, 0.9, 0.9, 1e-4,
                                                                       **kw)),
}


def run_both(rule, shapes, steps, seed, lr=0.01):
    """Runs `steps` updates natively and with the numpy `_update`; returns both states."""
    make, nslots, native = RULES[rule]
    opt = make()
    rng = np.random.default_rng(seed)
    values = [rng.normal(size=s).astype(np.float32) for s in shapes]
    # Non-zero slots (Adam's v must stay >= 0), so the first step already exercises every term.
    slots = [[np.abs(rng.normal(size=s)).astype(np.float32) * 0.1 for s in shapes] for _ in range(nslots)]
    ref_values = [v.copy() for v in values]
    ref_slots = [[a.copy() for a in lst] for lst in slots]
    for t in range(1, steps + 1):
        grads = [rng.normal(size=s).astype(np.float32) for s in shapes]
        native(values, grads, slots, lr, t)
        with np.errstate(all="ignore"):  # centered RMSprop may take sqrt of a negative: NaN on both sides
            for i in range(len(shapes)):
                opt._update(ref_values[i], grads[i], tuple(lst[i] for lst in ref_slots), lr, t)
    return (values, slots), (ref_values, ref_slots)


def assert_same_state(got, want):
    (values, slots), (ref_values, ref_slots) = got, want
    for a, b in zip(values, ref_values):
        np.testing.assert_array_equal(a, b)
    for lst, ref in zip(slots, ref_slots):
        for a, b in zip(lst, ref):
            np.testing.assert_array_equal(a, b)


SHAPES = st.lists(
    st.sampled_from([(0,), (1,), (3,), (15,), (16,), (17,), (2, 0), (7, 5), (33, 31), (64, 65), (4097,), (2, 3, 5)]),
    min_size=0, max_size=5)


@HYPOTHESIS
@given(rule=st.sampled_from(sorted(RULES)), isa=st.sampled_from(ISAS), threads=st.sampled_from([1, 2]),
       shapes=SHAPES, steps=st.integers(1, 6), seed=st.integers(0, 2**31 - 1))
def test_native_rule_matches_numpy_bitwise(rule, isa, threads, shapes, steps, seed):
    _core.set_isa(isa)
    _core.set_num_threads(threads)
    got, want = run_both(rule, shapes, steps, seed)
    assert_same_state(got, want)


@pytest.mark.parametrize("rule", sorted(RULES))
def test_big_variable_on_one_and_two_threads_is_bitwise_equal(rule):
    # 200,003 floats: above the two-thread threshold, not a multiple of any vector width.
    shapes = [(200_003,), (3, 7)]
    states = []
    for threads in (1, 2):
        _core.set_num_threads(threads)
        got, want = run_both(rule, shapes, 3, seed=11)
        assert_same_state(got, want)
        states.append(got)
    assert_same_state(states[0], states[1])


@pytest.mark.parametrize("rule", sorted(RULES))
def test_threads_share_every_variable(rule):
    # 120,006 floats in four variables: each thread takes its band of every variable (the band its
    # GEMMs wrote), whole cache lines, and the small third one lies wholly in one share. Every split
    # must give the numpy state.
    shapes = [(40_000,), (30_001,), (5,), (50_000,)]
    states = []
    for threads in (1, 2, 3):
        _core.set_num_threads(threads)
        got, want = run_both(rule, shapes, 2, seed=17)
        assert_same_state(got, want)
        states.append(got)
    for other in states[1:]:
        assert_same_state(states[0], other)


@pytest.mark.parametrize("isa", ISAS)
def test_every_isa_matches_portable(isa):
    results = []
    for name in ("portable", isa):
        _core.set_isa(name)
        results.append(run_both("rmsprop_both", [(1000,), (37, 3)], 4, seed=5)[0])
        results.append(run_both("amsgrad", [(1000,), (37, 3)], 4, seed=5)[0])
    assert_same_state(results[0], results[2])
    assert_same_state(results[1], results[3])


def test_adam_step_size_is_keras_float32_formula():
    f32 = np.float32
    for lr, b1, b2 in [(1e-3, 0.9, 0.999), (0.01, 0.8, 0.99), (3e-4, 0.95, 0.9999)]:
        for t in [1, 2, 3, 7, 10, 100, 1000, 4321, 100_000, 10**6]:
            want = f32(lr) * np.sqrt(f32(1) - f32(b2) ** f32(t)) / (f32(1) - f32(b1) ** f32(t))
            assert np.float32(_core.adam_step_size(lr, b1, b2, t)) == want, (lr, b1, b2, t)


# ------------------------------------------------------------------------- gradient transforms

def _transformed(rule, options, seed=3):
    """Native with the given options vs numpy: transform the gradient, decay, then the rule."""
    make, nslots, native = RULES[rule]
    opt = make()
    shapes = [(300,), (5, 7), (0,)]
    rng = np.random.default_rng(seed)
    values = [rng.normal(size=s).astype(np.float32) for s in shapes]
    slots = [[np.zeros(s, np.float32) for s in shapes] for _ in range(nslots)]
    ref_values, ref_slots = [v.copy() for v in values], [[a.copy() for a in lst] for lst in slots]
    for t in (1, 2, 3):
        grads = [rng.normal(size=s).astype(np.float32) for s in shapes]
        native(values, grads, slots, 0.05, t, **options)
        for i, g in enumerate(grads):
            if "grad_scales" in options:
                g = g * np.float32(options["grad_scales"][i])
            if "clipvalue" in options:
                g = np.clip(g, -options["clipvalue"], options["clipvalue"])
            if options.get("weight_decay") is not None and (options.get("decay") is None or options["decay"][i]):
                ref_values[i] -= ref_values[i] * options["weight_decay"]
            opt._update(ref_values[i], g, tuple(lst[i] for lst in ref_slots), 0.05, t)
    assert_same_state((values, slots), (ref_values, ref_slots))


@pytest.mark.parametrize("rule", ["sgd", "sgd_nesterov", "adam", "amsgrad", "rmsprop_both"])
@pytest.mark.parametrize("options", [
    {"clipvalue": 0.3},
    {"grad_scales": [0.5, np.float32(0.25), 1.0]},
    {"grad_scales": [np.float32(np.nan)] * 3},
    {"weight_decay": 0.004},
    {"weight_decay": 0.1, "decay": [True, False, True]},
    {"weight_decay": 0.01, "clipvalue": 0.5},
], ids=["clipvalue", "scales", "nan_scale", "decay", "decay_mask", "decay_clip"])
def test_transforms_match_numpy(rule, options):
    with np.errstate(invalid="ignore"):
        _transformed(rule, options)


# --------------------------------------------------------- the optimizers' native path vs numpy

OPTIMIZER_CASES = {
    "sgd": lambda: optimizers.SGD(0.1),
    "sgd_nesterov": lambda: optimizers.SGD(0.1, momentum=0.9, nesterov=True),
    "adam": lambda: optimizers.Adam(0.01),
    "adamw_amsgrad": lambda: optimizers.AdamW(0.01, weight_decay=0.1, amsgrad=True),
    "rmsprop_centered": lambda: optimizers.RMSprop(0.01, momentum=0.5, centered=True),
    "adam_clipnorm": lambda: optimizers.Adam(0.01, clipnorm=0.5),
    "sgd_global_clipnorm": lambda: optimizers.SGD(0.1, momentum=0.9, global_clipnorm=0.8),
    "rmsprop_clipvalue": lambda: optimizers.RMSprop(0.01, clipvalue=0.2),
    "adamw_excluded": lambda: optimizers.AdamW(0.01, weight_decay=0.05),
    "adam_ema": lambda: optimizers.Adam(0.01, use_ema=True, ema_overwrite_frequency=2),
    "sgd_accumulation": lambda: optimizers.SGD(0.1, momentum=0.9, gradient_accumulation_steps=2),
    "adam_loss_scale": lambda: optimizers.Adam(0.01, loss_scale_factor=4.0),
    "nadam": lambda: optimizers.Nadam(0.01),
    "nadam_clipvalue_decay": lambda: optimizers.Nadam(0.02, beta_1=0.8, clipvalue=0.3, weight_decay=0.01),
    "adagrad": lambda: optimizers.Adagrad(0.05, initial_accumulator_value=0.2),
    "adagrad_clipnorm_decay": lambda: optimizers.Adagrad(0.05, epsilon=1e-4, clipnorm=0.4, weight_decay=0.02),
    "adamax": lambda: optimizers.Adamax(0.01),
    "adamax_clipvalue_decay": lambda: optimizers.Adamax(0.02, beta_1=0.8, beta_2=0.95, clipvalue=0.3,
                                                        weight_decay=0.01),
    "lion": lambda: optimizers.Lion(0.01),
    "lion_clipnorm_decay": lambda: optimizers.Lion(0.02, beta_1=0.7, beta_2=0.95, clipnorm=0.4, weight_decay=0.01),
    "adadelta": lambda: optimizers.Adadelta(1.0),
    "adadelta_clipvalue_decay": lambda: optimizers.Adadelta(0.5, rho=0.9, epsilon=1e-5, clipvalue=0.3,
                                                            weight_decay=0.02),
}


def _train(make, native, steps=6):
    Optimizer.use_native_updates = native
    rng = np.random.default_rng(0)
    variables = [keras.Variable(rng.normal(size=s).astype(np.float32), name=f"w{i}")
                 for i, s in enumerate([(20, 9), (9,), (70_001,)])]
    opt = make()
    if isinstance(opt, optimizers.AdamW):
        opt.exclude_from_weight_decay(var_names=["w1"])
    for _ in range(steps):
        opt.apply([rng.normal(size=v.shape).astype(np.float32) for v in variables], variables)
    return [v.numpy() for v in variables] + [v.numpy() for v in opt.variables]


@pytest.mark.parametrize("name", sorted(OPTIMIZER_CASES))
def test_optimizer_native_path_matches_numpy_path_bitwise(name):
    numpy_state = _train(OPTIMIZER_CASES[name], native=False)
    native_state = _train(OPTIMIZER_CASES[name], native=True)
    assert len(numpy_state) == len(native_state)
    for a, b in zip(numpy_state, native_state):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("isa", ISAS)
@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("case", ["nadam_clipvalue_decay", "adagrad_clipnorm_decay", "adamax_clipvalue_decay",
                                  "lion_clipnorm_decay", "adadelta_clipvalue_decay"])
def test_factored_rules_match_numpy_on_every_isa_and_thread_count(case, isa, threads):
    # These rules' factors are computed by the optimizer each step (Nadam's momentum schedule,
    # Adamax's bias correction), so they are checked through apply.
    numpy_state = _train(OPTIMIZER_CASES[case], native=False, steps=4)
    _core.set_isa(isa)  # restored after each test (conftest.py)
    _core.set_num_threads(threads)
    native_state = _train(OPTIMIZER_CASES[case], native=True, steps=4)
    for a, b in zip(numpy_state, native_state):
        np.testing.assert_array_equal(a, b)


def test_lion_signs_zero_and_nan_as_numpy_does():
    # numpy's sign makes -0 +0, so a -0 weight stays -0 where the direction is -0; NaN stays NaN.
    # Compared as bits (assert_array_equal has -0 == 0).
    opt = optimizers.Lion(0.1, beta_1=0.3)
    weights = np.array([-0.0, -0.0, -0.0, 1.5, -0.0, 2.0], np.float32)
    momentum = np.array([-0.0, 0.0, -1e-45, -0.0, 1.0, np.nan], np.float32)
    grad = np.array([-0.0, -0.0, -0.0, 0.0, 1.0, 1.0], np.float32)
    ref_w, ref_m = weights.copy(), momentum.copy()
    opt._update(ref_w, grad, (ref_m,), 0.1, 1)
    opt._update_native([weights], [grad], [[momentum]], 0.1, 1, {})
    assert np.signbit(ref_w[:3]).all() and np.isnan(ref_w[5])
    np.testing.assert_array_equal(weights.view(np.int32), ref_w.view(np.int32))
    np.testing.assert_array_equal(momentum.view(np.int32), ref_m.view(np.int32))


def test_global_clipnorm_non_finite_makes_nan_on_native_path():
    v = keras.Variable(np.ones(3, np.float32))
    optimizers.SGD(0.1, global_clipnorm=1.0).apply([np.array([np.inf, 1, 1], np.float32)], [v])
    assert np.isnan(v.numpy()).all()


def test_native_path_accepts_unusual_gradients():
    # Non-contiguous, float64, and a gradient sharing memory with the variable: all as numpy would do.
    results = []
    for native in (False, True):
        Optimizer.use_native_updates = native
        w = keras.Variable(np.arange(12, dtype=np.float32).reshape(3, 4))
        u = keras.Variable(np.ones(5, np.float32))
        opt = optimizers.Adam(0.1)
        opt.apply([np.arange(24, dtype=np.float32).reshape(3, 8)[:, ::2], np.ones(5)], [w, u])
        opt.apply([w._value, u._value], [w, u])
        results.append((w.numpy(), u.numpy()))
    for a, b in zip(*results):
        np.testing.assert_array_equal(a, b)


def test_subclass_overriding_update_keeps_its_rule():
    class SignSGD(optimizers.SGD):
        def _update(self, value, grad, slots, lr, step):
            value -= np.float32(lr) * np.sign(grad)

    v = keras.Variable(np.zeros(3, np.float32))
    SignSGD(0.5).apply([np.array([2.0, -3.0, 0.0], np.float32)], [v])
    np.testing.assert_array_equal(v.numpy(), [-0.5, 0.5, 0.0])


def test_fit_is_identical_on_native_and_numpy_paths():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(96, 12)).astype(np.float32)
    y = rng.integers(0, 3, size=96)
    weights = []
    for native in (False, True):
        Optimizer.use_native_updates = native
        model = keras.Sequential([keras.Input(shape=(12,)), keras.layers.Dense(16, activation="relu"),
                                  keras.layers.Dense(3)])
        if weights:
            model.set_weights(weights[0][0])
        start = model.get_weights()
        model.compile(optimizer=optimizers.Adam(0.01), loss="sparse_categorical_crossentropy")
        model.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
        weights.append((start, model.get_weights()))
    for a, b in zip(weights[0][1], weights[1][1]):
        np.testing.assert_array_equal(a, b)


# ------------------------------------------------------------------------------------ errors

F32 = np.float32


def _lists(n=2, shape=(3,)):
    return [[np.zeros(shape, F32) for _ in range(n)] for _ in range(4)]


def _ro(shape):
    a = np.zeros(shape, F32)
    a.setflags(write=False)
    return a


def _adam(w, g, m, v, **kw):
    return _core.adam_update(w, g, m, v, None, 0.1, 0.9, 0.999, 1e-7, 1, **kw)


def _case_overlap():
    w, g, m, v = _lists()
    buf = np.zeros(6, F32)
    m[1], v[1] = buf[:3], buf[2:5]
    _adam(w, g, m, v)


def _case_grad_overlaps_value():
    w, g, m, v = _lists()
    g[0] = w[0]
    _adam(w, g, m, v)


ERRORS = {
    "dtype": (lambda: _adam(*[[np.zeros(3, F32), np.zeros(3)] if i == 1 else lst for i, lst in enumerate(_lists())]),
              r"adam_update: argument 'grads\[1\]' must have dtype float32. Received: grads\[1\].dtype=float64"),
    "contiguous": (lambda: _adam(*[[np.zeros(3, F32), np.zeros(6, F32)[::2]] if i == 2 else lst
                                   for i, lst in enumerate(_lists())]), r"'m\[1\]' must be C-contiguous"),
    "read-only": (lambda: _adam(*[[_ro(3), np.zeros(3, F32)] if i == 0 else lst for i, lst in enumerate(_lists())]),
                  r"'values\[0\]' is updated in place and must be writeable"),
    "shape": (lambda: _adam(*[[np.zeros(3, F32), np.zeros((3, 1), F32)] if i == 3 else lst
                              for i, lst in enumerate(_lists())]),
              r"'v\[1\]' must have the shape of values\[1\] \(3,\). Received: v\[1\].shape=\(3, 1\)"),
    "length": (lambda: _adam(*[lst[:1] if i == 1 else lst for i, lst in enumerate(_lists())]),
               r"'grads' must have one entry per variable \(2\). Received: 1 entries"),
    "not an array": (lambda: _adam(*[[np.zeros(3, F32), [0.0, 0.0, 0.0]] if i == 1 else lst
                                     for i, lst in enumerate(_lists())]),
                     r"'grads\[1\]' must be a numpy array.*Received: an object of type list"),
    "not a list": (lambda: _adam(np.zeros(3, F32), *_lists()[1:]), r"'values' must be a list"),
    "overlap": (_case_overlap, r"'v\[1\]' must not share memory with 'm\[1\]'"),
    "grad overlaps value": (_case_grad_overlaps_value, r"must not share memory"),
    "step": (lambda: _core.adam_update(*_lists(), None, 0.1, 0.9, 0.999, 1e-7, 0), r"'step' .* must be >= 1"),
    "sgd momentum slots": (lambda: _core.sgd_update(*_lists()[:3], 0.1, 0.0, False),
                           r"'momentums' must be a list exactly when momentum != 0"),
    "rmsprop momentum slots": (lambda: _core.rmsprop_update(*_lists()[:3], None, None, 0.1, 0.9, 0.5, 1e-7),
                               r"'momentums' must be a list exactly when momentum > 0"),
    "scales length": (lambda: _adam(*_lists(), grad_scales=[1.0]), r"'grad_scales' must have one entry per variable"),
    "scales and clip": (lambda: _adam(*_lists(), grad_scales=[1.0, 1.0], clipvalue=1.0), r"at most one of"),
    "scale not a number": (lambda: _adam(*_lists(), grad_scales=[1.0, "x"]),
                           r"adam_update: argument 'grad_scales\[1\]' must be a number. Received: an object of type str"),
    "factor not a number": (lambda: _core.factored_update("lion", *_lists()[:2], [_lists()[2]], [1.0, None, 1.0, 1.0, 1.0]),
                            r"factored_update: argument 'factors\[1\]' must be a number. Received: .*NoneType"),
}


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_errors_name_the_list_entry(name):
    call, pattern = ERRORS[name]
    with pytest.raises(ValueError, match=pattern):
        call()


def test_nothing_is_written_when_an_argument_is_rejected():
    w, g, m, v = _lists()
    g = [np.ones(3, F32), np.ones(3)]  # the second gradient is float64
    with pytest.raises(ValueError):
        _adam(w, g, m, v)
    assert not any(a.any() for lst in (w, m, v) for a in lst)


def test_gradients_may_share_memory_with_each_other():
    w, _, m, v = _lists()
    g = np.ones(3, F32)
    _adam(w, [g, g], m, v)
    np.testing.assert_array_equal(w[0], w[1])
