"""The Layer: weights plus a ``call``, built lazily, composed recursively."""
import functools
import inspect
import threading

import numpy as np

from pykeras import constraints, initializers, regularizers
from pykeras.layers import call_losses, tracking
from pykeras.layers.auto_config import capture_init_arguments, with_auto_config
from pykeras.layers.call_inputs import flat_inputs, shape_of, to_tensors
from pykeras.layers.symbolic import KerasTensor, call_symbolically, infer_output_shape
from pykeras.naming import name_scope, to_snake_case, unique_name
from pykeras.nest import flatten
from pykeras.tensor import Tensor, Variable

# Keyword arguments every layer accepts besides trainable/dtype/name; the
# input_* ones let a Sequential's first layer declare its input.
_LEGACY_KWARGS = ("input_shape", "input_dim", "batch_size", "batch_input_shape")

_call_context = threading.local()  # the `training` flag of the outermost call
_CACHE_ATTRIBUTES = frozenset({"_flat_layers_cache", "_weights_cache"})


_TRAINING_ARGUMENT = {}  # class -> whether its call() takes `training`
_ABSENT = object()  # an attribute not set yet


def _accepts_training(cls):
    accepts = _TRAINING_ARGUMENT.get(cls)
    if accepts is None:
        accepts = _TRAINING_ARGUMENT[cls] = "training" in inspect.signature(cls.call).parameters
    return accepts


def _marking_built(build):
    """Wraps a subclass's ``build`` so that calling it directly, as Keras users
    do before ``set_weights``, also marks the layer built (once, not again on
    the first call)."""

    @functools.wraps(build)
    def build_and_mark(self, *args, **kwargs):
        if self.__dict__.get("_building"):  # inside _build_once or a super().build()
            return build(self, *args, **kwargs)
        object.__setattr__(self, "_building", True)
        try:
            with _layer_scope(self):
                result = build(self, *args, **kwargs)
        finally:
            object.__setattr__(self, "_building", False)
        object.__setattr__(self, "_build_input_shape", args[0] if args else kwargs.get("input_shape"))
        object.__setattr__(self, "built", True)
        return result

    build_and_mark._marks_built = True
    return build_and_mark


