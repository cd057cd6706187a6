"""The long fuzz campaign: runs the hypothesis fuzz tests of tests/test_fuzz_bindings.py and
tests/test_fuzz_ops.py for many cases, in child processes, and counts cases, crashes and failures.

Each (test, chunk) runs in its own child with fresh random seeds (PYKERAS_FUZZ_RANDOM=1), so a
crash (segfault, abort, sanitizer report) kills only that child and is counted; the campaign goes
on. A failure is a wrong answer or a wrong exception that hypothesis found (and shrank).

Usage:
    python tools/fuzz_count.py --cases 112000 --jobs 2
    python tools/fuzz_count.py --cases 2000 --only relu      # one target, quickly

Prints one line per chunk and a summary (also written as JSON with --json).
"""
import argparse
import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODULES = ["test_fuzz_bindings", "test_fuzz_ops"]

CHILD = r"""
import json, sys, traceback
import numpy as np
sys.path.insert(0, {tests!r})
module = __import__({module!r})
test = getattr(module, {name!r})
status = "ok"
detail = ""
try:
    with np.errstate(all="ignore"):
        test()
except BaseException as error:  # a wrong answer or exception that hypothesis found
    status = "failure"
    detail = "".join(traceback.format_exception(error))[-4000:]
print("FUZZ-RESULT " + json.dumps({{"cases": module.CASES["count"], "status": status, "detail": detail}}))
"""


def targets(only):
    sys.path[:0] = [ROOT, os.path.join(ROOT, "tests")]
    found = []
    for module_name in MODULES:
        module = __import__(module_name)
        for name in dir(module):
            if name.startswith("test_fuzz_") and (only is None or only in name):
                found.append((module_name, name))
    return found


def run_chunk(module, name, examples, retries=2):
    env = dict(os.environ, PYKERAS_FUZZ_EXAMPLES=str(examples), PYKERAS_FUZZ_RANDOM="1")
    env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
    code = CHILD.format(tests=os.path.join(ROOT, "tests"), module=module, name=name)
    start = time.time()
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, cwd=ROOT)
    seconds = time.time() - start
    for line in proc.stdout.splitlines():
        if line.startswith("FUZZ-RESULT "):
            result = json.loads(line[len("FUZZ-RESULT "):])
            result.update(test=name, seconds=seconds, returncode=proc.returncode)
            return result
    # No result line. Killed by a signal or a sanitizer report: a crash. Otherwise the child
    # never ran a case (e.g. the module failed to import while being rebuilt): an error, retried.
    stderr = proc.stderr or ""
    crashed = proc.returncode < 0 or "Sanitizer" in stderr or "runtime error:" in stderr
    if not crashed and retries:
        return run_chunk(module, name, examples, retries - 1)
    return {"test": name, "cases": None, "status": "crash" if crashed else "error",
            "returncode": proc.returncode, "seconds": seconds, "detail": stderr[-4000:]}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=112_000, help="total cases, split evenly over the tests")
    parser.add_argument("--chunk", type=int, default=2000, help="cases per child process")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--only", help="run only tests whose name contains this")
    parser.add_argument("--json", help="write the summary here")
    args = parser.parse_args()

    tests = targets(args.only)
    per_test = -(-args.cases // len(tests))
    work = []
    for module, name in tests:
        left = per_test
        while left > 0:
            work.append((module, name, min(args.chunk, left)))
            left -= args.chunk
    start = time.time()
    results = []
    with ThreadPoolExecutor(args.jobs) as pool:
        for result in pool.map(lambda item: run_chunk(*item), work):
            results.append(result)
            print(f"{result['test']:45s} {result['status']:8s} cases={result['cases']} "
                  f"{result['seconds']:.0f}s", flush=True)
            if result["status"] != "ok":
                print(result["detail"], flush=True)
    summary = {
        "cases": sum(r["cases"] or 0 for r in results),
        "crashes": sum(r["status"] == "crash" for r in results),
        "failures": sum(r["status"] == "failure" for r in results),
        "errors": sum(r["status"] == "error" for r in results),
        "chunks": len(results),
        "tests": len(tests),
        "seconds": round(time.time() - start),
        "python": sys.version.split()[0],
        "sanitized": os.environ.get("PYKERAS_SANITIZED") == "1",
    }
    print(json.dumps(summary, indent=2))
    if args.json:
        with open(args.json, "w") as handle:
            json.dump({"summary": summary, "chunks": results}, handle, indent=2)
    return 1 if summary["crashes"] or summary["failures"] or summary["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
