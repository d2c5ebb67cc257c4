from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "somos_site.accounts"
    label = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from somos_site import database_fork

        # Site-wide, here as the first of Somos's apps to load: every process (web, Celery,
        # commands) has it before it could fork.
        database_fork.register()

        from allauth.socialaccount.signals import social_account_added, social_account_updated

        from somos_site.accounts.adapters import huggingface_account_linked

        def _on_social_account(sender, request, sociallogin, **kwargs):
            huggingface_account_linked(account=sociallogin.account)

        social_account_added.connect(_on_social_account, weak=False)
        social_account_updated.connect(_on_social_account, weak=False)

        from django.contrib.auth import get_user_model
        from django.db.models.signals import post_delete, post_save

        from somos_site.accounts.backends import user_row_forget

        # Cache upkeep: a saved user (new password, deactivated) is reloaded here once it commits.
        def _forget_user(sender, instance, **kwargs):
            user_row_forget(instance.pk)

        post_save.connect(_forget_user, sender=get_user_model(), weak=False)
        post_delete.connect(_forget_user, sender=get_user_model(), weak=False)
