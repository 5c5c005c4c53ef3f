#!/usr/bin/env bash
# Long runs of the property tests (JSON lines, locations, envelopes on memory and SQLite):
#   scripts/fuzz.sh [iterations]      default 200000 per property
# A failure prints the CsCheck seed that reproduces it: CsCheck_Seed=<seed> dotnet test ... --filter <test>.
set -euo pipefail
cd "$(dirname "$0")/.."
export AGENTLEDGER_PROPERTY_ITER="${1:-200000}"
dotnet build AgentLedger.slnx -c Release --nologo -v quiet
dotnet test tests/AgentLedger.Tests -c Release --no-build --nologo --filter "FullyQualifiedName~Any_"
dotnet test tests/AgentLedger.Sqlite.Tests -c Release --no-build --nologo --filter "FullyQualifiedName~Any_"
