"""``model.summary()``: Keras 3's table of layers, output shapes and parameters.

A functional model whose graph is not one chain gets Keras's fourth column, "Connected to": the
tensors each layer was called on, as ``layer[node index][tensor index]``. Widths are Keras's for
a 76-column console; a cell too narrow for its text wraps at spaces, as Keras's table does.
"""
import textwrap

import numpy as np

CHAIN_COLUMNS = (("Layer (type)", 33, "<"), ("Output Shape", 24, "<"), ("Param #", 15, ">"))
GRAPH_COLUMNS = (("Layer (type)", 21, "<"), ("Output Shape", 19, "<"), ("Param #", 12, ">"),
                 ("Connected to", 19, "<"))


def readable_memory_size(size):
    """Bytes as Keras prints them: 1024-based units, two decimals."""
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if size / 1024 < 1:
            return f"{size:.2f} {unit}"
        size /= 1024
    return f"{size:.2f} PB"


def _count(variables):
    return sum(int(np.prod(v.shape)) for v in variables)


def _bytes(variables):
    return sum(int(np.prod(v.shape)) * v._value.itemsize for v in variables)


def _format_shape(shape):
    if shape is None:
        return "?"
    if isinstance(shape, list):
        return ", ".join(_format_shape(s) for s in shape)
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"


def _lines(text, width):
    """The cell's lines: wrapped at spaces, a word longer than the cell cut with an ellipsis."""
    room = width - 2
    return [line if len(line) <= room else line[: room - 1] + "…"
            for line in textwrap.wrap(text, room, break_long_words=False, break_on_hyphens=False) or [""]]


def _row_lines(row, columns):
    cells = [_lines(text, width) for text, (_, width, _) in zip(row, columns)]
    height = max(len(cell) for cell in cells)
    out = []
    for index in range(height):
        parts = []
        for cell, (_, width, align) in zip(cells, columns):
            text = cell[index] if index < len(cell) else ""
            parts.append(" " + (text.ljust(width - 2) if align == "<" else text.rjust(width - 2)) + " ")
        out.append("│" + "│".join(parts) + "│")
    return out


def _rule(columns, left, fill, middle, right):
    return left + middle.join(fill * width for _, width, _ in columns) + right


def _is_chain(model):
    """Keras's "sequential-like": one input, and each layer called once on the previous output."""
    nodes = getattr(model, "_nodes", None)
    if nodes is None:
        return True  # Sequential and subclassed models list their layers in order
    from pykeras.saving.functional_config import node_inputs

    if len(model._flat_inputs) != 1:
        return False
    consumed, called = set(), set()
    for node in nodes:
        inputs = node_inputs(node)
        if len(inputs) != 1 or id(inputs[0]) in consumed or id(node.layer) in called:
            return False
        consumed.add(id(inputs[0]))
        called.add(id(node.layer))
    return True


def _connections(model):
    """``{id(layer): "a[0][0], b[0][0]"}`` for the layers of a functional graph."""
    from pykeras.saving.functional_config import node_inputs, tensor_histories

    histories = tensor_histories(model)
    found = {}
    for node in model._nodes:
        names = [f"{name}[{node_index}][{tensor_index}]"
                 for name, node_index, tensor_index in (histories[id(t)] for t in node_inputs(node))]
        found[id(node.layer)] = ", ".join(filter(None, [found.get(id(node.layer)), *names]))
    return found


def _rows(model, with_connections):
    shape_of = getattr(model, "output_shape_of", lambda layer: None)
    connections = _connections(model) if with_connections else {}
    for layer in model.layers:
        params = f"{layer.count_params():,}" if layer.built else "0 (unbuilt)"
        row = (f"{layer.name} ({type(layer).__name__})", _format_shape(shape_of(layer)), params)
        yield row + ((connections.get(id(layer)) or "-",) if with_connections else ())


def print_summary(model, print_fn=None):
    """Prints the table; ``print_fn`` receives each line (default ``print``)."""
    print_fn = print_fn or print
    chain = _is_chain(model)
    columns = CHAIN_COLUMNS if chain else GRAPH_COLUMNS
    lines = [f'Model: "{model.name}"', _rule(columns, "┏", "━", "┳", "┓")]
    lines.append("┃" + "┃".join(" " + (t.ljust(w - 2) if a == "<" else t.rjust(w - 2)) + " "
                                 for t, w, a in columns) + "┃")
    lines.append(_rule(columns, "┡", "━", "╇", "┩"))
    rows = list(_rows(model, not chain))
    for index, row in enumerate(rows):
        lines += _row_lines(row, columns)
        if index < len(rows) - 1:
            lines.append(_rule(columns, "├", "─", "┼", "┤"))
    lines.append(_rule(columns, "└", "─", "┴", "┘"))
    trainable = model.trainable_weights
    non_trainable = model.non_trainable_weights
    optimizer = getattr(model, "optimizer", None)
    optimizer_variables = list(getattr(optimizer, "variables", []) or []) if optimizer is not None else []
    total = trainable + non_trainable + optimizer_variables
    lines.append(f" Total params: {_count(total):,} ({readable_memory_size(_bytes(total))})")
    lines.append(f" Trainable params: {_count(trainable):,} ({readable_memory_size(_bytes(trainable))})")
    lines.append(
        f" Non-trainable params: {_count(non_trainable):,} ({readable_memory_size(_bytes(non_trainable))})"
    )
    if optimizer_variables:
        lines.append(
            f" Optimizer params: {_count(optimizer_variables):,} "
            f"({readable_memory_size(_bytes(optimizer_variables))})"
        )
    if not model.built:
        lines.append(" The model is not built yet: call it on data, or call `build(input_shape)`.")
    for line in lines:
        print_fn(line)
