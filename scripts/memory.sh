#!/usr/bin/env bash
# Peak memory of the CLI's bulk paths with large payloads, on SQLite and a throwaway PostgreSQL:
# import, export and copy of 3,000 events of 100 KB each (300 MB of data). Prints one line per step
# with the process's peak RSS (GNU time's %M). Usage: scripts/memory.sh [events] [payload-kb]
set -euo pipefail
cd "$(dirname "$0")/.."
events=${1:-3000}
kb=${2:-100}
work=$(mktemp -d)
export AGENTLEDGER_PG_STATE="$work/pg.state"
trap 'scripts/pg-test-server.sh stop >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
dotnet build src/AgentLedger.Cli -c Release --nologo -v quiet >/dev/null
tool="dotnet src/AgentLedger.Cli/bin/Release/net10.0/AgentLedger.Cli.dll"
pg=$(scripts/pg-test-server.sh start)

# The trace: one run, each event's payload a ~kb KB text.
awk -v n="$events" -v kb="$kb" 'BEGIN {
  filler = ""; for (i = 0; i < kb * 1024 / 64; i++) filler = filler "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
  for (i = 0; i < n; i++) printf "{\"id\":\"m-%d\",\"run_id\":\"mem\",\"turn\":%d,\"kind\":\"agent.spoke\",\"actor\":\"fox\",\"payload\":{\"text\":\"%s\"},\"created_at\":\"2026-06-07T10:11:12.000000+00:00\",\"schema_version\":1}\n", i, i, filler
}' > "$work/trace.jsonl"
echo "# $events events of ${kb} KB: $(du -m "$work/trace.jsonl" | cut -f1) MB of JSON lines"

peak() { # label, command...
  local label=$1; shift
  /usr/bin/time -f "%M" -o "$work/rss" "$@" >/dev/null 2>"$work/err" || { cat "$work/err"; exit 1; }
  printf '%-32s peak RSS %6.0f MB\n' "$label" "$(awk '{ print $1 / 1024 }' "$work/rss")"
}

peak "sqlite import" $tool --db "$work/a.db" import "$work/trace.jsonl"
peak "sqlite export" $tool --db "$work/a.db" export --out "$work/a.jsonl"
peak "postgres import" $tool --db "$pg" import "$work/trace.jsonl"
peak "postgres export" $tool --db "$pg" export --out "$work/p.jsonl"
peak "copy sqlite -> postgres" $tool --db "$work/a.db" copy --to "${pg}$( [[ $pg == *\?* ]] && echo '&' || echo '?')schema=copy_target"
peak "copy postgres -> sqlite" $tool --db "$pg" copy --to "$work/b.db"
peak "append (stdin stream)" bash -c "$tool --db '$work/c.db' append --batch-size 100 < '$work/trace.jsonl'"
cmp -s "$work/a.jsonl" "$work/p.jsonl" && echo "exports from SQLite and PostgreSQL are identical"
