#!/usr/bin/env bash
# pg-backup.sh: back up evalroom's PostgreSQL database with pg_dump (custom
# format), next to a SHA-256 checksum file, optionally keeping only the
# newest N backups. deploy/README.md ("备份与恢复 / Backups") explains it.
#
#   pg-backup.sh [--dir DIR] [--keep N] [--dsn DSN] [--config FILE]
#
#   --dir DIR      where backups go (default: $BACKUP_DIR, else /var/backups/evalroom)
#   --keep N       after a good backup, delete all but the newest N (default: keep all)
#   --dsn DSN      the database (default: $EVALROOM_POSTGRES_DSN, else postgres.dsn
#                  as evalroomd loads it: `evalroomctl config get postgres.dsn`,
#                  which reads --config FILE or $EVALROOM_CONFIG and EVALROOM_* variables)
#   --config FILE  evalroomd's YAML configuration file, for the above
#
# A backup is DIR/evalroom-<UTC time, YYYYMMDDTHHMMSSZ>.dump and its
# checksum DIR/evalroom-<same>.dump.sha256 (sha256sum format). The dump is
# written under a temporary name, checked with pg_restore --list, synced,
# and only then given its name, so a file with the final name is always a
# whole backup. Its path is printed on standard output; progress goes to
# standard error.
#
# pg_dump is taken from $PG_BIN, else PATH, else the newest
# /usr/lib/postgresql/*/bin; it must be at least the server's version.
#
# Exit codes:
#   0  backup written (and old ones removed with --keep)
#   2  bad command line
#   3  no database DSN, or pg_dump/pg_restore/sha256sum missing
#   4  pg_dump failed (nothing is left behind)
#   5  the dump could not be checked, synced or checksummed (nothing is left behind)
#   6  the backup is good but removing old backups failed
set -euo pipefail
umask 077

prog=pg-backup.sh
log() { printf '%s %s: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$prog" "$*" >&2; }
die() { local code=$1; shift; log "error: $*"; exit "$code"; }
usage() { sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

dir=${BACKUP_DIR:-/var/backups/evalroom}
keep=0
dsn=""
config=""
while [ $# -gt 0 ]; do
  case $1 in
    --dir) [ $# -ge 2 ] || usage; dir=$2; shift 2 ;;
    --dir=*) dir=${1#*=}; shift ;;
    --keep) [ $# -ge 2 ] || usage; keep=$2; shift 2 ;;
    --keep=*) keep=${1#*=}; shift ;;
    --dsn) [ $# -ge 2 ] || usage; dsn=$2; shift 2 ;;
    --dsn=*) dsn=${1#*=}; shift ;;
    --config) [ $# -ge 2 ] || usage; config=$2; shift 2 ;;
    --config=*) config=${1#*=}; shift ;;
    -h|--help) usage ;;
    *) log "unknown argument: $1"; usage ;;
  esac
done
case $keep in
  ''|*[!0-9]*) log "--keep takes a whole number (0: keep all)"; usage ;;
esac
keep=$((10#$keep))

# pgtool NAME prints the path of a PostgreSQL client program.
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

# resolve_dsn prints the DSN: --dsn, $EVALROOM_POSTGRES_DSN, or evalroomctl.
resolve_dsn() {
  if [ -n "$dsn" ]; then echo "$dsn"; return; fi
  if [ -n "${EVALROOM_POSTGRES_DSN:-}" ]; then echo "$EVALROOM_POSTGRES_DSN"; return; fi
  local ctl
  ctl=$(command -v evalroomctl 2>/dev/null || true)
  [ -n "$ctl" ] || return 1
  if [ -n "$config" ]; then "$ctl" config get -config "$config" postgres.dsn; else "$ctl" config get postgres.dsn; fi
}

pg_dump=$(pgtool pg_dump) || die 3 "pg_dump not found (install postgresql-client, or set PG_BIN)"
pg_restore=$(pgtool pg_restore) || die 3 "pg_restore not found (install postgresql-client, or set PG_BIN)"
command -v sha256sum >/dev/null || die 3 "sha256sum not found (coreutils)"
db=$(resolve_dsn) || die 3 "no database: give --dsn, set EVALROOM_POSTGRES_DSN, or install evalroomctl with a configuration"
[ -n "$db" ] || die 3 "the database DSN is empty"

mkdir -p "$dir" || die 5 "cannot create $dir"
if [ ! -d "$dir" ] || [ ! -w "$dir" ]; then die 5 "$dir is not a writable folder"; fi

# A new name each second: wait for the next second if this one is taken.
for _ in 1 2 3; do
  stamp=$(date -u +%Y%m%dT%H%M%SZ)
  name="evalroom-$stamp.dump"
  [ -e "$dir/$name" ] || break
  sleep 1
done
[ ! -e "$dir/$name" ] || die 5 "$dir/$name exists"

tmp="$dir/.$name.partial"
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() { rm -f "$tmp" "$dir/.$name.sha256.partial"; }
trap cleanup EXIT

log "dumping to $dir/$name with $pg_dump"
if ! "$pg_dump" --dbname="$db" --format=custom --compress=6 --no-password --file="$tmp"; then
  die 4 "pg_dump failed"
fi
if ! "$pg_restore" --list "$tmp" >/dev/null; then
  die 5 "pg_restore cannot read the dump back"
fi
sync "$tmp" 2>/dev/null || sync
sum=$(sha256sum <"$tmp" | cut -d' ' -f1) || die 5 "cannot checksum the dump"
printf '%s  %s\n' "$sum" "$name" >"$dir/.$name.sha256.partial" || die 5 "cannot write the checksum"
sync "$dir/.$name.sha256.partial" 2>/dev/null || sync
mv "$tmp" "$dir/$name" || die 5 "cannot name the backup $dir/$name"
mv "$dir/.$name.sha256.partial" "$dir/$name.sha256" || { rm -f "$dir/$name"; die 5 "cannot name the checksum"; }
sync "$dir" 2>/dev/null || true
trap - EXIT
(cd "$dir" && sha256sum --check --status "$name.sha256") || die 5 "the checksum does not verify"
size=$(stat -c %s "$dir/$name")
log "backup written: $dir/$name ($size bytes), checksum $dir/$name.sha256"
echo "$dir/$name"

if [ "$keep" -gt 0 ]; then
  # Names sort in time order; only files of the exact backup pattern count.
  all=()
  for f in "$dir"/evalroom-*.dump; do
    f=${f##*/}
    [[ $f =~ ^evalroom-[0-9]{8}T[0-9]{6}Z\.dump$ ]] && all+=("$f")
  done
  mapfile -t all < <(printf '%s\n' "${all[@]}" | sort -r)
  failed=0
  for old in "${all[@]:$keep}"; do
    if rm -f "$dir/$old" "$dir/$old.sha256"; then
      log "removed old backup $dir/$old"
    else
      failed=1
      log "cannot remove $dir/$old"
    fi
  done
  [ "$failed" -eq 0 ] || exit 6
fi
exit 0
