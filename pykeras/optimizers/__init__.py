"""``pykeras.optimizers``: SGD, Adam, AdamW, RMSprop (native updates), Adagrad, Adamax, Nadam, Lion,
Adadelta and Ftrl (numpy; imported on first use: lazy_exports.py), their lookup by Keras names, and
learning-rate ``schedules``."""
import sys

from pykeras.lazy_exports import lazy_exports
from pykeras.optimizers import schedules
from pykeras.optimizers.adam import Adam
from pykeras.optimizers.adamw import AdamW
from pykeras.optimizers.optimizer import Optimizer
from pykeras.optimizers.rmsprop import RMSprop
from pykeras.optimizers.sgd import SGD

_LAZY, __getattr__ = lazy_exports(__name__, {
    "adadelta": ("Adadelta",), "adagrad": ("Adagrad",), "adamax": ("Adamax",), "ftrl": ("Ftrl",),
    "lion": ("Lion",), "nadam": ("Nadam",),
})

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adamax", "Nadam", "Lion", "Adadelta", "Ftrl",
           "get", "serialize", "deserialize", "schedules"]

# Lower-case name -> class name, the class looked up when needed.
_BY_NAME = {name.lower(): name
            for name in ("SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adamax", "Nadam", "Lion", "Adadelta", "Ftrl")}


def __dir__():
    return sorted(set(globals()) | set(_LAZY))


def _class_named(name):
    """The optimizer class of a Keras name (any case), or None."""
    class_name = _BY_NAME.get(str(name).lower())
    return None if class_name is None else getattr(sys.modules[__name__], class_name)


def serialize(optimizer):
    """Keras's ``{"module", "class_name", "config", "registered_name"}`` form."""
    return {
        "module": "keras.optimizers",
        "class_name": type(optimizer).__name__,
        "config": optimizer.get_config(),
        "registered_name": None,
    }


def deserialize(config, custom_objects=None):
    """Builds an optimizer from ``serialize``'s dict (class names case-insensitive)."""
    class_name = config.get("class_name")
    cls = (custom_objects or {}).get(class_name) or _class_named(class_name)
    if cls is None:
        raise ValueError(
            f"Could not interpret optimizer class_name: {class_name!r}. "
            f"Expected one of {sorted(_BY_NAME)}"
        )
    return cls.from_config(config.get("config", {}), custom_objects=custom_objects)


def get(identifier):
    """Resolves an optimizer's name (``"adam"``, ``"sgd"``, ``"adagrad"``, ..., any case), a
    ``serialize`` dict, or an ``Optimizer`` (returned unchanged)."""
    if identifier is None:
        return None
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, str):
        cls = _class_named(identifier)
        if cls is None:
            raise ValueError(
                f"Could not interpret optimizer identifier: {identifier!r}. "
                f"Expected one of {sorted(_BY_NAME)}"
            )
        return cls()
    if isinstance(identifier, dict):
        return deserialize(identifier)
    raise ValueError(
        f"Could not interpret optimizer identifier: {identifier!r}. "
        f"Expected a name in {sorted(_BY_NAME)}, a config dict or an Optimizer"
    )
