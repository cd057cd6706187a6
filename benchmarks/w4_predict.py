"""W4: inference of the W3 MLP: one-sample latency and 10,000-sample throughput.

Latency is the median over 2,000 individually timed calls (``model(x)`` and
``model.predict(x, verbose=0)`` for the Keras-style APIs); throughput is 10,000 samples in
batches of 1,024. Peers: PyTorch (``inference_mode``), a numpy forward, ONNX Runtime on an
ONNX graph built here (Gemm + Relu nodes, weights as initializers, 2 intra-op threads), and
Keras 3 on JAX and on TensorFlow in their own subprocesses, alternating with pykeras there.
pykeras also predicts with the seed tutorial's custom-layer model (Layer and Model subclasses,
its predict traced into the Sequential's chain, and compiled with ``run_eagerly=True``), and at
Keras's default batch of 32, where the per-batch work of its call shows most.

Run alone as a worker: ``python -m benchmarks.w4_predict --group jax|tensorflow [--quick]``.
"""
import argparse
import os

import numpy as np

from benchmarks import harness
from benchmarks.w3_mlp_fit import SIZES, custom_layers_mlp, init_weights, keras_mlp, torch_mlp

THROUGHPUT_SAMPLES, THROUGHPUT_BATCH = 10_000, 1024
KERAS_DEFAULT_BATCH = 32  # predict's batch_size when none is given


def _numpy_forward(weights):
    w1, b1, w2, b2, w3, b3 = weights

    def forward(x):
        h = np.maximum(x @ w1 + b1, 0)
        h = np.maximum(h @ w2 + b2, 0)
        return h @ w3 + b3

    return forward


def _torch_forward(weights):
    import torch

    model = torch_mlp(weights).eval()

    def forward(x):
        with torch.inference_mode():
            return model(torch.from_numpy(x)).numpy()

    return forward


def onnx_session(weights, threads=2):
    """The MLP as an ONNX graph (Gemm + Relu, weights as initializers) in an ORT session."""
    import onnx
    import onnxruntime as ort
    from onnx import TensorProto, helper, numpy_helper

    nodes, inits, current = [], [], "x"
    for layer, i in enumerate(range(0, len(weights), 2)):
        w, b = f"w{layer}", f"b{layer}"
        inits += [numpy_helper.from_array(weights[i], w), numpy_helper.from_array(weights[i + 1], b)]
        gemm = f"gemm{layer}"
        nodes.append(helper.make_node("Gemm", [current, w, b], [gemm]))
        current = gemm
        if i + 2 < len(weights):
            nodes.append(helper.make_node("Relu", [gemm], [f"relu{layer}"]))
            current = f"relu{layer}"
    graph = helper.make_graph(
        nodes, "mlp", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", SIZES[0]])],
        [helper.make_tensor_value_info(current, TensorProto.FLOAT, ["batch", SIZES[-1]])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    onnx.checker.check_model(model)
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])
    return lambda x: session.run(None, {"x": x})[0]


def _batched(forward):
    def run(x):
        return [forward(x[s:s + THROUGHPUT_BATCH]) for s in range(0, len(x), THROUGHPUT_BATCH)]

    return run


def candidates(group):
    """(latency candidates, throughput candidates, absent peers) for one process group."""
    weights = init_weights()
    x1 = np.random.default_rng(3).standard_normal((1, SIZES[0]), dtype=np.float32)
    expect = _numpy_forward(weights)(x1)
    import pykeras

    pk = keras_mlp(pykeras)
    latency = [("pykeras model(x)", lambda: pk(x1)),
               ("pykeras predict", lambda: pk.predict(x1, verbose=0))]
    throughput = [("pykeras predict", lambda x, batch=THROUGHPUT_BATCH: pk.predict(x, batch_size=batch, verbose=0))]
    absent = []
    if group == "main":
        # The seed tutorial's custom-layer model: predict traced (traced_inference.py), and eager.
        for label, run_eagerly in (("", False), (" (run_eagerly)", True)):
            custom = custom_layers_mlp(pykeras, run_eagerly)
            assert np.allclose(custom.predict(x1, verbose=0), expect, atol=1e-4), "W4: custom layers disagree"
            latency.append((f"pykeras custom layers{label} predict", lambda m=custom: m.predict(x1, verbose=0)))
            throughput.append((f"pykeras custom layers{label} predict",
                               lambda x, batch=THROUGHPUT_BATCH, m=custom: m.predict(x, batch_size=batch, verbose=0)))
        numpy_fwd = _numpy_forward(weights)
        latency.append(("numpy forward", lambda: numpy_fwd(x1)))
        throughput.append(("numpy forward", _batched(numpy_fwd)))
        for name, module, make in (("torch", "torch", _torch_forward), ("ONNX Runtime", "onnxruntime", onnx_session)):
            if harness.installed(module) and (module != "onnxruntime" or harness.installed("onnx")):
                fwd = make(weights)
                assert np.allclose(fwd(x1), expect, atol=1e-4), f"W4: {name} disagrees with numpy"
                latency.append((name, lambda fwd=fwd: fwd(x1)))
                throughput.append((name, _batched(fwd)))
            else:
                absent.append(name)
    else:
        import keras

        label = "Keras 3 (JAX)" if group == "jax" else "tf.keras (Keras 3, TF)"
        km = keras_mlp(keras)
        assert np.allclose(np.asarray(km(x1)), expect, atol=1e-4), f"W4: {label} disagrees with numpy"
        latency += [(f"{label} model(x)", lambda: km(x1)),
                    (f"{label} predict", lambda: km.predict(x1, verbose=0))]
        throughput.append((f"{label} predict",
                           lambda x: km.predict(x, batch_size=THROUGHPUT_BATCH, verbose=0)))
    assert np.allclose(np.asarray(pk(x1)), expect, atol=1e-4), "W4: pykeras disagrees with numpy"
    return latency, throughput, absent


