"""Management commands that speak the site's languages: settings.LANGUAGE_CODE, or --locale."""

from __future__ import annotations

import argparse
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation
from django.utils.translation import gettext as _


class LocalizedCommand(BaseCommand):
    """A command whose help, messages and errors are in one of the site's languages.

    --locale names one of settings.LANGUAGES. Without it, manage.py speaks settings.LANGUAGE_CODE
    and call_command() the caller's active language, as Django's own commands do (tests rely on
    it). Subclasses write `help` as a property and argument help with gettext inside
    add_arguments(): both are read when the parser is built, once the language is active.
    """

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.add_argument(
            "--locale",
            help=_("language of the help and messages, one of %(codes)s (default: %(default)s)")
            % {"codes": ", ".join(dict(settings.LANGUAGES)), "default": settings.LANGUAGE_CODE},
        )
        return parser

    def run_from_argv(self, argv: list[str]) -> None:
        # argparse builds the help, and prints it for --help, while it parses the arguments,
        # before execute() runs: the language must already be active by then.
        with translation.override(_language_asked(argv[2:])):
            super().run_from_argv(argv)

    def execute(self, *args: Any, **options: Any) -> str | None:
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
