"""What the Argilla sync does when something happens elsewhere (connected in apps.ready()).

- An answer given here goes to Argilla as its author's, after the answer commits.
- Signing in with Hugging Face claims that account's placeholder contributor.
"""

from __future__ import annotations

import logging

from allauth.socialaccount.signals import social_account_added, social_account_updated
from django.contrib.auth.signals import user_logged_in
from django.db import transaction

from annotation.models import Response
from annotation.signals import answer_saved

# The gateway, the claims and the tasks are imported when a receiver first runs: connecting
# the receivers must not load the HTTP client and the Argilla code into every process (a
# management command or a worker that never talks to Argilla: ~0.3 s of its start). Web
# processes have them loaded by their views already.

logger = logging.getLogger(__name__)


def _answer_saved(sender, response: Response, campaign, **kwargs) -> None:
    from annotation.argilla.gateway import campaign_is_linked
    from annotation.tasks import argilla_response_push_task

    if response.origin != Response.Origin.WEB or not campaign_is_linked(campaign):
        return
    response_id = response.pk

    def enqueue() -> None:
        try:
            argilla_response_push_task.delay(response_id)
        except Exception:
            # Embedded mode runs tasks in process: Argilla being down must not fail a submit.
            # The periodic reconciliation sends the answer later.
            logger.warning("could not send response %s to Argilla", response_id, exc_info=True)

    transaction.on_commit(enqueue)


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
    answer_saved.connect(_answer_saved, dispatch_uid="argilla_answer_push")
    user_logged_in.connect(_on_login, weak=False, dispatch_uid="argilla_claim_login")
    social_account_added.connect(_on_social_account, weak=False, dispatch_uid="argilla_claim_added")
    social_account_updated.connect(
        _on_social_account, weak=False, dispatch_uid="argilla_claim_updated"
    )
