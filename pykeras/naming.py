"""Unique automatic names (``dense``, ``dense_1``, ...) and the name scope that
gives variables their ``path`` (``sequential/dense/kernel``)."""
import re
import threading
from collections import defaultdict
from contextlib import contextmanager

_counts = defaultdict(int)
_local = threading.local()


def to_snake_case(name):
    """Keras's rule: ``GlobalAveragePooling1D`` -> ``global_average_pooling1d``."""
    name = re.sub(r"\W+", "", name)
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


def unique_name(prefix):
    """Returns ``prefix`` the first time, then ``prefix_1``, ``prefix_2``..."""
    count = _counts[prefix]
    _counts[prefix] += 1
    return prefix if count == 0 else f"{prefix}_{count}"


def _scopes():
    if not hasattr(_local, "scopes"):
        _local.scopes = []
    return _local.scopes


@contextmanager
def name_scope(name, owner=None):
    """Prefixes the path of variables created inside with ``name/``."""
    scopes = _scopes()
    scopes.append((name, owner))
    try:
        yield
    finally:
        scopes.pop()


def innermost_scope_owner():
    scopes = _scopes()
    return scopes[-1][1] if scopes else None


def current_path(name):
    return "/".join([scope for scope, _ in _scopes()] + [name])