def run_group(group, quick, passes):
    latency, throughput, absent = candidates(group)
    calls = 200 if quick else 2000
    rows = []
    samples = harness.latencies(latency, calls, passes)
    # Ratios against the matching pykeras call: model(x) with model(x), predict with predict.
    for name, secs in samples.items():
        ref_name = "pykeras predict" if name.endswith("predict") else "pykeras model(x)"
        ref = {ref_name: samples[ref_name]} if name != ref_name else {}
        rows += [r for r in harness.rows_from({**ref, name: secs}, "W4 predict", "1 sample latency",
                                              "latency", "µs", "lower", lambda s: s * 1e6)
                 if r["impl"] == name]
    x = np.random.default_rng(4).standard_normal((THROUGHPUT_SAMPLES, SIZES[0]), dtype=np.float32)
    bound = [(name, lambda fn=fn: fn(x)) for name, fn in throughput]
    samples = harness.alternate(bound, passes, 0.1 if quick else 0.3, 0.1)
    case = f"{THROUGHPUT_SAMPLES:,} in batches of {THROUGHPUT_BATCH}"
    rows += harness.rows_from(samples, "W4 predict", case, "throughput", "samples/s", "higher",
                              lambda s: THROUGHPUT_SAMPLES / s)
    if group == "main":
        rows += _default_batch_rows(throughput, x, passes, quick)
    for name in absent:
        rows += [harness.missing("W4 predict", "1 sample latency", name, "latency", "µs", "lower"),
                 harness.missing("W4 predict", case, name, "throughput", "samples/s", "higher")]
    return rows


def _default_batch_rows(throughput, x, passes, quick):
    """pykeras's predict of the Sequential and of the custom-layer models at Keras's default batch
    size, where the per-batch work of a model's call shows most."""
    bound = [(name, lambda fn=fn: fn(x, KERAS_DEFAULT_BATCH)) for name, fn in throughput
             if name.startswith("pykeras")]
    samples = harness.alternate(bound, passes, 0.1 if quick else 0.3, 0.1)
    return harness.rows_from(samples, "W4 predict", f"{THROUGHPUT_SAMPLES:,} in batches of {KERAS_DEFAULT_BATCH}",
                             "throughput", "samples/s", "higher", lambda s: THROUGHPUT_SAMPLES / s)


def run(opts, machine):
    passes = 4 if opts.quick else max(5, opts.passes)
    rows = run_group("main", opts.quick, passes)
    for group, label in (("jax", "Keras 3 (JAX)"), ("tensorflow", "tf.keras (Keras 3, TF)")):
        if not (harness.installed("keras") and harness.installed(group)):
            rows.append(harness.missing("W4 predict", "-", label, "latency", "µs", "lower"))
            continue
        args = ["--group", group, "--passes", str(passes)] + (["--quick"] if opts.quick else [])
        try:
            rows += harness.run_worker("w4_predict", args, {"KERAS_BACKEND": group})
        except Exception as error:  # a broken peer install must not sink the suite
            rows.append(harness.missing("W4 predict", "-", label, "latency", "µs", "lower",
                                        why=f"failed: {str(error).splitlines()[-1][:60]}"))
    return rows


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--group", required=True, choices=("jax", "tensorflow"))
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--passes", type=int, default=5)
    args = parser.parse_args()
    harness.pin_thread_env(int(os.environ.get("OMP_NUM_THREADS", "2")))
    if args.group == "tensorflow":
        harness.configure_tensorflow(int(os.environ["OMP_NUM_THREADS"]))
    harness.emit(run_group(args.group, args.quick, args.passes))
