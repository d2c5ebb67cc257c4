from __future__ import annotations

from django.http import HttpRequest

from campaigns.access import can_create_campaigns
from somos_site.cache import local_first_get, local_first_set


def organizer_links(request: HttpRequest) -> dict:
    """Tell templates whether to show the Organize link (evaluated only when rendered)."""
    user = request.user

    def show() -> bool:
        if not user.is_authenticated:
            return False
        # Asked on every page; a minute's delay after someone becomes an organizer is fine.
        key = f"somos:organize-link:{user.pk}"
        shown = local_first_get(key)
        if shown is None:
            shown = can_create_campaigns(user) or user.organized_campaigns.exists()
            local_first_set(key, shown, 60)
        return shown

    return {"show_organize_link": show}
