#!/usr/bin/env bash
# The benchmark: one command that reproduces the README's performance table.
#
#   bench/run.sh [--clients N] [--seconds S] [--members M] [--scenarios "accrual mixed hot"]
#                [--bulk-lines L] [--no-build] [--keep-server]
#
# 1. Builds the release server and bench/loadgen (unless --no-build).
# 2. Reuses a server listening on 127.0.0.1:$COALITION_DEV_PORT (default 50051) with
#    the dev database of scripts/dev.sh, or starts one with scripts/dev.sh (its output
#    goes to .dev/bench-server.log; it is stopped at the end unless --keep-server).
# 3. Seeds M cards (LG-0000000 ...) with an opening balance through the API, once.
# 4. Runs each scenario with N clients for S seconds, then the accrual scenario again
#    paced at half of the throughput it reached (the latency "at half of peak").
# 4b. Streams a bulk file of L accruals (default 200,000; 0 skips) with BatchAccrue over
#    4 streams, then the same file again (every line a replay): lines per second.
# 5. Runs the reference: the same ledger writes of one accrual as one SQL function
#    (bench/reference.sql) called by pgbench over N connections on the same PostgreSQL,
#    in a scratch database (coalition_benchref).
# 6. Prints the table and writes bench/results/<UTC time>.json (git-ignored).
#
# Environment: COALITION_DEV_PORT, COALITION_DEV_PG_PORT as for scripts/dev.sh.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"

clients=16
seconds=10
members=100000
scenarios="accrual mixed hot"
bulk_lines=200000
build=yes
keep_server=no
while (( $# > 0 )); do
  case "$1" in
    --clients) clients="$2"; shift 2 ;;
    --seconds) seconds="$2"; shift 2 ;;
    --members) members="$2"; shift 2 ;;
    --scenarios) scenarios="$2"; shift 2 ;;
    --bulk-lines) bulk_lines="$2"; shift 2 ;;
    --no-build) build=no; shift ;;
    --keep-server) keep_server=yes; shift ;;
    -h | --help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
done
for value in "$clients" "$seconds" "$members"; do
  [[ "$value" =~ ^[0-9]+$ && "$value" -gt 0 ]] || die "--clients, --seconds and --members take positive integers"
done

PG_PORT="${COALITION_DEV_PG_PORT:-54329}"
GRPC_PORT="${COALITION_DEV_PORT:-50051}"
DEV_DIR="$REPO_ROOT/.dev"
BUILD="$REPO_ROOT/build/release"
PG_BIN="$(pg_bindir)"
RESULTS="$REPO_ROOT/bench/results"
stamp="$(date -u +%Y%m%dT%H%M%SZ)"
work="$(mktemp -d)"
server_pid=""
started_server=no

