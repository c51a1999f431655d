#!/usr/bin/env bash
# Dev mode: one command from a fresh checkout to a running server with demo data.
#
#   scripts/dev.sh           deps, build (release), dev PostgreSQL, demo seed, run server
#   scripts/dev.sh stop      stop the dev server (if it still runs) and the dev PostgreSQL cluster
#   scripts/dev.sh status    show where the dev cluster lives and whether it runs
#   scripts/dev.sh psql [..] open psql on the dev database (extra arguments go to psql)
#
# Environment:
#   COALITION_DEV_PG_PORT  PostgreSQL port on 127.0.0.1        (default 54329)
#   COALITION_DEV_PORT     gRPC port of the server on 127.0.0.1 (default 50051)
#   COALITION_PG_BINDIR    PostgreSQL server binaries          (default: newest installed)
#
# State lives in <repo>/.dev (git-ignored):
#   pgdata          the cluster (or a symlink to it, see below); server log in pgdata/server.log
#   operator.key    the operator API key, generated once (mode 600)
#   finance.key     the finance key (settlement only), generated once (mode 600)
#   demo-keys.env   demo partner API keys written by `coalition-server seed-demo`
#
# PostgreSQL refuses to run as root, so as root the cluster belongs to, and runs as,
# the OS user `postgres`. That user must be able to traverse every directory down to
# the data directory; when the checkout is somewhere it cannot (e.g. under /root, mode
# 700) or the path is too long for a unix socket, the data directory goes to
# /var/tmp/coalition-dev-<hash of the repo path>/pgdata instead and .dev/pgdata is a
# symlink to it. The decision is made once, when the cluster is created, and the
# symlink records it.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

command="${1:-run}"
if (( $# > 0 )); then shift; fi
case "$command" in
  run | stop | status | psql) ;;
  -h | --help | help)
    sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//'
    exit 0
    ;;
  *) die "unknown command '$command' (expected: run (default), stop, status, psql)" ;;
esac

DEV_DIR="$REPO_ROOT/.dev"
PG_PORT="${COALITION_DEV_PG_PORT:-54329}"
GRPC_PORT="${COALITION_DEV_PORT:-50051}"
[[ "$PG_PORT" =~ ^[0-9]+$ ]] || die "COALITION_DEV_PG_PORT must be a number, got '$PG_PORT'"
[[ "$GRPC_PORT" =~ ^[0-9]+$ ]] || die "COALITION_DEV_PORT must be a number, got '$GRPC_PORT'"
DATABASE_URL="postgresql://postgres@127.0.0.1:$PG_PORT/coalition"
SERVER_BIN="$REPO_ROOT/build/release/server/coalition-server"

# Runs a PostgreSQL server program as the user owning the cluster. From / because the
# postgres user may not be able to enter the caller's working directory, and initdb
# and pg_ctl fail when they cannot resolve it.
as_pg() {
  if (( EUID == 0 )); then
    (cd / && runuser -u postgres -- "$@")
  else
    (cd / && "$@")
  fi
}

