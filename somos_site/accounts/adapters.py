"""allauth glue: a Hugging Face login fills the volunteer profile."""

from __future__ import annotations

from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.models import SocialAccount

from somos_site.accounts.services import profile_link_huggingface

HUGGINGFACE_PROVIDER_ID = "huggingface"


class SomosSocialAccountAdapter(DefaultSocialAccountAdapter):
    def save_user(self, request, sociallogin, form=None):
        user = super().save_user(request, sociallogin, form)
        huggingface_account_linked(account=sociallogin.account)
        return user


def huggingface_account_linked(*, account: SocialAccount) -> None:
    """Copy the Hugging Face claims of a (new or refreshed) social account to the profile."""
    if account.provider != HUGGINGFACE_PROVIDER_ID:
        return
    claims = account.get_provider_account().get_user_data() or {}
    profile_link_huggingface(user=account.user, claims=claims)
