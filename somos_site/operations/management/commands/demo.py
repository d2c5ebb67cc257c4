"""`manage.py demo`: load the demo users, campaigns and leaderboard registry, again if need be."""

from __future__ import annotations

from django.utils.translation import gettext as _

from somos_site.commands import LocalizedCommand
from somos_site.operations.demo import demo_load


class Command(LocalizedCommand):
    @property
    def help(self) -> str:
        # A property, not a class attribute: argparse cannot format lazy strings.
        return _("Load the demo users, campaigns and leaderboard registry (safe to run again).")

    def handle(self, *args, **options) -> None:
        result = demo_load()
        for slug, records in result.campaigns:
            self.stdout.write(
                _("Campaign %(slug)s: %(records)s records") % {"slug": slug, "records": records}
            )
        self.stdout.write(
            _("Leaderboard registry: %(added)s datasets added")
            % {"added": result.leaderboard_added}
        )
        for account in result.accounts:
            self.stdout.write(
                self.style.SUCCESS(
                    _("Demo %(role)s: %(email)s / %(password)s")
                    % {"role": account.role, "email": account.email, "password": account.password}
                )
            )
