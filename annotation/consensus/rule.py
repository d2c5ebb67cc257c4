"""Settle each record's answers: the majority verdict, the final text of every piece, disputes.

Rule "majority", version 1, over a record's submitted answers (oldest response first):

- The verdict is the one given by more than half of the answers that give one. A tie for
  first place, or a plurality short of half (a split), leaves the record disputed.
- A "correct" majority keeps the machine translation of every piece.
- Otherwise each piece gets the most common correction among the answers of the majority,
  comparing corrections after normalising them (NFC, trimmed, runs of whitespace collapsed);
  a correction equal to the machine translation is no correction, and a piece nobody in the
  majority corrected keeps the machine translation. A tie between corrections leaves that
  piece undecided and the record disputed; so does a majority that says the translation
  needs fixing while none of its answers fixes anything.
- The winning text is stored as the first answer that gave it wrote it (NFC, trimmed), so
  line breaks inside a prompt survive the comparison's whitespace folding.

Agreement with consensus counts settled records only: each answer is one check, and an
agreement when its verdict is the settled verdict. A reviewer's decision is final: later
recomputation leaves it as it is.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from typing import NamedTuple

from django.utils.translation import gettext as _

from annotation.models import Consensus

RULE = "majority"
RULE_VERSION = 1
VERDICT = "verdict"
CORRECT = "correct"
CORRECTION_SUFFIX = "_corrected"

VERDICT_TIE = "verdict_tie"
NO_MAJORITY = "no_majority"
NO_VERDICT = "no_verdict"
CORRECTION_TIE = "correction_tie"
NO_CORRECTION = "no_correction"

# For dataset cards, which are read on the Hub in English.
RULE_DESCRIPTION = (
    "Each record was checked by several volunteers, each giving a verdict (correct, needs minor"
    " fixes, wrong) and, where needed, a corrected text per piece. The verdict given by more"
    " than half of the answers is the record's verdict; a tie or a split goes to review. When"
    " that verdict is *correct*, the machine translation is kept. Otherwise each piece takes"
    " the most common correction among the answers of the majority (compared after Unicode"
    " NFC normalisation, trimming and collapsing whitespace); a piece nobody corrected keeps"
    " the machine translation; tied corrections, or no correction at all, go to review. In"
    " review, a campaign reviewer sees every answer side by side and chooses or writes the"
    " final text; that decision is final. Rule: `majority`, version 1."
)


class Outcome(NamedTuple):
    """What the rule made of one record's answers."""

    status: str
    verdict: str
    pieces: dict[str, str | None]
    agreement: float
    reason: str


def text_normalise(text: str) -> str:
    """Return the form corrections are compared in: NFC, trimmed, whitespace collapsed."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def reason_label(reason: str) -> str:
    """Return the human explanation of a dispute reason."""
    labels = {
        VERDICT_TIE: _("The answers are tied on the verdict."),
        NO_MAJORITY: _("No verdict has a majority."),
        NO_VERDICT: _("No answer gives a verdict."),
        CORRECTION_TIE: _("The corrections of a piece are tied."),
        NO_CORRECTION: _("The majority says the translation needs fixing, but nobody fixed it."),
    }
    return labels.get(reason, "")


def verdict_tally(answers: Sequence[Mapping[str, object]]) -> tuple[str, float, str]:
    """Return the majority verdict ("" on a tie or split), its share, and a dispute's reason."""
    if len(answers) == 2:
        # The usual overlap, settled without counting when both answers agree.
        first, second = answers[0].get(VERDICT), answers[1].get(VERDICT)
        if first == second and isinstance(first, str):
            return first, 1.0, ""
    counts: dict[str, int] = {}
    for answer in answers:
        value = answer.get(VERDICT)
        if isinstance(value, str):
            counts[value] = counts.get(value, 0) + 1
    total = sum(counts.values())
    if not total:
        return "", 0.0, NO_VERDICT
    verdict, votes = max(counts.items(), key=lambda item: item[1])
    agreement = votes / total
    if sum(count == votes for count in counts.values()) > 1:
        return "", agreement, VERDICT_TIE
    if votes * 2 <= total:
        return "", agreement, NO_MAJORITY
    return verdict, agreement, ""


def consensus_rule(
    *, translations: Mapping[str, str], answers: Sequence[Mapping[str, object]]
) -> Outcome:
    """Apply the majority rule to one record's submitted answer values, oldest first."""
    verdict, agreement, reason = verdict_tally(answers)
    if reason:
        return Outcome(Consensus.Status.DISPUTED, "", {}, agreement, reason)
    if verdict == CORRECT:
        return Outcome(Consensus.Status.VALIDATED, verdict, dict(translations), agreement, "")

    majority = [answer for answer in answers if answer.get(VERDICT) == verdict]
    pieces: dict[str, str | None] = {}
    tied = corrected = False
    for name, machine in translations.items():
        machine_key = ""
        counts: dict[str, int] = {}
        written: dict[str, str] = {}
        for answer in majority:
            text = answer.get(name + CORRECTION_SUFFIX)
            # Most answers leave the pre-filled translation as it is: skip normalising those.
            if not isinstance(text, str) or text == machine:
                continue
            machine_key = machine_key or text_normalise(machine)
            key = text_normalise(text)
            if not key or key == machine_key:
                continue
            counts[key] = counts.get(key, 0) + 1
            written.setdefault(key, unicodedata.normalize("NFC", text).strip())
        if not counts:
            pieces[name] = machine
            continue
        corrected = True
        best = max(counts.values())
        winners = [key for key, count in counts.items() if count == best]
        if len(winners) > 1:
            pieces[name] = None
            tied = True
        else:
            pieces[name] = written[winners[0]]
    if tied:
        return Outcome(Consensus.Status.DISPUTED, verdict, pieces, agreement, CORRECTION_TIE)
    if not corrected:
        return Outcome(Consensus.Status.DISPUTED, verdict, pieces, agreement, NO_CORRECTION)
    return Outcome(Consensus.Status.VALIDATED, verdict, pieces, agreement, "")


def consensus_replay(consensus: Consensus) -> Outcome:
    """Apply the rule again to the answers (and translations) it settled the record from."""
    inputs = consensus.inputs
    return consensus_rule(
        translations=inputs.get("translations") or consensus.pieces,
        answers=[answer["values"] for answer in inputs.get("answers", ())],
    )
