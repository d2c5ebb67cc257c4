"""Channel-layer group names, shared by consumers and the services that broadcast."""

from __future__ import annotations

import hashlib


def campaign_progress_group(slug: str) -> str:
    # Group names allow only ASCII letters, digits, hyphens and periods, under 100 characters.
    digest = hashlib.blake2s(slug.encode(), digest_size=6).hexdigest()
    return f"campaign-progress.{digest}"
