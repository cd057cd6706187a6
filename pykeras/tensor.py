"""Tensor and Variable: thin wrappers over C-contiguous numpy arrays.

No autograd logic lives here. Arithmetic operators are installed by
``pykeras.ops`` (which sits above this module), so ``a + b`` records on an
active GradientTape exactly like ``ops.add(a, b)``.
"""
import threading

import numpy as np

FLOAT = np.dtype(np.float32)


class _ValueReads(threading.local):
    """While a call is traced (models/traced_chain.py), the trace, to which a value read in Python
    is noted (``float(t)``, ``bool(t)``, ``t.numpy()``, ``numpy.asarray(t)``): the call's Python may
    depend on it, so the trace does not stand for later calls."""

    trace = None


value_reads = _ValueReads()


def _note_read(tensor):
    trace = value_reads.trace
    if trace is not None:
        trace.append(("value read", tensor, ()))


def _contiguous(array, dtype=None):
    # np.ascontiguousarray would turn a 0-d array into shape (1,).
    return np.array(array, dtype=dtype, order="C", copy=None)


def as_array(value, dtype=None):
    """Returns ``value`` as a C-contiguous numpy array.

    Floating input becomes float32 unless ``dtype`` says otherwise; integer and
    boolean input keeps its dtype (labels, masks).
    """
    if isinstance(value, Tensor):
        value = value._value
    if dtype is not None:
        dtype = np.dtype(dtype)
        return _contiguous(value, dtype)
    array = np.asarray(value)
    kind = array.dtype.kind
    if kind == "f":
        return _contiguous(array, FLOAT)
    if kind in "iub":
        return _contiguous(array)
    raise TypeError(
        "Expected a real number array (float, int or bool). "
        f"Received: dtype={array.dtype}"
    )


def _format_values(array):
    return np.array2string(array, separator=" ", threshold=64, edgeitems=3)


class Tensor:
    """An immutable n-dimensional array, float32 unless it holds labels.

    Example:
        >>> t = pykeras.ops.ones((2, 2))
        >>> t.shape
        (2, 2)
    """

    # _logits: unset, or (activation name, input Tensor) on the output of a softmax over the last
    # axis or of a sigmoid, so that a cross-entropy given probabilities can work from the logits.
    __slots__ = ("_value", "_logits", "__weakref__")
    __array_priority__ = 100  # numpy defers ``ndarray + Tensor`` to Tensor.__radd__

    def __init__(self, value, dtype=None):
        self._value = as_array(value, dtype)

    @property
    def shape(self):
        return self._value.shape

    @property
    def dtype(self):
        return self._value.dtype.name

    @property
    def ndim(self):
        return self._value.ndim

    def numpy(self):
        """Returns a copy, so callers cannot mutate the tensor."""
        _note_read(self)
        return self._value.copy()

    def __array__(self, dtype=None, copy=None):
        _note_read(self)
        if dtype is not None and np.dtype(dtype) != self._value.dtype:
            return self._value.astype(dtype)
        return self._value.copy() if copy else self._value

    def __len__(self):
        if not self._value.ndim:
            raise TypeError("len() of a 0-d tensor")
        return len(self._value)

    def __float__(self):
        _note_read(self)
        return float(self._value)

    def __int__(self):
        _note_read(self)
        return int(self._value)

    def __bool__(self):
        _note_read(self)
        return bool(self._value)

    def __iter__(self):
        for index in range(len(self)):
            yield self[index]

    def __str__(self):
        return (
            f"pykeras.Tensor(\n{_format_values(self._value)}, "
            f"shape={self.shape}, dtype={self.dtype})"
        )

    def __repr__(self):
        return (
            f"<Tensor shape={self.shape}, dtype={self.dtype}, "
            f"numpy=\n{_format_values(self._value)}>"
        )

    __hash__ = object.__hash__


class Variable(Tensor):
    """A mutable tensor owned by a layer or an optimizer.

    Args:
        initializer: an array-like value, or a callable ``(shape, dtype)``
            returning one (initializers are such callables). ``initial_value``
            is accepted as TensorFlow's name for it.
        shape: required when ``initializer`` is a callable.
        dtype: defaults to float32 for floating values.
        trainable: whether gradient descent updates it.
        name: the variable's own name; ``path`` adds the enclosing layer scopes.

    Assignments never change the shape: ``assign`` with a different shape
    raises ``ValueError``.
    """

    __slots__ = ("name", "path", "trainable", "constraint", "_trainable_at_creation")

    def __init__(self, initializer=None, shape=None, dtype=None, trainable=True, name=None,
                 initial_value=None):
        if initializer is None:
            initializer = initial_value  # TensorFlow's spelling, for ported code
        if initializer is None:
            raise ValueError("Variable: an `initializer` (a value or a callable) is required.")
        if callable(initializer):
            if shape is None:
                raise ValueError(
                    "Variable: a callable initializer needs a `shape`. Received: shape=None"
                )
            shape = tuple(int(d) for d in shape)
            value = initializer(shape, dtype=dtype or "float32")
        else:
            value = initializer
        super().__init__(value, dtype)
        if shape is not None and tuple(shape) != self._value.shape:
            raise ValueError(
                f"Variable '{name}': initial value has shape {self._value.shape}, "
                f"expected {tuple(shape)}"
            )
        if self._value is value or self._value.base is not None or not self._value.flags.writeable:
            self._value = self._value.copy()  # never share memory with the caller's array
        from pykeras.naming import current_path  # kept local: naming is tiny and leaf-level

        self.name = name or "variable"
        self.path = current_path(self.name)
        self.trainable = bool(trainable)
        self.constraint = None  # applied by optimizers after each update
        self._trainable_at_creation = self.trainable

    @property
    def value(self):
        return Tensor(self._value)

    def assign(self, value):
        """Replaces the value in place; the shape must match."""
        new = as_array(value)
        if new.shape != self._value.shape:
            raise ValueError(
                f"Variable '{self.path}': cannot assign a value of shape {new.shape} "
                f"to a variable of shape {self._value.shape}"
            )
        np.copyto(self._value, new, casting="same_kind")
        return self

    def assign_add(self, value):
        return self.assign(self._value + as_array(value))

    def assign_sub(self, value):
        return self.assign(self._value - as_array(value))

    def __repr__(self):
        return (
            f"<Variable path={self.path}, shape={self.shape}, dtype={self.dtype}, "
            f"value={_format_values(self._value)}>"
        )

    __str__ = __repr__
