"""One workload of the suite in a loop, for a sampling profiler to watch: a W3 training step at
a batch size, W4's one-sample ``model(x)``, or W4's 10,000-sample ``predict``.

    perf record -F 4999 -e cpu-clock -o w3.data python benchmarks/profile_loop.py w3 128 8
    perf report -i w3.data --sort dso,sym --stdio

(`cpu-clock` samples where no hardware counters are offered, as on shared virtual machines.) The
native frames have names only in a build whose module is not stripped: configure the development
build with ``-DCMAKE_STRIP=/bin/true``. Usage: profile_loop.py w3 BATCH SECONDS | one SECONDS |
predict SECONDS.
"""
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # the checkout's pykeras

import pykeras as keras  # noqa: E402
from benchmarks.w3_mlp_fit import SIZES, keras_mlp, make_data  # noqa: E402
from benchmarks.w4_predict import THROUGHPUT_BATCH, THROUGHPUT_SAMPLES  # noqa: E402


def workload(name, args):
    """(what one call does, the call)."""
    model = keras_mlp(keras)
    if name == "w3":
        batch = int(args.pop(0))
        x, y = make_data(batch)
        model.compile(optimizer=keras.optimizers.Adam(1e-3),
                      loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
        return f"W3 training step, batch {batch}", lambda: model._fit_batch(x, y, None)
    if name == "one":
        x = np.random.default_rng(3).standard_normal((1, SIZES[0]), dtype=np.float32)
        return "W4 model(x), one sample", lambda: model(x)
    if name == "predict":
        x = np.random.default_rng(4).standard_normal((THROUGHPUT_SAMPLES, SIZES[0]), dtype=np.float32)
        return "W4 predict, 10,000 samples", lambda: model.predict(x, batch_size=THROUGHPUT_BATCH, verbose=0)
    raise SystemExit(__doc__)


def main(argv):
    if not argv:
        raise SystemExit(__doc__)
    what, call = workload(argv[0], argv[1:])
    seconds = float(argv[-1])
    for _ in range(100):  # warm-up: buffers, the fused step, the thread team
        call()
    calls, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        call()
        calls += 1
    print(f"{what}: {(time.perf_counter() - start) / calls * 1e6:,.1f} us a call over {calls:,} calls")


if __name__ == "__main__":
    main(sys.argv[1:])
