#!/usr/bin/env bash
# The whole suite: on PostgreSQL and Redis (production mode), then the smoke part embedded.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/services.sh

echo "== suite on PostgreSQL + Redis"
.venv/bin/python -m pytest tests --ignore=tests/smoke "$@"

echo "== smoke on the embedded default (SQLite, in-memory layer, eager Celery)"
env -u DATABASE_URL -u REDIS_URL -u SECRET_KEY -u ALLOWED_HOSTS \
  .venv/bin/python -m pytest tests/smoke --ds=somos_site.settings -p no:cacheprovider "$@"
