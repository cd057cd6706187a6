"""The batch normalization kernels (built once per ISA) give the portable build's bits on every ISA
and thread count, special values included; and the float64 formulas' values."""
import numpy as np
import pytest

from kernel_paths import supported_isas
from pykeras import _core

# Rows and features: one, ragged column chunks (the kernels take 64 features at a time), wide layers.
SHAPES = [(1, 1), (3, 70), (33, 129), (128, 256), (256, 300)]


def _inputs(m, n, seed, specials):
    rng = np.random.default_rng(seed)
    x = rng.normal(1.0, 3.0, size=(m, n)).astype(np.float32)
    dy = rng.normal(size=(m, n)).astype(np.float32)
    if specials:
        for array in (x, dy):
            flat = array.reshape(-1)
            picks = rng.choice(flat.size, size=min(flat.size, 6), replace=False)
            flat[picks] = np.float32([np.nan, np.inf, -np.inf, -0.0, 1e-40, 3e30])[:len(picks)]
    gamma = rng.uniform(0.5, 2.0, size=n).astype(np.float32)
    beta = rng.normal(size=n).astype(np.float32)
    return x, dy, gamma, beta


def _forward_backward(x, dy, gamma, beta):
    m, n = x.shape
    out, xhat = np.empty_like(x), np.empty_like(x)
    mean, var, inv_std = (np.empty(n, np.float32) for _ in range(3))
    _core.batch_norm_forward(x, gamma, beta, 1e-3, out, xhat, mean, var, inv_std)
    dx, dgamma, dbeta = np.empty_like(x), np.empty(n, np.float32), np.empty(n, np.float32)
    _core.batch_norm_backward(dy, xhat, gamma, inv_std, dx, dgamma, dbeta)
    return out, xhat, mean, var, inv_std, dx, dgamma, dbeta


@pytest.mark.parametrize("isa", supported_isas())
@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("m, n", SHAPES)
@pytest.mark.parametrize("specials", [False, True])
@pytest.mark.parametrize("affine", [False, True])
def test_every_isa_and_thread_count_gives_the_portable_bits(isa, threads, m, n, specials, affine):
    x, dy, gamma, beta = _inputs(m, n, m * 1000 + n, specials)
    if not affine:
        gamma = beta = None
    _core.set_isa("portable")
    _core.set_num_threads(1)
    with np.errstate(all="ignore"):
        want = _forward_backward(x, dy, gamma, beta)
    _core.set_isa(isa)
    _core.set_num_threads(threads)
    got = _forward_backward(x, dy, gamma, beta)
    for name, a, b in zip(("out", "xhat", "mean", "var", "inv_std", "dx", "dgamma", "dbeta"), got, want):
        np.testing.assert_array_equal(a.view(np.uint32), b.view(np.uint32), err_msg=name)


@pytest.mark.parametrize("isa", supported_isas())
def test_every_isa_gives_the_formulas_values(isa):
    _core.set_isa(isa)
    x, dy, gamma, beta = _inputs(64, 150, 7, False)
    out, xhat, mean, var, inv_std, dx, dgamma, dbeta = _forward_backward(x, dy, gamma, beta)
    x64, dy64, g64 = x.astype(np.float64), dy.astype(np.float64), gamma.astype(np.float64)
    hat = (x64 - x64.mean(0)) / np.sqrt(x64.var(0) + 1e-3)
    np.testing.assert_allclose(out, hat * g64 + beta, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(var, x64.var(0), rtol=1e-5)
    d = dy64 * g64
    want_dx = (d - d.mean(0) - hat * (d * hat).mean(0)) / np.sqrt(x64.var(0) + 1e-3)
    np.testing.assert_allclose(dx, want_dx, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(dgamma, (dy64 * hat).sum(0), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(dbeta, dy64.sum(0), rtol=1e-5, atol=1e-5)
