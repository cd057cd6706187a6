"""Lion: the sign of an interpolated momentum as the step, Keras 3's rule."""
import numpy as np

from pykeras import _core
from pykeras.optimizers.optimizer import Optimizer

_F = np.float32


class Lion(Optimizer):
    """``w -= lr * sign(beta_1 m + (1 - beta_1) g);  m = beta_2 m + (1 - beta_2) g``
    (Keras 3); numpy, and one native multi-tensor pass with the same bits.

    Every element moves by exactly ``lr`` (or not at all), so a good Lion
    learning rate is typically 3-10x smaller than Adam's.

    Args:
        learning_rate: float or schedule. Defaults to 0.001.
        beta_1: the weight of the momentum in the step's direction, in (0, 1].
            Defaults to 0.9.
        beta_2: the decay rate of the momentum. Defaults to 0.99.
        **kwargs: the base ``Optimizer`` arguments (clipping, weight decay, EMA, ...).

    Raises:
        ValueError: if ``beta_1`` is not in (0, 1].

    Example:
        >>> opt = keras.optimizers.Lion(learning_rate=1e-4)
    """

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.99, name=None, **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        if not 0 < beta_1 <= 1:
            raise ValueError(
                "Lion: argument `beta_1` must be in the (0, 1] range, otherwise the optimizer "
                f"degenerates to SignSGD. Received: beta_1={beta_1}"
            )
        self.beta_1, self.beta_2 = beta_1, beta_2

    def build(self, variables):
        if self.built:
            return
        super().build(variables)
        self._momentums = self.add_optimizer_variables(self._trainable_variables, "momentum")
        self._bind_slots(self._momentums)

    def _update(self, value, grad, slots, lr, step):
        m = slots[0]
        beta_1, beta_2 = _F(self.beta_1), _F(self.beta_2)
        direction, tmp = self._scratch(value.shape), self._scratch(value.shape, 1)
        np.multiply(m, beta_1, out=direction)
        direction += np.multiply(grad, _F(1) - beta_1, out=tmp)
        np.sign(direction, out=direction)
        direction *= _F(lr)
        value -= direction
        m *= beta_2
        m += np.multiply(grad, _F(1) - beta_2, out=tmp)

    def _update_native(self, values, grads, slot_lists, lr, step, options):
        beta_1, beta_2 = _F(self.beta_1), _F(self.beta_2)
        factors = [beta_1, _F(1) - beta_1, beta_2, _F(1) - beta_2, _F(lr)]
        _core.factored_update("lion", values, grads, slot_lists, [float(f) for f in factors], **options)

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2}