class Layer:
    """A layer holds state (weights) and computes ``call(inputs)``.

    Subclasses create weights in ``__init__`` when the input size is known, or
    in ``build(input_shape)``, which runs automatically on the first call.
    Layers and Variables assigned as attributes (directly, or inside lists and
    dicts) are tracked: their weights become this layer's weights.

    Args:
        trainable: whether the layer's weights are updated by training.
        dtype: the compute and weight dtype; pykeras computes in float32.
        name: a unique name; defaults to the snake-cased class name.

    Example:
        >>> class Linear(keras.layers.Layer):
        ...     def __init__(self, units=32):
        ...         super().__init__()
        ...         self.units = units
        ...     def build(self, input_shape):
        ...         self.w = self.add_weight(shape=(input_shape[-1], self.units),
        ...                                  initializer="random_normal")
        ...     def call(self, inputs):
        ...         return ops.matmul(inputs, self.w)
    """

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        build = cls.__dict__.get("build")
        if build is not None and not getattr(build, "_marks_built", False):
            cls.build = _marking_built(build)

    def __init__(self, *, activity_regularizer=None, trainable=True, dtype=None, name=None, **kwargs):
        unknown = {k: v for k, v in kwargs.items() if k not in _LEGACY_KWARGS}
        if unknown:
            raise ValueError(
                f"Unrecognized keyword arguments passed to {type(self).__name__}: {unknown}"
            )
        if isinstance(dtype, dict):  # a serialized DTypePolicy, as Keras writes it
            dtype = dtype.get("config", {}).get("name")
        if dtype not in (None, "float32", np.float32) and getattr(dtype, "name", None) != "float32":
            raise ValueError(
                f"{type(self).__name__}: pykeras computes in float32 only. Received: dtype={dtype!r}"
            )
        if name is not None and (not isinstance(name, str) or not name or "/" in name):
            raise ValueError(
                f"{type(self).__name__}: `name` must be a non-empty string without '/'. "
                f"Received: name={name!r}"
            )
        state = {
            "_trainable_variables": [],
            "_non_trainable_variables": [],
            "_trainable": bool(trainable),
            "built": False,
            "_building": False,
            "_losses": [],  # (variable, regularizer) pairs
            "_call_losses": [],  # the latest call's add_loss and activity losses (call_losses.py)
            "activity_regularizer": regularizers.get(activity_regularizer),
            "name": name or unique_name(to_snake_case(type(self).__name__)),
        }
        for key, value in state.items():
            object.__setattr__(self, key, value)
        if self.activity_regularizer is not None:
            call_losses.enable()
        input_shape = kwargs.get("input_shape")
        if kwargs.get("batch_input_shape") is not None:
            input_shape = tuple(kwargs["batch_input_shape"])[1:]
        elif kwargs.get("input_dim") is not None:
            input_shape = (kwargs["input_dim"],)
        self._declared_input_shape = None if input_shape is None else tuple(input_shape)

    # ----------------------------------------------------------- tracking

    def __setattr__(self, name, value):
        if self.__dict__.get(name, _ABSENT) is value:
            return  # the same object again (History sets model.history each epoch): nothing changes
        if "_trainable_variables" not in self.__dict__ and isinstance(value, (Layer, Variable)):
            raise RuntimeError(
                f"{type(self).__name__}: call `super().__init__()` before assigning "
                f"layers or variables (assigning {name!r})"
            )
        if isinstance(value, Variable):
            if not any(value is v for v in self._own_variables()):
                self._check_unlocked(f"variable {name!r}")
                bucket = self._trainable_variables if value.trainable else self._non_trainable_variables
                bucket.append(value)
        elif isinstance(value, Layer) and value is not self:
            if not any(value is layer for layer in self._layers):
                self._check_unlocked(f"layer {name!r}")
        elif isinstance(value, (list, dict)):
            value = tracking.wrap_container(value)
        elif name == "activity_regularizer" and value is not None:
            value = regularizers.get(value)
            call_losses.enable()
        # Any new value: a call traced into a chain (models/traced_chain.py) may read any attribute,
        # one set for the first time (over a class attribute) included.
        tracking.bump()
        object.__setattr__(self, name, value)

    def _check_unlocked(self, what):
        if self.built and not self._building:
            raise RuntimeError(
                f"Layer '{self.name}': you cannot add new state ({what}) to a layer that is "
                "already built. Create variables in `__init__` or `build()`, and sublayers in `__init__`."
            )

    def _own_variables(self):
        return self._trainable_variables + self._non_trainable_variables

    @property
    def _layers(self):
        """Direct sublayers in assignment order, without duplicates."""
        seen = {id(self)}
        return [
            layer
            for key, value in list(self.__dict__.items())
            if key not in _CACHE_ATTRIBUTES
            for layer in tracking.iter_tracked(value, seen, Layer)
        ]

    def _flatten_layers(self, include_self=True):
        """This layer and every layer below it, depth first, each once (cached)."""
        cached = self.__dict__.get("_flat_layers_cache")
        if cached is None or cached[0] != tracking.structure_version():
            found, seen, stack = [], set(), [self]
            while stack:
                layer = stack.pop(0)
                if id(layer) in seen:
                    continue
                seen.add(id(layer))
                found.append(layer)
                stack = layer._layers + stack
            cached = (tracking.structure_version(), found)
            object.__setattr__(self, "_flat_layers_cache", cached)
        return list(cached[1]) if include_self else cached[1][1:]

    @property
    def weights(self):
        """Own variables (trainable-at-creation first), then each sublayer's."""
        cached = self.__dict__.get("_weights_cache")
        if cached is None or cached[0] != tracking.structure_version():
            result, seen = [], set()
            for layer in self._flatten_layers():
                for variable in layer._own_variables():
                    if id(variable) not in seen:
                        seen.add(id(variable))
                        result.append(variable)
            cached = (tracking.structure_version(), result)
            object.__setattr__(self, "_weights_cache", cached)
        return list(cached[1])

    variables = weights

    @property
    def trainable_weights(self):
        if not self.trainable:
            return []
        return [v for v in self.weights if v.trainable]

    trainable_variables = trainable_weights

    @property
    def non_trainable_weights(self):
        if not self.trainable:
            return self.weights
        return [v for v in self.weights if not v.trainable]

    non_trainable_variables = non_trainable_weights

    @property
    def trainable(self):
        return self._trainable

    @trainable.setter
    def trainable(self, value):
        """Freezes (False) or unfreezes (True) this layer and every layer below it.

        Unfreezing restores each variable's trainability from its creation, so
        a variable created with ``trainable=False`` stays frozen.
        """
        value = bool(value)
        for layer in self._flatten_layers():
            object.__setattr__(layer, "_trainable", value)
            for variable in layer._own_variables():
                variable.trainable = value and variable._trainable_at_creation

    @property
    def losses(self):
        """The losses of this layer and its sublayers: those their latest call added (``add_loss``,
        activity regularizers), then the weight regularization (recomputed each time), as Keras
        orders them."""
        layers = self._flatten_layers()
        result = [loss for layer in layers for loss in layer._call_losses]
        for layer in layers:
            result.extend(regularizer(variable) for variable, regularizer in layer._losses)
        return result

    @property
    def input(self):
        """The symbolic input of the layer's first call on ``keras.Input`` tensors."""
        node = self._first_node("input")
        return node.args[0] if node.args else node.outputs

    @property
    def output(self):
        """The symbolic output of the layer's first call on ``keras.Input`` tensors (for a feature
        extractor: ``keras.Model(model.inputs, [layer.output for layer in model.layers])``)."""
        return self._first_node("output").outputs

    def _first_node(self, what):
        nodes = self.__dict__.get("_inbound_nodes")
        if not nodes:
            raise AttributeError(
                f"Layer '{self.name}' has never been called on symbolic inputs (keras.Input), so it has no "
                f"`{what}`."
            )
        return nodes[0]

    def add_loss(self, loss):
        """Adds a scalar loss (or a list of them), computed in ``call``, to ``losses`` until the
        next call; ``fit`` adds ``losses`` to the compiled loss.

        Example:
            >>> class Sparse(keras.layers.Layer):
            ...     def call(self, x):
            ...         self.add_loss(1e-3 * ops.sum(ops.abs(x)))
            ...         return x
        """
        for value in flatten(loss):
            if isinstance(value, KerasTensor):
                continue  # a functional graph being built: the real call adds it
            if not isinstance(value, Tensor):
                raise ValueError(
                    f"Layer '{self.name}': `add_loss()` takes tensors computed in `call()`. "
                    f"Received: {type(value).__name__}"
                )
            self._call_losses.append(value)
        call_losses.enable()

    # ----------------------------------------------------------- weights

    def add_weight(
        self,
        shape=(),
        initializer=None,
        dtype=None,
        trainable=True,
        regularizer=None,
        constraint=None,
        name=None,
        **kwargs,
    ):
        """Creates a Variable owned by this layer and tracks it.

        Args:
            shape: the variable's shape; ``()`` for a scalar.
            initializer: a name (``"zeros"``, ``"random_normal"``, ...), an
                Initializer or a callable; defaults to ``"glorot_uniform"``
                for floats and ``"zeros"`` otherwise.
            dtype: float32 unless given (integer counters are allowed).
            trainable: whether gradients update it.
            regularizer: a regularizer (name, object or callable on the variable) whose
                penalty joins ``losses``.
            constraint: a constraint (name, object or callable) applied to the variable
                after each update.
            name: the variable name; its ``path`` is ``<layer name>/<name>``.

        Returns:
            The new Variable.
        """
        unknown = set(kwargs) - {"autocast", "aggregation", "overwrite_with_gradient", "synchronization"}
        if unknown:
            raise ValueError(
                f"Layer '{self.name}': unrecognized arguments to add_weight: {sorted(unknown)}"
            )
        if "_trainable_variables" not in self.__dict__:
            raise RuntimeError(
                f"{type(self).__name__}: call `super().__init__()` before `add_weight`"
            )
        self._check_unlocked(f"weight {name!r}")
        shape = () if shape is None else tuple(shape)
        if any(not isinstance(d, (int, np.integer)) or d < 0 for d in shape):
            raise ValueError(
                f"Layer '{self.name}': add_weight needs a fully defined non-negative shape. "
                f"Received: shape={shape}"
            )
        dtype = np.dtype(dtype or "float32")
        if initializer is None:
            initializer = "glorot_uniform" if dtype.kind == "f" else "zeros"
        initializer = initializers.get(initializer)
        if name is None:
            name = unique_variable_name(self)
        with _layer_scope(self):
            variable = Variable(initializer, shape=shape, dtype=dtype, trainable=trainable, name=name)
        variable.constraint = constraints.get(constraint)
        bucket = self._trainable_variables if trainable else self._non_trainable_variables
        bucket.append(variable)
        tracking.bump()
        if regularizer is not None:
            self._losses.append((variable, regularizers.get(regularizer)))
        return variable

    def get_weights(self):
        """The weights' values as a list of numpy arrays, in ``weights`` order."""
        return [v.numpy() for v in self.weights]

    def set_weights(self, weights):
        """Sets all weights from a list of arrays, in ``weights`` order.

        Raises:
            ValueError: the list has the wrong length, or an array the wrong shape.
        """
        variables = self.weights
        weights = list(weights)
        if len(weights) != len(variables):
            raise ValueError(
                f"You called `set_weights(weights)` on layer '{self.name}' with a weight list "
                f"of length {len(weights)}, but the layer was expecting {len(variables)} weights."
            )
        arrays = [np.asarray(w) for w in weights]
        for variable, array in zip(variables, arrays):
            if array.shape != variable.shape:
                raise ValueError(
                    f"Layer '{self.name}' weight shape {variable.shape} is not compatible with "
                    f"provided weight shape {array.shape} (variable {variable.path})."
                )
        for variable, array in zip(variables, arrays):
            variable.assign(array)

    def count_params(self):
        """Total number of scalars in all weights; the layer must be built."""
        if not self.built:
            raise ValueError(
                f"You tried to call `count_params` on layer '{self.name}', but the layer isn't "
                "built. You can build it manually via: `layer.build(input_shape)`."
            )
        return int(sum(int(np.prod(v.shape)) for v in self.weights))

    # ----------------------------------------------------------- build and call

    def build(self, input_shape):
        """Creates the layer's weights for ``input_shape``; override as needed."""

    def call(self, inputs, *args, **kwargs):
        """The layer's computation; override it (the default is the identity)."""
        return inputs

    def __call__(self, *args, **kwargs):
        if call_losses.enabled:
            return call_losses.call_collecting(self, Layer._call, args, kwargs)
        return self._call(*args, **kwargs)

    def _call(self, *args, **kwargs):
        if not args:
            raise ValueError(f"Layer '{self.name}' was called without inputs.")
        inputs = args[0]
        kind = type(inputs)
        if kind is not Tensor and kind is not Variable:
            if any(isinstance(x, KerasTensor) for x in flat_inputs(inputs)):
                return call_symbolically(self, args, kwargs)
            args = (to_tensors(inputs, self.name),) + args[1:]
        outer_training = getattr(_call_context, "training", None)
        accepts = _TRAINING_ARGUMENT.get(type(self))
        if accepts is None:
            accepts = _accepts_training(type(self))
        if accepts:
            training = kwargs.get("training")
            if training is None:
                kwargs["training"] = training = outer_training
        else:
            training = kwargs.pop("training", None) if kwargs else None
        if self.built and (training is None or training == outer_training):
            return self.call(*args, **kwargs)  # the hot path: no context to switch
        _call_context.training = training if training is not None else outer_training
        try:
            if self.built:
                return self.call(*args, **kwargs)
            with _layer_scope(self):
                self._build_once(shape_of(args[0]))
                return self.call(*args, **kwargs)
        finally:
            _call_context.training = outer_training

    def _build_once(self, input_shape):
        object.__setattr__(self, "_build_input_shape", input_shape)
        object.__setattr__(self, "_building", True)
        try:
            self.build(input_shape)
        finally:
            object.__setattr__(self, "_building", False)
        object.__setattr__(self, "built", True)

    def _accepts_training(self):
        return _accepts_training(type(self))

    def compute_output_shape(self, input_shape):
        """Output shape for ``input_shape`` (``None`` for unknown sizes).

        The default runs ``call`` on zeros, so layers whose output shape is
        not obvious need not override it.
        """
        return infer_output_shape(self, input_shape)

    # ----------------------------------------------------------- config

    def __new__(cls, *args, **kwargs):
        instance = object.__new__(cls)
        capture_init_arguments(instance, cls, args, kwargs)
        return instance

    def get_config(self):
        """The constructor arguments that recreate this layer (without weights).

        A subclass that does not override ``get_config`` gets, as in Keras,
        the arguments it was constructed with (when they are plain values).
        """
        config = {"name": self.name, "trainable": self.trainable, "dtype": "float32"}
        if self.activity_regularizer is not None:  # as Keras: only when there is one
            config["activity_regularizer"] = regularizers.serialize(self.activity_regularizer)
        if self._declared_input_shape is not None:
            config["input_shape"] = self._declared_input_shape
        if type(self).get_config is Layer.get_config:
            config = with_auto_config(self, config)
        return config

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"


def unique_variable_name(layer):
    taken = {v.name for v in layer._own_variables()}
    name, index = "variable", 0
    while name in taken:
        index += 1
        name = f"variable_{index}"
    return name


class _layer_scope:
    """Enters ``layer.name`` in the name scope unless it is already innermost."""

    def __init__(self, layer):
        self._layer = layer
        self._scope = None

    def __enter__(self):
        from pykeras.naming import innermost_scope_owner

        if innermost_scope_owner() is not self._layer:
            self._scope = name_scope(self._layer.name, owner=self._layer)
            self._scope.__enter__()

    def __exit__(self, *exc_info):
        if self._scope is not None:
            self._scope.__exit__(*exc_info)
        return False


__all__ = ["Layer", "capture_init_arguments", "shape_of", "to_tensors", "with_auto_config"]
