"""Adadelta: steps scaled by the ratio of running RMS of updates and of gradients, Keras 3's rule."""
import numpy as np

from pykeras import _core
from pykeras.optimizers.optimizer import Optimizer

_F = np.float32


class Adadelta(Optimizer):
    """Keras 3's Adadelta, in numpy and in one native multi-tensor pass with the same bits::

        a_g = rho a_g + (1 - rho) g^2
        d = -sqrt(a_d + epsilon) g / sqrt(a_g + epsilon)
        a_d = rho a_d + (1 - rho) d^2
        w += lr d

    Args:
        learning_rate: float or schedule. Defaults to 0.001 (Keras's); the
            paper's form is 1.0, and Adadelta usually wants a large rate.
        rho: the decay rate of both running averages. Defaults to 0.95.
        epsilon: added under the square roots. Defaults to 1e-7.
        **kwargs: the base ``Optimizer`` arguments (clipping, weight decay, EMA, ...).

    Example:
        >>> opt = keras.optimizers.Adadelta(learning_rate=1.0)
    """

    def __init__(self, learning_rate=0.001, rho=0.95, epsilon=1e-7, name=None, **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.rho, self.epsilon = rho, epsilon

    def build(self, variables):
        if self.built:
            return
        super().build(variables)
        self._accumulated_grads, self._accumulated_delta_vars = self.add_optimizer_variables(
            self._trainable_variables, ["accumulated_grad", "accumulated_delta_var"])
        self._bind_slots(self._accumulated_grads, self._accumulated_delta_vars)

    def _update(self, value, grad, slots, lr, step):
        grad_average, delta_average = slots
        # Keras computes 1 - rho in Python, then rounds it to float32.
        rho, one_minus_rho, epsilon = _F(self.rho), _F(1 - self.rho), _F(self.epsilon)
        delta, tmp = self._scratch(value.shape), self._scratch(value.shape, 1)
        grad_average *= rho
        grad_average += np.multiply(np.square(grad, out=tmp), one_minus_rho, out=tmp)
        np.add(delta_average, epsilon, out=delta)
        np.sqrt(delta, out=delta)
        delta *= grad
        np.add(grad_average, epsilon, out=tmp)
        np.sqrt(tmp, out=tmp)
        np.divide(delta, tmp, out=delta)
        np.negative(delta, out=delta)
        delta_average *= rho
        delta_average += np.multiply(np.square(delta, out=tmp), one_minus_rho, out=tmp)
        delta *= _F(lr)
        value += delta

    def _update_native(self, values, grads, slot_lists, lr, step, options):
        factors = [_F(self.rho), _F(1 - self.rho), _F(self.epsilon), _F(lr)]
        _core.factored_update("adadelta", values, grads, slot_lists, [float(f) for f in factors], **options)

    def get_config(self):
        return {**super().get_config(), "rho": self.rho, "epsilon": self.epsilon}
