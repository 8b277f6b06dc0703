#!/usr/bin/env bash
# Several nodes, one chat: one node against two (or more) on one PostgreSQL and one Redis,
# for a room's fan-out and for filling a room with presence. Builds the server in Release,
# installs the load generator's packages, starts PostgreSQL and Redis on loopback in a
# temporary directory, runs bench/loadgen/multinode.js (arguments are passed on), and stops
# them again:
#
#   bench/multinode.sh                                   # fan-out and a 10,000 fill, 1 node and 2
#   bench/multinode.sh --scenarios fill --fill 10000 --nodes 1,2
#   bench/multinode.sh --scenarios fanout --members 2000 --rates 100/200/500
#
# Not a test; numbers for docs/ under the exclusive CPU lock. See docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

dotnet build src/Chat.Server -c Release -nologo -v quiet >&2
(cd bench/loadgen && npm ci --no-audit --no-fund --loglevel=error >&2)

pg_bin=/usr/lib/postgresql/15/bin
work=$(mktemp -d /tmp/chat-multinode.XXXXXX)
free_port() { node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
pg_port=$(free_port)
redis_port=$(free_port)
if [ "$(id -u)" -eq 0 ]; then as_pg() { runuser -u postgres -- "$@"; }; chown -R postgres "$work"; else as_pg() { "$@"; }; fi
cleanup() {
  as_pg "$pg_bin/pg_ctl" -D "$work/pg" -m fast stop >/dev/null 2>&1 || true
  redis-cli -p "$redis_port" shutdown nosave >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

as_pg "$pg_bin/initdb" -D "$work/pg" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >/dev/null
# Durable, as in production (fsync on); the default max_connections of 100, which the
# nodes' default pools (20 each) must fit.
as_pg "$pg_bin/pg_ctl" -D "$work/pg" -l "$work/pg.log" -w -o "-c listen_addresses=127.0.0.1 -p $pg_port -k $work" start >/dev/null
redis-server --bind 127.0.0.1 --port "$redis_port" --save "" --appendonly no --daemonize yes --logfile "$work/redis.log" --dir "$work"

node bench/loadgen/multinode.js --postgres "Host=127.0.0.1;Port=$pg_port;Username=postgres" --redis "127.0.0.1:$redis_port" "$@"
