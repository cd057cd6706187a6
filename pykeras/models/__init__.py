"""``pykeras.models``: Model, Sequential, and the functional API."""
from pykeras.models.functional import Functional
from pykeras.models.model import Model
from pykeras.models.sequential import Sequential
from pykeras.saving.saving_api import load_model, save_model
from pykeras.saving.serialization import register_builtin

__all__ = ["Functional", "Model", "Sequential", "load_model", "save_model"]

register_builtin("keras", Model)
register_builtin("keras", Sequential)
register_builtin("keras", Functional)
