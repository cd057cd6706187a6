"""FTRL-Proximal ("Follow The Regularized Leader"), Keras 3's rule."""
import numpy as np

from pykeras.optimizers.optimizer import Optimizer

_F = np.float32


class Ftrl(Optimizer):
    """Keras 3's FTRL (McMahan et al., 2013), in numpy and float32::

        g_s = g + 2 l2_shrinkage w
        n_new = n + g^2
        z += g_s - (n_new^-p - n^-p) / lr * w
        w = (clip(z, -l1, l1) - z) / (n_new^-p / lr + 2 (l2 + beta / (2 lr)));  n = n_new

    with ``p = learning_rate_power``, ``n`` the accumulator and ``z`` the linear term.

    Args:
        learning_rate: float or schedule. Defaults to 0.001.
        learning_rate_power: <= 0; how fast the per-weight rate falls (0 keeps
            it fixed). Defaults to -0.5.
        initial_accumulator_value: >= 0; where each accumulator starts.
            Defaults to 0.1.
        l1_regularization_strength: >= 0. Defaults to 0.0.
        l2_regularization_strength: >= 0, the stabilization penalty. Defaults to 0.0.
        l2_shrinkage_regularization_strength: >= 0, an L2 penalty on the
            weights' magnitude, added to the gradient. Defaults to 0.0.
        beta: the paper's beta. Defaults to 0.0.
        **kwargs: the base ``Optimizer`` arguments (clipping, weight decay, EMA, ...).

    Raises:
        ValueError: if ``learning_rate_power`` is positive or another argument
            above is negative.

    Example:
        >>> opt = keras.optimizers.Ftrl(learning_rate=0.1, l1_regularization_strength=0.01)
    """

    def __init__(self, learning_rate=0.001, learning_rate_power=-0.5, initial_accumulator_value=0.1,
                 l1_regularization_strength=0.0, l2_regularization_strength=0.0,
                 l2_shrinkage_regularization_strength=0.0, beta=0.0, name=None, **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        if learning_rate_power > 0:
            raise ValueError(
                "Ftrl: `learning_rate_power` must be negative or zero. "
                f"Received: learning_rate_power={learning_rate_power}"
            )
        for key, value in (("initial_accumulator_value", initial_accumulator_value),
                           ("l1_regularization_strength", l1_regularization_strength),
                           ("l2_regularization_strength", l2_regularization_strength),
                           ("l2_shrinkage_regularization_strength", l2_shrinkage_regularization_strength)):
            if value < 0:
                raise ValueError(f"Ftrl: `{key}` must be positive or zero. Received: {key}={value}")
        self.learning_rate_power = learning_rate_power
        self.initial_accumulator_value = initial_accumulator_value
        self.l1_regularization_strength = l1_regularization_strength
        self.l2_regularization_strength = l2_regularization_strength
        self.l2_shrinkage_regularization_strength = l2_shrinkage_regularization_strength
        self.beta = beta

    def build(self, variables):
        if self.built:
            return
        super().build(variables)
        # Keras interleaves the two per variable; add_optimizer_variables takes one initializer for both.
        self._accumulators, self._linears = [], []
        for variable in self._trainable_variables:
            self._accumulators.append(self.add_variable_from_reference(
                variable, "accumulator", float(self.initial_accumulator_value)))
            self._linears.append(self.add_variable_from_reference(variable, "linear"))
        self._bind_slots(self._accumulators, self._linears)

    def _update(self, value, grad, slots, lr, step):
        accumulator, linear = slots
        lr, power, l1 = _F(lr), -self.learning_rate_power, self.l1_regularization_strength
        l2 = _F(self.l2_regularization_strength) + _F(self.beta) / (_F(2) * lr)
        new_accumulator = accumulator + np.square(grad)
        new_power = np.power(new_accumulator, power)
        sigma = (new_power - np.power(accumulator, power)) / lr
        linear += (grad + _F(2 * self.l2_shrinkage_regularization_strength) * value) - sigma * value
        quadratic = new_power / lr + _F(2) * l2
        value[...] = (np.clip(linear, -l1, l1) - linear) / quadratic
        accumulator[...] = new_accumulator

    def get_config(self):
        return {
            **super().get_config(),
            "learning_rate_power": self.learning_rate_power,
            "initial_accumulator_value": self.initial_accumulator_value,
            "l1_regularization_strength": self.l1_regularization_strength,
            "l2_regularization_strength": self.l2_regularization_strength,
            "l2_shrinkage_regularization_strength": self.l2_shrinkage_regularization_strength,
            "beta": self.beta,
        }
