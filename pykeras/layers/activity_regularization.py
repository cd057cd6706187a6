"""ActivityRegularization: the identity, adding a penalty on its inputs to the losses."""
import numpy as np

from pykeras import regularizers
from pykeras.layers.layer import Layer
from pykeras.ops import core
from pykeras.tensor import Tensor


class ActivityRegularization(Layer):
    """Returns its inputs unchanged and adds ``(l1 * sum(|x|) + l2 * sum(x ** 2)) / batch_size``
    to ``losses`` with ``add_loss`` (divided by the batch size, as Keras's activity
    regularization is, so the strength does not depend on it).

    Args:
        l1: the L1 factor, a float >= 0.
        l2: the L2 factor, a float >= 0.
    """

    def __init__(self, l1=0.0, l2=0.0, **kwargs):
        super().__init__(**kwargs)
        try:
            self._penalty = regularizers.L1L2(l1=l1, l2=l2)
        except ValueError as error:
            raise ValueError(f"ActivityRegularization '{self.name}': {error}") from None
        self.l1, self.l2 = l1, l2

    def call(self, inputs):
        penalty = self._penalty(inputs)
        if not isinstance(penalty, Tensor):  # both factors 0: Keras still adds a zero loss
            penalty = core.convert_to_tensor(np.float32(penalty))
        if inputs.ndim and inputs.shape[0]:
            penalty = core.divide(penalty, float(inputs.shape[0]))
        self.add_loss(penalty)
        return inputs

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "l1": self.l1, "l2": self.l2}
