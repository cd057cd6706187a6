"""Keras's auto-config: a subclass that does not override ``get_config`` is
described by the plain constructor arguments it was created with."""
import inspect


def _is_plain(value):
    if value is None or isinstance(value, (bool, int, float, str)):
        return True
    if isinstance(value, (list, tuple)):
        return all(_is_plain(item) for item in value)
    if isinstance(value, dict):
        return all(isinstance(key, str) and _is_plain(item) for key, item in value.items())
    return False


def capture_init_arguments(instance, cls, args, kwargs):
    """Keeps the constructor's arguments when they are plain values (Keras's auto-config)."""
    try:
        bound = inspect.signature(cls.__init__).bind(None, *args, **kwargs)
    except (TypeError, ValueError):
        return  # __init__ raises its own error
    arguments = {}
    parameters = list(inspect.signature(cls.__init__).parameters.values())[1:]
    for parameter in parameters:
        if parameter.name not in bound.arguments:
            continue
        value = bound.arguments[parameter.name]
        if parameter.kind is parameter.VAR_POSITIONAL:
            return  # positional extras cannot be replayed by name
        if parameter.kind is parameter.VAR_KEYWORD:
            arguments.update(value)
        else:
            arguments[parameter.name] = value
    if _is_plain(arguments):
        object.__setattr__(instance, "_auto_config", arguments)


def with_auto_config(layer, config):
    """``config`` plus the captured constructor arguments, keeping only keys
    the constructor accepts (unless it takes ``**kwargs``)."""
    auto = layer.__dict__.get("_auto_config")
    if auto is None:
        return config
    config = {**config, **auto}
    parameters = inspect.signature(type(layer).__init__).parameters
    if not any(p.kind is p.VAR_KEYWORD for p in parameters.values()):
        config = {key: value for key, value in config.items() if key in parameters}
    return config
