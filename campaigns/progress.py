"""How long work tells whoever watches it how far it got: a callable of (done, total).

Imports, exports, the Argilla sync and the counters audit take an optional `progress`
argument of this type. The command line draws a bar with it, a background job stores it for
the organizer's page and the API; `total` is None while it is not known. The callable may
raise WorkCancelled (a background job that was cancelled does): the work stops there and its
transaction rolls back.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

Progress = Callable[[int, "int | None"], None]


class WorkCancelled(Exception):
    """Raised from a progress callable when whoever started the work cancelled it."""


Item = TypeVar("Item")

# A report per this many seconds at most: the bar moves smoothly, the cost stays nil.
REPORT_EVERY_S = 0.25


def no_progress(done: int, total: int | None) -> None:
    """Report nothing (the default of every `progress` argument)."""


def progress_counted(
    items: Iterable[Item], progress: Progress | None, *, total: int | None
) -> Iterator[Item]:
    """Yield items, reporting how many went by at most every REPORT_EVERY_S and at the end."""
    if progress is None:
        yield from items
        return
    done = 0
    progress(0, total)
    reported_at = time.monotonic()
    for item in items:
        yield item
        done += 1
        if done & 255 == 0:
            now = time.monotonic()
            if now - reported_at >= REPORT_EVERY_S:
                reported_at = now
                progress(done, _at_least(total, done))
    progress(done, _at_least(total, done))


def _at_least(total: int | None, done: int) -> int | None:
    # Totals of text files are estimates (a CSV field may hold a line break): never show
    # more done than the total.
    return None if total is None else max(total, done)
