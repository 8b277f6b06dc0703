#!/usr/bin/env bash
# Sets up everything the tests need on a fresh Debian machine with the .NET SDK, starts
# it on loopback, runs every test (.NET, then Node end-to-end, then the browser), stops it,
# and exits non-zero if anything failed.
set -uo pipefail
cd "$(dirname "$0")"
root=$(pwd)

log() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

# --- 1. Packages -------------------------------------------------------------------------
pg_bin=/usr/lib/postgresql/15/bin
missing=()
[ -x "$pg_bin/postgres" ] || missing+=(postgresql-15)
command -v redis-server >/dev/null || missing+=(redis-server)
command -v chromium >/dev/null || missing+=(chromium)
# Reactions and the emoji picker: without a colour emoji font the browser's screenshots show boxes.
[ -f /usr/share/fonts/truetype/noto/NotoColorEmoji.ttf ] || missing+=(fonts-noto-color-emoji)
command -v node >/dev/null || missing+=(nodejs npm)
if [ ${#missing[@]} -gt 0 ]; then
  log "Installing ${missing[*]}"
  as_root apt-get update -qq && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" \
    || { echo "could not install ${missing[*]}"; exit 1; }
fi

# --- 2. Services -------------------------------------------------------------------------
work=$(mktemp -d /tmp/chat-test.XXXXXX)
free_port() { node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
pg_port=$(free_port)
redis_port=$(free_port)

if [ "$(id -u)" -eq 0 ]; then as_pg() { runuser -u postgres -- "$@"; }; chown -R postgres "$work"; else as_pg() { "$@"; }; fi

cleanup() {
  log "Stopping services"
  as_pg "$pg_bin/pg_ctl" -D "$work/pg" -m fast stop >/dev/null 2>&1
  redis-cli -p "$redis_port" shutdown nosave >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT

log "Starting PostgreSQL on 127.0.0.1:$pg_port"
as_pg "$pg_bin/initdb" -D "$work/pg" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >/dev/null || { echo "initdb failed"; exit 1; }
# Durability is not under test here, so fsync is off to keep the suite fast.
as_pg "$pg_bin/pg_ctl" -D "$work/pg" -l "$work/pg.log" -w \
  -o "-c listen_addresses=127.0.0.1 -p $pg_port -k $work -c fsync=off -c full_page_writes=off -c max_connections=300" start >/dev/null \
  || { cat "$work/pg.log"; exit 1; }

log "Starting Redis on 127.0.0.1:$redis_port"
redis-server --bind 127.0.0.1 --port "$redis_port" --save "" --appendonly no --daemonize yes \
  --logfile "$work/redis.log" --dir "$work" || { echo "redis failed"; exit 1; }

export CI="${CI:-}"
export CHAT_TEST_POSTGRES="Host=127.0.0.1;Port=$pg_port;Username=postgres;Database=postgres"
export CHAT_TEST_REDIS="127.0.0.1:$redis_port"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

# --- 3. Build ----------------------------------------------------------------------------
log "Building"
dotnet build Chat.slnx -c Debug -nologo -v quiet || exit 1

# --- 4. Tests ----------------------------------------------------------------------------
# Each part's output is kept, so that a failure is named again at the very end: CI shows
# only the tail of a long log.
failures=()
run_part() { # name, command...
  local name=$1; shift
  "$@" 2>&1 | tee "$work/$name.log"
  [ "${PIPESTATUS[0]}" -eq 0 ] || failures+=("$name")
}

log ".NET tests"
# The console logger at "minimal" prints a failed test's message and stack (at "quiet" only its
# name). A test that hangs is dumped and stopped after 5 minutes instead of holding CI to its limit.
run_part dotnet dotnet test Chat.slnx -c Debug --no-build --nologo -v quiet \
  --logger "console;verbosity=minimal" --blame-hang-timeout 5m

log "End-to-end tests (phoenix client, raw WebSockets)"
run_part e2e sh -c 'cd tests/e2e && npm ci --no-audit --no-fund --loglevel=error && npm test'

log "Browser tests (headless Chromium, the web app against the real server)"
run_part browser sh -c 'cd tests/browser && npm ci --no-audit --no-fund --loglevel=error && npm test'

log "Benchmark smoke test (bench/run.sh --quick: every peer runs every scenario; no timing is checked)"
run_part bench bench/run.sh --quick --out "$work/bench"

if [ ${#failures[@]} -ne 0 ]; then
  log "FAILED: ${failures[*]}"
  for name in "${failures[@]}"; do
    echo "-- $name: the failures again"
    case $name in
      # xUnit through VSTest: "  Failed Namespace.Class.Method [12 ms]" then the message and stack.
      dotnet) grep -E -A12 '^\s+Failed |^Failed!|aborted|hang' "$work/dotnet.log" | head -150 ;;
      # node --test's spec reporter marks a failed test with ✖ and prints the cause below it.
      e2e|browser) grep -E -A12 '✖' "$work/$name.log" | head -150 ;;
      *) tail -40 "$work/$name.log" ;;
    esac
  done
  exit 1
fi
log "All tests passed"
