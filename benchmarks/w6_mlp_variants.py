"""W6: the W3 MLP as users vary it, against the same model in a PyTorch eager loop.

W3 times the plain ReLU MLP. Here each hidden Dense gets what Keras users add to it, one change
at a time: BatchNormalization after it (before the ReLU), LayerNormalization there instead, an
L2(1e-4) kernel regularizer, or a GELU (the exact form, Keras's and PyTorch's default) instead of
the ReLU. Two more change how the plain MLP is trained: ``class_weight`` (weights 0.5 to 1.85 by
class), and the mean squared error against the labels' one-hot rows instead of the cross-entropy.
Each trains on 20,000 W3 samples with Adam(1e-3) at batch 32 and 128, pykeras ``fit`` beside a
PyTorch eager loop of the same model (``BatchNorm1d(eps=1e-3, momentum=0.01)`` and
``LayerNorm(eps=1e-3)``, Keras's defaults; the penalty added to the loss and the per-sample losses
weighted as a PyTorch user writes them), both from the same initial weights. The
BatchNormalization model is also timed in inference, beside PyTorch's eval mode: ``model(x)`` of
one sample and ``predict`` of 10,000 rows in batches of 1,024.
"""
import numpy as np

from benchmarks import harness
from benchmarks.w3_mlp_fit import BATCHES, SIZES, _warmup_count, init_weights, make_data, torch_loop

SAMPLES, QUICK_SAMPLES = 20_000, 6_000
L2 = 1e-4
VARIANTS = ("BatchNormalization", "LayerNormalization", "L2 kernel regularizer", "GELU hidden layers",
            "class_weight", "mean squared error")
CLASS_WEIGHTS = {label: 0.5 + 0.15 * label for label in range(SIZES[-1])}


def _targets(variant, y):
    """What the variant trains on: the labels, or (mean squared error) their float32 one-hot rows."""
    return np.eye(SIZES[-1], dtype=np.float32)[y] if variant == "mean squared error" else y


def keras_variant(keras, variant):
    """The W3 MLP in pykeras with one variant, holding W3's initial weights."""
    activation = "gelu" if variant == "GELU hidden layers" else "relu"
    regularizer = keras.regularizers.L2(L2) if variant == "L2 kernel regularizer" else None
    layers = [keras.Input(shape=(SIZES[0],))]
    for units in SIZES[1:-1]:
        if variant in ("BatchNormalization", "LayerNormalization"):
            layers += [keras.layers.Dense(units), getattr(keras.layers, variant)(), keras.layers.ReLU()]
        else:
            layers.append(keras.layers.Dense(units, activation=activation, kernel_regularizer=regularizer))
    layers.append(keras.layers.Dense(SIZES[-1], kernel_regularizer=regularizer))
    model = keras.Sequential(layers)
    for dense, (kernel, bias) in zip([layer for layer in model.layers if type(layer).__name__ == "Dense"],
                                     _pairs(init_weights())):
        dense.set_weights([kernel, bias])
    return model


def torch_variant(variant):
    """The same model as a torch.nn.Sequential holding the same weights."""
    import torch

    modules = []
    for index, (kernel, bias) in enumerate(_pairs(init_weights())):
        linear = torch.nn.Linear(*kernel.shape)
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(kernel.T.copy()))
            linear.bias.copy_(torch.from_numpy(bias))
        modules.append(linear)
        if index == len(SIZES) - 2:
            break
        if variant == "BatchNormalization":
            modules.append(torch.nn.BatchNorm1d(kernel.shape[1], eps=1e-3, momentum=0.01))
        elif variant == "LayerNormalization":
            modules.append(torch.nn.LayerNorm(kernel.shape[1], eps=1e-3))
        modules.append(torch.nn.GELU() if variant == "GELU hidden layers" else torch.nn.ReLU())
    return torch.nn.Sequential(*modules)


def _pairs(weights):
    return list(zip(weights[0::2], weights[1::2]))


def pykeras_trainer(variant, x, y, batch):
    import pykeras

    model = keras_variant(pykeras, variant)
    loss = "mse" if variant == "mean squared error" else pykeras.losses.SparseCategoricalCrossentropy(from_logits=True)
    model.compile(optimizer=pykeras.optimizers.Adam(1e-3), loss=loss)
    w, targets = _warmup_count(len(x), batch), _targets(variant, y)
    extra = {"class_weight": CLASS_WEIGHTS} if variant == "class_weight" else {}
    return (lambda: model.fit(x[:w], targets[:w], batch_size=batch, epochs=1, verbose=0, shuffle=True, **extra),
            lambda: model.fit(x, targets, batch_size=batch, epochs=1, verbose=0, shuffle=True, **extra))


