"""Management commands that speak the site's languages and draw long work's progress on stderr."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TextIO

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation
from django.utils.translation import gettext as _
from tqdm import tqdm

# A callable of (done, total), total None while unknown: the shape of campaigns.progress,
# spelled out here because this lowest layer imports no app.
ProgressReport = Callable[[int, "int | None"], None]

# Seconds between two redraws of a progress bar at least: on a terminal it moves smoothly, in a
# log (stderr not a terminal) each redraw is one more frame, so a long run still shows it lives.
PROGRESS_EVERY_S = 0.5


class LocalizedCommand(BaseCommand):
    """A command whose help, messages and errors are in one of the site's languages.

    --locale names one of settings.LANGUAGES. Without it, manage.py speaks settings.LANGUAGE_CODE
    and call_command() the caller's active language, as Django's own commands do (tests rely on
    it). Subclasses write `help` as a property and argument help with gettext inside
    add_arguments(): both are read when the parser is built, once the language is active.

    A subclass that sets `reports_progress` takes --quiet and draws its long work's progress
    with `progress_bar()` on stderr; stdout keeps only the results, for scripts to read.
    """

    reports_progress = False
    # Set from --quiet and --verbosity 0 by execute().
    _progress_drawn = True

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.add_argument(
            "--locale",
            help=_("language of the help and messages, one of %(codes)s (default: %(default)s)")
            % {"codes": ", ".join(dict(settings.LANGUAGES)), "default": settings.LANGUAGE_CODE},
        )
        if self.reports_progress:
            parser.add_argument(
                "--quiet", action="store_true", help=_("draw no progress bar on stderr")
            )
        return parser

    def run_from_argv(self, argv: list[str]) -> None:
        # argparse builds the help, and prints it for --help, while it parses the arguments,
        # before execute() runs: the language must already be active by then.
        with translation.override(_language_asked(argv[2:])):
            super().run_from_argv(argv)

    def execute(self, *args: Any, **options: Any) -> str | None:
        self._progress_drawn = not options.get("quiet") and options.get("verbosity", 1) > 0
        locale = options.get("locale")
        if locale is None:
            return super().execute(*args, **options)
        codes = dict(settings.LANGUAGES)
        if locale not in codes:
            raise CommandError(
                _('--locale: "%(code)s" is not a language of the site; use one of %(codes)s.')
                % {"code": locale, "codes": ", ".join(codes)}
            )
        with translation.override(locale):
            return super().execute(*args, **options)

    @contextmanager
    def progress_bar(self, description: str, *, unit: str) -> Iterator[ProgressReport]:
        """Yield a (done, total) callable drawing a bar on stderr, closed when the block ends.

        The bar shows the rate and, once the total is known, the time left; with --quiet or
        --verbosity 0 the callable draws nothing.
        """
        if not self._progress_drawn:
            yield _no_report
            return
        # The raw stream: OutputWrapper would end every frame with a line break (and colour it).
        bar = _Bar(description, unit=unit, stream=getattr(self.stderr, "_out", self.stderr))
        try:
            yield bar
        finally:
            bar.close()


class _Bar:
    """A tqdm bar behind a (done, total) callable, drawn at the first report.

    The first report knows the total if anyone does, so the first frame shows it already.
    """

    def __init__(self, description: str, *, unit: str, stream: TextIO) -> None:
        self.description, self.unit, self.stream = description, unit, stream
        self.bar: tqdm | None = None

    def __call__(self, done: int, total: int | None) -> None:
        if self.bar is None:
            self.bar = tqdm(
                desc=self.description,
                total=total,
                initial=done,
                unit=f" {self.unit}",
                file=self.stream,
                mininterval=PROGRESS_EVERY_S,
                # Time alone decides when to redraw: the work reports at its own pace.
                miniters=1,
                dynamic_ncols=self.stream.isatty(),
            )
            return
        if total != self.bar.total:
            self.bar.total = total
        self.bar.update(done - self.bar.n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _no_report(done: int, total: int | None) -> None:
    """Draw nothing (--quiet)."""


def _language_asked(arguments: list[str]) -> str:
    """The --locale among raw command-line arguments if it is valid, else LANGUAGE_CODE.

    A wrong or malformed one is left to the real parser and to execute(), which refuse it.
    """
    # No abbreviations: the real parser may read "--l" as another option.
    finder = argparse.ArgumentParser(add_help=False, allow_abbrev=False, exit_on_error=False)
    finder.add_argument("--locale")
    try:
        found, _others = finder.parse_known_args(arguments)
    except argparse.ArgumentError:
        return settings.LANGUAGE_CODE
    if found.locale in dict(settings.LANGUAGES):
        return found.locale
    return settings.LANGUAGE_CODE
