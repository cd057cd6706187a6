"""Models rebuilt from their architecture: ``clone_model``, ``model.to_json`` and ``model_from_json``.

The architecture is the config ``model.save`` writes (Keras 3's schema), so a JSON string from
Keras loads here and one from here loads in Keras. The rebuilt model has freshly initialized
weights and is not compiled, as in Keras.
"""
import json

from pykeras.saving import object_config, serialization


def model_to_json(model, **kwargs):
    """The model's architecture as a JSON string (``kwargs`` go to ``json.dumps``)."""
    return json.dumps(serialization.serialize_layer(model), **kwargs)


def _rebuild(config, custom_objects, where):
    object_config.check_safe(config, True, where)
    model = serialization.deserialize_layer(config, custom_objects)
    if not hasattr(model, "_init_trainer"):
        raise ValueError(f"{where}: the config describes a {type(model).__name__}, not a model.")
    return model


def model_from_json(json_string, custom_objects=None):
    """The model a ``to_json`` string describes, with new weights.

    Raises:
        ValueError: the string is not JSON, or not a model's config.
    """
    try:
        config = json.loads(json_string)
    except (TypeError, json.JSONDecodeError) as error:
        raise ValueError(f"model_from_json: expected a JSON string of a model config. Received: {error}") from None
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"model_from_json: the JSON is not a model config. Received: {str(config)[:200]}")
    return _rebuild(config, custom_objects, "model_from_json")


def clone_model(model, input_tensors=None, clone_function=None, call_function=None, recursive=False, **kwargs):
    """A new model of the same architecture, with newly initialized weights (not copied).

    Raises:
        ValueError: for ``input_tensors``, ``clone_function`` or ``call_function`` (not supported:
            the clone is rebuilt from the model's config).
    """
    unsupported = {"input_tensors": input_tensors, "clone_function": clone_function,
                   "call_function": call_function, **kwargs}
    given = sorted(name for name, value in unsupported.items() if value is not None)
    if given:
        raise ValueError(f"clone_model: {given} are not supported; the clone is rebuilt from the model's config.")
    return _rebuild(serialization.serialize_layer(model), None, "clone_model")
