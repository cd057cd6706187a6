"""``keras.ops`` and Python operators on symbolic tensors: each call becomes an op node.

In Keras 3, ``x * 2``, ``x[:, :2]`` or ``keras.ops.mean(x, axis=1)`` on a ``keras.Input`` records
an Operation in the functional graph: a node without weights that the model runs like a layer,
that ``model.layers`` leaves out and ``summary()`` lists, and that ``config.json`` writes among the
layers, as ``{"module": "keras.src.ops.numpy", "class_name": "Mean", "config": {"name": "mean",
"axis": 1, "keepdims": false}, ..., "inbound_nodes": [{"args": [<x>], "kwargs": {}}]}``.

``OPS`` names each Keras op class pykeras runs: its pykeras op, Keras's module, and which of the
op's arguments Keras keeps in the op's config (its constructor arguments, such as ``axis``); the
others are the call's arguments (``x``, or ``x1, x2``), written in the node's ``args``.

A ``keras.ops`` call reaches ``op_call`` from ops/errors.py (``name_errors`` wraps every op and
sends a call with a symbolic argument here); ``install`` sets the operators on KerasTensor. Output
shapes come, as for layers, from running the op on stand-in zeros (unknown sizes as 1 and 2).
"""
import inspect

import numpy as np

from pykeras import ops
from pykeras.layers.symbolic import KerasTensor, call_symbolically
from pykeras.naming import to_snake_case, unique_name
from pykeras.nest import flatten
from pykeras.ops import errors

_NUMPY, _NN, _CORE = "keras.src.ops.numpy", "keras.src.ops.nn", "keras.src.ops.core"
_REDUCE = ("axis", "keepdims")
# Keras class name -> (pykeras op, Keras's module, config keys). A config key is the pykeras
# argument of the same name, or (Keras's name, pykeras's name); (name, None) is Keras-only
# and must keep its default, None.
OPS = {
    "Add": ("add", _NUMPY, ()),
    "Subtract": ("subtract", _NUMPY, ()),
    "Multiply": ("multiply", _NUMPY, ()),
    "Divide": ("divide", _NUMPY, ()),
    "TrueDivide": ("divide", _NUMPY, ()),  # the `/` operator
    "Power": ("power", _NUMPY, ()),
    "Matmul": ("matmul", _NUMPY, ()),
    "Maximum": ("maximum", _NUMPY, ()),
    "Minimum": ("minimum", _NUMPY, ()),
    "Negative": ("negative", _NUMPY, ()),
    "Absolute": ("abs", _NUMPY, ()),
    "Abs": ("abs", _NUMPY, ()),
    "Square": ("square", _NUMPY, ()),
    "Sqrt": ("sqrt", _NUMPY, ()),
    "Exp": ("exp", _NUMPY, ()),
    "Log": ("log", _NUMPY, ()),
    "Tanh": ("tanh", _NUMPY, ()),
    "Mean": ("mean", _NUMPY, _REDUCE),
    "Sum": ("sum", _NUMPY, _REDUCE),
    "Max": ("max", _NUMPY, (*_REDUCE, ("initial", None))),
    "Min": ("min", _NUMPY, (*_REDUCE, ("initial", None))),
    "Concatenate": ("concatenate", _NUMPY, ("axis",)),
    "Stack": ("stack", _NUMPY, ("axis",)),
    "Reshape": ("reshape", _NUMPY, (("newshape", "new_shape"),)),
    "Transpose": ("transpose", _NUMPY, ("axes",)),
    "ExpandDims": ("expand_dims", _NUMPY, ("axis",)),
    "Squeeze": ("squeeze", _NUMPY, ("axis",)),
    "Clip": ("clip", _NUMPY, ("x_min", "x_max")),
    "GetItem": ("getitem", _NUMPY, ()),
    "Relu": ("relu", _NN, ()),
    "Sigmoid": ("sigmoid", _NN, ()),
    "Softplus": ("softplus", _NN, ()),
    "Silu": ("silu", _NN, ()),
    "LeakyRelu": ("leaky_relu", _NN, ("negative_slope",)),
    "Elu": ("elu", _NN, ("alpha",)),
    "Selu": ("selu", _NN, ()),
    "Gelu": ("gelu", _NN, ("approximate",)),
    "Relu6": ("relu6", _NN, ()),
    "Softsign": ("softsign", _NN, ()),
    "LogSigmoid": ("log_sigmoid", _NN, ()),
    "Softmax": ("softmax", _NN, ("axis",)),
    "LogSoftmax": ("log_softmax", _NN, ("axis",)),
    "Cast": ("cast", _CORE, ("dtype",)),
}
_CLASS_OF_OP = {}  # pykeras op name -> Keras class name (the first listed: divide -> Divide)
for _class_name, (_function, _, _) in OPS.items():
    _CLASS_OF_OP.setdefault(_function, _class_name)


