"""``model.summary()``: Keras 3's table of layers, output shapes and parameters.

Keras draws the table with ``rich``; this module reproduces rich's text without it: the column
widths (``positions`` of ``line_length``, then shrunk or grown to fit the table's width as rich
does), word wrapping inside cells (a word too long for its cell ends in "…"), header cells
aligned to the bottom, and lines cropped to the console's width. A functional model whose graph
is not one chain gets a "Connected to" column (``layer[node index][tensor index]``);
``show_trainable`` adds a "Trainable" column; ``expand_nested`` lists nested models' layers
under them. Colours, which Keras adds on a terminal, are left out.
"""
import math
import os
import re
import shutil
import sys

import numpy as np

from pykeras.nest import flatten

# Keras's layers that are built when constructed: they count as built before any call, and called
# inside a subclassed model they record no input shape, so Keras shows "?" as their output shape.
_BUILT_AT_INIT = frozenset("""
    Activation ELU LeakyReLU ReLU Softmax Identity Masking UnitNormalization ActivityRegularization
    AlphaDropout Dropout GaussianDropout GaussianNoise Reshape MaxPooling1D MaxPooling2D MaxPooling3D
    AveragePooling1D AveragePooling2D AveragePooling3D GlobalMaxPooling1D GlobalMaxPooling2D
    GlobalMaxPooling3D GlobalAveragePooling1D GlobalAveragePooling2D GlobalAveragePooling3D
""".split())
_WORD = re.compile(r"\s*\S+\s*")


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


# ----------------------------------------------------------------------------- cells


def _is_shape(value):
    return isinstance(value, (tuple, list)) and all(d is None or isinstance(d, int) for d in value)


def _format_shapes(shapes):
    """One shape as Keras writes it, ``(None, 8)`` (``(None)`` for rank 1); several as the
    structure that holds them, ``[(None, 3), (None, 2)]``."""
    if _is_shape(shapes):
        return "(" + ", ".join(str(d) for d in shapes) + ")"
    if isinstance(shapes, dict):
        return "{" + ", ".join(f"{key}: {_format_shapes(value)}" for key, value in shapes.items()) + "}"
    parts = ", ".join(_format_shapes(shape) for shape in shapes)
    return f"[{parts}]" if isinstance(shapes, list) else f"({parts})"


def _output_shape(layer, unknown_batch):
    """What Keras shows: the outputs of the layer's last symbolic call; else, for a layer built
    by a call in a subclassed model, its output shape for the shape it was built for."""
    nodes = layer.__dict__.get("_inbound_nodes")
    if nodes:
        shapes = [tensor.shape for tensor in flatten(nodes[-1].outputs)]
        return _format_shapes(shapes[0] if len(shapes) == 1 else shapes)
    input_shape = layer.__dict__.get("_build_input_shape")
    if not layer.built or input_shape is None or type(layer).__name__ in _BUILT_AT_INIT:
        return "?"
    if unknown_batch:  # built on stand-in data of batch 1 (Model.build, or a symbolic call)
        input_shape = _with_unknown_batch(input_shape)
    try:
        shapes = layer.compute_output_shape(input_shape)
    except Exception:
        return "?"
    return _format_shapes(shapes) if shapes is not None else "?"


def _with_unknown_batch(shape):
    if _is_shape(shape):
        return (None,) + tuple(shape)[1:] if len(shape) else tuple(shape)
    return [_with_unknown_batch(s) for s in shape]


def _batch_unknown(model):
    """Whether the model was built without a batch size: by ``build`` with ``None`` or by a
    call on ``keras.Input``, both of which run its layers on stand-in data of batch 1."""
    if model.__dict__.get("_inbound_nodes"):
        return True
    shape = model.__dict__.get("_build_input_shape")
    while shape is not None and not _is_shape(shape):
        shape = next(iter(shape), None)
    return bool(shape) and shape[0] is None


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


