"""What each kind of job does, registered by the app that owns the work."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from campaigns.models import Job
    from campaigns.progress import Progress

# A handler does the work and returns the job's result (JSON); it raises JobFailed with
# messages people can act on, WorkCancelled from its progress callable, or anything else for
# a bug (the job then fails with a generic message, and the log has the traceback).
Handler = Callable[["Job", "Progress"], dict]

_HANDLERS: dict[str, Handler] = {}


class JobFailed(Exception):
    """The work was refused for reasons to show as they are (one message per line)."""

    def __init__(self, messages: list[str]) -> None:
        super().__init__("\n".join(messages))
        self.messages = messages


def job_handler_register(kind: str, handler: Handler) -> None:
    """Make handler do the jobs of this kind (called from an AppConfig.ready())."""
    _HANDLERS[kind] = handler


def job_handler(kind: str) -> Handler:
    """Return the handler of a kind; KeyError if no app registered one."""
    return _HANDLERS[kind]
