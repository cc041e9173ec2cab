#!/usr/bin/env bash
# Local stack for `make run`: a PostgreSQL cluster and a Redis server owned
# by this checkout, under .run/, on 127.0.0.1 only.
#   stack.sh start   start both (idempotent), print the environment to use
#   stack.sh stop    stop both
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
run="$root/.run"
pg_port="${EVALROOM_LOCAL_PG_PORT:-55432}"
redis_port="${EVALROOM_LOCAL_REDIS_PORT:-56379}"
pgbin="$(dirname "$(command -v initdb 2>/dev/null || ls -d /usr/lib/postgresql/*/bin/initdb | sort -V | tail -1)")"
as_pg=()
[ "$(id -u)" -eq 0 ] && as_pg=(runuser -u postgres --)

start() {
  mkdir -p "$run"
  if [ ! -d "$run/pg/data" ]; then
    mkdir -p "$run/pg"
    [ "$(id -u)" -eq 0 ] && chown postgres: "$run/pg"
    "${as_pg[@]}" "$pgbin/initdb" -D "$run/pg/data" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >/dev/null
  fi
  if ! "${as_pg[@]}" "$pgbin/pg_ctl" -D "$run/pg/data" status >/dev/null 2>&1; then
    "${as_pg[@]}" "$pgbin/pg_ctl" -D "$run/pg/data" -l "$run/pg/log" -w \
      -o "-p $pg_port -k $run/pg -c listen_addresses=127.0.0.1" start >/dev/null
  fi
  psql -h 127.0.0.1 -p "$pg_port" -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname='evalroom'" | grep -q 1 ||
    psql -h 127.0.0.1 -p "$pg_port" -U postgres -qc "CREATE DATABASE evalroom" >/dev/null
  if ! redis-cli -p "$redis_port" ping >/dev/null 2>&1; then
    mkdir -p "$run/redis"
    redis-server --port "$redis_port" --bind 127.0.0.1 --dir "$run/redis" --appendonly yes \
      --daemonize yes --logfile "$run/redis/log" --pidfile "$run/redis/pid" >/dev/null
  fi
  [ -f "$run/master.key" ] || head -c 32 /dev/urandom | base64 > "$run/master.key"
  [ -f "$run/webhook.secret" ] || head -c 24 /dev/urandom | base64 > "$run/webhook.secret"
  chmod 600 "$run/master.key" "$run/webhook.secret"
  cat <<ENV
export EVALROOM_POSTGRES_DSN='postgres://postgres@127.0.0.1:$pg_port/evalroom?sslmode=disable'
export EVALROOM_REDIS_ADDR='127.0.0.1:$redis_port'
export EVALROOM_SECRETS_MASTER_KEY='$(cat "$run/master.key")'
export EVALROOM_NOTIFY_WEBHOOK_SECRET='$(cat "$run/webhook.secret")'
ENV
}

stop() {
  [ -d "$run/pg/data" ] && "${as_pg[@]}" "$pgbin/pg_ctl" -D "$run/pg/data" -m fast stop >/dev/null 2>&1 || true
  redis-cli -p "$redis_port" shutdown nosave >/dev/null 2>&1 || true
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