cleanup() {
  if [[ "$started_server" == yes && "$keep_server" == no && -n "$server_pid" ]]; then
    kill -TERM "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

if [[ "$build" == yes ]]; then
  bash "$REPO_ROOT/scripts/build.sh" release --target coalition-server coalitionctl coalition-till loadgen
fi

# The pid of whatever listens on the gRPC port, if anything.
listener_pid() {
  ss -Hltnp "sport = :$GRPC_PORT" 2>/dev/null | sed -nE 's/.*pid=([0-9]+).*/\1/p' | head -n1
}

server_pid="$(listener_pid)"
if [[ -n "$server_pid" ]]; then
  phase "bench: reusing the server on 127.0.0.1:$GRPC_PORT (pid $server_pid)"
else
  phase "bench: starting scripts/dev.sh (log: .dev/bench-server.log)"
  mkdir -p "$DEV_DIR"
  bash "$REPO_ROOT/scripts/dev.sh" >"$DEV_DIR/bench-server.log" 2>&1 &
  dev_pid=$!
  started_server=yes
  for ((i = 0; i < 1200; i++)); do
    server_pid="$(listener_pid)"
    [[ -n "$server_pid" ]] && break
    kill -0 "$dev_pid" 2>/dev/null || { tail -n 30 "$DEV_DIR/bench-server.log" >&2; die "scripts/dev.sh exited"; }
    sleep 0.5
  done
  [[ -n "$server_pid" ]] || die "no server on 127.0.0.1:$GRPC_PORT after 10 minutes"
  note "server pid $server_pid"
fi
[[ -f "$DEV_DIR/demo-keys.env" ]] || die "$DEV_DIR/demo-keys.env missing (run scripts/dev.sh once)"
set -a
# shellcheck disable=SC1091
source "$DEV_DIR/demo-keys.env"
set +a
[[ -n "${FRESHMART_API_KEY:-}" ]] || die "FRESHMART_API_KEY missing from .dev/demo-keys.env"

loadgen() {
  "$BUILD/bench/loadgen" --endpoint "127.0.0.1:$GRPC_PORT" --key "$FRESHMART_API_KEY" \
    --members "$members" "$@"
}

phase "bench: seeding $members cards (once per database)"
loadgen --scenario seed --clients "$clients" --json "$work/seed.json"

for scenario in $scenarios; do
  phase "bench: $scenario, $clients clients, $seconds s"
  loadgen --scenario "$scenario" --clients "$clients" --seconds "$seconds" --warmup 2 \
    --json "$work/$scenario.json"
done

if [[ -f "$work/accrual.json" ]]; then
  half="$(python3 -c 'import json,sys; print(int(json.load(open(sys.argv[1]))["per_second"] / 2))' "$work/accrual.json")"
  if (( half > 0 )); then
    phase "bench: accrual paced at $half/s (half of peak)"
    loadgen --scenario accrual --clients "$clients" --seconds "$seconds" --warmup 2 --rate "$half" \
      --json "$work/accrual-half.json"
  fi
fi

if (( bulk_lines > 0 )); then
  phase "bench: bulk import of $bulk_lines lines (BatchAccrue, 4 streams), then the same file again"
  loadgen --scenario bulk --clients 4 --lines "$bulk_lines" --file-id "$stamp" --json "$work/bulk.json"
  loadgen --scenario bulk --clients 4 --lines "$bulk_lines" --file-id "$stamp" \
    --json "$work/bulk-replay.json"
fi

server_memory() {
  sed -nE "s/^$1:[[:space:]]+([0-9]+) kB/\1/p" "/proc/$server_pid/status" 2>/dev/null || echo 0
}
rss_peak_kb="$(server_memory VmHWM)"
rss_now_kb="$(server_memory VmRSS)"

phase "bench: reference (pgbench, $clients connections, database coalition_benchref)"
psql_ref() {
  "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U postgres "$@"
}
if [[ "$(psql_ref -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'coalition_benchref'")" != 1 ]]; then
  psql_ref -d postgres -c 'CREATE DATABASE coalition_benchref'
fi
ref_url="postgresql://postgres@127.0.0.1:$PG_PORT/coalition_benchref"
COALITION_DATABASE_URL="$ref_url" COALITION_OPERATOR_KEY="bench-reference-not-served" COALITION_DEV_MODE=1 \
  "$BUILD/server/coalition-server" migrate >/dev/null
psql_ref -d coalition_benchref -v members="$members" -f "$REPO_ROOT/bench/reference.sql" >/dev/null
threads=$(( clients < 2 ? clients : 2 ))
(
  cd "$work"
  "$PG_BIN/pgbench" -h 127.0.0.1 -p "$PG_PORT" -U postgres -n -M prepared \
    -c "$clients" -j "$threads" -T "$seconds" -D members="$members" -D run="$stamp" \
    -f "$REPO_ROOT/bench/reference.pgbench" -l --log-prefix=ref coalition_benchref \
    >"$work/pgbench.out" 2>&1
) || { cat "$work/pgbench.out" >&2; die "pgbench failed"; }
grep -E '^(tps|latency average|number of failed)' "$work/pgbench.out" | sed 's/^/    /' >&2

mkdir -p "$RESULTS"
python3 - "$work" "$RESULTS/$stamp.json" "$clients" "$seconds" "$members" "$rss_peak_kb" \
  "$rss_now_kb" "$scenarios" <<'PY'
import glob, json, os, platform, re, sys

work, out, clients, seconds, members, rss_peak_kb, rss_now_kb, scenarios = sys.argv[1:]

def load(name):
    path = os.path.join(work, name + ".json")
    return json.load(open(path)) if os.path.exists(path) else None

# pgbench -l lines: client_id transaction_no time_us script_no epoch_s epoch_us
latencies = []
for path in glob.glob(os.path.join(work, "ref.*")):
    for line in open(path):
        fields = line.split()
        if len(fields) >= 3 and fields[2].isdigit():
            latencies.append(int(fields[2]) / 1000.0)
latencies.sort()
def pct(p):
    return latencies[min(len(latencies) - 1, int(p * len(latencies)))] if latencies else 0.0
text = open(os.path.join(work, "pgbench.out")).read()
tps = float(re.search(r"tps = ([0-9.]+)", text).group(1))
failed = re.search(r"number of failed transactions: ([0-9]+)", text)
reference = {"per_second": tps, "calls": len(latencies), "p50_ms": pct(0.5), "p95_ms": pct(0.95),
             "p99_ms": pct(0.99), "max_ms": latencies[-1] if latencies else 0.0,
             "failed": int(failed.group(1)) if failed else 0}

def cpu_model():
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor()

result = {
    "machine": {"cpu": cpu_model(), "cpus": os.cpu_count(), "kernel": platform.release(),
                "load_average_at_end": os.getloadavg()},
    "clients": int(clients), "seconds": int(seconds), "members": int(members),
    "server_rss_peak_mb": int(rss_peak_kb) / 1024, "server_rss_mb": int(rss_now_kb) / 1024,
    "seed": load("seed"), "reference": reference, "scenarios": {},
}
for name in ["bulk", "bulk-replay"]:
    if load(name):
        result[name.replace("-", "_")] = load(name)
for name in scenarios.split() + ["accrual-half"]:
    data = load(name)
    if data:
        result["scenarios"][name] = data

rows = []
for name, data in result["scenarios"].items():
    ratio = data["per_second"] / tps if tps and name == "accrual" else None
    rows.append((name, data["per_second"], data["p50_ms"], data["p95_ms"], data["p99_ms"],
                 data["max_ms"], data["error_total"], ratio))
if "accrual" in result["scenarios"]:
    result["ratio_service_to_reference"] = result["scenarios"]["accrual"]["per_second"] / tps

print()
print(f"{clients} clients / connections, {seconds} s per scenario, {members} members; "
      f"{result['machine']['cpus']} CPUs ({result['machine']['cpu']}), "
      f"load average {os.getloadavg()[0]:.1f}")
header = f"{'scenario':<14}{'calls/s':>10}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}{'errors':>8}{'ratio':>8}"
print(header)
print("-" * len(header))
for name, rate, p50, p95, p99, mx, errors, ratio in rows:
    label = name if name != "accrual-half" else f"accrual @{int(result['scenarios'][name]['target_rate'])}/s"
    print(f"{label:<14}{rate:>10.0f}{p50:>9.2f}{p95:>9.2f}{p99:>9.2f}{mx:>9.2f}{errors:>8}"
          f"{(f'{ratio:.2f}' if ratio is not None else ''):>8}")
print(f"{'reference':<14}{tps:>10.0f}{reference['p50_ms']:>9.2f}{reference['p95_ms']:>9.2f}"
      f"{reference['p99_ms']:>9.2f}{reference['max_ms']:>9.2f}{reference['failed']:>8}{'1.00':>8}")
for name in ["bulk", "bulk_replay"]:
    if name in result:
        data = result[name]
        print(f"{name:<14}{data['lines_per_second']:>10.0f} lines/s  ({data['lines']} lines, "
              f"{data['applied']} applied, {data['replayed']} replayed, {data['rejected']} rejected, "
              f"{data['failed_streams']} failed streams, {data['seconds']:.1f} s)")
print(f"server RSS: peak {result['server_rss_peak_mb']:.0f} MB (VmHWM since the server started), "
      f"now {result['server_rss_mb']:.0f} MB")
for name, data in result["scenarios"].items():
    for code, count in data.get("errors", {}).items():
        print(f"  {name}: {code} x{count}")
json.dump(result, open(out, "w"), indent=2)
print(f"written {os.path.relpath(out)}")
PY
