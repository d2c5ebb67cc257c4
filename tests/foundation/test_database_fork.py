"""A process forked from Somos opens its own database connections, never its parent's."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db(transaction=True)


def _backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def _in_a_thread(work):
    """Run work in a new thread, as a request would, its connection back to the pool after."""

    def run():
        try:
            return work()
        finally:
            connection.close()

    # The executor's result re-raises what the thread raised.
    with ThreadPoolExecutor(max_workers=1) as thread:
        return thread.submit(run).result()


def _child_pids(answers) -> None:
    # The forking thread's connection, then one from the pool, as a request thread takes it.
    answers.put((_backend_pid(), _in_a_thread(_backend_pid)))


def test_a_forked_child_neither_uses_nor_ends_its_parents_connections():
    # The parent holds a connection in this thread and leaves one idle in its pool.
    held = _backend_pid()
    pooled = _in_a_thread(_backend_pid)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT array_agg(pid) FROM pg_stat_activity WHERE datname = current_database()"
        )
        (parents,) = cursor.fetchone()
    assert {held, pooled} <= set(parents)

    fork = multiprocessing.get_context("fork")
    answers = fork.Queue()
    child = fork.Process(target=_child_pids, args=(answers,))
    child.start()
    child_pids = answers.get(timeout=30)
    child.join(timeout=30)

    assert child.exitcode == 0
    assert not set(child_pids) & set(parents), (child_pids, parents)
    # The parent's connections still answer: the child did not end their sessions.
    assert _backend_pid() == held
    assert _in_a_thread(_backend_pid) in set(parents)
