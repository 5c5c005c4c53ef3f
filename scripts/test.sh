#!/usr/bin/env bash
# The one test command: formatting, build, every test (SQLite files and a real PostgreSQL), then
# "N passed, N failed" alone on the last line. Exit code non-zero on any failure.
#
# PostgreSQL: a throwaway cluster is started on a free loopback port and stopped afterwards (also on
# failure). Set AGENTLEDGER_TEST_POSTGRES=postgresql://... to use an existing server instead.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
results="$root/.test-results"
rm -rf "$results"
mkdir -p "$results"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

finish() {
  local passed=$1 failed=$2 code=$3
  echo "$passed passed, $failed failed"
  exit "$code"
}

# The browser tests drive Debian's chromium headless (never a downloaded browser): install it when missing.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
if [ ! -x /usr/bin/chromium ]; then
  echo "== install chromium (browser tests)"
  if [ "$(id -u)" -eq 0 ]; then
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } > "$results/chromium-install.log" 2>&1 \
      || { cat "$results/chromium-install.log"; echo "could not install chromium"; finish 0 1 1; }
  else
    echo "chromium is missing and this is not root: run 'sudo apt-get install -y chromium'"; finish 0 1 1
  fi
fi

echo "== restore"
dotnet restore AgentLedger.slnx --nologo -v quiet || finish 0 1 1

echo "== format (dotnet format --verify-no-changes)"
dotnet format AgentLedger.slnx --verify-no-changes --no-restore || { echo "formatting differs: run 'dotnet format AgentLedger.slnx'"; finish 0 1 1; }

echo "== build"
dotnet build AgentLedger.slnx --no-restore --nologo -v quiet -c Release || finish 0 1 1

export AGENTLEDGER_PG_STATE="$results/pg.state"
if [ -z "${AGENTLEDGER_TEST_POSTGRES:-}" ]; then
  echo "== start a throwaway PostgreSQL"
  trap 'scripts/pg-test-server.sh stop' EXIT
  AGENTLEDGER_TEST_POSTGRES=$(scripts/pg-test-server.sh start) || { echo "could not start PostgreSQL"; finish 0 1 1; }
  export AGENTLEDGER_TEST_POSTGRES
fi

# A second, durable server (fsync and synchronous_commit on) that the durability test kills with -m immediate.
echo "== start a durable throwaway PostgreSQL (for the crash test)"
export AGENTLEDGER_TEST_POSTGRES_DURABLE_STATE="$results/pg-durable.state"
trap 'scripts/pg-test-server.sh stop; AGENTLEDGER_PG_STATE="$AGENTLEDGER_TEST_POSTGRES_DURABLE_STATE" scripts/pg-test-server.sh stop' EXIT
AGENTLEDGER_TEST_POSTGRES_DURABLE=$(AGENTLEDGER_PG_STATE="$AGENTLEDGER_TEST_POSTGRES_DURABLE_STATE" scripts/pg-test-server.sh start --durable) \
  || { echo "could not start the durable PostgreSQL"; finish 0 1 1; }
export AGENTLEDGER_TEST_POSTGRES_DURABLE

echo "== start a hot standby of the durable one (a read replica: following there must be refused)"
AGENTLEDGER_TEST_POSTGRES_STANDBY=$(AGENTLEDGER_PG_STATE="$AGENTLEDGER_TEST_POSTGRES_DURABLE_STATE" scripts/pg-test-server.sh hot-standby) \
  || { echo "could not start the hot standby"; finish 0 1 1; }
export AGENTLEDGER_TEST_POSTGRES_STANDBY

echo "== start PgBouncer in transaction mode in front of the first one"
AGENTLEDGER_TEST_PGBOUNCER=$(scripts/pg-test-server.sh pgbouncer "$AGENTLEDGER_TEST_POSTGRES") \
  || { echo "could not start PgBouncer"; finish 0 1 1; }
export AGENTLEDGER_TEST_PGBOUNCER

echo "== test"
dotnet test AgentLedger.slnx --no-build -c Release --nologo \
  --logger "trx" --logger "console;verbosity=minimal" --results-directory "$results"
code=$?

echo "== benchmark smoke (bench --quick: correctness only, never timings)"
if dotnet bench/AgentLedger.Bench/bin/Release/net10.0/AgentLedger.Bench.dll --quick --backends memory,sqlite,postgres --postgres "$AGENTLEDGER_TEST_POSTGRES" > "$results/bench-quick.txt" 2>&1; then
  bench_passed=1; bench_failed=0
else
  bench_passed=0; bench_failed=1; code=1
  cat "$results/bench-quick.txt"
fi
tail -n 1 "$results/bench-quick.txt"

echo "== middleware bench smoke (bench AI --quick: one event per recorded call, never timings)"
if dotnet bench/AgentLedger.Bench.AI/bin/Release/net10.0/AgentLedger.Bench.AI.dll --quick > "$results/bench-ai-quick.txt" 2>&1; then
  bench_passed=$((bench_passed + 1))
else
  bench_failed=$((bench_failed + 1)); code=1
  cat "$results/bench-ai-quick.txt"
fi
tail -n 1 "$results/bench-ai-quick.txt"

echo "== server bench smoke (serverbench --quick: SSE subscribers get every event once, in order)"
if dotnet bench/AgentLedger.ServerBench/bin/Release/net10.0/AgentLedger.ServerBench.dll --quick > "$results/serverbench-quick.txt" 2>&1; then
  bench_passed=$((bench_passed + 1))
else
  bench_failed=$((bench_failed + 1)); code=1
  cat "$results/serverbench-quick.txt"
fi
tail -n 1 "$results/serverbench-quick.txt"

# dotnet test prints no total line: sum the TRX counters of every test assembly.
counter() { # sum one attribute of <Counters> over every TRX file
  find "$results" -name '*.trx' -exec grep -ho "<Counters [^>]*" {} + 2>/dev/null \
    | grep -o " $1=\"[0-9]*\"" | grep -o '[0-9]*' | awk '{ s += $1 } END { print s + 0 }'
}
passed=$(( $(counter passed) + bench_passed ))
failed=$(( $(counter failed) + $(counter error) + $(counter timeout) + $(counter aborted) + bench_failed ))
if [ "$code" -ne 0 ] && [ "${failed:-0}" -eq 0 ]; then failed=1; fi
finish "${passed:-0}" "${failed:-0}" "$code"
