#!/usr/bin/env bash
# Idle-connection memory benchmark: builds the server in Release, installs the load
# generator's npm packages and (into bench/.tools, if NuGet answers) dotnet-gcdump and
# dotnet-counters, then runs bench/loadgen/idle-memory.js. Every argument is passed on:
#
#   bench/idle-memory.sh                                   # 1k, 5k, 10k, 19k; room:lobby and no join
#   bench/idle-memory.sh --counts 1000,10000 --variants lobby,rooms,none --out /tmp/idle.json
#
# Not a test: it takes minutes and its numbers depend on the machine. See docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

dotnet build src/Chat.Server -c Release -nologo -v quiet >&2
(cd bench/loadgen && npm ci --no-audit --no-fund --loglevel=error >&2)

tools=bench/.tools
for tool in dotnet-gcdump dotnet-counters; do
  [ -x "$tools/$tool" ] || dotnet tool install --tool-path "$tools" "$tool" >&2 \
    || echo "could not install $tool: measuring RSS only" >&2
done

exec node bench/loadgen/idle-memory.js "$@"
