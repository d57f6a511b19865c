#!/usr/bin/env bash
# Configures and builds minik8s with CMake + Ninja.
#   scripts/build.sh            -> build/          (RelWithDebInfo)
#   scripts/build.sh --asan     -> build-asan/     (ASan + UBSan, unit tests only)
#   scripts/build.sh --programs -> build/          (only the daemons, minik8s and mkctl:
#                                                   what scripts/demo.sh runs)
# Environment: BUILD_DIR overrides the folder, JOBS the parallelism.
set -euo pipefail
cd "$(dirname "$0")/.."

mode=release
target=
case "${1:-}" in
  --asan) mode=asan; target=unit_tests ;;
  --programs) target=programs ;;
  "") ;;
  *) echo "usage: scripts/build.sh [--asan|--programs]" >&2; exit 2 ;;
esac

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
if [ -n "$target" ]; then
  cmake --build "$dir" -j "$jobs" --target "$target"
else
  cmake --build "$dir" -j "$jobs"
fi
