#!/usr/bin/env bash
# Configures and builds minik8s with CMake + Ninja.
#   scripts/build.sh            -> build/          (RelWithDebInfo)
#   scripts/build.sh --asan     -> build-asan/     (clang, ASan + UBSan + lock analysis;
#                                                   unit tests only)
#   scripts/build.sh --fuzz     -> build-asan/     (the libFuzzer targets of fuzz/, same build)
#   scripts/build.sh --programs -> build/          (only the daemons, minik8s and mkctl:
#                                                   what scripts/demo.sh runs)
# Environment: BUILD_DIR overrides the folder, JOBS the parallelism.
set -euo pipefail
cd "$(dirname "$0")/.."

mode=release
target=
case "${1:-}" in
  --asan) mode=asan; target=unit_tests ;;
  --fuzz) mode=asan; target=fuzzers ;;
  --programs) target=programs ;;
  "") ;;
  *) echo "usage: scripts/build.sh [--asan|--fuzz|--programs]" >&2; exit 2 ;;
esac

export CCACHE_DIR="${CCACHE_DIR:-$HOME/.cache/minik8s-ccache}"
# Paths relative to the checkout, so another clone of the repository (or CI's
# fresh clone) reuses the same cache entries.
export CCACHE_BASEDIR="$PWD"
export CCACHE_NOHASHDIR=1
jobs="${JOBS:-$(nproc)}"

if [ "$mode" = asan ]; then
  # The sanitizer build uses clang, which also checks the locking annotations
  # (-Wthread-safety, see CMakeLists.txt). A folder configured for another
  # compiler is configured afresh.
  dir="${BUILD_DIR:-build-asan}"
  if [ -f "$dir/CMakeCache.txt" ] && ! grep -q '^CMAKE_CXX_COMPILER:.*clang++' "$dir/CMakeCache.txt"; then
    rm -rf "$dir"
  fi
  CC=clang CXX=clang++ cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Debug \
    -DMINIK8S_SANITIZE=ON -DMINIK8S_BUILD_BENCH=OFF >/dev/null
else
  dir="${BUILD_DIR:-build}"
  cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
if [ -n "$target" ]; then
  cmake --build "$dir" -j "$jobs" --target "$target"
else
  cmake --build "$dir" -j "$jobs"
fi
