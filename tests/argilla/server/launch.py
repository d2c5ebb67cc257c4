"""Run argilla-server or its rq worker with the SQL search engine registered first.

Run with the server venv's python (`.venv-argilla/bin/python launch.py serve|worker`);
configuration comes from ARGILLA_* variables, as for the stock server.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import sql_search_engine  # noqa: F401  (registers the "sql" engine)


def serve(port: int, owner: str, api_key: str, password: str) -> None:
    """Migrate the database, make sure the owner exists, then serve on loopback."""
    import alembic.config
    import uvicorn
    from argilla_server.cli.database.users.create import _create
    from argilla_server.database import ALEMBIC_CONFIG_FILE
    from argilla_server.models import UserRole

    alembic.config.main(argv=["-c", ALEMBIC_CONFIG_FILE, "-q", "upgrade", "head"])
    asyncio.run(_create("Owner", owner, UserRole.owner, password, api_key=api_key, workspace=[]))
    uvicorn.run(
        "argilla_server:app", host="127.0.0.1", port=port, access_log=False, log_level="warning"
    )


def work() -> None:
    """Run one rq worker on Argilla's queues (webhook deliveries go through it)."""
    from argilla_server.jobs.queues import DEFAULT_QUEUE, HIGH_QUEUE, REDIS_CONNECTION
    from rq import SimpleWorker

    # A SimpleWorker runs jobs in-process: no fork per delivery, so webhooks go out at once.
    SimpleWorker([HIGH_QUEUE, DEFAULT_QUEUE], connection=REDIS_CONNECTION).work(
        logging_level="WARNING", with_scheduler=True
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("what", choices=["serve", "worker"])
    parser.add_argument("--port", type=int, default=6900)
    parser.add_argument("--owner", default="owner")
    parser.add_argument("--api-key", default="")
    parser.add_argument("--password", default="")
    args = parser.parse_args()
    if args.what == "serve":
        serve(args.port, args.owner, args.api_key, args.password)
    else:
        work()
