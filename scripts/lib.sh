# shellcheck shell=bash
# Shared helpers for the scripts in this directory. Sourced, not executed:
#   source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# Defines REPO_ROOT (the checkout containing this file) and a few small functions.

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
export REPO_ROOT

# phase "message": a visible marker for each step, on stderr so it never mixes with
# output another program might parse.
phase() {
  printf '\n==> %s\n' "$*" >&2
}

note() {
  printf '    %s\n' "$*" >&2
}

die() {
  printf 'error: %s\n' "$*" >&2
  exit 1
}

# The PostgreSQL server binaries (initdb, pg_ctl, postgres): $COALITION_PG_BINDIR, else
# the newest Debian /usr/lib/postgresql/<major>/bin, else wherever initdb is on $PATH.
# The same order as tests/support/pg_cluster.cc.
pg_bindir() {
  if [[ -n "${COALITION_PG_BINDIR:-}" ]]; then
    [[ -x "$COALITION_PG_BINDIR/initdb" ]] || die "COALITION_PG_BINDIR=$COALITION_PG_BINDIR has no initdb"
    printf '%s\n' "$COALITION_PG_BINDIR"
    return
  fi
  local best="" major
  for dir in /usr/lib/postgresql/*/bin; do
    major="$(basename "$(dirname "$dir")")"
    [[ "$major" =~ ^[0-9]+$ && -x "$dir/initdb" ]] || continue
    if [[ -z "$best" ]] || (( major > $(basename "$(dirname "$best")") )); then
      best="$dir"
    fi
  done
  if [[ -n "$best" ]]; then
    printf '%s\n' "$best"
    return
  fi
  local initdb
  initdb="$(command -v initdb || true)"
  [[ -n "$initdb" ]] || die "PostgreSQL server binaries not found (run scripts/deps.sh or set COALITION_PG_BINDIR)"
  dirname "$initdb"
}