class Operation:
    """One ``keras.ops`` call in a functional graph (Keras's Operation): a name, a config, no
    weights. ``operation_class`` gives a subclass per Keras op class, named as Keras names it (``Mean``)."""

    function = None  # the pykeras op
    keras_module = None
    config_keys = ()  # ((Keras's name, pykeras's name or None, default), ...), in Keras's order
    built = True  # for summary(): nothing to build
    weights = ()

    def __init__(self, name=None, **config):
        cls = type(self)
        keys = {keras: (ours, default) for keras, ours, default in cls.config_keys}
        unknown = sorted(set(config) - set(keys))
        if unknown:
            raise ValueError(f"Operation {cls.__name__}: unknown config keys {unknown}; expected {sorted(keys)}.")
        self.config = {}
        for key, (ours, default) in keys.items():
            value = config.get(key, default)
            if value is inspect.Parameter.empty:
                raise ValueError(f"Operation {cls.__name__}: its config needs `{key}`.")
            if ours is None and value is not None:
                raise ValueError(f"Operation {cls.__name__}: pykeras supports only {key}=None. Received: {value!r}")
            if any(isinstance(x, KerasTensor) for x in flatten(value)):
                raise ValueError(f"{cls.function.__name__}: `{ours}` must be a constant in a functional model, "
                                 "not a symbolic tensor.")
            self.config[key] = np.dtype(value).name if key == "dtype" else _constant(value)
        if name is not None and (not isinstance(name, str) or not name or "/" in name):
            raise ValueError(f"Operation {cls.__name__}: `name` must be a non-empty string without '/'. "
                             f"Received: {name!r}")
        self.name = name or unique_name(to_snake_case(cls.__name__))
        self._arguments = {keys[key][0]: value for key, value in self.config.items() if keys[key][0]}

    def __call__(self, *args, **kwargs):
        kwargs.pop("training", None)  # a functional model passes it to every node
        if any(isinstance(x, KerasTensor) for x in flatten([args, kwargs])):
            return call_symbolically(self, args, kwargs)
        return self.call(*args, **kwargs)

    def call(self, *args, **kwargs):
        return self.function(*args, **kwargs, **self._arguments)

    def _accepts_training(self):
        return False

    def count_params(self):
        return 0

    def get_config(self):
        return {"name": self.name, **self.config}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<Operation {type(self).__name__} name={self.name}>"


def _index(key):
    """``x[key]``'s key as Keras's GetItem takes it: an int, or a tuple of ints, slices, None and
    Ellipsis (a lone slice, None or Ellipsis becomes a 1-tuple, which Keras can load back)."""
    parts = tuple(key) if isinstance(key, (tuple, list)) else (key,)
    checked = []
    for part in parts:
        if isinstance(part, slice) and all(v is None or isinstance(v, (int, np.integer))
                                           for v in (part.start, part.stop, part.step)):
            checked.append(slice(*(None if v is None else int(v) for v in (part.start, part.stop, part.step))))
        elif part is None or part is Ellipsis:
            checked.append(part)
        elif isinstance(part, (int, np.integer)) and not isinstance(part, bool):
            checked.append(int(part))
        else:
            raise ValueError(
                "get_item: indexing a symbolic tensor takes ints, slices, None and Ellipsis. "
                f"Received: {key!r}. Use a Lambda layer for other indices."
            )
    return checked[0] if isinstance(key, (int, np.integer)) else tuple(checked)


class _GetItem(Operation):
    def __call__(self, x, key, **kwargs):
        try:
            return super().__call__(x, _index(key), **kwargs)
        except IndexError as error:
            if not isinstance(x, KerasTensor):
                raise
            # The output shape comes from stand-in inputs, unknown sizes (None) set to 1 and 2.
            raise ValueError(f"get_item: {error}. Received: key={key!r} on a symbolic tensor of shape {x.shape} "
                             "(an unknown size, None, is tried as 1 and 2)") from None


def _constant(value):
    """A config value as the op takes it: lists (JSON's tuples) as tuples, numpy scalars as Python's."""
    if isinstance(value, (list, tuple)):
        return tuple(_constant(item) for item in value)
    return value.item() if isinstance(value, np.generic) else value


def _config_keys(function, keys):
    parameters = inspect.signature(function).parameters
    pairs = [(key, key) if isinstance(key, str) else key for key in keys]
    return tuple((keras, ours, parameters[ours].default if ours else None) for keras, ours in pairs)


