"""What the fused loss ops (one native call for a loss and its gradient) take from a loss call:
a mean reduction, no weights or one per row, and 2-D predictions."""
import numpy as np

from pykeras.losses.base import array_of
from pykeras.ops.tape import needs_gradient
from pykeras.tensor import Tensor

# The reductions the fused ops compute: the weighted sum over the rows divided by their number.
FUSED_REDUCTIONS = ("sum_over_batch_size", "mean")


def fused_row_weights(sample_weight, shape):
    """``sample_weight`` as the fused ops' weights for 2-D predictions of ``shape``: None for no
    weights; one weight per row (given as (batch,) or (batch, 1), any numeric dtype, which the op
    converts to float32 as the general path does) as a (batch,) array; False for weights only
    the general path takes (another shape, or a Tensor whose gradient a tape wants)."""
    if sample_weight is None:
        return None
    if len(shape) != 2 or (isinstance(sample_weight, Tensor) and needs_gradient(sample_weight)):
        return False
    weights = array_of(sample_weight)
    if weights.dtype.kind not in "fiub" or weights.shape not in ((shape[0],), (shape[0], 1)):
        return False
    return weights.reshape(shape[0])


def output_targets(y_true, shape):
    """``y_true`` as a fused op's float32 targets, one per output of 2-D predictions of ``shape``
    (binary targets, regression targets), converted as the general path converts them ((batch,)
    targets for (batch, 1) outputs too), or None when they do not fit the op."""
    targets = array_of(y_true)
    if len(shape) != 2 or not shape[0] or targets.dtype.kind not in "fiub":
        return None
    if targets.shape == (shape[0],) and shape[1] == 1:
        targets = targets.reshape(shape)
    if targets.shape != tuple(shape):
        return None
    return np.ascontiguousarray(targets, dtype=np.float32)
