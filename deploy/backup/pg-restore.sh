#!/usr/bin/env bash
# pg-restore.sh: restore a backup made by pg-backup.sh into an empty
# database. deploy/README.md ("备份与恢复 / Backups") gives the steps.
#
#   pg-restore.sh [--force] [--dsn DSN] [--config FILE] BACKUP.dump
#
#   --dsn DSN      the database to restore into (default: $EVALROOM_POSTGRES_DSN,
#                  else `evalroomctl config get postgres.dsn`, reading --config FILE
#                  or $EVALROOM_CONFIG); create it empty first (createdb)
#   --force        restore into a database that holds tables already: the objects
#                  the backup contains are dropped and replaced (pg_restore --clean
#                  --if-exists); other objects stay. Without it a non-empty
#                  database is refused.
#
# The checksum file BACKUP.dump.sha256 written next to the backup is
# checked first: a backup that does not match it is refused. The restore
# runs in one transaction (pg_restore --single-transaction --exit-on-error),
# so a failure leaves the database as it was. Objects are owned by the
# user the DSN logs in as (--no-owner --no-privileges): the backup can be
# restored under another role name. Stop evalroomd before restoring.
#
# pg_restore and psql are taken from $PG_BIN, else PATH, else the newest
# /usr/lib/postgresql/*/bin.
#
# Exit codes:
#   0  restored
#   2  bad command line
#   3  no database DSN, or pg_restore/psql/sha256sum missing, or the database
#      cannot be reached
#   4  pg_restore failed (the transaction is rolled back)
#   5  the backup or its checksum file is missing, or they do not match
#   6  the database is not empty (and --force was not given)
set -euo pipefail
umask 077

prog=pg-restore.sh
log() { printf '%s %s: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$prog" "$*" >&2; }
die() { local code=$1; shift; log "error: $*"; exit "$code"; }
usage() { sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

force=0
dsn=""
config=""
backup=""
while [ $# -gt 0 ]; do
  case $1 in
    --force) force=1; shift ;;
    --dsn) [ $# -ge 2 ] || usage; dsn=$2; shift 2 ;;
    --dsn=*) dsn=${1#*=}; shift ;;
    --config) [ $# -ge 2 ] || usage; config=$2; shift 2 ;;
    --config=*) config=${1#*=}; shift ;;
    -h|--help) usage ;;
    -*) log "unknown option: $1"; usage ;;
    *) [ -z "$backup" ] || { log "give one backup file"; usage; }; backup=$1; shift ;;
  esac
done
[ -n "$backup" ] || { log "give the backup file to restore"; usage; }

pgtool() {
  local name=$1 p
  if [ -n "${PG_BIN:-}" ]; then
    [ -x "$PG_BIN/$name" ] && { echo "$PG_BIN/$name"; return; }
    return 1
  fi
  if p=$(command -v "$name" 2>/dev/null); then echo "$p"; return; fi
  p=$(printf '%s\n' /usr/lib/postgresql/*/bin/"$name" | sort -V | tail -n 1)
  [ -n "$p" ] && [ -x "$p" ] && { echo "$p"; return; }
  return 1
}

resolve_dsn() {
  if [ -n "$dsn" ]; then echo "$dsn"; return; fi
  if [ -n "${EVALROOM_POSTGRES_DSN:-}" ]; then echo "$EVALROOM_POSTGRES_DSN"; return; fi
  local ctl
  ctl=$(command -v evalroomctl 2>/dev/null || true)
  [ -n "$ctl" ] || return 1
  if [ -n "$config" ]; then "$ctl" config get -config "$config" postgres.dsn; else "$ctl" config get postgres.dsn; fi
}

# 1. The backup and its checksum.
[ -f "$backup" ] || die 5 "no backup file $backup"
[ -f "$backup.sha256" ] || die 5 "no checksum file $backup.sha256 next to the backup"
command -v sha256sum >/dev/null || die 3 "sha256sum not found (coreutils)"
want=$(awk 'NR == 1 { print $1 }' "$backup.sha256")
case $want in
  *[!0-9a-f]*|'') die 5 "$backup.sha256 holds no SHA-256" ;;
esac
[ ${#want} -eq 64 ] || die 5 "$backup.sha256 holds no SHA-256"
got=$(sha256sum <"$backup" | cut -d' ' -f1)
[ "$got" = "$want" ] || die 5 "$backup does not match its checksum (sha256 $got, the checksum file says $want): it is damaged or altered; restore another backup"
log "checksum verified: sha256 $got"

pg_restore=$(pgtool pg_restore) || die 3 "pg_restore not found (install postgresql-client, or set PG_BIN)"
psql=$(pgtool psql) || die 3 "psql not found (install postgresql-client, or set PG_BIN)"
"$pg_restore" --list "$backup" >/dev/null || die 5 "pg_restore cannot read $backup"

# 2. The target database must be empty.
db=$(resolve_dsn) || die 3 "no database: give --dsn, set EVALROOM_POSTGRES_DSN, or install evalroomctl with a configuration"
[ -n "$db" ] || die 3 "the database DSN is empty"
objects=$("$psql" --dbname="$db" --no-password --no-psqlrc --quiet --tuples-only --no-align --command="
  SELECT (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\_toast%'
            AND n.nspname NOT LIKE 'pg\_temp%')
       + (SELECT count(*) FROM pg_namespace
          WHERE nspname NOT IN ('public', 'pg_catalog', 'information_schema', 'pg_toast')
            AND nspname NOT LIKE 'pg\_temp%' AND nspname NOT LIKE 'pg\_toast\_temp%')") ||
  die 3 "cannot reach the database"
objects=${objects//[[:space:]]/}
clean=()
if [ "$objects" != "0" ]; then
  [ "$force" -eq 1 ] || die 6 "the database is not empty ($objects schemas, tables, sequences or indexes): restore into a new empty database (createdb), or give --force to replace what the backup contains"
  log "the database is not empty ($objects objects): --force replaces the objects the backup contains"
  clean=(--clean --if-exists)
fi

# 3. Restore, all or nothing.
log "restoring $backup"
if ! "$pg_restore" --dbname="$db" --no-password --no-owner --no-privileges --exit-on-error --single-transaction "${clean[@]}" "$backup"; then
  die 4 "pg_restore failed; the transaction was rolled back"
fi
log "restored $backup"
exit 0