# Sets PGDATA to the cluster's data directory, choosing its location on first use
# (see the header comment). With "existing", only finds an existing one.
resolve_pgdata() {
  local mode="${1:-create}" link="$DEV_DIR/pgdata"
  if [[ -L "$link" ]]; then
    PGDATA="$(readlink -f "$link")"
    return
  fi
  if [[ -d "$link" ]]; then
    PGDATA="$link"
    return
  fi
  if [[ "$mode" == existing ]]; then
    PGDATA=""
    return
  fi

  mkdir -p "$DEV_DIR"
  local reachable=yes
  if (( EUID == 0 )); then
    getent passwd postgres >/dev/null || die "no 'postgres' OS user; run scripts/deps.sh (installs postgresql)"
    (cd / && runuser -u postgres -- test -x "$DEV_DIR") || reachable=no
  fi
  # The unix socket lives in the data directory; sun_path holds at most 107 bytes.
  local socket_path="$link/.s.PGSQL.$PG_PORT"
  if [[ "$reachable" == yes && ${#socket_path} -lt 100 ]]; then
    PGDATA="$link"
    return
  fi

  local hash outside
  hash="$(printf '%s' "$REPO_ROOT" | sha256sum | cut -c1-12)"
  outside="/var/tmp/coalition-dev-$hash"
  note "the postgres user cannot use $DEV_DIR (or the path is too long);"
  note "data directory goes to $outside/pgdata, linked from .dev/pgdata"
  mkdir -p "$outside"
  if (( EUID == 0 )); then
    chown postgres:postgres "$outside"
  fi
  chmod 700 "$outside"
  ln -sfn "$outside/pgdata" "$link"
  PGDATA="$outside/pgdata"
}

pg_is_running() {
  [[ -n "$PGDATA" && -f "$PGDATA/PG_VERSION" ]] || return 1
  as_pg "$PG_BIN/pg_ctl" status -D "$PGDATA" >/dev/null 2>&1
}

# The port a running postmaster listens on (4th line of postmaster.pid).
running_port() {
  sed -n '4p' "$PGDATA/postmaster.pid" 2>/dev/null || true
}

show_log_tail() {
  if [[ -f "$PGDATA/server.log" ]]; then
    printf -- '--- %s (last 30 lines) ---\n' "$PGDATA/server.log" >&2
    tail -n 30 "$PGDATA/server.log" >&2 || true
  fi
}

init_cluster() {
  if [[ -f "$PGDATA/PG_VERSION" ]]; then
    local have want
    have="$(cat "$PGDATA/PG_VERSION")"
    want="$("$PG_BIN/postgres" --version | sed -E 's/.* ([0-9]+)(\.[0-9]+)*.*/\1/')"
    [[ "$have" == "$want" ]] ||
      die "$PGDATA is a PostgreSQL $have cluster but $PG_BIN is PostgreSQL $want; remove it (scripts/dev.sh stop; rm -rf .dev/pgdata) or set COALITION_PG_BINDIR"
    note "reusing cluster in $PGDATA"
    return
  fi
  if [[ -d "$PGDATA" && -n "$(ls -A "$PGDATA" 2>/dev/null)" ]]; then
    die "$PGDATA exists, is not empty and is not a PostgreSQL cluster; remove it and re-run"
  fi
  phase "dev: initdb $PGDATA"
  mkdir -p "$PGDATA"
  if (( EUID == 0 )); then
    chown postgres:postgres "$PGDATA"
  fi
  chmod 700 "$PGDATA"
  as_pg "$PG_BIN/initdb" -D "$PGDATA" -U postgres -A trust -E UTF8 --locale=C --no-instructions \
    >/dev/null
  # Our settings live in their own file, rewritten on every run (see write_config).
  printf "\ninclude_if_exists = 'coalition-dev.conf'\n" >>"$PGDATA/postgresql.conf"
}

# Rewritten on every run so that a changed COALITION_DEV_PG_PORT takes effect.
write_config() {
  local conf="$PGDATA/coalition-dev.conf" quoted_dir="${PGDATA//\'/\'\'}"
  cat >"$conf" <<CONF
# Written by scripts/dev.sh on every run; edits here are overwritten.
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$quoted_dir'
max_connections = 200
CONF
  if (( EUID == 0 )); then
    chown postgres:postgres "$conf"
  fi
}

start_cluster() {
  if pg_is_running; then
    local port
    port="$(running_port)"
    if [[ "$port" == "$PG_PORT" ]]; then
      note "already running on 127.0.0.1:$PG_PORT"
      return
    fi
    phase "dev: restarting PostgreSQL (running on port $port, want $PG_PORT)"
    as_pg "$PG_BIN/pg_ctl" stop -D "$PGDATA" -m fast -w -t 60
  fi
  phase "dev: starting PostgreSQL on 127.0.0.1:$PG_PORT"
  if ! as_pg "$PG_BIN/pg_ctl" start -D "$PGDATA" -l "$PGDATA/server.log" -w -t 60 >/dev/null; then
    show_log_tail
    die "PostgreSQL did not start (is port $PG_PORT taken? set COALITION_DEV_PG_PORT)"
  fi
}

wait_ready() {
  # pg_ctl -w already waited when we started it; this covers a cluster that another
  # invocation is still starting or recovering. Bounded: 60 s.
  local i
  for ((i = 0; i < 600; i++)); do
    if "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" -d postgres; then
      return
    fi
    sleep 0.1
  done
  show_log_tail
  die "PostgreSQL on 127.0.0.1:$PG_PORT is not accepting connections"
}

psql_admin() {
  "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres "$@"
}

ensure_database() {
  local exists
  exists="$(psql_admin -tAc "SELECT 1 FROM pg_database WHERE datname = 'coalition'")"
  if [[ "$exists" == 1 ]]; then
    note "database 'coalition' exists"
    return
  fi
  phase "dev: creating database 'coalition'"
  # Tolerate a concurrent creator: re-check rather than fail on duplicate_database.
  psql_admin -c 'CREATE DATABASE coalition' ||
    [[ "$(psql_admin -tAc "SELECT 1 FROM pg_database WHERE datname = 'coalition'")" == 1 ]] ||
    die "could not create database 'coalition'"
}

ensure_operator_key() {
  local key_file="$DEV_DIR/operator.key"
  if [[ ! -s "$key_file" ]]; then
    phase "dev: generating operator key (.dev/operator.key)"
    (
      umask 077
      if command -v openssl >/dev/null; then
        openssl rand -hex 32
      else
        od -An -N32 -tx1 /dev/urandom | tr -d ' \n'
        echo
      fi >"$key_file.tmp"
    )
    mv "$key_file.tmp" "$key_file"
  fi
  chmod 600 "$key_file"
  OPERATOR_KEY="$(tr -d '[:space:]' <"$key_file")"
  [[ -n "$OPERATOR_KEY" ]] || die "$key_file is empty"
}

# The finance role's key: runs and reads settlement, nothing else.
ensure_finance_key() {
  local key_file="$DEV_DIR/finance.key"
  if [[ ! -s "$key_file" ]]; then
    (umask 077; od -An -N32 -tx1 /dev/urandom | tr -d ' \n' >"$key_file.tmp")
    mv "$key_file.tmp" "$key_file"
  fi
  chmod 600 "$key_file"
  FINANCE_KEY="$(tr -d '[:space:]' <"$key_file")"
}

# Member PII keys (SPEC §8), kept in .dev so profiles stay readable across runs.
ensure_pii_keys() {
  local name
  for name in pii-data pii-index; do
    local key_file="$DEV_DIR/$name.key"
    if [[ ! -s "$key_file" ]]; then
      phase "dev: generating $name key (.dev/$name.key)"
      (
        umask 077
        if command -v openssl >/dev/null; then
          openssl rand -base64 32
        else
          head -c 32 /dev/urandom | base64
        fi >"$key_file.tmp"
      )
      mv "$key_file.tmp" "$key_file"
    fi
    chmod 600 "$key_file"
  done
  PII_KEYS="dev-1:$(tr -d '[:space:]' <"$DEV_DIR/pii-data.key")"
  PII_INDEX_KEY="$(tr -d '[:space:]' <"$DEV_DIR/pii-index.key")"
}

PG_BIN="$(pg_bindir)"

SERVER_PID_FILE="$DEV_DIR/server.pid"

# A dev server started in the background (nohup scripts/dev.sh &) outlives
# its terminal; stop finds it by the pid the run wrote.
stop_dev_server() {
  [[ -f "$SERVER_PID_FILE" ]] || return 0
  local pid
  pid="$(cat "$SERVER_PID_FILE")"
  if [[ "$(cat "/proc/$pid/comm" 2>/dev/null)" == coalition-serv* ]]; then
    phase "dev: stopping coalition-server (pid $pid)"
    kill -TERM "$pid"
    while kill -0 "$pid" 2>/dev/null; do sleep 0.2; done
  fi
  rm -f "$SERVER_PID_FILE"
}

case "$command" in
  stop)
    stop_dev_server
    resolve_pgdata existing
    if pg_is_running; then
      phase "dev: stopping PostgreSQL ($PGDATA)"
      as_pg "$PG_BIN/pg_ctl" stop -D "$PGDATA" -m fast -w -t 60
    else
      note "dev PostgreSQL is not running"
    fi
    exit 0
    ;;
  status)
    resolve_pgdata existing
    if [[ -z "$PGDATA" || ! -f "$PGDATA/PG_VERSION" ]]; then
      note "no dev cluster yet (scripts/dev.sh creates it)"
    elif pg_is_running; then
      note "running: $PGDATA on 127.0.0.1:$(running_port)"
    else
      note "stopped: $PGDATA"
    fi
    exit 0
    ;;
  psql)
    exec "$PG_BIN/psql" "$DATABASE_URL" "$@"
    ;;
