"""Consensus: settle each record's answers, review disputes, count agreement with it.

`rule` is the majority rule itself (no database), `services` stores what it settles and
what reviewers decide, `bulk` settles many completed records at once.
"""

from campaigns.consensus.bulk import consensus_compute_pending, translations_of
from campaigns.consensus.rule import (
    CORRECT,
    CORRECTION_SUFFIX,
    CORRECTION_TIE,
    NO_CORRECTION,
    NO_MAJORITY,
    NO_VERDICT,
    RULE,
    RULE_DESCRIPTION,
    RULE_VERSION,
    VERDICT,
    VERDICT_TIE,
    Outcome,
    consensus_replay,
    consensus_rule,
    reason_label,
    text_normalise,
    verdict_tally,
)
from campaigns.consensus.services import (
    ReviewRejected,
    consensus_compute,
    consensus_decide,
    settled_checks,
)

__all__ = [
    "CORRECT",
    "CORRECTION_SUFFIX",
    "CORRECTION_TIE",
    "NO_CORRECTION",
    "NO_MAJORITY",
    "NO_VERDICT",
    "RULE",
    "RULE_DESCRIPTION",
    "RULE_VERSION",
    "VERDICT",
    "VERDICT_TIE",
    "Outcome",
    "ReviewRejected",
    "consensus_compute",
    "consensus_compute_pending",
    "consensus_decide",
    "consensus_replay",
    "consensus_rule",
    "reason_label",
    "settled_checks",
    "text_normalise",
    "translations_of",
    "verdict_tally",
]
