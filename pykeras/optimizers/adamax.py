"""Adamax: Adam with the infinity norm in place of the second moment, Keras 3's rule."""
import numpy as np

from pykeras import _core
from pykeras.optimizers.optimizer import Optimizer


class Adamax(Optimizer):
    """``m += (g - m)(1 - beta_1);  u = max(beta_2 u, |g|);
    w -= lr m / ((1 - beta_1^t)(u + epsilon))`` (Keras 3); numpy, and one native multi-tensor
    pass with the same bits.

    Args:
        learning_rate: float or schedule. Defaults to 0.001.
        beta_1, beta_2: the decay rates of ``m`` and ``u``. Default 0.9 and 0.999.
        epsilon: added to ``u``. Defaults to 1e-7.
        **kwargs: the base ``Optimizer`` arguments (clipping, weight decay, EMA, ...).

    Example:
        >>> opt = keras.optimizers.Adamax(learning_rate=0.002)
    """

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, name=None, **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon

    def build(self, variables):
        if self.built:
            return
        super().build(variables)
        self._momentums, self._norms = self.add_optimizer_variables(self._trainable_variables, ["momentum", "norm"])
        self._bind_slots(self._momentums, self._norms)

    def _update(self, value, grad, slots, lr, step):
        m, u = slots
        tmp = self._scratch(value.shape)
        np.subtract(grad, m, out=tmp)
        tmp *= 1 - self.beta_1
        m += tmp
        u *= self.beta_2
        np.maximum(u, np.abs(grad, out=tmp), out=u)
        np.add(u, self.epsilon, out=tmp)
        tmp *= self._correction(step)
        np.divide(np.multiply(m, np.float32(lr)), tmp, out=tmp)
        value -= tmp

    def _correction(self, step):
        """1 - beta_1^t in float32 scalars, as Keras computes the bias correction."""
        return np.float32(1) - np.float32(self.beta_1) ** np.float32(step)

    def _update_native(self, values, grads, slot_lists, lr, step, options):
        # The scalars as the numpy rule rounds them: Python floats meet float32 arrays as float32.
        factors = [np.float32(1 - self.beta_1), np.float32(self.beta_2), np.float32(self.epsilon),
                   self._correction(step), np.float32(lr)]
        _core.factored_update("adamax", values, grads, slot_lists, [float(f) for f in factors], **options)

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon}