esac

# Only what dev mode runs; scripts/test.sh builds the tests.
bash "$REPO_ROOT/scripts/build.sh" release --target coalition-server coalitionctl coalition-till

phase "dev: PostgreSQL cluster"
resolve_pgdata
init_cluster
write_config
start_cluster
wait_ready
ensure_database
ensure_operator_key
ensure_finance_key
ensure_pii_keys

[[ -x "$SERVER_BIN" ]] || die "$SERVER_BIN was not built"

phase "dev: migrations and demo data (coalition-server seed-demo)"
COALITION_DATABASE_URL="$DATABASE_URL" COALITION_OPERATOR_KEY="$OPERATOR_KEY" COALITION_DEV_MODE=1 \
  COALITION_PII_KEYS="$PII_KEYS" COALITION_PII_INDEX_KEY="$PII_INDEX_KEY" \
  "$SERVER_BIN" seed-demo --keys-file "$DEV_DIR/demo-keys.env"
if [[ -f "$DEV_DIR/demo-keys.env" ]]; then
  chmod 600 "$DEV_DIR/demo-keys.env"
fi

phase "dev: ready"
cat <<EOF
Demo partner keys ($DEV_DIR/demo-keys.env):
$(sed 's/^/  /' "$DEV_DIR/demo-keys.env" 2>/dev/null || echo '  (missing)')