def _operation_class(class_name, function, module, keys):
    function = getattr(ops, function)
    return type(class_name, (_GetItem if class_name == "GetItem" else Operation,), {
        "__module__": __name__, "function": staticmethod(function), "keras_module": module,
        "config_keys": _config_keys(function, keys),
    })


_CLASSES = {}  # built on first use: `import pykeras` does not pay for 40 classes few models need


def operation_class(class_name):
    """The Operation subclass of Keras's op class ``class_name``, or None for one pykeras does not run."""
    if not _CLASSES:
        _CLASSES.update((name, _operation_class(name, *spec)) for name, spec in OPS.items())
    return _CLASSES.get(class_name)


def _apply(class_name, *args):
    """A new op node of Keras's class ``class_name`` on ``args`` (the Python operators)."""
    return operation_class(class_name)()(*args)


def op_call(op, args, kwargs):
    """``op(*args, **kwargs)`` with a symbolic tensor among the arguments (ops/errors.py calls
    this): the op's node, or a ValueError for an op pykeras cannot put in a graph."""
    name = op.__name__
    class_name = _CLASS_OF_OP.get(name)
    if class_name is None:
        raise ValueError(
            f"{name}: pykeras cannot apply keras.ops.{name} to a symbolic tensor (keras.Input) in a functional "
            f"model. Wrap the computation in a `keras.layers.Lambda` layer or a custom Layer. Ops that take "
            f"symbolic tensors: {', '.join(sorted(_CLASS_OF_OP))}."
        )
    cls = operation_class(class_name)
    try:
        bound = inspect.signature(op).bind(*args, **kwargs)
    except TypeError as error:
        raise TypeError(f"{name}: {error}") from None
    bound.apply_defaults()
    values = bound.arguments
    in_config = {ours for _, ours, _ in cls.config_keys}
    config = {keras: values[ours] for keras, ours, _ in cls.config_keys if ours}
    return cls(**config)(*(value for key, value in values.items() if key not in in_config))


def serialize_operation(operation):
    """An op node's entry in ``config.json`` (before its ``name`` and ``inbound_nodes``), as Keras
    writes it."""
    cls = type(operation)
    return {"module": cls.keras_module, "class_name": cls.__name__, "config": operation.get_config(),
            "registered_name": cls.__name__}


def is_operation_config(entry):
    return isinstance(entry, dict) and str(entry.get("module") or "").startswith("keras.src.ops")


def deserialize_operation(entry):
    """The op node a ``config.json`` entry describes; a ValueError for an op pykeras does not run."""
    class_name = entry.get("class_name")
    cls = operation_class(class_name)
    if cls is None or cls.keras_module != entry.get("module"):
        raise ValueError(
            f"The model uses the Keras op '{class_name}' ({entry.get('module')}), which pykeras cannot run. "
            f"Ops pykeras loads: {', '.join(sorted(OPS))}."
        )
    config = entry.get("config") or {}
    if not isinstance(config, dict):
        raise ValueError(f"The 'config' of the op '{class_name}' must be a dict. Received: {config!r}"[:500])
    return cls.from_config(config)


def _operator(class_name, reflected=False):
    if reflected:
        return lambda self, other: _apply(class_name, other, self)
    return lambda self, other: _apply(class_name, self, other)


def _no_values(self, *args, **kwargs):
    raise TypeError(
        f"{self!r} is symbolic: it has no values. Use it to build a functional model "
        "(layers and keras.ops on it), or call a model on real data."
    )


def _no_iteration(self):
    raise TypeError("Iterating over a symbolic tensor (KerasTensor) is not supported.")


def install():
    """Python operators on KerasTensor, as Keras defines them, and the ops' symbolic handler."""
    operators = {"__add__": "Add", "__sub__": "Subtract", "__mul__": "Multiply", "__truediv__": "TrueDivide",
                 "__pow__": "Power", "__matmul__": "Matmul"}
    for method, class_name in operators.items():
        setattr(KerasTensor, method, _operator(class_name))
        setattr(KerasTensor, method.replace("__", "__r", 1), _operator(class_name, reflected=True))
    KerasTensor.__neg__ = lambda self: _apply("Negative", self)
    KerasTensor.__abs__ = lambda self: _apply("Absolute", self)
    KerasTensor.__getitem__ = lambda self, key: _apply("GetItem", self, key)
    KerasTensor.__array__ = _no_values  # so an op given one in a list fails, and errors.py routes it
    KerasTensor.__array_ufunc__ = None  # numpy_array * x gives x.__rmul__
    KerasTensor.__iter__ = _no_iteration
    errors.register_symbolic(KerasTensor, op_call)
