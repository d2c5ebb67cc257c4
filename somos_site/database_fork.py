"""A forked process never talks to PostgreSQL over its parent's connections.

A child made by fork (Celery's prefork workers, multiprocessing, a test server process)
inherits its parent's database connections: the pool's idle ones and those the forking thread
holds, each a socket that the parent goes on using. Two processes writing queries and reading
answers on one socket get each other's rows: a page once failed with an IndexError in Django's
row converters, reading another query's shorter row, after a test server forked beside it.

Neither Django nor psycopg's pool guards against this, so right after each fork the child
drops what it inherited without closing it (closing would end the parent's sessions; psycopg
never ends a connection from a process other than the one that opened it when it is garbage
collected) and opens its own when it first needs one.
"""

from __future__ import annotations

import os
import sys

from django.db import connections

_registered = False


def inherited_connections_forget() -> None:
    """Forget, in a freshly forked child, every database connection its parent held."""
    for connection in connections.all(initialized_only=True):
        # A new wrapper next time: this one's transaction state is the parent's too.
        del connections[connection.alias]
    # Django keeps one psycopg pool per alias at class level; its idle connections are the
    # parent's as well. A parent that never loaded the backend has none.
    backend = sys.modules.get("django.db.backends.postgresql.base")
    if backend is not None:
        backend.DatabaseWrapper._connection_pools.clear()


def register() -> None:
    """Have every fork of this process forget its inherited connections (once per process)."""
    global _registered
    if not _registered:
        os.register_at_fork(after_in_child=inherited_connections_forget)
        _registered = True
