"""What each kind of job does, registered by the app that owns the work."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from django.utils.module_loading import import_string

if TYPE_CHECKING:
    from campaigns.models import Job
    from campaigns.progress import Progress

# A handler does the work and returns the job's result (JSON); it raises JobFailed with
# messages people can act on, WorkCancelled from its progress callable, or anything else for
# a bug (the job then fails with a generic message, and the log has the traceback).
Handler = Callable[["Job", "Progress"], dict]

# A handler may be registered by its dotted path: it is imported the first time a job of its
# kind runs, so a process that never runs one (a management command, a web process starting)
# does not load its libraries (the export's `datasets` alone takes ~0.5 s to import).
_HANDLERS: dict[str, Handler | str] = {}


class JobFailed(Exception):
    """The work was refused for reasons to show as they are (one message per line)."""

    def __init__(self, messages: list[str]) -> None:
        super().__init__("\n".join(messages))
        self.messages = messages


def job_handler_register(kind: str, handler: Handler | str) -> None:
    """Make handler (or the callable at that dotted path) do the jobs of this kind.

    Called from an AppConfig.ready().
    """
    _HANDLERS[kind] = handler


def job_handler(kind: str) -> Handler:
    """Return the handler of a kind; KeyError if no app registered one."""
    handler = _HANDLERS[kind]
    if isinstance(handler, str):
        handler = _HANDLERS[kind] = import_string(handler)
    return handler
