from __future__ import annotations

from django.http import HttpRequest

from campaigns.access import can_create_campaigns


def organizer_links(request: HttpRequest) -> dict:
    """Tell templates whether to show the Organize link (evaluated only when rendered)."""
    user = request.user

    def show() -> bool:
        return can_create_campaigns(user) or (
            user.is_authenticated and user.organized_campaigns.exists()
        )

    return {"show_organize_link": show}
