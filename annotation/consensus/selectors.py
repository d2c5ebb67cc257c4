"""Reads about consensus that the pages of lower apps ask for through their signals."""

from __future__ import annotations

from annotation.consensus.rule import CORRECT
from annotation.models import Consensus
from campaigns.models import Campaign


def suspect_fixed_count(*, campaign: Campaign) -> int:
    """Suspect records (campaigns.triage) whose validated text corrects the machine translation."""
    return (
        Consensus.objects.filter(
            record__campaign=campaign,
            record__suspicion__gt=0,
            status=Consensus.Status.VALIDATED,
        )
        .exclude(verdict=CORRECT)
        .count()
    )
