#!/usr/bin/env bash
# Formats the C++ sources with clang-format (.clang-format: Google style,
# 100 columns).
#   scripts/format.sh           rewrite every tracked .cc/.h file in place
#   scripts/format.sh --check   change nothing; list the files that are not
#                               formatted and exit 1 if there are any
# scripts/test.sh runs the check first.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v clang-format >/dev/null 2>&1; then
  echo "format: clang-format is not installed (scripts/install-deps.sh installs it)" >&2
  exit 2
fi

mapfile -t files < <(git ls-files '*.cc' '*.h')
if [ "${1:-}" = "--check" ]; then
  bad=()
  for f in "${files[@]}"; do
    if ! clang-format --dry-run -Werror "$f" >/dev/null 2>&1; then bad+=("$f"); fi
  done
  if [ ${#bad[@]} -ne 0 ]; then
    echo "format: ${#bad[@]} file(s) differ from clang-format's output (run scripts/format.sh):" >&2
    printf '  %s\n' "${bad[@]}" >&2
    exit 1
  fi
  echo "format: ${#files[@]} files formatted"
else
  printf '%s\0' "${files[@]}" | xargs -0 -n 50 clang-format -i
fi
