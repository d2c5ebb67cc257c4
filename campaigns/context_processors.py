from __future__ import annotations

from django.http import HttpRequest

from campaigns.access import can_create_campaigns
from somos_site.cache import cached

# Asked on every page; a minute's delay after someone becomes an organizer is fine.
ORGANIZE_LINK_SECONDS = 60


def organizer_links(request: HttpRequest) -> dict:
    """Tell templates whether to show the Organize link (evaluated only when rendered)."""
    user = request.user

    def show() -> bool:
        if not user.is_authenticated:
            return False
        return cached(
            f"organize-link:{user.pk}",
            lambda: can_create_campaigns(user) or user.organized_campaigns.exists(),
            timeout=ORGANIZE_LINK_SECONDS,
        )

    return {"show_organize_link": show}
