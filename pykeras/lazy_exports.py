"""Names a package exports but imports on first use.

Each module imported by ``import pykeras`` costs a fraction of a millisecond; the layers,
callbacks and optimizers few programs use would add a quarter of pykeras's own import time.
``keras.layers.Embedding``, ``from pykeras.callbacks import EarlyStopping`` and a saved file that
names such a class all import its module then (PEP 562).
"""
import importlib
import sys


def lazy_exports(package, modules):
    """``(where, __getattr__)`` for ``package``: ``modules`` maps each submodule to the names it
    exports; ``where`` maps each name to its full module name, and ``__getattr__`` imports it on
    first access and keeps it in the package."""
    where = {name: f"{package}.{module}" for module, names in modules.items() for name in names}

    def __getattr__(name):
        module = where.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        setattr(sys.modules[package], name, value)
        return value

    return where, __getattr__
