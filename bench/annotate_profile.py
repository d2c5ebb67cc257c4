"""The annotate path's cost per answer, in process: Python CPU, PostgreSQL CPU, statements.

Usage: python bench/annotate_profile.py [--answers 600] [--records 3000] [--profile]
       [--dsn postgres://postgres@127.0.0.1:5432/somos_annotate_profile_bench]
       [--redis redis://127.0.0.1:6379/13]

Builds annotate_bench's world (an active ARC campaign, a published and acknowledged guide)
with two volunteers, and has them answer through the annotate page's JSON flow with Django's
test client over the production settings (PostgreSQL and Redis), taking turns so that every
second answer settles a record, as with an overlap of two. No server, no HTTP client: what is
left is Django and the database, so that a change to the answer path shows in its own CPU
rather than in a saturated machine's noise. It counts the statements of two answers (the
database's round trips, BEGIN and COMMIT included), then times three rounds of N answers:
this process's CPU (`time.process_time`) and its PostgreSQL backend's (`/proc/<pid>/stat`).
`--profile` adds a cProfile of one more round, sorted by cumulative time. Last line:
`answers=N python_ms_per_answer=… postgres_ms_per_answer=… statements_per_answer=…`, the
medians of the three rounds.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import re
import statistics
import time
from urllib.parse import urlencode

from annotate_bench import SLUG, django_setup, server_environment, world_build, world_clear
from scratch import database_create, say

DEFAULT_DSN = "postgres://postgres@127.0.0.1:5432/somos_annotate_profile_bench"
_RECORD = re.compile(r"/annotate/(\d+)/")
_SHOWN_AT = re.compile(r'name="shown_at" value="([^"]+)"')


class Volunteers:
    """Two signed-in test clients answering in turn; each keeps the record it was handed."""

    def __init__(self, logged_in: list[tuple[int, str]]) -> None:
        from django.conf import settings
        from django.test import Client

        self.clients = []
        self.on_screen: list[tuple[int, str]] = []
        self.answers = 0
        for _user_id, session_key in logged_in:
            client = Client(HTTP_HOST="127.0.0.1")
            client.cookies[settings.SESSION_COOKIE_NAME] = session_key
            page = client.get(f"/campaigns/{SLUG}/annotate/").content.decode()
            self.clients.append(client)
            self.on_screen.append((int(_RECORD.search(page)[1]), _SHOWN_AT.search(page)[1]))

    def answer(self) -> None:
        """The next volunteer answers the record on screen and is handed the next one."""
        turn = self.answers % len(self.clients)
        self.answers += 1
        record_id, shown_at = self.on_screen[turn]
        data = {"action": "submit", "verdict": "correct", "shown_at": shown_at}
        if self.answers % 5 == 0:
            # Every fifth answer fixes the question, as in annotate_bench.
            data.update(verdict="minor_fixes", question_corrected=f"Pregunta {record_id}")
        answer = self.clients[turn].post(
            f"/campaigns/{SLUG}/annotate/{record_id}/",
            urlencode(data),
            content_type="application/x-www-form-urlencoded",
            HTTP_ACCEPT="application/json",
        )
        if answer.status_code != 200:
            raise SystemExit(f"answer refused: {answer.status_code} {answer.content[:200]!r}")
        shown = answer.json()["record"]
        self.on_screen[turn] = (shown["id"], shown["shown_at"])


def backend_cpu_seconds(pid: int) -> float:
    """CPU seconds (user + system) of a local process, from /proc."""
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()  # noqa: SIM115
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    """Build the world, count, time, optionally profile; print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--answers", type=int, default=600)
    parser.add_argument("--records", type=int, default=3000)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--dsn", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DSN))
    parser.add_argument(
        "--redis", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")
    )
    args = parser.parse_args()
    if args.records < 3 * args.answers + 50:
        raise SystemExit("--records must cover four rounds of answers at an overlap of two")

    database_create(args.dsn)
    environment = server_environment(dsn=args.dsn, redis=args.redis)
    os.environ.update(environment)
    django_setup(environment)
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    call_command("migrate", verbosity=0)
    world_clear()
    try:
        volunteers = Volunteers(world_build(records=args.records, volunteers=2, overlap=2))
        for _warm in range(20):
            volunteers.answer()
        with CaptureQueriesContext(connection) as captured:
            volunteers.answer()
            volunteers.answer()
        statements = len(captured.captured_queries) / 2
        say(f"statements per answer (BEGIN and COMMIT included): {statements:.1f}")
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            (backend,) = cursor.fetchone()
        python_ms, postgres_ms = [], []
        for round_number in range(3):
            cpu, database = time.process_time(), backend_cpu_seconds(backend)
            for _answer in range(args.answers):
                volunteers.answer()
            python_ms.append(1000 * (time.process_time() - cpu) / args.answers)
            postgres_ms.append(1000 * (backend_cpu_seconds(backend) - database) / args.answers)
            say(
                f"round {round_number + 1}: Python {python_ms[-1]:.2f} ms,"
                f" PostgreSQL {postgres_ms[-1]:.2f} ms per answer"
            )
        if args.profile:
            profile = cProfile.Profile(time.process_time)
            profile.enable()
            for _answer in range(args.answers):
                volunteers.answer()
            profile.disable()
            pstats.Stats(profile).sort_stats("cumulative").print_stats(60)
    finally:
        world_clear()
    print(
        f"answers={args.answers} python_ms_per_answer={statistics.median(python_ms):.2f}"
        f" postgres_ms_per_answer={statistics.median(postgres_ms):.2f}"
        f" statements_per_answer={statements:.1f}",
        flush=True,
    )


if __name__ == "__main__":
    main()