def _rows(layers, connections, show_trainable, expand_nested, unknown_batch, level=0):
    """One row per layer (and, with ``expand_nested``, per layer of a nested model under it)."""
    for layer in layers:
        prefix = "   " * level + "└ " if level else ""
        if layer.built:
            params = f"{layer.count_params():,}"
        else:  # Keras's layers built at construction count as built
            params = "0" if type(layer).__name__ in _BUILT_AT_INIT else "0 (unbuilt)"
        row = [f"{prefix}{layer.name} ({type(layer).__name__})", _output_shape(layer, unknown_batch), params]
        if connections is not None:
            row.append(connections.get(id(layer)) or "-")
        if show_trainable:
            row.append(("Y" if layer.trainable else "N") if layer.weights else "-")
        yield row
        inner = getattr(layer, "layers", None) if expand_nested else None
        if inner:
            yield from _rows(inner, connections, show_trainable, expand_nested,
                             unknown_batch or _batch_unknown(layer), level + 1)


def _layer_span(layers, layer_range):
    """``[start, stop)`` of the layers from the first matching ``layer_range[0]`` to the last
    matching ``layer_range[1]`` (regular expressions, matched at the start of the name)."""
    if layer_range is None:
        return 0, len(layers)
    if len(layer_range) != 2:
        raise ValueError(
            "layer_range must be a list or tuple of length 2. Received: "
            f"layer_range = {layer_range} of length {len(layer_range)}"
        )
    if not all(isinstance(name, str) for name in layer_range):
        raise ValueError(f"layer_range should contain string type only. Received: {layer_range}")
    first = [i for i, layer in enumerate(layers) if re.match(layer_range[0], layer.name)]
    last = [i for i, layer in enumerate(layers) if re.match(layer_range[1], layer.name)]
    if not first or not last:
        raise ValueError(
            f"Passed layer_names do not match the layer names in the model. Received: {layer_range}"
        )
    if min(first) > max(last):
        return min(last), max(first) + 1
    return min(first), max(last) + 1


# ----------------------------------------------------------------------------- rich's layout


def _column_widths(positions, line_length, count):
    """Keras's widths from ``positions``, then fitted as rich fits a table of ``line_length``
    characters: each width gains 2 of padding, and the total is shrunk (evenly) or grown (in
    proportion) to the room the borders leave. Widths include the padding."""
    widths, current = [], 0
    for position in positions:
        width = int(position * line_length) - current
        if width < 4:
            raise ValueError("Insufficient console width to print summary.")
        widths.append(width)
        current += width
    if len(widths) < count:
        raise ValueError(f"`positions` has {len(widths)} entries, but the table has {count} columns.")
    room = line_length - (count + 1)
    widths = [min(width + 2, room) for width in widths[:count]]
    excess = sum(widths) - room
    if excess > 0:
        shares = sum(1 for width in widths if width)
        for index, width in enumerate(widths):
            if width and shares:
                cut = min(width, round(excess / shares))
                widths[index] -= cut
                excess -= cut
                shares -= 1
    elif excess < 0:
        spare, total = -excess, sum(widths)
        for index, width in enumerate(list(widths)):
            extra = math.ceil(width * spare / total) if total > 0 else spare
            widths[index] += extra
            spare -= extra
            total -= width
    return widths


def _wrap(text, width, fold=False):
    """rich's word wrap: a line breaks before a word that does not fit; a word longer than a line
    is folded across lines (``fold``) or left whole, to be cut with "…" later."""
    breaks, offset = [], 0
    for match in _WORD.finditer(text):
        start, word = match.start(), match.group()
        length = len(word.rstrip())
        if width - offset >= length:
            offset += len(word)
        elif length > width:
            pieces = [word[i:i + width] for i in range(0, len(word), width)] if fold else [word]
            for piece in pieces:
                if start:
                    breaks.append(start)
                start += len(piece)
            offset = len(pieces[-1])
        elif offset and start:
            breaks.append(start)
            offset = len(word)
    bounds = [0, *breaks, len(text)]
    lines = [text[a:b] for a, b in zip(bounds, bounds[1:])] or [""]
    # Trailing spaces beyond the width go (rich keeps those within it).
    return [line[:max(width, len(line.rstrip()))] for line in lines]


