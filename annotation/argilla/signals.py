"""Glue: signing in with Hugging Face claims that account's placeholder contributor."""

from __future__ import annotations

import logging

from allauth.socialaccount.signals import social_account_added, social_account_updated
from django.contrib.auth.signals import user_logged_in
from django.db import transaction

logger = logging.getLogger(__name__)


def _claim(user) -> None:
    from annotation.argilla.users import placeholders_claim

    def claim() -> None:
        try:
            placeholders_claim(user=user)
        except Exception:
            # Signing in must work even if the claim fails; it is tried again next sign-in.
            logger.exception("claiming Argilla placeholders for user %s failed", user.pk)

    transaction.on_commit(claim)


def _on_login(sender, request, user, **kwargs) -> None:
    _claim(user)


def _on_social_account(sender, request, sociallogin, **kwargs) -> None:
    _claim(sociallogin.account.user)


def connect() -> None:
    """Connect the receivers (called once from the app's ready())."""
    user_logged_in.connect(_on_login, weak=False, dispatch_uid="argilla_claim_login")
    social_account_added.connect(_on_social_account, weak=False, dispatch_uid="argilla_claim_added")
    social_account_updated.connect(
        _on_social_account, weak=False, dispatch_uid="argilla_claim_updated"
    )
