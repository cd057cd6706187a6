"""RMSprop, Keras 3's rule (plain momentum, optional centering)."""
import numpy as np

from pykeras import _core
from pykeras.optimizers.optimizer import Optimizer


class RMSprop(Optimizer):
    """RMSprop (Hinton, 2012).

    Update rule (Keras 3)::

        v = rho * v + (1 - rho) * g**2
        centered:  a = rho * a + (1 - rho) * g;  d = v - a**2 + epsilon
        otherwise: d = v + epsilon
        inc = lr * g / sqrt(d)
        momentum > 0: mom = momentum * mom + inc;  w -= mom
        otherwise:    w -= inc

    Slots: all ``velocity``, then all ``momentum`` (if momentum > 0), then all
    ``average_gradient`` (if centered).

    Args:
        learning_rate: float or schedule. Defaults to 0.001.
        rho: discount of the squared-gradient average. Defaults to 0.9.
        momentum: Defaults to 0.0.
        epsilon: Defaults to 1e-7.
        centered: normalize by the estimated variance of the gradient.
        **kwargs: the base ``Optimizer`` arguments.

    Example:
        >>> opt = keras.optimizers.RMSprop(learning_rate=1e-3, momentum=0.9)
    """

    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7,
                 centered=False, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name=None, **kwargs):
        super().__init__(
            learning_rate=learning_rate, weight_decay=weight_decay, clipnorm=clipnorm,
            clipvalue=clipvalue, global_clipnorm=global_clipnorm, use_ema=use_ema,
            ema_momentum=ema_momentum, ema_overwrite_frequency=ema_overwrite_frequency,
            loss_scale_factor=loss_scale_factor,
            gradient_accumulation_steps=gradient_accumulation_steps, name=name, **kwargs,
        )
        self.rho = rho
        self.momentum = momentum
        self.epsilon = epsilon
        self.centered = centered

    def build(self, variables):
        if self.built:
            return
        super().build(variables)
        variables = self._trainable_variables
        self._velocities = self.add_optimizer_variables(variables, "velocity")
        self._momentums = []
        if self.momentum > 0:
            self._momentums = self.add_optimizer_variables(variables, "momentum")
        self._average_gradients = []
        if self.centered:
            self._average_gradients = self.add_optimizer_variables(variables, "average_gradient")
        self._bind_slots(self._velocities, self._momentums, self._average_gradients)

    def _update(self, value, grad, slots, lr, step):
        rho = self.rho
        velocity = slots[0]
        tmp = self._scratch(value.shape)
        velocity *= rho
        np.square(grad, out=tmp)
        tmp *= 1 - rho
        velocity += tmp
        if self.centered:
            average = slots[-1]
            average *= rho
            np.multiply(grad, 1 - rho, out=tmp)
            average += tmp
            np.square(average, out=tmp)
            np.subtract(velocity, tmp, out=tmp)
            tmp += self.epsilon
        else:
            np.add(velocity, self.epsilon, out=tmp)
        np.sqrt(tmp, out=tmp)
        np.divide(grad, tmp, out=tmp)
        tmp *= lr
        if self.momentum > 0:
            momentum = slots[1]
            momentum *= self.momentum
            momentum += tmp
            value -= momentum
        else:
            value -= tmp

    def _update_native(self, values, grads, slot_lists, lr, step, options):
        momentums = slot_lists[1] if self.momentum > 0 else None
        averages = slot_lists[-1] if self.centered else None
        _core.rmsprop_update(values, grads, slot_lists[0], momentums, averages, lr, float(self.rho),
                             float(self.momentum), float(self.epsilon), **options)

    def get_config(self):
        config = super().get_config()
        config.update({
            "rho": self.rho,
            "momentum": self.momentum,
            "epsilon": self.epsilon,
            "centered": self.centered,
        })
        return config
