#!/usr/bin/env bash
# Back up the whole Somos database: pg_dump's custom format, compressed, one consistent snapshot.
# Usage: DATABASE_URL=postgres://user:password@host:5432/somos scripts/backup.sh [FILE]
# Prints the file written (default somos-<UTC time>.dump). See docs/backup.md.
set -euo pipefail
: "${DATABASE_URL:?set DATABASE_URL to the database to back up}"
file="${1:-somos-$(date -u +%Y%m%dT%H%M%SZ).dump}"

# Written aside and moved into place once it reads back: a dump cut short never passes for one.
pg_dump --format=custom --file="$file.partial" --dbname="$DATABASE_URL"
pg_restore --list "$file.partial" >/dev/null
mv "$file.partial" "$file"
echo "$file"
