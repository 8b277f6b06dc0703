#!/usr/bin/env bash
# The side-by-side benchmark of issue 9: our server, a SignalR hub and Socket.IO, each doing
# the same chat job, measured by one load generator (bench/Chat.LoadGen) that speaks each
# protocol on raw WebSockets. Builds what it needs (Release), installs the Socket.IO peer's
# npm packages and the .NET diagnostic tools, then runs the coordinator:
#
#   bench/run.sh                         # every scenario for every peer (long: run them one by one for docs)
#   bench/run.sh fanout                  # one scenario: fanout, rooms, idle or chat
#   bench/run.sh --quick                 # every scenario, small: under 2 minutes (the CI smoke test)
#   bench/run.sh fanout --members 2000 --rates 20k,40k,100k --peers ours,signalr --out /tmp/run
#
# Every server under test runs on core 0 and every load-generator process on core 1
# (taskset; --no-pin to turn that off). Results go to artifacts/bench/<time>/ (or --out):
# results.json, results.md (the tables) and fanout.svg. Numbers for docs/ are taken under
# the exclusive CPU lock: flock -x /work/cpu.lock bench/run.sh …   See docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

quick=false
for arg in "$@"; do [ "$arg" = "--quick" ] && quick=true; done

log() { printf '\033[1m== %s\033[0m\n' "$*" >&2; }

log "Building the server, the SignalR peer and the load generator (Release)"
for project in src/Chat.Server bench/peers/signalr bench/Chat.LoadGen; do
  dotnet build "$project" -c Release -nologo -v quiet >&2
done

peer=bench/peers/socketio
if [ ! -d "$peer/node_modules" ] || [ "$peer/package-lock.json" -nt "$peer/node_modules/.package-lock.json" ]; then
  log "Installing the Socket.IO peer's packages"
  (cd "$peer" && npm ci --no-audit --no-fund --loglevel=error >&2)
fi

# dotnet-gcdump forces a full GC in a .NET server and reads its heap; dotnet-counters counts
# what it allocates (idle scenario). The quick mode does without them, so that the smoke test
# needs nothing from NuGet beyond the build's packages.
if [ "$quick" = false ]; then
  for tool in dotnet-gcdump dotnet-counters; do
    if [ ! -x "bench/.tools/$tool" ]; then
      log "Installing $tool into bench/.tools"
      dotnet tool install --tool-path bench/.tools "$tool" >&2
    fi
  done
fi

# The coordinator and its workers on the load generator's core; it pins each server itself.
pin=(taskset -c 1)
for arg in "$@"; do [ "$arg" = "--no-pin" ] && pin=(); done
limit=${BENCH_TIMEOUT:-4h}
[ "$quick" = true ] && limit=${BENCH_TIMEOUT:-5m}
exec timeout --kill-after=30s "$limit" "${pin[@]}" dotnet bench/Chat.LoadGen/bin/Release/net10.0/Chat.LoadGen.dll "$@"
