#!/usr/bin/env bash
# Online backup of Cassandra's SQLite journal while it runs.
#
#   backup-journal.sh [DB] [DEST_DIR]     defaults: /var/lib/cassandra/journal.db,
#                                          /var/lib/cassandra-backups; KEEP=48 copies kept
#
# Uses SQLite's online backup API (sqlite3 ".backup"), which copies a consistent snapshot of a
# WAL-mode database, committed WAL frames included, without stopping the writer. Never `cp`
# the .db file: the WAL beside it holds recent commits and a copy taken mid-checkpoint is
# torn. Each copy is checked with PRAGMA integrity_check before the oldest are pruned.
# Run as the `cassandra` user (cassandra-backup.service does): the database's -shm file must
# stay writable by the service.
set -euo pipefail

DB=${1:-/var/lib/cassandra/journal.db}
DEST=${2:-/var/lib/cassandra-backups}
KEEP=${KEEP:-48}

if ! command -v sqlite3 >/dev/null 2>&1; then
    echo "sqlite3 is not installed (apt-get install sqlite3)" >&2
    exit 1
fi
if [ ! -f "$DB" ]; then
    echo "no journal at $DB (is [journal] path set?)" >&2
    exit 1
fi
mkdir -p "$DEST"
out="$DEST/journal-$(date -u +%Y%m%dT%H%M%SZ).db"
tmp="$out.partial"
rm -f "$tmp"
sqlite3 "$DB" ".timeout 10000" ".backup '$tmp'"
check=$(sqlite3 "$tmp" "PRAGMA integrity_check;")
if [ "$check" != ok ]; then
    echo "backup $tmp failed its integrity check: $check" >&2
    exit 1
fi
mv "$tmp" "$out"
echo "backed up $DB to $out ($(stat -c %s "$out") bytes)"

mapfile -t old < <(find "$DEST" -maxdepth 1 -name 'journal-*.db' -printf '%f\n' | sort -r | tail -n +$((KEEP + 1)))
for f in "${old[@]}"; do
    rm -f -- "${DEST:?}/$f"
done
