"""Create an API token for a user and print it, or revoke that user's tokens."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from somos_site.accounts.services import api_token_create, api_tokens_revoke
from somos_site.commands import LocalizedCommand


class Command(LocalizedCommand):
    """The new token alone on the last line of stdout, for scripts to read."""

    requires_system_checks: list[str] = []

    @property
    def help(self) -> str:
        return _(
            "Create an API token for the user with this e-mail and print it on the last line;"
            " with --revoke, revoke their tokens instead."
        )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--email", required=True, help=_("e-mail of the token's owner"))
        parser.add_argument(
            "--name", default="", help=_("what the token is for (default: command line)")
        )
        parser.add_argument(
            "--revoke", action="store_true", help=_("revoke the user's tokens (all, or --prefix)")
        )
        parser.add_argument(
            "--prefix", help=_("with --revoke: only the token starting with this prefix")
        )

    def handle(self, *args, email: str, name: str, revoke: bool, prefix: str | None, **options):
        user = get_user_model().objects.filter(email__iexact=email.strip()).first()
        if user is None:
            raise CommandError(
                _("Nobody has signed up with the e-mail %(email)s.") % {"email": email}
            )
        if prefix is not None and not revoke:
            raise CommandError(_("--prefix goes with --revoke."))
        if revoke:
            count = api_tokens_revoke(user=user, prefix=prefix)
            if prefix is not None and count == 0:
                raise CommandError(
                    _("%(email)s has no live token starting with %(prefix)s.")
                    % {"email": user.email, "prefix": prefix}
                )
            self.stdout.write(
                ngettext(
                    "Revoked %(count)d token of %(email)s.",
                    "Revoked %(count)d tokens of %(email)s.",
                    count,
                )
                % {"count": count, "email": user.email}
            )
            return
        token, raw = api_token_create(user=user, name=name.strip() or _("command line"))
        self.stderr.write(
            _("Token %(prefix)s… created for %(email)s. Keep it secret: it is shown only once.")
            % {"prefix": token.prefix, "email": user.email}
        )
        self.stdout.write(raw)
