#!/usr/bin/env bash
# The benchmark, one command: builds Release, starts a durable throwaway PostgreSQL (fsync and
# synchronous_commit on), runs the workload on memory, SQLite and PostgreSQL with the raw limits
# beside them, and appends the JSON lines to bench/results/latest.jsonl. Arguments pass through
# to the harness, e.g.  scripts/bench.sh --n 1000000 --scaling
# Set AGENTLEDGER_BENCH_POSTGRES=postgresql://... to use an existing server instead.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p bench/results
dotnet build bench/AgentLedger.Bench -c Release --nologo -v quiet

# The SQLite C limit (bench/c/sqlite_limit.c), linked against the SQLite build Microsoft.Data.Sqlite loads.
if ! command -v gcc >/dev/null 2>&1 || [ ! -f /usr/include/sqlite3.h ]; then
  echo "installing gcc and libsqlite3-dev (apt) for the C limit" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gcc libsqlite3-dev >&2 \
    || { DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gcc libsqlite3-dev >&2; }
fi
case "$(uname -m)" in aarch64) rid=linux-arm64 ;; *) rid=linux-x64 ;; esac
native="$(pwd)/bench/AgentLedger.Bench/bin/Release/net10.0/runtimes/$rid/native"
mkdir -p bench/c/bin
gcc -O2 -Wall -o bench/c/bin/sqlite_limit bench/c/sqlite_limit.c -I/usr/include -L"$native" -l:libe_sqlite3.so -lm -Wl,-rpath,"$native"
chmod +x bench/c/bin/sqlite_limit
export AGENTLEDGER_BENCH_C="$(pwd)/bench/c/bin/sqlite_limit"
export AGENTLEDGER_PG_STATE="${TMPDIR:-/tmp}/agentledger-bench-pg.$$.state"
if [ -z "${AGENTLEDGER_BENCH_POSTGRES:-}" ]; then
  trap 'scripts/pg-test-server.sh stop' EXIT
  AGENTLEDGER_BENCH_POSTGRES=$(scripts/pg-test-server.sh start --durable)
  export AGENTLEDGER_BENCH_POSTGRES
fi
unset AGENTLEDGER_TEST_POSTGRES
dotnet bench/AgentLedger.Bench/bin/Release/net10.0/AgentLedger.Bench.dll --out bench/results/latest.jsonl "$@"
