"""W3: training throughput (samples/s) of a 784-256-128-10 ReLU MLP, one epoch of 60,000.

Sparse softmax cross-entropy from logits, Adam(1e-3), shuffled batches of 32 and 128. pykeras
``fit`` (the model as a Sequential of Dense layers, as the tutorial's custom Layer and Model
subclasses, traced into the fused step and with ``run_eagerly=True``, with Dropout(0.2) after the
hidden layers, and with a softmax output and the loss by name, as Keras's examples write it)
against a PyTorch eager loop, a
hand-written numpy loop, and Keras 3's ``fit`` on JAX and on TensorFlow ("tf.keras"), each of
those two in its own subprocess (with pykeras alternating beside it there too). Every trainer
starts from the same weights, warms up for a few hundred steps, then one full epoch per pass is
timed.

Run alone as a worker: ``python -m benchmarks.w3_mlp_fit --group jax|tensorflow [--quick]``.
"""
import argparse
import os

import numpy as np

from benchmarks import harness

SIZES = (784, 256, 128, 10)
SAMPLES = 60_000
BATCHES = (32, 128)
WARMUP_STEPS = 300
QUICK_SAMPLES = 8_000


def make_data(samples=SAMPLES, seed=0):
    """Random normal inputs; labels from a random linear teacher, so the task is learnable."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((samples, SIZES[0]), dtype=np.float32)
    teacher = rng.standard_normal((SIZES[0], SIZES[-1]), dtype=np.float32)
    return x, np.argmax(x @ teacher, axis=1).astype(np.int64)


def init_weights(seed=1):
    """Glorot-uniform kernels (in, out) and zero biases, shared by every implementation."""
    rng = np.random.default_rng(seed)
    weights = []
    for fan_in, fan_out in zip(SIZES[:-1], SIZES[1:]):
        limit = np.sqrt(6.0 / (fan_in + fan_out))
        weights += [rng.uniform(-limit, limit, (fan_in, fan_out)).astype(np.float32),
                    np.zeros(fan_out, np.float32)]
    return weights


def _warmup_count(total, batch):
    # A few hundred full steps plus the epoch's ragged last batch, so its shape is seen too
    # (quick mode: a smaller epoch, and a sixth of the warm-up).
    steps = WARMUP_STEPS if total >= SAMPLES else WARMUP_STEPS // 6
    return min(total, steps * batch + total % batch)


# ---------------------------------------------------------------------------- trainers
# Each returns (warmup(), epoch()) closures over its own model, x and y.


def keras_mlp(keras, dropout=0.0, output_activation=None):
    """The MLP in a Keras-style API (pykeras or Keras 3), with the shared initial weights; with
    ``dropout``, a Dropout layer of that rate after each hidden layer."""
    hidden = []
    for units in SIZES[1:-1]:
        hidden.append(keras.layers.Dense(units, activation="relu"))
        if dropout:
            hidden.append(keras.layers.Dropout(dropout))
    output = keras.layers.Dense(SIZES[-1], activation=output_activation)
    model = keras.Sequential([keras.Input(shape=(SIZES[0],))] + hidden + [output])
    model.set_weights(init_weights())
    return model


def torch_mlp(weights):
    """The MLP as a torch.nn.Sequential holding ``weights``."""
    import torch

    layers = []
    for i in range(0, len(weights), 2):
        linear = torch.nn.Linear(*weights[i].shape)
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(weights[i].T.copy()))
            linear.bias.copy_(torch.from_numpy(weights[i + 1]))
        layers += [linear, torch.nn.ReLU()]
    return torch.nn.Sequential(*layers[:-1])


def _keras_api_trainer(keras, x, y, batch, dropout=0.0, softmax=False):
    model = keras_mlp(keras, dropout, "softmax" if softmax else None)
    loss = "sparse_categorical_crossentropy" if softmax else keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss=loss)
    w = _warmup_count(len(x), batch)
    return (lambda: model.fit(x[:w], y[:w], batch_size=batch, epochs=1, verbose=0, shuffle=True),
            lambda: model.fit(x, y, batch_size=batch, epochs=1, verbose=0, shuffle=True))


def pykeras_trainer(x, y, batch):
    import pykeras

    return _keras_api_trainer(pykeras, x, y, batch)


def pykeras_dropout_trainer(x, y, batch):
    """The same Sequential with Dropout(0.2) after each hidden layer (no peer here has it)."""
    import pykeras

    return _keras_api_trainer(pykeras, x, y, batch, dropout=0.2)


def pykeras_softmax_trainer(x, y, batch):
    """The MLP as Keras's own examples write a classifier: a softmax on the last layer and the
    loss by name (sparse_categorical_crossentropy of probabilities)."""
    import pykeras

    return _keras_api_trainer(pykeras, x, y, batch, softmax=True)


def custom_layers_mlp(pykeras, run_eagerly=False):
    """The MLP as the seed tutorial writes models: a Layer subclass with add_weight and call
    (``matmul(x, w) + b``), composed in a Model subclass, with the shared initial weights, compiled
    for W3's training. Its call is traced: it trains as a fused dense chain
    (pykeras/models/traced_chain.py) and infers as one (traced_inference.py); with ``run_eagerly``
    it runs on the general path, one recorded op per matmul, add and relu at every step."""
    from pykeras import ops

    class Linear(pykeras.layers.Layer):
        def __init__(self, units):
            super().__init__()
            self.units = units

        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1], self.units), initializer="random_normal")
            self.b = self.add_weight(shape=(self.units,), initializer="zeros")

        def call(self, inputs):
            return ops.matmul(inputs, self.w) + self.b

    class MLP(pykeras.Model):
        def __init__(self):
            super().__init__()
            self.blocks = [Linear(units) for units in SIZES[1:]]

        def call(self, inputs):
            for block in self.blocks[:-1]:
                inputs = ops.relu(block(inputs))
            return self.blocks[-1](inputs)

    model = MLP()
    model(np.zeros((1, SIZES[0]), np.float32))
    model.set_weights(init_weights())
    model.compile(optimizer=pykeras.optimizers.Adam(1e-3),
                  loss=pykeras.losses.SparseCategoricalCrossentropy(from_logits=True), run_eagerly=run_eagerly)
    return model


def pykeras_custom_layers_trainer(x, y, batch, run_eagerly=False):
    """The custom-layer MLP (custom_layers_mlp) trained with ``fit``."""
    import pykeras

    model = custom_layers_mlp(pykeras, run_eagerly)
    w = _warmup_count(len(x), batch)
    return (lambda: model.fit(x[:w], y[:w], batch_size=batch, epochs=1, verbose=0, shuffle=True),
            lambda: model.fit(x, y, batch_size=batch, epochs=1, verbose=0, shuffle=True))


def pykeras_custom_layers_eager_trainer(x, y, batch):
    """The same custom-layer model compiled with run_eagerly=True: the general path."""
    return pykeras_custom_layers_trainer(x, y, batch, run_eagerly=True)


def keras3_trainer(x, y, batch):
    import keras

    return _keras_api_trainer(keras, x, y, batch)


def torch_loop(model, x, y, batch, penalty=None, loss_fn=None, sample_weight=None):
    """(warm-up, epoch) of an eager PyTorch loop training ``model`` with Adam(1e-3) on the
    cross-entropy (or ``loss_fn``), plus ``penalty()`` when given. With ``sample_weight``, the
    per-sample losses are weighted and averaged over the batch, as Keras weighs them."""
    import torch

    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = loss_fn or torch.nn.CrossEntropyLoss(reduction="mean" if sample_weight is None else "none")
    tx, ty = torch.from_numpy(x), torch.from_numpy(y)
    tw = None if sample_weight is None else torch.from_numpy(sample_weight)

    def epoch(count=len(x)):
        order = torch.randperm(count)
        for start in range(0, count, batch):
            index = order[start:start + batch]
            optimizer.zero_grad()
            loss = loss_fn(model(tx[index]), ty[index])
            if tw is not None:
                loss = (loss * tw[index]).mean()
            if penalty is not None:
                loss = loss + penalty()
            loss.backward()
            optimizer.step()

    return (lambda: epoch(_warmup_count(len(x), batch)), epoch)


def torch_trainer(x, y, batch):
    return torch_loop(torch_mlp(init_weights()), x, y, batch)


def numpy_trainer(x, y, batch):
    """Forward, backward and Adam written out in numpy, in place where it is easy."""
    params = init_weights()
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    state = {"t": 0}
    rng = np.random.default_rng(2)
    b1, b2, lr, eps = 0.9, 0.999, 1e-3, 1e-7

    def step(xb, yb):
        w1, c1, w2, c2, w3, c3 = params
        h1 = np.maximum(xb @ w1 + c1, 0)
        h2 = np.maximum(h1 @ w2 + c2, 0)
        logits = h2 @ w3 + c3
        logits -= logits.max(axis=1, keepdims=True)
        p = np.exp(logits)
        p /= p.sum(axis=1, keepdims=True)
        p[np.arange(len(yb)), yb] -= 1
        d3 = p / len(yb)
        d2 = (d3 @ w3.T) * (h2 > 0)
        d1 = (d2 @ w2.T) * (h1 > 0)
        grads = [xb.T @ d1, d1.sum(0), h1.T @ d2, d2.sum(0), h2.T @ d3, d3.sum(0)]
        state["t"] += 1
        t = state["t"]
        alpha = lr * np.sqrt(1 - b2 ** t) / (1 - b1 ** t)
        for p_, g, m_, v_ in zip(params, grads, m, v):
            m_ *= b1
            m_ += (1 - b1) * g
            v_ *= b2
            v_ += (1 - b2) * g * g
            p_ -= alpha * m_ / (np.sqrt(v_) + eps)

    def epoch(count=len(x)):
        order = rng.permutation(count)
        for start in range(0, count, batch):
            index = order[start:start + batch]
            step(x[index], y[index])

    return (lambda: epoch(_warmup_count(len(x), batch)), epoch)


TRAINERS = {
    "pykeras fit": pykeras_trainer,
    "pykeras fit, custom layers": pykeras_custom_layers_trainer,
    "pykeras fit, custom layers, run_eagerly": pykeras_custom_layers_eager_trainer,
    "pykeras fit, Dropout(0.2)": pykeras_dropout_trainer,
    "pykeras fit, softmax output": pykeras_softmax_trainer,
    "numpy loop": numpy_trainer,
    "torch eager loop": (torch_trainer, "torch"),
    "Keras 3 (JAX) fit": (keras3_trainer, "jax"),
    "tf.keras (Keras 3, TF) fit": (keras3_trainer, "tensorflow"),
}
GROUPS = {"main": ["pykeras fit", "pykeras fit, custom layers", "pykeras fit, custom layers, run_eagerly",
                   "pykeras fit, Dropout(0.2)", "pykeras fit, softmax output", "numpy loop", "torch eager loop"],
          "jax": ["pykeras fit", "Keras 3 (JAX) fit"],
          "tensorflow": ["pykeras fit", "tf.keras (Keras 3, TF) fit"]}


def _needs(name):
    entry = TRAINERS[name]
    return entry[1] if isinstance(entry, tuple) else None


def run_group(group, quick, passes):
    samples_total = QUICK_SAMPLES if quick else SAMPLES
    x, y = make_data(samples_total)
    rows = []
    for batch in BATCHES:
        case = f"batch {batch}, {samples_total:,} samples"
        cands, absent = [], []
        for name in GROUPS[group]:
            need = _needs(name)
            if need and not harness.installed(need):
                absent.append(name)
                continue
            entry = TRAINERS[name]
            factory = entry[0] if isinstance(entry, tuple) else entry
            warmup, epoch = factory(x, y, batch)
            warmup()
            cands.append((name, epoch))
        samples = harness.once_each(cands, passes)
        rows += harness.rows_from(samples, "W3 MLP fit", case, "throughput", "samples/s", "higher",
                                  lambda s: samples_total / s)
        rows += [harness.missing("W3 MLP fit", case, name, "throughput", "samples/s", "higher") for name in absent]
    return rows


def run(opts, machine):
    passes = 2 if opts.quick else max(3, opts.passes // 2)
    rows = run_group("main", opts.quick, passes)
    for group, backend in (("jax", "jax"), ("tensorflow", "tensorflow")):
        if not (harness.installed("keras") and harness.installed(backend)):
            name = GROUPS[group][1]
            rows += [harness.missing("W3 MLP fit", f"batch {b}", name, "throughput", "samples/s", "higher")
                     for b in BATCHES]
            continue
        args = ["--group", group, "--passes", str(passes)] + (["--quick"] if opts.quick else [])
        try:
            rows += harness.run_worker("w3_mlp_fit", args, {"KERAS_BACKEND": backend})
        except Exception as error:  # a broken peer install must not sink the suite
            rows.append(harness.missing("W3 MLP fit", "-", GROUPS[group][1], "throughput", "samples/s",
                                        "higher", why=f"failed: {str(error).splitlines()[-1][:60]}"))
    return rows


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--group", required=True, choices=sorted(GROUPS))
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--passes", type=int, default=3)
    args = parser.parse_args()
    harness.pin_thread_env(int(os.environ.get("OMP_NUM_THREADS", "2")))
    if args.group == "tensorflow":
        harness.configure_tensorflow(int(os.environ["OMP_NUM_THREADS"]))
    harness.emit(run_group(args.group, args.quick, args.passes))
