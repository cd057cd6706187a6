"""Nested structures (lists, tuples, dicts) of tensors: flatten, rebuild, map.

Leaves are everything that is not a list, tuple or dict; dicts keep their
insertion order.
"""


def flatten(structure):
    """The leaves of ``structure``, depth first, in order."""
    if isinstance(structure, dict):
        return [leaf for value in structure.values() for leaf in flatten(value)]
    if isinstance(structure, (list, tuple)):
        return [leaf for value in structure for leaf in flatten(value)]
    return [structure]


def pack_like(structure, leaves):
    """Rebuilds ``structure`` with ``leaves`` (as ``flatten`` ordered them)."""
    iterator = iter(leaves)

    def pack(node):
        if isinstance(node, dict):
            return {key: pack(value) for key, value in node.items()}
        if isinstance(node, (list, tuple)):
            return type(node)(pack(value) for value in node)
        return next(iterator)

    return pack(structure)


def map_structure(function, structure):
    """``structure`` with ``function`` applied to every leaf."""
    if isinstance(structure, dict):
        return {key: map_structure(function, value) for key, value in structure.items()}
    if isinstance(structure, (list, tuple)):
        return type(structure)(map_structure(function, value) for value in structure)
    return function(structure)
