"""``config.json``: a model's Keras config with its ``compile_config``, and the
safety check every config passes before anything is built from it.

Objects are written as Keras 3 writes them: built-in classes as
``{"module", "class_name", "config", "registered_name"}``, built-in functions
as ``{"module": "builtins", "class_name": "function", "config": name}``,
strings as strings. Reading resolves names only through pykeras's built-ins,
the registry of ``register_keras_serializable`` and ``custom_objects``.
"""
import numbers

from pykeras.saving import serialization

_COMPILE_KEYS = ("optimizer", "loss", "loss_weights", "metrics", "weighted_metrics",
                 "run_eagerly", "steps_per_execution", "jit_compile", "auto_scale_loss")


# ---------------------------------------------------------------- safety


def check_safe(config, safe_mode=True, where="config.json"):
    """Refuses configs that would need code from the file to run (a lambda's bytecode).

    pykeras never runs code from a file, so even ``safe_mode=False`` cannot load
    a lambda; ``safe_mode=True`` gives Keras's message.
    """
    stack = [config]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            if value.get("class_name") == "__lambda__":
                if safe_mode:
                    raise ValueError(
                        "Requested the deserialization of a `lambda` object. This carries a potential "
                        "risk of arbitrary code execution and thus it is disallowed by default. If you "
                        "trust the source of the saved model, you can pass `safe_mode=False` to the "
                        f"loading function in order to allow `lambda` loading ({where})."
                    )
                raise ValueError(
                    f"{where} holds a Python `lambda` (bytecode). pykeras never executes code from a "
                    "model file, even with safe_mode=False: rewrite the lambda as a registered "
                    "function or layer and pass it in `custom_objects`."
                )
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)


# ---------------------------------------------------------------- writing


def _function_config(function):
    from pykeras import losses, metrics

    name = getattr(function, "__name__", None)
    builtin = name is not None and (
        losses._FUNCTIONS.get(name) is function or metrics._FUNCTIONS.get(name) is function
    )
    if builtin:
        return {"module": "builtins", "class_name": "function", "config": name, "registered_name": "function"}
    registered = serialization.get_registered_name(function)
    return {"module": getattr(function, "__module__", None), "class_name": "function",
            "config": registered, "registered_name": registered}


def serialize_object(value):
    """A compile argument (loss, metric, optimizer, or a list/dict of them) in Keras's form."""
    from pykeras import losses, metrics, optimizers

    if value is None or isinstance(value, (str, bool, numbers.Number)):
        return value
    if isinstance(value, (list, tuple)):
        return [serialize_object(item) for item in value]
    if isinstance(value, dict):
        return {str(key): serialize_object(item) for key, item in value.items()}
    if isinstance(value, optimizers.Optimizer):
        config = optimizers.serialize(value)
    elif isinstance(value, losses.LossFunctionWrapper) and type(value) is losses.LossFunctionWrapper:
        return _function_config(value.fn)
    elif isinstance(value, (losses.Loss, metrics.Metric)):
        module = "keras.losses" if isinstance(value, losses.Loss) else "keras.metrics"
        config = {"module": module, "class_name": type(value).__name__,
                  "config": value.get_config(), "registered_name": None}
    elif isinstance(value, type) or not callable(value):
        raise ValueError(f"Cannot serialize {value!r} in the compile config.")
    elif hasattr(value, "get_config"):
        config = {"module": type(value).__module__, "class_name": type(value).__name__,
                  "config": value.get_config(), "registered_name": serialization.get_registered_name(type(value))}
    else:
        return _function_config(value)
    cls = type(value)
    if not cls.__module__.startswith("pykeras"):  # a user's class: found again by registered name
        config["module"] = None if "_registered_name" in cls.__dict__ else cls.__module__
        config["registered_name"] = serialization.get_registered_name(cls)
    return config


