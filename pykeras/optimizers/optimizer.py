"""The optimizer base: variables and slots, gradient checks, clipping, weight
decay, EMA, gradient accumulation and the apply loop.

A subclass is only its update rule: ``build`` creates its slots (in Keras 3's
order and names) and ``_update`` changes one variable's numpy array in place,
with in-place float32 ufuncs and a shared scratch buffer per shape. That numpy
code is the reference. The built-in rules also define ``_update_native``: one
call into the fused multi-tensor kernels of ``_core`` that updates every
variable in one pass over its memory (with clipping and weight decay folded
in), giving the same bits as the numpy code. It is used whenever the class's
``_update`` is the one defined beside it, so a subclass that overrides
``_update`` keeps its own rule.

``optimizer.variables`` follows Keras 3: ``iteration`` (int64), ``learning_rate``
(float32, absent when the learning rate is a schedule or a callable), then, per
model variable, EMA averages and gradient accumulators when enabled, then the
subclass's slots, named ``<variable path with / as _>_<slot>`` under the
optimizer's name (``adam/dense_kernel_momentum``).
"""
import inspect
import math
import numbers
import re
import warnings

import numpy as np

from pykeras.naming import name_scope, to_snake_case, unique_name
from pykeras.optimizers import schedules
from pykeras.saving.serialization import custom_object_scope
from pykeras.tensor import FLOAT, Tensor, Variable


def _is_number(value):
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


_FLOAT_DTYPE = np.dtype(FLOAT)

# Per optimizer class: whether its ``_update`` has a native twin (see ``_uses_native_rule``).
_NATIVE_CLASSES = {}


def _defining_class(cls, name):
    for klass in cls.__mro__:
        if name in klass.__dict__:
            return klass
    return None


