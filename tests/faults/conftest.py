"""Private PostgreSQL and Redis for the fault tests: theirs to stop, always thrown away."""

from __future__ import annotations

import pytest

from tests.faults.servers import PrivatePostgres, PrivateRedis


@pytest.fixture(scope="module")
def private_postgres():
    """A PostgreSQL cluster of this module's own, running."""
    cluster = PrivatePostgres()
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.cleanup()


@pytest.fixture(scope="module")
def private_redis():
    """A redis-server of this module's own, running."""
    server = PrivateRedis()
    try:
        server.start()
        yield server
    finally:
        server.cleanup()
