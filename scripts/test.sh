#!/usr/bin/env bash
# Builds and runs the whole test suite: the command the README and CI use.
#
#   scripts/test.sh [asan] [extra ctest arguments, e.g. -R Ledger]
#
# Installs missing Debian packages (scripts/deps.sh), builds the release preset (or
# the sanitizer preset with `asan`), then runs ctest and exits with its status.
# Tests that need PostgreSQL start their own throwaway clusters
# (tests/support/pg_cluster.h), so no database has to be set up beforehand.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

preset=release
if [[ "${1:-}" == asan ]]; then
  preset=asan
  shift
fi

# build.sh runs deps.sh first.
bash "$REPO_ROOT/scripts/build.sh" "$preset"

phase "test: ctest build/$preset"
if [[ "$preset" == asan ]]; then
  # Leak checking is on by default; make UBSan findings fatal and print stacks.
  export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
  export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}"
fi
status=0
ctest --test-dir "$REPO_ROOT/build/$preset" --output-on-failure -j2 "$@" || status=$?
if (( status == 0 )); then
  phase "test: all passed"
else
  phase "test: FAILED (ctest exit $status)"
fi
exit "$status"
