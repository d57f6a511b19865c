#!/usr/bin/env bash
# Configures and builds minik8s with CMake + Ninja.
#   scripts/build.sh            -> build/          (RelWithDebInfo)
#   scripts/build.sh --asan     -> build-asan/     (ASan + UBSan, unit tests only)
# Environment: BUILD_DIR overrides the folder, JOBS the parallelism.
set -euo pipefail
cd "$(dirname "$0")/.."

mode=release
[ "${1:-}" = "--asan" ] && mode=asan

export CCACHE_DIR="${CCACHE_DIR:-$HOME/.cache/minik8s-ccache}"
# Paths relative to the checkout, so another clone of the repository (or CI's
# fresh clone) reuses the same cache entries.
export CCACHE_BASEDIR="$PWD"
export CCACHE_NOHASHDIR=1
jobs="${JOBS:-$(nproc)}"

if [ "$mode" = asan ]; then
  dir="${BUILD_DIR:-build-asan}"
  cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DMINIK8S_SANITIZE=ON \
    -DMINIK8S_BUILD_BENCH=OFF >/dev/null
else
  dir="${BUILD_DIR:-build}"
  cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
if [ "$mode" = asan ]; then
  cmake --build "$dir" -j "$jobs" --target unit_tests
else
  cmake --build "$dir" -j "$jobs"
fi