def _cell_lines(text, width, align):
    """The cell's lines, each exactly ``width`` wide."""
    lines = []
    for line in _wrap(text, width):
        if align != "<":
            line = line.rstrip()
        if len(line) > width:
            line = line[:width - 1] + "…" if width > 0 else ""
        if align == ">":
            line = line.rjust(width)
        elif align == "^":
            line = (" " * ((width - len(line)) // 2) + line).ljust(width)
        lines.append(line.ljust(width))
    return lines


def _table_row(cells, widths, aligns, bar, bottom=False):
    blocks = [_cell_lines(text, width - 2, align) for text, width, align in zip(cells, widths, aligns)]
    height = max(len(block) for block in blocks)
    lines = []
    for index in range(height):
        parts = []
        for block, width in zip(blocks, widths):
            at = index - (height - len(block) if bottom else 0)
            parts.append(" " + (block[at] if 0 <= at < len(block) else " " * (width - 2)) + " ")
        lines.append(bar + bar.join(parts) + bar)
    return lines


def _rule(widths, left, fill, middle, right):
    return left + middle.join(fill * width for width in widths) + right


def _console_width():
    """The width rich gives its console: ``$COLUMNS``, else the terminal's, else 80."""
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit():
        return int(columns) or 80
    for fd in (0, 1, 2):
        try:
            return os.get_terminal_size(fd).columns or 80
        except (OSError, ValueError):
            pass
    return 80


# ----------------------------------------------------------------------------- the summary


def print_summary(model, line_length=None, positions=None, print_fn=None, expand_nested=False,
                  show_trainable=False, layer_range=None):
    """Prints the summary to stdout, or passes the whole text (ending in a newline) to
    ``print_fn`` in one call, as Keras does."""
    chain = _is_chain(model)
    header = ["Layer (type)", "Output Shape", "Param #"]
    if chain:
        aligns, default_positions, default_length = "<<>", [0.45, 0.8, 1.0], 88
    else:
        header.append("Connected to")
        aligns, default_positions, default_length = "<<><", [0.3, 0.56, 0.74, 1.0], 108
    positions = positions or default_positions
    if show_trainable:
        header.append("Trainable")
        aligns += "^"
        positions = [position * 0.9 for position in positions] + [1.0]
        default_length += 12
    line_length = line_length or min(default_length, shutil.get_terminal_size().columns - 4)
    widths = _column_widths(positions, line_length, len(header))

    layers = getattr(model, "operations", None) or model.layers  # a functional graph: its op nodes too
    start, stop = _layer_span(layers, layer_range)
    rows = list(_rows(layers[start:stop], None if chain else _connections(model), show_trainable,
                      expand_nested, _batch_unknown(model)))
    table = [_rule(widths, "┏", "━", "┳", "┓"), *_table_row(header, widths, aligns, "┃", bottom=True),
             _rule(widths, "┡", "━", "╇", "┩")]
    for index, row in enumerate(rows):
        if index:
            table.append(_rule(widths, "├", "─", "┼", "┤"))
        table += _table_row(row, widths, aligns, "│")
    table.append(_rule(widths, "└", "─", "┴", "┘"))

    trainable = model.trainable_weights
    non_trainable = model.non_trainable_weights
    optimizer = getattr(model, "optimizer", None)
    optimizer_variables = list(getattr(optimizer, "variables", []) or []) if optimizer is not None else []
    totals = [("Total", trainable + non_trainable + optimizer_variables), ("Trainable", trainable),
              ("Non-trainable", non_trainable)]
    if optimizer_variables:
        totals.append(("Optimizer", optimizer_variables))

    width = _console_width()
    lines = _wrap(f'Model: "{model.name}"', width, fold=True) + [line[:width] for line in table]
    for label, variables in totals:
        text = f" {label} params: {_count(variables):,} ({readable_memory_size(_bytes(variables))})"
        lines += _wrap(text, width, fold=True)
    text = "".join(line + "\n" for line in lines)
    if print_fn is None:
        sys.stdout.write(text)
    else:
        print_fn(text)
