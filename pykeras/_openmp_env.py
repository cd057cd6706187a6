"""OpenMP wait settings, applied before the native module loads libgomp (which
reads them once, at load time).

Between the kernels of one training step (a few to a few hundred microseconds
apart) the OpenMP worker threads must stay awake. Measured on a 2-core machine
with libgomp's defaults, a batch-32 MLP step took 1,400 us; with a spin of
100,000 iterations (tens of microseconds) before a worker sleeps, 430 us. A
user's own OMP_WAIT_POLICY or GOMP_SPINCOUNT always wins.
"""
import os

if "OMP_WAIT_POLICY" not in os.environ and "GOMP_SPINCOUNT" not in os.environ:
    os.environ["GOMP_SPINCOUNT"] = "100000"
