"""Activation functions by Keras name; each is differentiable through ``ops``."""
from pykeras.ops import core, nn


def linear(x):
    return core.convert_to_tensor(x)


def relu(x):
    return nn.relu(x)


def sigmoid(x):
    return nn.sigmoid(x)


def tanh(x):
    return nn.tanh(x)


def softmax(x, axis=-1):
    return nn.softmax(x, axis=axis)


def log_softmax(x, axis=-1):
    return nn.log_softmax(x, axis=axis)


def softplus(x):
    return nn.softplus(x)


def silu(x):
    return nn.silu(x)


def leaky_relu(x, negative_slope=0.2):
    return nn.leaky_relu(x, negative_slope)


def elu(x, alpha=1.0):
    return nn.elu(x, alpha)


def exponential(x):
    return core.exp(x)


def selu(x):
    return nn.selu(x)


def gelu(x, approximate=False):
    return nn.gelu(x, approximate)


def relu6(x):
    return nn.relu6(x)


def softsign(x):
    return nn.softsign(x)


def hard_sigmoid(x):
    return nn.hard_sigmoid(x)


def hard_silu(x):
    return nn.hard_silu(x)


def mish(x):
    return nn.mish(x)


def log_sigmoid(x):
    return nn.log_sigmoid(x)


swish = silu
hard_swish = hard_silu

_BY_NAME = {
    f.__name__: f
    for f in (linear, relu, sigmoid, tanh, softmax, log_softmax, softplus, silu, leaky_relu, elu, exponential,
              selu, gelu, relu6, softsign, hard_sigmoid, hard_silu, mish, log_sigmoid)
}
_BY_NAME.update(swish=silu, hard_swish=hard_silu)


def get(identifier):
    """Resolves ``None`` (linear), a Keras name such as ``"relu"``, or a callable."""
    if identifier is None:
        return linear
    if isinstance(identifier, str):
        if identifier not in _BY_NAME:
            raise ValueError(
                f"Could not interpret activation function identifier: {identifier!r}. "
                f"Expected one of {sorted(_BY_NAME)}"
            )
        return _BY_NAME[identifier]
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret activation function identifier: {identifier!r}")


def serialize(activation):
    """The Keras name of a built-in activation (a custom one keeps its ``__name__``)."""
    return getattr(activation, "__name__", str(activation))
