"""``pykeras.ops``: every differentiable op, and the GradientTape that records them.

The less common ops (``extra_math``, ``extra_array``: trigonometry, logic, statistics, sorting,
padding, ...) are imported on first use, as by ``ops.cumsum`` or ``from pykeras.ops import pad``
(PEP 562): most programs need none of them, and ``import pykeras`` is faster without.
"""
import importlib

from pykeras.ops.core import *  # noqa: F401,F403
from pykeras.ops.core import __all__ as _core_names
from pykeras.ops.nn import *  # noqa: F401,F403
from pykeras.ops.nn import __all__ as _nn_names
from pykeras.ops.dense_chain import DenseChain  # noqa: F401
from pykeras.ops.operators import install as _install_operators
from pykeras.ops.tape import GradientTape  # noqa: F401

_EAGER_NAMES = ["GradientTape", "DenseChain", *_core_names, *_nn_names]
_EXTRA_MODULES = ("extra_math", "extra_array")
_extra = None  # name -> module, once the extra modules are imported


def _extra_names():
    global _extra
    if _extra is None:
        modules = [importlib.import_module(f"{__name__}.{module}") for module in _EXTRA_MODULES]
        _extra = {name: module for module in modules for name in module.__all__}
    return _extra


def __getattr__(name):
    if name == "__all__":
        value = _EAGER_NAMES + list(_extra_names())
    elif name in _extra_names():
        value = getattr(_extra[name], name)
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_extra_names()))


_install_operators()
