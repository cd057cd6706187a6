"""One helper that checks an op forward (against numpy) and backward
(against central finite differences in float64)."""
import numpy as np

import pykeras as keras


def numeric_gradient(function, inputs, index, upstream, eps=1e-3):
    """d(sum(upstream * function(*inputs)))/d(inputs[index]) by central differences."""
    inputs = [np.array(x, dtype=np.float64) for x in inputs]
    point = inputs[index]
    grad = np.zeros_like(point)
    for position in np.ndindex(point.shape):
        saved = point[position]
        point[position] = saved + eps
        plus = np.sum(upstream * function(*[x.astype(np.float32) for x in inputs]).astype(np.float64))
        point[position] = saved - eps
        minus = np.sum(upstream * function(*[x.astype(np.float32) for x in inputs]).astype(np.float64))
        point[position] = saved
        grad[position] = (plus - minus) / (2 * eps)
    return grad


def check_op(op, inputs, reference=None, rtol=1e-5, atol=1e-6, grad_rtol=2e-2, grad_atol=2e-3, seed=0):
    """Checks ``op(*inputs)`` against ``reference`` (numpy) and its gradient
    for every input against finite differences. Returns the analytic gradients."""
    inputs = [np.asarray(x, dtype=np.float32) for x in inputs]
    result = op(*[keras.ops.convert_to_tensor(x) for x in inputs])
    if reference is not None:
        np.testing.assert_allclose(result.numpy(), reference(*inputs), rtol=rtol, atol=atol)
    upstream = np.random.default_rng(seed).normal(size=result.shape).astype(np.float32)
    variables = [keras.Variable(x) for x in inputs]
    with keras.GradientTape() as tape:
        out = op(*variables)
        target = keras.ops.sum(out * upstream)
    grads = tape.gradient(target, variables)

    def forward(*xs):
        return op(*[keras.ops.convert_to_tensor(x) for x in xs]).numpy()

    for index, grad in enumerate(grads):
        expected = numeric_gradient(forward, inputs, index, upstream)
        assert grad is not None, f"input {index} got no gradient"
        np.testing.assert_allclose(grad.numpy(), expected, rtol=grad_rtol, atol=grad_atol,
                                   err_msg=f"gradient of input {index}")
    return [g.numpy() for g in grads]


class Samples:
    """Test inputs drawn from one seeded generator: ``normal(3, 4)``, ``positive(2)``, ..."""

    def __init__(self, seed):
        self.rng = np.random.default_rng(seed)

    def normal(self, *shape):
        return self.rng.normal(size=shape).astype(np.float32)

    def positive(self, *shape):
        return self.rng.uniform(0.5, 2.0, size=shape).astype(np.float32)

    def away_from_zero(self, *shape):
        """Values at least 0.1 from 0, so kinks (relu, abs) are not straddled."""
        return (self.rng.uniform(0.1, 2.0, size=shape) * self.rng.choice([-1, 1], size=shape)).astype(np.float32)

    def distinct(self, *shape):
        """Distinct values 0.05 apart, in random order, centred on 0 (sorts and maxima have no near-ties)."""
        values = self.rng.permutation(int(np.prod(shape))) * 0.05 + 0.013
        return (values - values.mean()).reshape(shape).astype(np.float32)
