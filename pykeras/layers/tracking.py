"""Finding a layer's sublayers and variables, and caching what was found.

Sublayers and variables are whatever Layer or Variable a layer's attributes
hold, directly or inside lists, tuples and dicts, in assignment order. Lists
and dicts assigned to a layer are wrapped so that mutating them later (an
``append``) is seen too. Any such change bumps one process-wide version
number; cached walks compare it before use, so steady-state training pays
for no walk at all.
"""
version = [0]  # read in place (``version[0]``) where a call costs too much: the model-call fast path


def structure_version():
    return version[0]


def bump():
    """Marks every cached walk stale (layers or variables were added or removed)."""
    version[0] += 1


def _mutator(name):
    def method(self, *args, **kwargs):
        result = getattr(super(type(self), self), name)(*args, **kwargs)
        bump()
        return result

    method.__name__ = name
    return method


class TrackedList(list):
    """A list whose mutations invalidate the layer caches."""

    def __iadd__(self, other):
        result = super().__iadd__(other)
        bump()
        return result


for _name in ("append", "extend", "insert", "pop", "remove", "clear", "__setitem__", "__delitem__", "sort", "reverse"):
    setattr(TrackedList, _name, _mutator(_name))


class TrackedDict(dict):
    """A dict whose mutations invalidate the layer caches."""


for _name in ("__setitem__", "__delitem__", "pop", "popitem", "clear", "update", "setdefault"):
    setattr(TrackedDict, _name, _mutator(_name))


def wrap_container(value):
    """Wraps a plain list or dict so later mutations are tracked."""
    if type(value) is list:
        return TrackedList(value)
    if type(value) is dict:
        return TrackedDict(value)
    return value


def iter_tracked(value, seen, kinds):
    """Yields the objects of ``kinds`` inside an attribute value, in order, each once."""
    if id(value) in seen:
        return
    if isinstance(value, kinds):
        seen.add(id(value))
        yield value
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from iter_tracked(item, seen, kinds)
    elif isinstance(value, dict):
        for item in value.values():
            yield from iter_tracked(item, seen, kinds)
