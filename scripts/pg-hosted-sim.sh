#!/usr/bin/env bash
# A PostgreSQL with hosted-database commit latency: a durable primary and a synchronous standby on free
# loopback ports; every commit waits for the standby to apply it, DELAY_MS late (about 3 ms a commit with 2).
#   scripts/pg-hosted-sim.sh start [DELAY_MS]   -> prints the primary's connection URL
#   scripts/pg-hosted-sim.sh stop               -> stops both and deletes their folder
set -euo pipefail
cd "$(dirname "$0")/.."
export AGENTLEDGER_PG_STATE="${AGENTLEDGER_PG_STATE:-${TMPDIR:-/tmp}/agentledger-hosted-sim.state}"
case "${1:-}" in
  start) exec scripts/pg-test-server.sh start --hosted "${2:-2}" ;;
  stop) exec scripts/pg-test-server.sh stop ;;
  *) echo "usage: $0 start [DELAY_MS] | stop" >&2; exit 2 ;;
esac
