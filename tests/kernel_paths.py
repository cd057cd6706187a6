"""The kernel paths (ISAs) this CPU can run, for tests that compare them."""
from pykeras import _core


def supported_isas():
    current, supported = _core.selected_isa(), []
    for name in _core.compiled_isas():
        try:
            _core.set_isa(name)
        except ValueError:
            continue
        supported.append(name)
    _core.set_isa(current)
    return supported
