#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/, in the clang ASan + UBSan build,
# build-asan/) and runs each for a fixed time; fails on the first crash,
# leak, timeout, out-of-memory or sanitizer report, leaving the input in
# build-asan/fuzz/artifacts/.
#   scripts/fuzz.sh                  every target, 20 s each (what CI runs)
#   scripts/fuzz.sh 600              every target, 10 minutes each
#   scripts/fuzz.sh 3600 codec rest  only those targets
# Each target starts from its committed seeds (fuzz/corpus/<target>/), plus
# examples/*.yaml and the codec's test data for codec, and requests built
# from examples/ for rest; what it finds is kept in
# build-asan/fuzz/corpus/<target>/ for the next run. Environment: FUZZ_JOBS
# runs that many fuzzing processes per target (default 1); FUZZ_NO_BUILD=1
# skips the build (the targets must be built already).
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-20}"
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(codec patch selector quantity store rest rpc rpc_client)
fi

if [ -z "${FUZZ_NO_BUILD:-}" ]; then scripts/build.sh --fuzz; fi
bin=build-asan/bin
work=build-asan/fuzz
mkdir -p "$work/artifacts"

# Extra seeds made from the examples at run time.
extra_seeds() {
  local target="$1" dir="$work/seeds/$1"
  rm -rf "$dir"
  mkdir -p "$dir"
  case "$target" in
    codec)
      cp examples/*.yaml "$dir/"
      find tests/api/testdata -type f \( -name '*.yaml' -o -name '*.json' \) \
        -exec cp {} "$dir/" \;
      ;;
    rest)
      local f name
      for f in examples/*.yaml; do
        name=$(basename "$f" .yaml)
        {
          printf 'POST /api/v1/namespaces/default/pods HTTP/1.1\r\n'
          printf 'Content-Type: application/yaml\r\nContent-Length: %d\r\n\r\n' "$(wc -c <"$f")"
          cat "$f"
        } >"$dir/post-$name"
      done
      ;;
  esac
  echo "$dir"
}

dict_for() {
  case "$1" in
    codec | patch) echo fuzz/dict/yaml_json.dict ;;
    selector) echo fuzz/dict/selector.dict ;;
    quantity) echo fuzz/dict/quantity.dict ;;
    rest) echo fuzz/dict/http.dict ;;
  esac
}

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
failed=()
for target in "${targets[@]}"; do
  exe="$bin/fuzz_$target"
  if [ ! -x "$exe" ]; then
    echo "fuzz: $exe was not built (is clang's libFuzzer runtime installed?)" >&2
    exit 1
  fi
  corpus="$work/corpus/$target"
  mkdir -p "$corpus"
  args=(-max_total_time="$seconds" -timeout=30 -rss_limit_mb=2560 -print_final_stats=1
    -artifact_prefix="$work/artifacts/$target-")
  dict=$(dict_for "$target")
  if [ -n "$dict" ]; then args+=(-dict="$dict"); fi
  if [ "${FUZZ_JOBS:-1}" -gt 1 ]; then args+=(-fork="$FUZZ_JOBS"); fi
  seeds=$(extra_seeds "$target")
  echo "fuzz: $target for ${seconds}s"
  start=$(date +%s)
  if ! "$exe" "${args[@]}" "$corpus" "fuzz/corpus/$target" "$seeds" >"$work/$target.log" 2>&1; then
    tail -n 60 "$work/$target.log" >&2
    failed+=("$target")
  fi
  echo "fuzz: $target done in $(($(date +%s) - start))s: $(grep -E '^stat::number_of_executed_units' "$work/$target.log" | awk '{print $2}') runs (log: $work/$target.log)"
done

if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: FAILED: ${failed[*]} (inputs in $work/artifacts/)" >&2
  exit 1
fi
echo "fuzz: all ${#targets[@]} targets ran ${seconds}s each without a finding"
