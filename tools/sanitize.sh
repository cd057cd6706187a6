#!/usr/bin/env bash
# Runs the whole pytest suite against an AddressSanitizer + UndefinedBehaviorSanitizer build of
# pykeras._core.
#
# The sanitized module never touches the development build: the sources are mirrored into
# $PYKERAS_SANITIZE_DIR (default build/sanitize/, ignored by git), configured there with -DPYKERAS_SANITIZE=ON,
# and the suite runs from that mirror, so `import pykeras` finds the sanitized _core*.so first.
# Re-running rebuilds only what changed.
#
# CPython is not built with ASan, so libasan must be the first library loaded: LD_PRELOAD.
# detect_leaks=0: CPython keeps interned objects and arenas alive until exit on purpose, and
# LeakSanitizer reports those as leaks; memory growth is measured separately (tests/test_rss.py).
# Any ASan or UBSan report fails the run (halt_on_error, and the log directory must stay empty).
#
# Usage: tools/sanitize.sh [pytest args...]      e.g. tools/sanitize.sh -q tests/test_kernels.py
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
stage="${PYKERAS_SANITIZE_DIR:-$root/build/sanitize}"
python="${PYTHON:-python3}"
# The tests run from the mirror's folder: a relative interpreter path must be made absolute first.
if [[ "$python" == */* ]]; then python="$(cd "$(dirname "$python")" && pwd)/$(basename "$python")"; fi

mkdir -p "$stage/src"
# Mirror the sources (not the development module). tar keeps timestamps, so ninja rebuilds only
# what changed; the Python trees are replaced whole so that deleted files do not linger.
rm -rf "$stage/src/pykeras" "$stage/src/tests"
tar -C "$root" -cf - --exclude='_core*.so' --exclude=__pycache__ \
  CMakeLists.txt pyproject.toml csrc pykeras tests | tar -C "$stage/src" -xf -

cmake -S "$stage/src" -B "$stage/build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DPYKERAS_SANITIZE=ON -DPYKERAS_BUILD_TESTS=ON \
  -Dpybind11_DIR="$("$python" -m pybind11 --cmakedir)" >/dev/null
cmake --build "$stage/build"

# libstdc++ is preloaded too: ASan intercepts __cxa_throw by looking it up once at start-up, and
# python itself does not link libstdc++, so without it the first C++ exception (every ValueError
# a binding raises) aborts with "CHECK failed: ... real___cxa_throw".
preload="$(gcc -print-file-name=libasan.so) $(gcc -print-file-name=libstdc++.so)"
logs="$stage/reports"
rm -rf "$logs" && mkdir -p "$logs"
export ASAN_OPTIONS="detect_leaks=0:halt_on_error=1:abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1:check_initialization_order=1:log_path=$logs/asan"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:log_path=$logs/ubsan"
export PYTHONPATH="$stage/src${PYTHONPATH:+:$PYTHONPATH}"
export PYKERAS_SANITIZED=1

echo "== C++ kernel tests (sanitized)"
"$stage/build/test_kernels_cpp"

echo "== pytest (sanitized module: $(ls "$stage"/src/pykeras/_core*.so))"
start=$SECONDS
status=0
( cd "$stage/src" && LD_PRELOAD="$preload" "$python" -m pytest -p no:cacheprovider "$@" ) || status=$?
echo "== pytest under sanitizers took $((SECONDS - start)) s"
if compgen -G "$logs/*" >/dev/null; then
  echo "== sanitizer reports:" >&2
  cat "$logs"/* >&2
  exit 1
fi
exit "$status"
