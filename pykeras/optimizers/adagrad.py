"""Adagrad: per-weight learning rates from the sum of squared gradients, Keras 3's rule."""
import numpy as np

from pykeras import _core
from pykeras.optimizers.optimizer import Optimizer


class Adagrad(Optimizer):
    """``acc += g^2;  w -= lr * g / sqrt(acc + epsilon)`` (Keras 3); numpy, and one native
    multi-tensor pass with the same bits.

    Args:
        learning_rate: float or schedule. Defaults to 0.001.
        initial_accumulator_value: where each accumulator starts. Defaults to 0.1.
        epsilon: added under the square root. Defaults to 1e-7.
        **kwargs: the base ``Optimizer`` arguments (clipping, weight decay, EMA, ...).

    Example:
        >>> opt = keras.optimizers.Adagrad(learning_rate=0.01)
    """

    def __init__(self, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7, name=None, **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.initial_accumulator_value = initial_accumulator_value
        self.epsilon = epsilon

    def build(self, variables):
        if self.built:
            return
        super().build(variables)
        self._accumulators = self.add_optimizer_variables(
            self._trainable_variables, "accumulator", initializer=float(self.initial_accumulator_value))
        self._bind_slots(self._accumulators)

    def _update(self, value, grad, slots, lr, step):
        accumulator = slots[0]
        tmp = self._scratch(value.shape)
        accumulator += np.square(grad, out=tmp)
        np.add(accumulator, self.epsilon, out=tmp)
        np.sqrt(tmp, out=tmp)
        np.divide(np.multiply(grad, np.float32(lr)), tmp, out=tmp)
        value -= tmp

    def _update_native(self, values, grads, slot_lists, lr, step, options):
        factors = [float(np.float32(lr)), float(np.float32(self.epsilon))]
        _core.factored_update("adagrad", values, grads, slot_lists, factors, **options)

    def get_config(self):
        return {**super().get_config(), "initial_accumulator_value": self.initial_accumulator_value,
                "epsilon": self.epsilon}
