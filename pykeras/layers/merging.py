"""Merge layers: one tensor from a list of tensors (Add, Subtract, Multiply, Average, Maximum,
Minimum elementwise; Concatenate along an axis), and their function forms (add, ..., concatenate)."""
from pykeras.layers.layer import Layer
from pykeras.ops import core


class Merge(Layer):
    """Base class: ``call(inputs)`` gets a list of at least two tensors and ``_merge`` combines them."""

    _exact_count = None  # Subtract takes exactly two

    def _check(self, shapes):
        if not isinstance(shapes, (list, tuple)) or not shapes or not isinstance(shapes[0], (list, tuple)):
            raise ValueError(f"A `{type(self).__name__}` layer should be called on a list of inputs. "
                             f"Received: input_shape={shapes}")
        count = len(shapes)
        if count < 2 or (self._exact_count is not None and count != self._exact_count):
            expected = f"exactly {self._exact_count}" if self._exact_count else "at least 2"
            raise ValueError(f"A `{type(self).__name__}` layer should be called on {expected} inputs. "
                             f"Received: {count} inputs")

    def build(self, input_shape):
        self._check(input_shape)
        self.compute_output_shape(input_shape)

    def call(self, inputs):
        return self._merge(list(inputs))

    def compute_output_shape(self, input_shape):
        self._check(input_shape)
        first = tuple(input_shape[0])
        for shape in input_shape[1:]:
            if len(shape) != len(first) or any(a is not None and b is not None and a != b
                                               for a, b in zip(first, shape)):
                raise ValueError(f"`{type(self).__name__}` needs inputs of one shape. "
                                 f"Received: input_shape={[tuple(s) for s in input_shape]}")
        return tuple(next((d for d in dims if d is not None), None) for dims in zip(*input_shape))


def _fold(op):
    def merge(self, inputs):
        result = inputs[0]
        for tensor in inputs[1:]:
            result = op(result, tensor)
        return result

    return merge


class Add(Merge):
    """The elementwise sum of the inputs."""

    _merge = _fold(core.add)


class Subtract(Merge):
    """``inputs[0] - inputs[1]``."""

    _exact_count = 2
    _merge = _fold(core.subtract)


class Multiply(Merge):
    """The elementwise product of the inputs."""

    _merge = _fold(core.multiply)


class Maximum(Merge):
    """The elementwise maximum of the inputs."""

    _merge = _fold(core.maximum)


class Minimum(Merge):
    """The elementwise minimum of the inputs."""

    _merge = _fold(core.minimum)


class Average(Merge):
    """The elementwise mean of the inputs."""

    def _merge(self, inputs):
        return core.divide(_fold(core.add)(self, inputs), float(len(inputs)))


class Concatenate(Merge):
    """The inputs joined along ``axis`` (every other dimension must agree)."""

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = axis

    def _merge(self, inputs):
        return core.concatenate(inputs, axis=self.axis)

    def compute_output_shape(self, input_shape):
        self._check(input_shape)
        shapes = [tuple(s) for s in input_shape]
        rank = len(shapes[0])
        if any(len(s) != rank for s in shapes) or not -rank <= self.axis < rank:
            raise ValueError(f"`Concatenate` needs inputs of one rank with axis {self.axis} in range. "
                             f"Received: input_shape={shapes}")
        axis = self.axis % rank
        out = []
        for i, dims in enumerate(zip(*shapes)):
            if i == axis:
                out.append(None if None in dims else sum(dims))
                continue
            known = {d for d in dims if d is not None}
            if len(known) > 1:
                raise ValueError("A `Concatenate` layer requires inputs with matching shapes except for the "
                                 f"concatenation axis. Received: input_shape={shapes}")
            out.append(known.pop() if known else None)
        return tuple(out)

    def get_config(self):
        config = super().get_config()
        config["axis"] = self.axis
        return config


def add(inputs, **kwargs):
    """Functional interface to ``Add``: the elementwise sum of ``inputs``."""
    return Add(**kwargs)(inputs)


def subtract(inputs, **kwargs):
    """Functional interface to ``Subtract``: ``inputs[0] - inputs[1]``."""
    return Subtract(**kwargs)(inputs)


def multiply(inputs, **kwargs):
    """Functional interface to ``Multiply``: the elementwise product of ``inputs``."""
    return Multiply(**kwargs)(inputs)


def average(inputs, **kwargs):
    """Functional interface to ``Average``: the elementwise mean of ``inputs``."""
    return Average(**kwargs)(inputs)


def maximum(inputs, **kwargs):
    """Functional interface to ``Maximum``: the elementwise maximum of ``inputs``."""
    return Maximum(**kwargs)(inputs)


def minimum(inputs, **kwargs):
    """Functional interface to ``Minimum``: the elementwise minimum of ``inputs``."""
    return Minimum(**kwargs)(inputs)


def concatenate(inputs, axis=-1, **kwargs):
    """Functional interface to ``Concatenate``: ``inputs`` joined along ``axis``."""
    return Concatenate(axis=axis, **kwargs)(inputs)
