"""Nadam: Adam with Nesterov momentum, Keras 3's rule (its momentum schedule included)."""
import numpy as np

from pykeras import _core
from pykeras.optimizers.optimizer import Optimizer

_F = np.float32
_DECAY = _F(0.96)  # Keras's momentum-schedule decay


class Nadam(Optimizer):
    """Keras 3's Nadam, in float32 as Keras computes it (numpy, and one native multi-tensor pass
    with the same bits)::

        u_t = beta_1 (1 - 0.5 * 0.96^t);  u_prod *= u_t   (once per step)
        m += (g - m)(1 - beta_1);  v += (g^2 - v)(1 - beta_2)
        m_hat = u_{t+1} m / (1 - u_prod u_{t+1}) + (1 - u_t) g / (1 - u_prod)
        w -= lr m_hat / (sqrt(v / (1 - beta_2^t)) + epsilon)

    The running product ``u_prod`` is the optimizer's last variable, as in Keras's saved files.

    Args:
        learning_rate: float or schedule. Defaults to 0.001.
        beta_1, beta_2: Default 0.9 and 0.999.
        epsilon: Defaults to 1e-7.
        **kwargs: the base ``Optimizer`` arguments (clipping, weight decay, EMA, ...).
    """

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, name=None, **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon

    def build(self, variables):
        if self.built:
            return
        super().build(variables)
        self._momentums, self._velocities = self.add_optimizer_variables(
            self._trainable_variables, ["momentum", "velocity"])
        self._u_product = self.add_variable((), "ones", name="u_product")
        self._bind_slots(self._momentums, self._velocities)

    def _u(self, step):
        return _F(self.beta_1) * (_F(1) - _F(0.5) * _DECAY ** _F(step))

    def _advance_schedule(self, step):
        """u_prod *= u_t, once per step, before the variables are updated."""
        product = self._u_product._value
        product[()] = product * _F(self.beta_1) * (_F(1) - _F(0.5) * _DECAY ** _F(step))

    def _update_variables(self, grads, variables):
        if not self._uses_native_rule():  # else _update_variables_native advances it
            self._advance_schedule(self._update_step())
        super()._update_variables(grads, variables)

    def _update_variables_native(self, grads, variables, learning_rate, step):
        self._advance_schedule(step)
        super()._update_variables_native(grads, variables, learning_rate, step)

    def _factors(self, lr, step):
        """This step's float32 scalars: 1 - beta_1, 1 - beta_2, u_next, 1 - u_product u_next,
        1 - u_t, 1 - u_product, 1 - beta_2^t, lr, epsilon."""
        beta_1, beta_2 = _F(self.beta_1), _F(self.beta_2)
        u_t, u_next = self._u(step), self._u(step + 1)
        product = _F(self._u_product._value)
        return (_F(1) - beta_1, _F(1) - beta_2, u_next, _F(1) - product * u_next, _F(1) - u_t, _F(1) - product,
                _F(1) - beta_2 ** _F(step), _F(lr), _F(self.epsilon))

    def _update(self, value, grad, slots, lr, step):
        m, v = slots
        c1, c2, u_next, m_divisor, g_factor, g_divisor, v_divisor, lr, epsilon = self._factors(lr, step)
        m += (grad - m) * c1
        v += (np.square(grad) - v) * c2
        m_hat = (u_next * m) / m_divisor + (g_factor * grad) / g_divisor
        v_hat = v / v_divisor
        value -= (m_hat * lr) / (np.sqrt(v_hat) + epsilon)

    def _update_native(self, values, grads, slot_lists, lr, step, options):
        _core.factored_update("nadam", values, grads, slot_lists, [float(f) for f in self._factors(lr, step)],
                              **options)

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon}