class Optimizer:
    """Base class of all optimizers.

    Args:
        learning_rate: a float, or a schedule: a callable taking the iteration
            count (a ``LearningRateSchedule``-like object) or taking no argument.
        weight_decay: if set, every step first does ``var -= var * wd * lr``
            on variables not excluded by ``exclude_from_weight_decay``.
        clipnorm: clip each gradient to this L2 norm.
        clipvalue: clip each gradient element to ``[-clipvalue, clipvalue]``.
        global_clipnorm: clip all gradients together to this global L2 norm.
            At most one of the three clipping arguments may be set.
        use_ema: keep an exponential moving average of the variables.
        ema_momentum: the EMA's momentum, in [0, 1].
        ema_overwrite_frequency: every this many steps, copy the averages into
            the variables (None: only in ``finalize_variable_values``).
        loss_scale_factor: gradients are divided by it before anything else.
        gradient_accumulation_steps: apply the mean gradient every this many
            calls (an int >= 2), accumulating in between.
        name: the optimizer's name, the prefix of its variables' paths.

    Raises:
        ValueError: on an unknown keyword argument, a bad learning rate, or
            more than one clipping argument.

    Example:
        >>> opt = keras.optimizers.SGD(learning_rate=0.1)
        >>> opt.apply_gradients(zip(grads, layer.trainable_weights))
    """

    # The fused native update path (see the module docstring); False forces the numpy reference.
    use_native_updates = True

    def __init__(self, learning_rate, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name=None, **kwargs):
        cls_name = type(self).__name__
        if kwargs.pop("decay", None) is not None:
            warnings.warn("Argument `decay` is no longer supported and will be ignored.")
        if kwargs:
            raise ValueError(f"{cls_name}: argument(s) not recognized: {kwargs}")
        clip_args = [a for a in (clipnorm, clipvalue, global_clipnorm) if a is not None]
        if len(clip_args) > 1:
            raise ValueError(
                f"{cls_name}: only one of `clipnorm`, `clipvalue` and `global_clipnorm` can be "
                f"set. Received: clipnorm={clipnorm}, clipvalue={clipvalue}, "
                f"global_clipnorm={global_clipnorm}"
            )
        if gradient_accumulation_steps and not gradient_accumulation_steps >= 2:
            raise ValueError(
                f"{cls_name}: `gradient_accumulation_steps` must be an integer >= 2. "
                f"Received: gradient_accumulation_steps={gradient_accumulation_steps}"
            )
        if use_ema:
            if not 0 <= ema_momentum <= 1:
                raise ValueError(
                    f"{cls_name}: `ema_momentum` must be in the range [0, 1]. "
                    f"Received: ema_momentum={ema_momentum}"
                )
            if ema_overwrite_frequency and (
                not isinstance(ema_overwrite_frequency, int) or ema_overwrite_frequency < 1
            ):
                raise ValueError(
                    f"{cls_name}: `ema_overwrite_frequency` must be an integer >= 1 or None. "
                    f"Received: ema_overwrite_frequency={ema_overwrite_frequency}"
                )
        self.name = name or unique_name(to_snake_case(cls_name))
        self.weight_decay = weight_decay
        self.clipnorm = clipnorm
        self.global_clipnorm = global_clipnorm
        self.clipvalue = clipvalue
        self.use_ema = use_ema
        self.ema_momentum = ema_momentum
        self.ema_overwrite_frequency = ema_overwrite_frequency
        self.loss_scale_factor = loss_scale_factor
        self.gradient_accumulation_steps = gradient_accumulation_steps
        self.built = False

        self._variables = []
        self._trainable_variables = []
        self._trainable_variables_indices = {}
        self._slot_values = []  # per model variable: the subclass's slot arrays
        self._averages = []
        self._accumulated_gradients = []
        self._scratch_buffers = {}
        self._native_plans = {}
        self._exclude_ids = set()
        self._exclude_pattern = None

        self._iterations = self.add_variable((), dtype="int64", name="iteration")
        if callable(learning_rate):
            self._learning_rate = learning_rate
        else:
            self._learning_rate = self.add_variable(
                (), initializer=self._check_learning_rate(learning_rate), name="learning_rate"
            )

    def _check_learning_rate(self, learning_rate):
        if isinstance(learning_rate, Tensor) and learning_rate.ndim == 0:
            learning_rate = float(learning_rate)
        if not _is_number(learning_rate):
            raise ValueError(
                f"{type(self).__name__}: `learning_rate` must be a float, a "
                "LearningRateSchedule or a callable returning the learning rate. "
                f"Received: learning_rate={learning_rate!r}"
            )
        return float(learning_rate)

    # ----------------------------------------------------------------- state

    @property
    def variables(self):
        """All optimizer state, in Keras 3's order (see the module docstring)."""
        return self._variables[:]

    @property
    def iterations(self):
        """Applied steps (divided by ``gradient_accumulation_steps`` if set)."""
        if self.gradient_accumulation_steps:
            return Tensor(np.asarray(self._iterations._value // self.gradient_accumulation_steps))
        return self._iterations

    @property
    def learning_rate(self):
        """The learning-rate Variable, or a schedule's current value as a Tensor."""
        if isinstance(self._learning_rate, Variable):
            return self._learning_rate
        return Tensor(np.asarray(self._current_learning_rate(), dtype=FLOAT))

    @learning_rate.setter
    def learning_rate(self, learning_rate):
        previous = self._learning_rate
        if callable(learning_rate):
            self._learning_rate = learning_rate
            if isinstance(previous, Variable):
                self._variables.remove(previous)
            return
        if not isinstance(previous, Variable):
            raise TypeError(
                f"{type(self).__name__}: this optimizer was created with a learning-rate "
                "schedule, so its learning rate cannot be set to a number. Create it with a "
                f"float `learning_rate` instead. Received: learning_rate={learning_rate!r}"
            )
        previous.assign(np.asarray(self._check_learning_rate(learning_rate), dtype=FLOAT))

    def _current_learning_rate(self):
        schedule = self._learning_rate
        if isinstance(schedule, Variable):
            return float(schedule._value)
        if _takes_an_argument(schedule):
            return float(schedule(int(self._iterations._value)))
        return float(schedule())

    def add_variable(self, shape, initializer="zeros", dtype=None, name=None):
        """Creates a non-trainable optimizer variable named ``<optimizer>/<name>``."""
        dtype = np.dtype(dtype or "float32")
        if isinstance(initializer, str):
            if initializer not in ("zeros", "ones"):
                raise ValueError(
                    f"{type(self).__name__}.add_variable: initializer must be 'zeros', 'ones' "
                    f"or a value. Received: initializer={initializer!r}"
                )
            value = np.full(tuple(shape), 1 if initializer == "ones" else 0, dtype=dtype)
        elif callable(initializer):
            value = np.asarray(initializer(tuple(shape), dtype=dtype.name), dtype=dtype)
        else:
            value = np.full(tuple(shape), initializer, dtype=dtype)
        with name_scope(self.name, owner=self):
            variable = Variable(value, trainable=False, name=name)
        self._variables.append(variable)
        return variable

    def add_variable_from_reference(self, reference_variable, name=None, initializer="zeros"):
        """A zeros variable shaped like ``reference_variable``, named after its path."""
        name = name or "var"
        base = getattr(reference_variable, "path", None) or str(reference_variable.name)
        name = base.replace("/", "_").replace(":", "_") + "_" + name
        return self.add_variable(reference_variable.shape, initializer,
                                 reference_variable._value.dtype, name)

    def add_optimizer_variables(self, trainable_variables, name, initializer="zeros"):
        """One slot per model variable for each name, interleaved per variable.

        Returns a list of variables, or a tuple of lists when ``name`` is a list.
        """
        names = [name] if isinstance(name, str) else list(name)
        lists = tuple([] for _ in names)
        for variable in trainable_variables:
            for slots, slot_name in zip(lists, names):
                slots.append(self.add_variable_from_reference(variable, slot_name, initializer))
        return lists[0] if isinstance(name, str) else lists

    def build(self, variables):
        """Creates the state for ``variables`` (called by the first ``apply``)."""
        variables = list(variables)
        for index, variable in enumerate(variables):
            if not isinstance(variable, Variable):
                raise ValueError(
                    f"{type(self).__name__}.build: expected Variables. "
                    f"Received: {type(variable).__name__} at position {index}"
                )
            self._trainable_variables_indices[id(variable)] = index
        if self.use_ema:
            self._averages = self.add_optimizer_variables(variables, "average")
        if self.gradient_accumulation_steps:
            self._accumulated_gradients = self.add_optimizer_variables(
                variables, "gradient_accumulator"
            )
        self._trainable_variables = variables
        self._slot_values = [() for _ in variables]
        self.built = True

    def _bind_slots(self, *slot_lists):
        """Records, per model variable, the arrays ``_update`` receives as ``slots``."""
        slot_lists = [slots for slots in slot_lists if slots]
        self._slot_values = [
            tuple(slots[i]._value for slots in slot_lists)
            for i in range(len(self._trainable_variables))
        ]
        self._native_plans = {}

    def _scratch(self, shape, which=0):
        """A reusable float32 buffer; valid only until the next ``_update``."""
        key = (tuple(shape), which)
        buffer = self._scratch_buffers.get(key)
        if buffer is None:
            buffer = self._scratch_buffers[key] = np.empty(shape, dtype=FLOAT)
        return buffer

    # ----------------------------------------------------------------- apply

    def apply_gradients(self, grads_and_vars):
        """Applies ``(gradient, variable)`` pairs; returns ``iterations``."""
        pairs = list(grads_and_vars)
        if not pairs:
            return self._iterations
        grads, variables = zip(*pairs)
        self.apply(list(grads), list(variables))
        return self._iterations

    def apply(self, grads, trainable_variables=None):
        """Updates ``trainable_variables`` (or the variables it was built with)
        from ``grads``, one gradient per variable.

        Gradients may be Tensors, numpy arrays or None (that variable is
        skipped, with a warning, as in Keras).

        Raises:
            ValueError: when the optimizer is not built and no variables are
                given, the counts differ, a variable is unknown, a gradient's
                shape differs from its variable's, or every gradient is None.
        """
        grads = list(grads)
        if not grads:
            return
        variables = self._prepare_variables(grads, trainable_variables)
        arrays, kept = [], []
        missing = []
        for grad, variable in zip(grads, variables):
            if grad is None:
                missing.append(variable.path)
                continue
            # The common case inline: a float32 Tensor or array of the variable's shape.
            array = grad._value if isinstance(grad, Tensor) else grad
            if not (type(array) is np.ndarray and array.dtype is _FLOAT_DTYPE
                    and array.shape == variable._value.shape):
                array = self._gradient_array(grad, variable)
            arrays.append(array)
            kept.append(variable)
        if not kept:
            raise ValueError(f"{type(self).__name__}: no gradients provided for any variable.")
        if missing:
            warnings.warn(
                f"Gradients do not exist for variables {missing} when minimizing the loss. "
                "If using `model.compile()`, did you forget to provide a `loss` argument?"
            )
        if self.loss_scale_factor is not None:
            arrays = [g / self.loss_scale_factor for g in arrays]
        if self._native_step_possible():
            # One native call, numpy not involved (so nothing to silence).
            self._update_variables_native(arrays, kept, self._current_learning_rate(),
                                          int(self._iterations._value) + 1)
        else:
            with np.errstate(all="ignore"):  # a diverged step yields inf/nan, not a warning
                self._apply_updates(arrays, kept)
        for variable in kept:
            if variable.constraint is not None:
                variable.assign(variable.constraint(variable))
        self._iterations._value[()] += 1  # in place; a 0-d `+=` is ten times slower

    def _prepare_variables(self, grads, trainable_variables):
        cls_name = type(self).__name__
        if trainable_variables is None:
            if not self.built:
                raise ValueError(
                    f"{cls_name}: when passing `grads` without `trainable_variables`, the "
                    "optimizer must already be built. Call `optimizer.build(variables)` first."
                )
            if len(grads) != len(self._trainable_variables):
                raise ValueError(
                    f"{cls_name}: expected one gradient per variable the optimizer was built "
                    f"with ({len(self._trainable_variables)}). Received: {len(grads)} gradients"
                )
            return self._trainable_variables
        variables = list(trainable_variables)
        if len(grads) != len(variables):
            raise ValueError(
                f"{cls_name}: expected one gradient per variable. "
                f"Received: {len(grads)} gradients for {len(variables)} variables"
            )
        if not self.built:
            self.build(variables)
        unknown = [
            getattr(v, "path", repr(v)) for v in variables
            if id(v) not in self._trainable_variables_indices
        ]
        if unknown:
            raise ValueError(
                f"{cls_name}: unknown variables {unknown}. This optimizer can only update the "
                "variables it was built with; create a new optimizer for new variables."
            )
        return variables

    def _gradient_array(self, grad, variable):
        array = grad._value if isinstance(grad, Tensor) else np.asarray(grad)
        if array.dtype != FLOAT:
            if array.dtype.kind not in "fiub":
                raise ValueError(
                    f"{type(self).__name__}: the gradient of variable '{variable.path}' must be "
                    f"a real number array. Received: dtype={array.dtype}"
                )
            array = array.astype(FLOAT)
        if array.shape != variable.shape:
            raise ValueError(
                f"{type(self).__name__}: the gradient of variable '{variable.path}' has shape "
                f"{array.shape}, expected the variable's shape {variable.shape}. "
                f"Received: gradient shape {array.shape}, variable shape {variable.shape}"
            )
        return array

    def _apply_updates(self, grads, variables):
        steps = self.gradient_accumulation_steps
        if steps:
            accumulators = [
                self._accumulated_gradients[self._trainable_variables_indices[id(v)]]._value
                for v in variables
            ]
            if (int(self._iterations._value) + 1) % steps == 0:
                grads = [(g + acc) / steps for g, acc in zip(grads, accumulators)]
                self._update_variables(grads, variables)
                for acc in self._accumulated_gradients:
                    acc._value[...] = 0
            else:
                for g, acc in zip(grads, accumulators):
                    acc += g
        else:
            self._update_variables(grads, variables)
        if self.use_ema:
            self._update_moving_averages()

    def _native_step_possible(self):
        """Whether ``apply`` can go straight to one native call: a built-in rule
        and no loss scaling, gradient accumulation or EMA around it."""
        return (self._uses_native_rule() and self.loss_scale_factor is None
                and not self.gradient_accumulation_steps and not self.use_ema)

    def _uses_native_rule(self):
        if not self.use_native_updates:
            return False
        cls = type(self)
        native = _NATIVE_CLASSES.get(cls)
        if native is None:
            owner = _defining_class(cls, "_update_native")
            native = _NATIVE_CLASSES[cls] = (
                owner is not Optimizer and owner is _defining_class(cls, "_update"))
        return native

    def _update_step(self):
        """The 1-based number of the update being applied (accumulated steps count once)."""
        step = int(self._iterations._value)
        if self.gradient_accumulation_steps:
            step //= self.gradient_accumulation_steps
        return step + 1

    def _update_variables(self, grads, variables):
        learning_rate = self._current_learning_rate()
        step = self._update_step()
        if self._uses_native_rule():
            self._update_variables_native(grads, variables, learning_rate, step)
            return
        grads = self._clip_gradients(grads)
        self._apply_weight_decay(variables, learning_rate)
        indices = self._trainable_variables_indices
        for grad, variable in zip(grads, variables):
            slots = self._slot_values[indices[id(variable)]]
            self._update(variable._value, grad, slots, learning_rate, step)

    def _native_plan(self, variables):
        """Per list of variables: the slot arrays as one list per slot (the
        layout of the multi-tensor kernels) and the weight-decay mask."""
        key = tuple(map(id, variables))
        plan = self._native_plans.get(key)
        if plan is None:
            indices = self._trainable_variables_indices
            per_variable = [self._slot_values[indices[id(v)]] for v in variables]
            count = len(per_variable[0]) if per_variable else 0
            slot_lists = tuple([slots[j] for slots in per_variable] for j in range(count))
            decay = [self._use_weight_decay(v) for v in variables]
            plan = self._native_plans[key] = (slot_lists, None if all(decay) else decay)
        return plan

    def _update_variables_native(self, grads, variables, learning_rate, step):
        slot_lists, decay = self._native_plan(variables)
        options = {}
        if self.clipnorm and self.clipnorm > 0:
            options["grad_scales"] = [self._clip_norm_scale(g) for g in grads]
        elif self.global_clipnorm and self.global_clipnorm > 0:
            scale = _global_clip_scale(grads, self.global_clipnorm)
            if scale is not None:
                options["grad_scales"] = [scale] * len(grads)
        elif self.clipvalue and self.clipvalue > 0:
            options["clipvalue"] = float(self.clipvalue)
        if self.weight_decay is not None:
            options["weight_decay"] = self.weight_decay * learning_rate
            options["decay"] = decay
        values = [v._value for v in variables]
        try:
            self._update_native(values, grads, slot_lists, learning_rate, step, options)
        except ValueError:
            # Nothing was written (arguments are checked before any update). A gradient that shares
            # memory with a variable or slot is legal here, if unusual: retry on private copies.
            self._update_native(values, [np.array(g) for g in grads], slot_lists, learning_rate, step,
                                options)

    def _update_native(self, values, grads, slot_lists, lr, step, options):
        """The fused form of ``_update`` for all variables at once (optional).

        Args:
            values, grads: one float32 array per variable.
            slot_lists: per slot the subclass binds, the list of its arrays.
            lr, step: as for ``_update``.
            options: keyword arguments for the ``_core`` update (clipping and
                weight decay), to pass through.
        """
        raise NotImplementedError(f"{type(self).__name__} has no native update.")

    def _update(self, value, grad, slots, lr, step):
        """The update rule: changes ``value`` (and ``slots``) in place.

        Args:
            value: the variable's float32 array.
            grad: its gradient (float32, same shape; must not be modified).
            slots: the arrays ``build`` bound for this variable, in order.
            lr: the learning rate (a float).
            step: the 1-based step count Keras calls ``iterations + 1``.
        """
        raise NotImplementedError(f"{type(self).__name__} must implement _update.")

    # --------------------------------------------------------- clip / decay

    def _clip_gradients(self, grads):
        if self.clipnorm and self.clipnorm > 0:
            return [self._clip_by_norm(g) for g in grads]
        if self.global_clipnorm and self.global_clipnorm > 0:
            return _clip_by_global_norm(grads, self.global_clipnorm)
        if self.clipvalue and self.clipvalue > 0:
            return [np.clip(g, -self.clipvalue, self.clipvalue) for g in grads]
        return grads

    def _clip_by_norm(self, grad):
        return grad * self._clip_norm_scale(grad)

    def _clip_norm_scale(self, grad):
        with np.errstate(all="ignore"):
            norm = math.sqrt(float(np.sum(np.square(grad, dtype=np.float64))))
        return np.float32(self.clipnorm / max(norm, self.clipnorm))

    def exclude_from_weight_decay(self, var_list=None, var_names=None):
        """Excludes variables, or variables whose name contains one of
        ``var_names``, from weight decay. Call it before the first step."""
        if self.built:
            raise ValueError(
                f"{type(self).__name__}: `exclude_from_weight_decay()` can only be called "
                "before the optimizer is built."
            )
        self._exclude_ids = {id(v) for v in var_list or ()}
        self._exclude_pattern = re.compile("|".join(set(var_names))) if var_names else None

    def _use_weight_decay(self, variable):
        if id(variable) in self._exclude_ids:
            return False
        if self._exclude_pattern is not None and self._exclude_pattern.search(variable.name):
            return False
        return True

    def _apply_weight_decay(self, variables, learning_rate):
        if self.weight_decay is None:
            return
        factor = self.weight_decay * learning_rate
        for variable in variables:
            if self._use_weight_decay(variable):
                value = variable._value
                decay = self._scratch(value.shape)
                np.multiply(value, factor, out=decay)
                value -= decay

    # ------------------------------------------------------------------ EMA

    def _update_moving_averages(self):
        iterations = int(self._iterations._value)
        if self.gradient_accumulation_steps:
            iterations //= self.gradient_accumulation_steps
        momentum = self.ema_momentum if iterations != 0 else 0.0
        for variable, average in zip(self._trainable_variables, self._averages):
            average._value *= momentum
            average._value += (1 - momentum) * variable._value
        frequency = self.ema_overwrite_frequency
        if frequency and (iterations + 1) % frequency == 0:
            self._overwrite_with_averages(self._trainable_variables)

    def _overwrite_with_averages(self, variables):
        if len(variables) != len(self._averages):
            raise ValueError(
                f"{type(self).__name__}: cannot overwrite {len(variables)} variables with "
                f"{len(self._averages)} moving averages. Was the optimizer applied to this model?"
            )
        for variable, average in zip(variables, self._averages):
            variable.assign(average._value)

    def finalize_variable_values(self, var_list):
        """With ``use_ema``, copies the moving averages into ``var_list``."""
        if self.use_ema:
            self._overwrite_with_averages(list(var_list))

    def scale_loss(self, loss):
        """Multiplies the loss by ``loss_scale_factor`` when it is set."""
        if self.loss_scale_factor is not None:
            return loss * self.loss_scale_factor
        return loss

    # -------------------------------------------------------------- weights

    def set_weights(self, weights):
        if not self.built:
            raise ValueError(
                f"{type(self).__name__}: set_weights() needs a built optimizer; "
                "call `optimizer.build(trainable_variables)` first."
            )
        weights = list(weights)
        if len(weights) != len(self._variables):
            raise ValueError(
                f"{type(self).__name__}: expected {len(self._variables)} weights. "
                f"Received: {len(weights)}"
            )
        for variable, weight in zip(self._variables, weights):
            variable.assign(np.asarray(weight).astype(variable._value.dtype))

    def get_weights(self):
        return [v.numpy() for v in self._variables]

    def save_own_variables(self, store):
        """Writes the variables as ``store["0"], store["1"], ...`` (Keras's layout)."""
        for index, variable in enumerate(self._variables):
            store[str(index)] = variable.numpy()

    def load_own_variables(self, store):
        """Reads what ``save_own_variables`` wrote; skips with a warning on a
        count mismatch, as Keras does."""
        if len(store.keys()) != len(self._variables):
            warnings.warn(
                f"Skipping variable loading for optimizer '{self.name}', because it has "
                f"{len(self._variables)} variables whereas the saved optimizer has "
                f"{len(store.keys())} variables.",
                stacklevel=2,
            )
            return
        for index, variable in enumerate(self._variables):
            variable.assign(np.asarray(store[str(index)]).astype(variable._value.dtype))

    # --------------------------------------------------------------- config

    def get_config(self):
        """Keras 3's keys, so ``compile_config`` round-trips with Keras."""
        if isinstance(self._learning_rate, Variable):
            learning_rate = float(self._learning_rate._value)
        elif hasattr(self._learning_rate, "get_config"):
            learning_rate = schedules.serialize(self._learning_rate)
        else:
            raise ValueError(
                f"{type(self).__name__}: a callable learning rate without `get_config` "
                f"cannot be serialized. Received: {self._learning_rate!r}"
            )
        return {
            "name": self.name,
            "learning_rate": learning_rate,
            "weight_decay": self.weight_decay,
            "clipnorm": self.clipnorm,
            "global_clipnorm": self.global_clipnorm,
            "clipvalue": self.clipvalue,
            "use_ema": self.use_ema,
            "ema_momentum": self.ema_momentum,
            "ema_overwrite_frequency": self.ema_overwrite_frequency,
            "loss_scale_factor": self.loss_scale_factor,
            "gradient_accumulation_steps": self.gradient_accumulation_steps,
        }

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        learning_rate = config.get("learning_rate")
        if isinstance(learning_rate, dict):
            with custom_object_scope(custom_objects):
                config["learning_rate"] = schedules.deserialize(learning_rate)
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}, learning_rate={self._current_learning_rate():g}>"


def _takes_an_argument(function):
    """Whether a learning-rate callable wants the iteration count (a
    schedule's ``__call__(step)``) or nothing (Keras's plain callables)."""
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):
        return True
    return any(
        p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.VAR_POSITIONAL)
        for p in parameters
    )


def _global_clip_scale(grads, clip_norm):
    """The float32 factor ``clip_norm / global_norm`` when the global norm
    exceeds ``clip_norm``, NaN when it is not finite, else None."""
    with np.errstate(all="ignore"):
        total = sum(float(np.sum(np.square(g, dtype=np.float64))) for g in grads)
    norm = math.sqrt(total)
    if not math.isfinite(norm):
        return np.float32(np.nan)
    if norm <= clip_norm:
        return None
    return np.float32(clip_norm / norm)


def _clip_by_global_norm(grads, clip_norm):
    """Scales every gradient by ``clip_norm / max(global_norm, clip_norm)``;
    a non-finite global norm makes every gradient NaN, as in Keras."""
    scale = _global_clip_scale(grads, clip_norm)
    if scale is None:
        return grads
    if np.isnan(scale):
        return [np.full_like(g, np.nan) for g in grads]
    return [g * scale for g in grads]