def compile_config(model):
    """Keras's ``compile_config`` for a compiled model (``{}`` when not compiled)."""
    raw = getattr(model, "_compile_config", None)
    if not getattr(model, "compiled", False) or raw is None:
        return {}
    config = {"optimizer": serialize_object(model.optimizer)}
    for key in ("loss", "loss_weights", "metrics", "weighted_metrics"):
        config[key] = serialize_object(raw.get(key))
    config.update(run_eagerly=False, steps_per_execution=1, jit_compile="auto")
    return config


def model_config(model):
    """The whole ``config.json`` of a model."""
    config = serialization.serialize_layer(model)
    config["compile_config"] = compile_config(model)
    return config


# ---------------------------------------------------------------- reading


def _resolve_function(config, kind, custom_objects):
    from pykeras import losses, metrics

    name = config.get("config")
    if not isinstance(name, str):
        raise ValueError(f"A function config needs a name. Received: {config!r}"[:500])
    registered = config.get("registered_name")
    for key in (registered, name):
        if isinstance(key, str) and key != "function":
            found = serialization.get_registered_object(key, custom_objects)
            if found is not None:
                return found
    short = name.split(">")[-1]
    tables = (losses._FUNCTIONS, metrics._FUNCTIONS) if kind == "loss" else (metrics._FUNCTIONS, losses._FUNCTIONS)
    for table in tables:
        if short in table:
            return table[short]
    for key, value in {**(custom_objects or {}), **serialization.get_custom_objects()}.items():
        if key.split(">")[-1] == short:
            return value
    raise TypeError(
        f"Could not locate function '{name}'. Make sure custom classes and functions are decorated "
        "with `@keras.saving.register_keras_serializable()` or passed in `custom_objects`. "
        f"Full object config: {config}"
    )


def deserialize_object(value, kind, custom_objects=None):
    """Inverse of ``serialize_object``; ``kind`` is "loss" or "metric"."""
    from pykeras import losses, metrics

    if isinstance(value, list):
        return [deserialize_object(item, kind, custom_objects) for item in value]
    if not isinstance(value, dict):
        return value
    if "class_name" not in value:
        return {key: deserialize_object(item, kind, custom_objects) for key, item in value.items()}
    if value["class_name"] == "function":
        return _resolve_function(value, kind, custom_objects)
    module = value.get("module") or ""
    inner = value.get("config") or {}
    class_name, registered = value.get("class_name"), value.get("registered_name")
    custom = None
    for key in (registered, class_name):
        if isinstance(key, str):
            custom = custom or serialization.get_registered_object(key, custom_objects)
    if custom is None and module.startswith("keras"):
        table = losses._BY_NAME if module.startswith("keras.losses") else metrics._BY_NAME
        found = table.get(class_name)
        if isinstance(found, type):
            custom = found
    if custom is None:
        serialization.resolve_class(value, custom_objects)  # raises "Could not locate class"
    if not isinstance(inner, dict):
        raise ValueError(f"The config of {class_name} must be a dict. Received: {inner!r}"[:500])
    return custom.from_config(dict(inner))


def compile_from_config(model, config, custom_objects=None):
    """Compiles ``model`` as ``config`` says and builds its optimizer (so its
    saved state can be loaded), like Keras's ``compile_from_config``."""
    from pykeras import optimizers

    if not isinstance(config, dict):
        raise ValueError(f"compile_config must be a dict. Received: {config!r}"[:300])
    arguments = {key: config[key] for key in _COMPILE_KEYS if key in config}
    optimizer = arguments.get("optimizer")
    if isinstance(optimizer, dict):
        with serialization.custom_object_scope(custom_objects):
            scoped = dict(custom_objects or {})
            registered = serialization.get_registered_object(optimizer.get("registered_name") or "", custom_objects)
            if registered is not None:
                scoped[optimizer.get("class_name")] = registered
            arguments["optimizer"] = optimizers.deserialize(optimizer, custom_objects=scoped)
    arguments["loss"] = deserialize_object(arguments.get("loss"), "loss", custom_objects)
    for key in ("metrics", "weighted_metrics"):
        arguments[key] = deserialize_object(arguments.get(key), "metric", custom_objects)
    model.compile(**arguments)
    if model.built and model.trainable_weights:
        model.optimizer.build(model.trainable_weights)
