#!/usr/bin/env bash
# The message persistence benchmark, end to end: starts a throwaway PostgreSQL with its
# DEFAULT durability settings (fsync on, synchronous_commit on, full_page_writes on) in a
# temp directory, runs every part for both providers through bench/Chat.Benchmarks, prints
# the tables of docs/benchmarks.md, and stops PostgreSQL again.
#
#   bench/persistence.sh                 # everything (about 20 minutes on 2 cores)
#   QUICK=1 bench/persistence.sh         # a smoke run: short points, one repeat, small history
#   PARTS="persist" PROVIDERS="sqlite" bench/persistence.sh
#   PARTS="refused" bench/persistence.sh # one NUL in every batch beside a clean stream (issue 12, test 4)
#
# Results (the log and one TSV line per measurement) go to artifacts/bench-persistence/<time>/.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

pg_bin=${PG_BIN:-/usr/lib/postgresql/15/bin}
parts=${PARTS:-"fsync store persist refused history"}
providers=${PROVIDERS:-"sqlite postgres"}
if [ -n "${QUICK:-}" ]; then
  persist_args=(--warmup 1 --duration 2 --repeat 1)
  refused_args=(--warmup 1 --duration 2 --existing 0)
  refused_pairs=1
  store_args=(--warmup 1 --duration 2)
  history_args=(--room-messages 100000 --other-messages 100000 --reads 2000 --warmup-reads 500 --repeat 1)
else
  persist_args=(--warmup 3 --duration 5 --repeat 3 --existing 100000)
  refused_args=(--warmup 3 --duration 5 --existing 100000)
  refused_pairs=3
  store_args=(--warmup 2 --duration 5 --existing 100000)
  history_args=(--room-messages 1000000 --other-messages 1000000 --reads 10000 --warmup-reads 2000 --repeat 3)
fi

out="$root/artifacts/bench-persistence/$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$out"
tsv="$out/results.tsv"
log="$out/run.log"
say() { printf '\n\033[1m== %s\033[0m\n' "$*" | tee -a "$log"; }

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null \
    || shuf -i 20000-60000 -n 1
}

# --- PostgreSQL --------------------------------------------------------------------------
work=""
if [[ " $providers " == *" postgres "* ]]; then
  [ -x "$pg_bin/postgres" ] || { echo "PostgreSQL not found in $pg_bin (set PG_BIN)"; exit 1; }
  work=$(mktemp -d /tmp/chat-bench-pg.XXXXXX)
  if [ "$(id -u)" -eq 0 ]; then as_pg() { runuser -u postgres -- "$@"; }; chown postgres "$work"; else as_pg() { "$@"; }; fi
  port=${PG_PORT:-$(free_port)}
  stop_pg() {
    as_pg "$pg_bin/pg_ctl" -D "$work/data" -m fast stop >/dev/null 2>&1 || true
    rm -rf "$work"
  }
  trap stop_pg EXIT
  say "Starting PostgreSQL on 127.0.0.1:$port (default durability: fsync=on, synchronous_commit=on)"
  as_pg "$pg_bin/initdb" -D "$work/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >/dev/null
  # Only where it listens: every durability and memory setting stays at its default.
  as_pg "$pg_bin/pg_ctl" -D "$work/data" -l "$work/pg.log" -w \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $work" start >/dev/null || { cat "$work/pg.log"; exit 1; }
  export CHAT_BENCH_POSTGRES="Host=127.0.0.1;Port=$port;Username=postgres;Database=postgres"
  psql -h 127.0.0.1 -p "$port" -U postgres -Atc \
    "SELECT name || '=' || setting FROM pg_settings WHERE name IN ('server_version','fsync','synchronous_commit','full_page_writes','wal_sync_method','commit_delay','shared_buffers','max_connections') ORDER BY name" \
    2>/dev/null | tee -a "$log" || true
fi

# --- Build and run -----------------------------------------------------------------------
say "Building bench/Chat.Benchmarks (Release)"
dotnet build bench/Chat.Benchmarks -c Release -nologo -v quiet | tee -a "$log"
bench="$root/bench/Chat.Benchmarks/bin/Release/net10.0/Chat.Benchmarks"
run() { "$bench" "$@" --tsv "$tsv" 2>&1 | tee -a "$log"; }

say "Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load $(cut -d' ' -f1-3 /proc/loadavg)"
for part in $parts; do
  case $part in
    fsync) run fsync --count 300 ;;
    store) for p in $providers; do run store --provider "$p" "${store_args[@]}"; done ;;
    persist) for p in $providers; do run persist --provider "$p" "${persist_args[@]}"; done ;;
    refused)
      # 100 senders make batches of about 50 here, so 1 in 50 refused is about one in every batch. Clean
      # and refused runs alternate, so that a drift of the machine falls on both alike.
      for p in $providers; do
        for _ in $(seq "$refused_pairs"); do
          run persist --provider "$p" --mode group --senders 100 --repeat 1 "${refused_args[@]}"
          run persist --provider "$p" --mode group --senders 100 --repeat 1 --refused-every 50 "${refused_args[@]}"
        done
      done ;;
    history) for p in $providers; do run history --provider "$p" "${history_args[@]}"; done ;;
    *) echo "unknown part $part"; exit 2 ;;
  esac
done

say "Results ($out)"
"$bench" report --tsv "$tsv" | tee "$out/tables.md" | tee -a "$log"
