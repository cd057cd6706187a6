"""The rational activations (relu6, hard_sigmoid, hard_silu, softsign): the native kernels against
Keras's formulas evaluated by numpy in float32, bit for bit, on every ISA and on 1 and 2 threads."""
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
    _core.rational_activation(kind, x, out)
    _core.rational_activation_backward(kind, g, x, grad)
    np.testing.assert_array_equal(_bits(out), _bits(want))
    np.testing.assert_array_equal(_bits(grad), _bits(want_grad))
    # In place, as a dense layer applies its activation.
    _core.rational_activation(kind, x, x)
    np.testing.assert_array_equal(_bits(x), _bits(want))


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