def torch_trainer(variant, x, y, batch):
    import torch

    model = torch_variant(variant).train()
    penalty = None
    if variant == "L2 kernel regularizer":
        kernels = [module.weight for module in model if isinstance(module, torch.nn.Linear)]

        def penalty():
            return L2 * sum(kernel.pow(2).sum() for kernel in kernels)

    if variant == "class_weight":
        weights = np.array([CLASS_WEIGHTS[label] for label in range(SIZES[-1])], np.float32)[y]
        return torch_loop(model, x, y, batch, sample_weight=weights)
    if variant == "mean squared error":
        return torch_loop(model, x, _targets(variant, y), batch, loss_fn=torch.nn.MSELoss())
    return torch_loop(model, x, y, batch, penalty)


def _check_same_model(variant, x):
    """Both models give the same inference outputs before training (BatchNormalization in
    inference mode uses its initial moving statistics in both)."""
    import pykeras
    import torch

    ours = keras_variant(pykeras, variant).predict(x[:64], verbose=0)
    with torch.no_grad():
        theirs = torch_variant(variant).eval()(torch.from_numpy(x[:64])).numpy()
    assert np.allclose(ours, theirs, rtol=1e-3, atol=1e-4), f"W6: the {variant} models differ"


def _inference_rows(x, passes, quick, has_torch):
    """The BatchNormalization model in inference (its moving statistics): one sample through
    ``model(x)`` and 10,000 through ``predict`` in batches of 1,024, beside PyTorch's eval mode."""
    import pykeras

    model = keras_variant(pykeras, "BatchNormalization")
    rows_1, rows_n = x[:1], x[:10_000]
    latency = [("pykeras model(x)", lambda: model(rows_1))]
    throughput = [("pykeras predict", lambda: model.predict(rows_n, batch_size=1024, verbose=0))]
    if has_torch:
        import torch

        module = torch_variant("BatchNormalization").eval()

        def forward(rows):
            with torch.no_grad():
                return module(torch.from_numpy(rows)).numpy()

        latency.append(("torch eval", lambda: forward(rows_1)))
        throughput.append(("torch eval", lambda: [forward(rows_n[s:s + 1024]) for s in range(0, len(rows_n), 1024)]))
    workload = "W6 MLP variants predict"
    latency_case, throughput_case = "BatchNormalization, 1 sample", f"BatchNormalization, {len(rows_n):,} in batches of 1024"
    rows = harness.rows_from(harness.latencies(latency, 200 if quick else 2000, passes), workload, latency_case,
                             "latency", "µs", "lower", lambda s: s * 1e6)
    rows += harness.rows_from(harness.alternate(throughput, passes, 0.1 if quick else 0.3, 0.1), workload,
                              throughput_case, "throughput", "samples/s", "higher", lambda s: len(rows_n) / s)
    if not has_torch:
        rows += [harness.missing(workload, latency_case, "torch eval", "latency", "µs", "lower"),
                 harness.missing(workload, throughput_case, "torch eval", "throughput", "samples/s", "higher")]
    return rows


def run(opts, machine):
    passes = 2 if opts.quick else max(3, opts.passes // 2)
    x, y = make_data(QUICK_SAMPLES if opts.quick else SAMPLES)
    has_torch = harness.installed("torch")
    rows = []
    for variant in VARIANTS:
        if has_torch:
            _check_same_model(variant, x)
        for batch in BATCHES:
            case = f"{variant}, batch {batch}, {len(x):,} samples"
            trainers = [("pykeras fit", pykeras_trainer)] + ([("torch eager loop", torch_trainer)] if has_torch else [])
            candidates = []
            for name, factory in trainers:
                warmup, epoch = factory(variant, x, y, batch)
                warmup()
                candidates.append((name, epoch))
            samples = harness.once_each(candidates, passes)
            rows += harness.rows_from(samples, "W6 MLP variants fit", case, "throughput", "samples/s", "higher",
                                      lambda s: len(x) / s)
            if not has_torch:
                rows.append(harness.missing("W6 MLP variants fit", case, "torch eager loop", "throughput",
                                            "samples/s", "higher"))
        if variant == "BatchNormalization":
            rows += _inference_rows(x, passes, opts.quick, has_torch)
    return rows
