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
export AGENTLEDGER_PG_STATE="${TMPDIR:-/tmp}/agentledger-bench-pg.$$.state"
if [ -z "${AGENTLEDGER_BENCH_POSTGRES:-}" ]; then
  trap 'scripts/pg-test-server.sh stop' EXIT
  AGENTLEDGER_BENCH_POSTGRES=$(scripts/pg-test-server.sh start --durable)
  export AGENTLEDGER_BENCH_POSTGRES
fi
unset AGENTLEDGER_TEST_POSTGRES
dotnet bench/AgentLedger.Bench/bin/Release/net10.0/AgentLedger.Bench.dll --out bench/results/latest.jsonl "$@"
