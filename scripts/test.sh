#!/usr/bin/env bash
# Runs the whole test suite: checks the formatting (scripts/format.sh
# --check), builds, runs every test (unit + end-to-end) in the normal build,
# then builds the unit tests with clang under ASan + UBSan,
# with clang's lock analysis (-Wthread-safety) failing the build on a violated
# locking annotation, and runs them; last it builds the libFuzzer targets
# (fuzz/) in that build and runs each for 20 s (scripts/fuzz.sh), failing on
# a crash, leak, hang or sanitizer report.
#   scripts/test.sh              everything
#   scripts/test.sh --quick      normal build only, no sanitizer pass
# Tests labelled `perf` (etcdctl check perf: throughput verdicts that depend on
# how busy the machine is) are left out; run them with
#   (cd build && ctest -L perf --output-on-failure)
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
scripts/format.sh --check
scripts/build.sh
(cd build && ctest --output-on-failure --timeout 600 -j 2 -LE perf)

if [ "${1:-}" != "--quick" ]; then
  scripts/build.sh --asan
  (cd build-asan && ASAN_OPTIONS=detect_leaks=1 ctest --output-on-failure -L unit --timeout 600 -j 2)
  scripts/fuzz.sh 20
fi
