"""``pykeras.models``: Model, Sequential, and the functional API."""
from pykeras.models.functional import Functional
from pykeras.models.model import Model
from pykeras.models.sequential import Sequential
from pykeras.saving.serialization import register_builtin

__all__ = ["Functional", "Model", "Sequential", "clone_model", "load_model", "model_from_json", "save_model"]

register_builtin("keras", Model)
register_builtin("keras", Sequential)
register_builtin("keras", Functional)


def __getattr__(name):
    # Loaded on first use (with json): keras.models.load_model / save_model, like pykeras.saving's,
    # and clone_model / model_from_json.
    if name in ("load_model", "save_model"):
        from pykeras.saving import saving_api

        return getattr(saving_api, name)
    if name in ("clone_model", "model_from_json"):
        from pykeras.models import cloning

        return getattr(cloning, name)
    raise AttributeError(f"module 'pykeras.models' has no attribute {name!r}")
