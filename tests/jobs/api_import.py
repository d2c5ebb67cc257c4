"""Post a big import to the token API as a script would, and watch its job to the end."""

from __future__ import annotations

import io
import time
from pathlib import Path

import httpx

TERMINAL = ("succeeded", "failed", "cancelled")


class TimedFile(io.BufferedReader):
    """A file that notes when it was read to the end: the moment its upload finished."""

    finished_at: float | None = None

    def read(self, size: int | None = -1) -> bytes:
        data = super().read(size)
        if not data and self.finished_at is None:
            self.finished_at = time.monotonic()
        return data


def import_posted(api: httpx.Client, slug: str, english: Path, spanish: Path) -> tuple[dict, float]:
    """POST the two files to the campaign's imports; return the job and the seconds from the
    end of the upload to the answer."""
    with (
        TimedFile(english.open("rb", buffering=0)) as source,
        TimedFile(spanish.open("rb", buffering=0)) as translation,
    ):
        answer = api.post(
            f"/campaigns/{slug}/imports",
            files={"source": (english.name, source), "translation": (spanish.name, translation)},
        )
        answered_at = time.monotonic()
    assert answer.status_code == 202, answer.text
    return answer.json(), answered_at - translation.finished_at


def job_watched(api: httpx.Client, job: dict, *, timeout: float = 300) -> tuple[dict, list[int]]:
    """Poll the job twice a second (well within the rate limit) until it ends; return it and
    the `done` values seen."""
    seen: list[int] = []
    deadline = time.monotonic() + timeout
    while job["status"] not in TERMINAL:
        assert time.monotonic() < deadline, f"still {job['status']} after {timeout} s: {seen}"
        time.sleep(0.5)
        polled = api.get(f"/jobs/{job['id']}")
        assert polled.status_code == 200, polled.text
        job = polled.json()
        if not seen or seen[-1] != job["done"]:
            seen.append(job["done"])
    return job, seen
