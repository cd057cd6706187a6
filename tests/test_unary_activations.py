"""The unary activations' native kernels (_core.unary_activation): relu6, hard_sigmoid, hard_silu and
softsign against Keras's formulas evaluated by numpy in float32, bit for bit; softplus, mish and
log_sigmoid against float64 references, within a few ulp; each on every ISA and on 1 and 2 threads."""
import numpy as np
import pytest

import pykeras as keras
from pykeras import _core, ops
from kernel_paths import supported_isas

F32 = np.float32

# Keras's formulas as numpy computes them in float32 (Python numbers are float32 beside a float32 array).
FORWARD = {
    "relu6": lambda x: np.clip(x, 0, 6),
    "hard_sigmoid": lambda x: np.clip(x / 6 + 0.5, 0, 1),
    "hard_silu": lambda x: x * np.clip(x / 6 + 0.5, 0, 1),
    "softsign": lambda x: x / (1 + np.abs(x)),
}
BACKWARD = {
    "relu6": lambda g, x: np.where((x > 0) & (x < 6), g, 0 * g),
    "hard_sigmoid": lambda g, x: np.where((x > -3) & (x < 3), g / 6, 0 * g),
    "hard_silu": lambda g, x: np.where(x <= -3, 0 * g, np.where(x >= 3, g, g * (x / 3 + 0.5))),
    "softsign": lambda g, x: g / np.square(1 + np.abs(x)),
}
SPECIAL = [np.nan, -np.nan, np.inf, -np.inf, 0.0, -0.0, 1e-45, -1e-45, 3.0, -3.0, 6.0, -6.0, 2.9999998,
           -2.9999998, 3.0000002, 5.9999995, 6.0000005, 1e30, -1e30, 3.4e38, -3.4e38]


def _inputs(seed, size=200_003):
    """Every special value beside random values over the kinks, in an array big enough to split."""
    rng = np.random.default_rng(seed)
    x = np.concatenate([np.array(SPECIAL, F32), rng.uniform(-8, 8, size).astype(F32)])
    g = rng.normal(size=x.size).astype(F32)
    g[:len(SPECIAL)] = np.resize(np.array([1.0, -1.0, -0.0, np.nan, np.inf, 0.5], F32), len(SPECIAL))
    return x, g


def _bits(a):
    return a.view(np.int32)


@pytest.mark.parametrize("isa", supported_isas())
@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("kind", sorted(FORWARD))
def test_native_kernels_give_numpys_bits(kind, threads, isa):
    _core.set_isa(isa)  # restored after each test (conftest.py)
    _core.set_num_threads(threads)
    x, g = _inputs(len(kind))
    with np.errstate(all="ignore"):
        want, want_grad = FORWARD[kind](x), BACKWARD[kind](g, x)
    out, grad = np.empty_like(x), np.empty_like(x)
    _core.unary_activation(kind, x, out)
    _core.unary_activation_backward(kind, g, x, grad)
    np.testing.assert_array_equal(_bits(out), _bits(want))
    np.testing.assert_array_equal(_bits(grad), _bits(want_grad))
    # In place, as a dense layer applies its activation.
    _core.unary_activation(kind, x, x)
    np.testing.assert_array_equal(_bits(x), _bits(want))


# float64 references of the activations through softplus, and their error bounds in float32 ulps.
def _softplus64(x):
    return np.logaddexp(0.0, x)


def _sigmoid64(x):
    return np.exp(-np.logaddexp(0.0, -x))  # relative precision into both tails


def _mish_grad64(x):
    t = np.tanh(_softplus64(x))
    return t + x * (1 - t * t) * _sigmoid64(x)


ACCURATE = {  # kind: (forward, gradient for dy = 1, forward ulps, gradient ulps)
    "softplus": (_softplus64, _sigmoid64, 1.0, 3.0),
    "mish": (lambda x: x * np.tanh(_softplus64(x)), _mish_grad64, 4.0, None),
    "log_sigmoid": (lambda x: -_softplus64(-x), lambda x: _sigmoid64(-x), 1.0, 3.0),
}


