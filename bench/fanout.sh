#!/usr/bin/env bash
# Broadcast fan-out benchmark: builds the server in Release, installs the load generator's
# npm packages, then runs bench/loadgen/fanout.js (arguments are passed on):
#
#   bench/fanout.sh                                        # rooms of 1k and 10k members, a rate ladder each
#   bench/fanout.sh --members 10000 --rates "10000:10/50" --seconds 20 --out /tmp/fanout.json
#
# Not a test: it takes minutes and its numbers depend on the machine. See docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

dotnet build src/Chat.Server -c Release -nologo -v quiet >&2
(cd bench/loadgen && npm ci --no-audit --no-fund --loglevel=error >&2)

exec node bench/loadgen/fanout.js "$@"
