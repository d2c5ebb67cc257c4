#!/usr/bin/env bash
# Restore a scripts/backup.sh file into a new, empty database, all or nothing.
# Usage: createdb somos_restored
#        DATABASE_URL=postgres://user:password@host:5432/somos_restored scripts/restore.sh FILE
# See docs/backup.md for checking the result and switching Somos over to it.
set -euo pipefail
: "${DATABASE_URL:?set DATABASE_URL to the empty database to restore into}"
file="${1:?usage: DATABASE_URL=postgres://... scripts/restore.sh FILE}"

# Never over a database in use: restoring into a new one leaves the old one to fall back to.
tables=$(psql --no-psqlrc --tuples-only --no-align --dbname="$DATABASE_URL" \
  --command="SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
if [ "$tables" != "0" ]; then
  echo "restore.sh: the database has $tables tables already; restore into a new one" >&2
  exit 1
fi
# One transaction: a restore that fails leaves the database empty, not half filled. Objects
# belong to the user restoring, whatever role owned them where the backup was made.
pg_restore --exit-on-error --single-transaction --no-owner --no-privileges \
  --dbname="$DATABASE_URL" "$file"
echo "restored $file"