def _ulps(got, want):
    """|got - want| in units of float32's spacing at want (where want is a normal float32)."""
    spacing = np.spacing(np.abs(want).astype(F32)).astype(np.float64)
    return np.abs(got.astype(np.float64) - want) / spacing


@pytest.mark.parametrize("kind", sorted(ACCURATE))
def test_activations_through_softplus_are_within_a_few_ulps(kind):
    forward, gradient, forward_ulps, gradient_ulps = ACCURATE[kind]
    rng = np.random.default_rng(11)
    x = np.concatenate([rng.uniform(-110, 110, 200_000), rng.uniform(-3, 3, 100_000)]).astype(F32)
    out, grad = np.empty_like(x), np.empty_like(x)
    _core.unary_activation(kind, x, out)
    _core.unary_activation_backward(kind, np.ones_like(x), x, grad)
    wide = x.astype(np.float64)
    want, want_grad = forward(wide), gradient(wide)
    # Where the results are normal float32s (and, for mish, softplus(x) too: mish takes it rounded
    # to float32, whose subnormals below x = -87 carry fewer bits).
    tiny = np.finfo(F32).tiny
    normal = (np.abs(want) >= tiny) & (_softplus64(wide) >= tiny if kind == "mish" else True)
    assert _ulps(out[normal], want[normal]).max() <= forward_ulps
    if gradient_ulps is None:  # mish's gradient crosses zero (x = -1.19): an absolute bound
        np.testing.assert_allclose(grad, want_grad, rtol=1e-6, atol=2e-7)
    else:
        normal = np.abs(want_grad) >= tiny
        assert _ulps(grad[normal], want_grad[normal]).max() <= gradient_ulps
    special = np.array([np.nan, np.inf, -np.inf, 0.0, 1e30, -1e30], F32)
    out = np.empty_like(special)
    _core.unary_activation(kind, special, out)
    with np.errstate(all="ignore"):
        np.testing.assert_array_equal(out, forward(special.astype(np.float64)).astype(F32))


@pytest.mark.parametrize("isa", supported_isas())
@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("kind", sorted(ACCURATE))
def test_activations_through_softplus_give_the_same_bits_everywhere(kind, threads, isa):
    x, g = _inputs(len(kind))
    results = []
    for path, count in (("portable", 1), (isa, threads)):
        _core.set_isa(path)  # restored after each test (conftest.py)
        _core.set_num_threads(count)
        out, grad = np.empty_like(x), np.empty_like(x)
        _core.unary_activation(kind, x, out)
        _core.unary_activation_backward(kind, g, x, grad)
        results.append((_bits(out), _bits(grad)))
    for got, want in zip(*results):
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("kind", sorted(FORWARD))
def test_ops_and_gradients_follow_the_formulas(kind):
    x, g = (a[:1000] for a in _inputs(7))
    x[np.isnan(x)] = 1.0
    variable = keras.Variable(x)
    with ops.GradientTape() as tape:
        y = getattr(ops, kind)(variable)
        value = ops.sum(ops.multiply(y, g))
    with np.errstate(all="ignore"):
        want, want_grad = FORWARD[kind](x), BACKWARD[kind](g, x)
    np.testing.assert_array_equal(_bits(y.numpy()), _bits(want))
    np.testing.assert_array_equal(_bits(tape.gradient(value, variable).numpy()), _bits(want_grad))


@pytest.mark.parametrize("kind", sorted(FORWARD) + sorted(ACCURATE))
def test_gradients_reaching_a_rule_strided_take_the_kernels_bits(kind):
    # A transpose after the activation hands its backward a transposed (strided) gradient.
    x, g = (a[:4000].reshape(40, 100) for a in _inputs(5))
    x[np.isnan(x)] = 1.0
    results = []
    for transposed in (False, True):
        variable = keras.Variable(x)
        with ops.GradientTape() as tape:
            y = getattr(ops, kind)(variable)
            value = ops.sum(ops.multiply(ops.transpose(y), g.T) if transposed else ops.multiply(y, g))
        results.append(_bits(tape.gradient(value, variable).numpy()))
    np.testing.assert_array_equal(results[1], results[0])
