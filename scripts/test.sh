#!/usr/bin/env bash
# Builds and runs the test suite: the command the README and CI use.
#
#   scripts/test.sh                          CI: the three stages below, in order
#   scripts/test.sh release [ctest args]     everything (unit, integration, e2e, crash) on the
#                                            release build; e.g. `-R Ledger`, `-L crash`
#   scripts/test.sh asan [ctest args]        unit + integration tests under AddressSanitizer
#                                            and UndefinedBehaviorSanitizer (build/asan)
#   scripts/test.sh tsan [gtest filter]      the concurrency tests of the integration suite
#                                            under ThreadSanitizer (build/tsan)
#   scripts/test.sh -R Ledger                (ctest arguments alone: the release stage)
#
# Installs missing Debian packages (scripts/deps.sh), builds what the stage needs, runs
# it and exits with the first failing stage's status; each stage prints its duration.
# Tests that need PostgreSQL start their own throwaway clusters
# (tests/support/pg_cluster.h), so no database has to be set up beforehand.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# The integration tests that run threads against one database: what TSan can find
# races in. Keep in step with the test names (Concurrent*, *Racing*, ...).
readonly TSAN_FILTER='*Concurrent*:*Racing*:*InstancesStartingTogether*:*UnderLiveReads*:*TrafficDuringRepeatedRuns*'

# Sanitizer findings are fatal and come with stacks.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:halt_on_error=1:abort_on_error=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
tsan_defaults="halt_on_error=1:second_deadlock_stack=1"
if [[ -f "$REPO_ROOT/tests/tsan.supp" ]]; then
  tsan_defaults+=":suppressions=$REPO_ROOT/tests/tsan.supp"
fi
export TSAN_OPTIONS="${TSAN_OPTIONS:-$tsan_defaults}"

ctest_in() {
  local preset="$1"
  shift
  ctest --test-dir "$REPO_ROOT/build/$preset" --output-on-failure -j2 "$@"
}

stage_release() {
  bash "$REPO_ROOT/scripts/build.sh" release || return
  phase "test: ctest build/release"
  ctest_in release "$@"
}

stage_asan() {
  bash "$REPO_ROOT/scripts/build.sh" asan --target unit_tests rules_unit_tests integration_tests ||
    return
  phase "test: unit + integration tests under ASan/UBSan"
  if (( $# == 0 )); then
    set -- -R '^(unit_tests|rules_unit_tests|integration_tests)$'
  fi
  ctest_in asan "$@"
}

stage_tsan() {
  local filter="${1:-$TSAN_FILTER}"
  bash "$REPO_ROOT/scripts/build.sh" tsan --target integration_tests || return
  phase "test: concurrency tests under TSan ($filter)"
  "$REPO_ROOT/build/tsan/tests/integration_tests" --gtest_filter="$filter"
}

# The stages run under `||`, where `set -e` does not apply: each one returns on the
# first failure itself, so a failed build never runs stale binaries.
run_stage() {
  local stage="$1"
  shift
  local started=$SECONDS status=0
  "stage_$stage" "$@" || status=$?
  note "stage $stage: $(( SECONDS - started )) s, exit $status"
  return "$status"
}

status=0
case "${1:-}" in
  release|asan|tsan)
    stage="$1"
    shift
    run_stage "$stage" "$@" || status=$?
    ;;
  "")
    for stage in release asan tsan; do
      run_stage "$stage" || { status=$?; break; }
    done
    ;;
  *)
    run_stage release "$@" || status=$?
    ;;
esac

if (( status == 0 )); then
  phase "test: all passed"
else
  phase "test: FAILED (exit $status)"
fi
exit "$status"
