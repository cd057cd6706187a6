"""``model.summary()``: Keras 3's table of layers, output shapes and parameters."""
import numpy as np

COLUMNS = (("Layer (type)", 33, "<"), ("Output Shape", 24, "<"), ("Param #", 15, ">"))


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


def _cell(text, width, align):
    text = text if len(text) <= width - 2 else text[: width - 3] + "…"
    return " " + (text.ljust(width - 2) if align == "<" else text.rjust(width - 2)) + " "


def _rule(left, fill, middle, right):
    return left + middle.join(fill * width for _, width, _ in COLUMNS) + right


def _rows(model):
    shape_of = getattr(model, "output_shape_of", lambda layer: None)
    for layer in model.layers:
        if layer.built:
            params = f"{layer.count_params():,}"
        else:
            params = "0 (unbuilt)"
        yield (f"{layer.name} ({type(layer).__name__})", _format_shape(shape_of(layer)), params)


def print_summary(model, print_fn=None):
    """Prints the table; ``print_fn`` receives each line (default ``print``)."""
    print_fn = print_fn or print
    lines = [f'Model: "{model.name}"', _rule("┏", "━", "┳", "┓")]
    lines.append("┃" + "┃".join(_cell(title, width, align) for title, width, align in COLUMNS) + "┃")
    lines.append(_rule("┡", "━", "╇", "┩"))
    rows = list(_rows(model))
    for index, row in enumerate(rows):
        lines.append("│" + "│".join(_cell(text, width, align) for text, (_, width, align) in zip(row, COLUMNS)) + "│")
        if index < len(rows) - 1:
            lines.append(_rule("├", "─", "┼", "┤"))
    lines.append(_rule("└", "─", "┴", "┘"))
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