Operator key ($DEV_DIR/operator.key):
  $OPERATOR_KEY

Database: $DATABASE_URL   (scripts/dev.sh psql; scripts/dev.sh stop to stop it)
Server:   127.0.0.1:$GRPC_PORT (gRPC, plaintext, dev mode)
Metrics:  http://${COALITION_METRICS_LISTEN:-127.0.0.1:9464}/metrics (COALITION_METRICS_LISTEN)

Try it, in another terminal:
  set -a; source .dev/demo-keys.env; set +a
  build/release/partner-sdk/coalition-till --help    # a partner's till: accrue / redeem
  build/release/cli/coalitionctl --help              # operator CLI (key in .dev/operator.key)
  both talk to 127.0.0.1:$GRPC_PORT

EOF

phase "dev: starting coalition-server on 127.0.0.1:$GRPC_PORT (Ctrl-C stops it; PostgreSQL keeps running)"
export COALITION_DATABASE_URL="$DATABASE_URL"
export COALITION_LISTEN="127.0.0.1:$GRPC_PORT"
export COALITION_OPERATOR_KEY="$OPERATOR_KEY"
export COALITION_FINANCE_KEY="$FINANCE_KEY"
export COALITION_DEV_MODE=1
export COALITION_PII_KEYS="$PII_KEYS"
export COALITION_PII_INDEX_KEY="$PII_INDEX_KEY"
echo $$ >"$SERVER_PID_FILE"   # exec keeps the pid
exec "$SERVER_BIN"
