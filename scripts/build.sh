#!/usr/bin/env bash
# Configures and builds Coalition with CMake + Ninja.
#
#   scripts/build.sh [release|debug|asan|tsan] [extra `cmake --build` arguments, e.g. --target X]
#
# Presets (build directory build/<preset>):
#   release  RelWithDebInfo                               (default)
#   debug    Debug
#   asan     RelWithDebInfo + AddressSanitizer/UBSan      (-DCOALITION_SANITIZE=ON)
#   tsan     RelWithDebInfo + ThreadSanitizer             (-DCOALITION_SANITIZE=thread)
# All presets build with warnings as errors (-DCOALITION_WERROR=ON).
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

preset="${1:-release}"
if (( $# > 0 )); then shift; fi

cmake_args=(-G Ninja -DCOALITION_WERROR=ON)
case "$preset" in
  release) cmake_args+=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DCOALITION_SANITIZE=OFF) ;;
  debug)   cmake_args+=(-DCMAKE_BUILD_TYPE=Debug -DCOALITION_SANITIZE=OFF) ;;
  asan)    cmake_args+=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DCOALITION_SANITIZE=ON) ;;
  tsan)    cmake_args+=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DCOALITION_SANITIZE=thread) ;;
  *) die "unknown preset '$preset' (expected release, debug, asan or tsan)" ;;
esac

bash "$REPO_ROOT/scripts/deps.sh"

# ccache is optional (not installed by deps.sh): where present it makes rebuilds and parallel
# worktrees cheap; BASEDIR keeps cache keys independent of the checkout's absolute path.
if command -v ccache >/dev/null 2>&1; then
  export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$REPO_ROOT}"
  cmake_args+=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi

build_dir="$REPO_ROOT/build/$preset"
if [[ -f "$build_dir/CMakeCache.txt" ]] && ! grep -q '^CMAKE_GENERATOR:INTERNAL=Ninja$' "$build_dir/CMakeCache.txt"; then
  die "$build_dir was configured with another generator; remove it and re-run"
fi

phase "build: configure $preset -> build/$preset"
cmake -S "$REPO_ROOT" -B "$build_dir" "${cmake_args[@]}"

jobs="$(nproc 2>/dev/null || echo 2)"
phase "build: compile $preset (-j$jobs)"
cmake --build "$build_dir" -j"$jobs" "$@"
note "built build/$preset"
