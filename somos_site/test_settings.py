"""Test settings: production mode on the machine's PostgreSQL and Redis, over plain HTTP.

Like the rest of the settings these come from the environment; this module only supplies
the test suite's defaults before the one settings module reads them.
"""

from __future__ import annotations

import os

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/somos")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/15")
os.environ.setdefault("SECRET_KEY", "test-only-secret-key-" + "0123456789abcdef" * 3)
os.environ.setdefault("ALLOWED_HOSTS", "localhost,127.0.0.1,testserver")
# The suite's servers speak plain HTTP on loopback and serve static files from the apps,
# so there is no collectstatic manifest.
os.environ.setdefault("SOMOS_HTTPS", "false")
# Concurrency tests run twenty threads, each holding a connection for its whole run.
os.environ.setdefault("SOMOS_DB_POOL_MAX", "40")
os.environ.setdefault("SOMOS_STATIC_MANIFEST", "false")
# Live broadcasts go out within the test that caused them, not after its database is gone.
os.environ.setdefault("SOMOS_LIVE_WINDOW_S", "0.05")
# Jobs run inside the request that starts them, in the test's transaction; the job tests
# start the thread runner or a real Celery worker themselves.
os.environ.setdefault("SOMOS_JOBS_RUNNER", "inline")

from somos_site.settings import *  # noqa: F403

# Named explicitly so that server processes the tests start find the same test database.
DATABASES["default"]["TEST"] = {"NAME": "test_" + DATABASES["default"]["NAME"]}  # noqa: F405
# Tasks run in the test's process unless a test starts a real worker.
CELERY_TASK_ALWAYS_EAGER = True
# Hashing strength is not under test; fast hashing keeps sign-up tests quick.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
