"""Consensus: the majority rule (ties and splits included), its storage, counters, review."""

from __future__ import annotations

import pytest
from django.utils import timezone

from annotation.consensus.bulk import consensus_compute_pending
from annotation.consensus.rule import (
    CORRECTION_TIE,
    NO_CORRECTION,
    NO_MAJORITY,
    RULE,
    RULE_VERSION,
    VERDICT_TIE,
    consensus_replay,
    consensus_rule,
    text_normalise,
)
from annotation.consensus.services import ReviewRejected, consensus_decide
from annotation.models import Consensus, Response
from annotation.services import response_submit
from campaigns.models import Record
from dashboards.models import CampaignCounter, ContributorCounter
from tests.factories import UserFactory

MT = {"question": "¿Qué es el agua?", "option_a": "Un líquido", "option_b": "Un gas"}


def _rule(*answers: dict):
    return consensus_rule(translations=MT, answers=list(answers))


# The rule, without the database.


def test_consensus_rule_unanimous_correct_keeps_the_machine_translation():
    outcome = _rule({"verdict": "correct"}, {"verdict": "correct"})
    assert outcome.status == Consensus.Status.VALIDATED
    assert (outcome.verdict, outcome.pieces, outcome.agreement) == ("correct", MT, 1.0)


def test_consensus_rule_verdict_tie_is_disputed():
    outcome = _rule({"verdict": "correct"}, {"verdict": "wrong", "option_a_corrected": "Agua"})
    assert (outcome.status, outcome.reason, outcome.verdict) == ("disputed", VERDICT_TIE, "")
    assert outcome.agreement == 0.5


def test_consensus_rule_three_way_split_is_disputed():
    outcome = _rule({"verdict": "correct"}, {"verdict": "minor_fixes"}, {"verdict": "wrong"})
    assert (outcome.status, outcome.reason) == ("disputed", VERDICT_TIE)
    assert outcome.agreement == pytest.approx(1 / 3)


def test_consensus_rule_plurality_short_of_half_is_disputed():
    outcome = _rule(
        {"verdict": "correct"},
        {"verdict": "correct"},
        {"verdict": "minor_fixes"},
        {"verdict": "wrong"},
    )
    assert (outcome.status, outcome.reason) == ("disputed", NO_MAJORITY)


def test_consensus_rule_two_of_three_correct_wins():
    outcome = _rule(
        {"verdict": "correct"},
        {"verdict": "wrong", "question_corrected": "¿Qué cosa es el agua?"},
        {"verdict": "correct"},
    )
    assert (outcome.status, outcome.verdict, outcome.pieces) == ("validated", "correct", MT)
    assert outcome.agreement == pytest.approx(2 / 3)


def test_consensus_rule_same_correction_up_to_normalisation_wins_as_first_written():
    decomposed = "Un li\u0301quido  transparente "
    outcome = _rule(
        {
            "verdict": "minor_fixes",
            "option_a_corrected": decomposed,
            "option_b_corrected": "Un gas",
        },
        {"verdict": "minor_fixes", "option_a_corrected": "Un líquido transparente"},
    )
    assert outcome.status == Consensus.Status.VALIDATED
    assert outcome.pieces == {
        "question": MT["question"],
        "option_a": "Un líquido  transparente",
        "option_b": "Un gas",
    }


def test_consensus_rule_a_single_correction_beats_leaving_the_piece_alone():
    outcome = _rule(
        {"verdict": "minor_fixes", "question_corrected": "¿Qué cosa es el agua?"},
        {
            "verdict": "minor_fixes",
            "option_b_corrected": "Un vapor",
            "question_corrected": MT["question"],
        },
    )
    assert outcome.status == Consensus.Status.VALIDATED
    assert outcome.pieces["question"] == "¿Qué cosa es el agua?"
    assert outcome.pieces["option_b"] == "Un vapor"
    assert outcome.pieces["option_a"] == MT["option_a"]


def test_consensus_rule_tied_corrections_leave_the_piece_undecided():
    outcome = _rule(
        {"verdict": "minor_fixes", "option_a_corrected": "Un fluido"},
        {"verdict": "minor_fixes", "option_a_corrected": "Una sustancia líquida"},
    )
    assert (outcome.status, outcome.reason, outcome.verdict) == (
        "disputed",
        CORRECTION_TIE,
        "minor_fixes",
    )
    assert outcome.pieces["option_a"] is None
    assert outcome.pieces["question"] == MT["question"]


def test_consensus_rule_counts_only_the_majoritys_corrections():
    outcome = _rule(
        {"verdict": "wrong", "option_a_corrected": "Un sólido"},
        {"verdict": "minor_fixes", "option_a_corrected": "Un fluido"},
        {"verdict": "minor_fixes", "option_a_corrected": "Un fluido"},
    )
    assert outcome.status == Consensus.Status.VALIDATED
    assert outcome.pieces["option_a"] == "Un fluido"


def test_consensus_rule_fixes_needed_but_none_written_is_disputed():
    outcome = _rule(
        {"verdict": "wrong", "option_a_corrected": " Un   líquido "},
        {"verdict": "wrong"},
    )
    assert (outcome.status, outcome.reason) == ("disputed", NO_CORRECTION)


def test_text_normalise_folds_unicode_forms_and_whitespace():
    assert text_normalise("  Camio\u0301n\n\tgrande ") == "Camión grande"


# Stored results, counters and review.


@pytest.fixture
def record(arc_campaign):
    return arc_campaign.records.order_by("id").first()


def _counter(campaign):
    return CampaignCounter.objects.get(campaign=campaign)


def _agreement(campaign, user):
    counter = ContributorCounter.objects.get(campaign=campaign, user=user)
    return counter.agreements, counter.agreement_checks


@pytest.mark.django_db
def test_consensus_compute_at_overlap_stores_rule_inputs_and_moves_counters(arc_campaign, record):
    first, second = UserFactory(), UserFactory()
    response_submit(record=record, user=first, values={"verdict": "correct"})
    assert not Consensus.objects.filter(record=record).exists()
    response_submit(record=record, user=second, values={"verdict": "correct"})
    record.refresh_from_db()
    consensus = record.consensus
    assert record.status == Record.Status.VALIDATED
    assert (consensus.rule, consensus.rule_version) == (RULE, RULE_VERSION)
    assert consensus.decided_by is None and not consensus.reviewed
    ids = list(Response.objects.filter(record=record).order_by("id").values_list("id", flat=True))
    assert [answer["response"] for answer in consensus.inputs["answers"]] == ids
    assert consensus.inputs["answers"][0]["values"] == {"verdict": "correct"}
    # The stored inputs are enough to recompute the result.
    again = consensus_replay(consensus)
    assert (again.status, again.verdict, again.pieces) == (
        consensus.status,
        consensus.verdict,
        consensus.pieces,
    )
    assert consensus.pieces == {piece["name"]: piece["translation"] for piece in record.fields}
    counter = _counter(arc_campaign)
    assert (counter.records_validated, counter.records_disputed) == (1, 0)
    assert _agreement(arc_campaign, first) == (1, 1)
    assert _agreement(arc_campaign, second) == (1, 1)


@pytest.mark.django_db
def test_consensus_recomputes_when_a_submitted_answer_changes(arc_campaign, record):
    first, second = UserFactory(), UserFactory()
    response_submit(record=record, user=first, values={"verdict": "correct"})
    response_submit(record=record, user=second, values={"verdict": "wrong"})
    record.refresh_from_db()
    assert record.status == Record.Status.DISPUTED
    assert record.consensus.reason == VERDICT_TIE
    counter = _counter(arc_campaign)
    assert (counter.records_validated, counter.records_disputed) == (0, 1)
    assert _agreement(arc_campaign, first) == (0, 0)

    response_submit(record=record, user=second, values={"verdict": "correct"})
    record.refresh_from_db()
    assert record.status == Record.Status.VALIDATED
    counter = _counter(arc_campaign)
    assert (counter.records_validated, counter.records_disputed) == (1, 0)
    assert _agreement(arc_campaign, second) == (1, 1)

    response_submit(record=record, user=first, values={"verdict": "wrong"})
    record.refresh_from_db()
    assert record.status == Record.Status.DISPUTED
    counter = _counter(arc_campaign)
    assert (counter.records_validated, counter.records_disputed) == (0, 1)
    assert _agreement(arc_campaign, first) == (0, 0)
    assert _agreement(arc_campaign, second) == (0, 0)
    assert Consensus.objects.filter(record=record).count() == 1


@pytest.mark.django_db
def test_consensus_decide_is_final_and_recorded(arc_campaign, record, organizer):
    first, second = UserFactory(), UserFactory()
    response_submit(record=record, user=first, values={"verdict": "correct"})
    response_submit(
        record=record,
        user=second,
        values={"verdict": "minor_fixes", "question_corrected": "Pregunta corregida"},
    )
    texts = {piece["name"]: piece["translation"] for piece in record.fields}
    with pytest.raises(ReviewRejected):
        consensus_decide(
            record=record,
            reviewer=organizer,
            verdict="correct",
            pieces={**texts, "question": "Pregunta corregida"},
        )
    consensus = consensus_decide(
        record=record,
        reviewer=organizer,
        verdict="minor_fixes",
        pieces={**texts, "question": " Pregunta corregida "},
        note="La segunda respuesta acierta.",
    )
    assert consensus.reviewed and consensus.decided_by == organizer
    assert consensus.pieces["question"] == "Pregunta corregida"
    record.refresh_from_db()
    assert record.status == Record.Status.VALIDATED
    counter = _counter(arc_campaign)
    assert (counter.records_validated, counter.records_disputed) == (1, 0)
    assert _agreement(arc_campaign, first) == (0, 1)
    assert _agreement(arc_campaign, second) == (1, 1)

    with pytest.raises(ReviewRejected):
        consensus_decide(record=record, reviewer=organizer, verdict="correct", pieces=texts)
    # A later edit is kept as an answer but does not undo the decision.
    response_submit(record=record, user=first, values={"verdict": "wrong"})
    consensus.refresh_from_db()
    assert (consensus.verdict, consensus.reviewed) == ("minor_fixes", True)
    assert _agreement(arc_campaign, first) == (0, 1)


@pytest.mark.django_db
def test_consensus_decide_refuses_undisputed_records(arc_campaign, record, organizer):
    texts = {piece["name"]: piece["translation"] for piece in record.fields}
    with pytest.raises(ReviewRejected):
        consensus_decide(record=record, reviewer=organizer, verdict="correct", pieces=texts)


@pytest.mark.django_db
def test_consensus_compute_pending_settles_completed_records_in_bulk(arc_campaign):
    users = [UserFactory() for _ in range(2)]
    records = list(arc_campaign.records.order_by("id")[:4])
    verdicts = [("correct", "correct"), ("correct", "wrong"), ("wrong", "wrong"), ("correct",)]
    for record, given in zip(records, verdicts, strict=True):
        for user, verdict in zip(users, given, strict=False):
            values = {"verdict": verdict}
            if verdict == "wrong":
                values["question_corrected"] = "Otra pregunta"
            Response.objects.create(
                record=record, campaign=arc_campaign, user=user, values=values, status="submitted"
            )
        completed = len(given) >= arc_campaign.overlap
        Record.objects.filter(pk=record.pk).update(
            submitted_count=len(given), status="completed" if completed else "pending"
        )
    assert consensus_compute_pending(campaign=arc_campaign) == 3
    assert consensus_compute_pending(campaign=arc_campaign) == 0
    statuses = [Record.objects.get(pk=record.pk).status for record in records]
    assert statuses == ["validated", "disputed", "validated", "pending"]
    settled = {c.record_id: c for c in Consensus.objects.filter(record__in=records)}
    assert settled[records[2].pk].pieces["question"] == "Otra pregunta"
    assert settled[records[0].pk].pieces == {
        piece["name"]: piece["translation"] for piece in records[0].fields
    }
    assert settled[records[1].pk].pieces == {}
    # The server-built snapshot replays to the same result, and holds the translations
    # only where the rule compared corrections with them.
    for consensus in settled.values():
        again = consensus_replay(consensus)
        assert (again.status, again.verdict, again.pieces, again.reason) == (
            consensus.status,
            consensus.verdict,
            consensus.pieces,
            consensus.reason,
        )
        assert len(consensus.inputs["answers"]) == 2
    assert "translations" in settled[records[2].pk].inputs
    assert "translations" not in settled[records[0].pk].inputs
    counter = _counter(arc_campaign)
    assert (counter.records_validated, counter.records_disputed) == (2, 1)
    assert _agreement(arc_campaign, users[0]) == (2, 2)
    assert _agreement(arc_campaign, users[1]) == (2, 2)


@pytest.mark.django_db
def test_consensus_compute_pending_stores_rows_as_the_one_record_path_does(arc_campaign):
    # The bulk path sends its decisions through a CSV COPY and builds a correct majority's
    # final text from the record's translations on the server: texts a CSV or JSON writer
    # must escape come back exactly, and every column holds what consensus_settle would
    # have written.
    hostile = 'Comillas "dobles", coma, \\barra\\, salto\nde línea, tab\t y emoji 🧪 =1+1'
    users = [UserFactory() for _ in range(2)]
    record = arc_campaign.records.order_by("id").first()
    fields = [{**piece, "translation": hostile + piece["name"]} for piece in record.fields]
    Record.objects.filter(pk=record.pk).update(fields=fields, submitted_count=2, status="completed")
    for user in users:
        Response.objects.create(
            record=record,
            campaign=arc_campaign,
            user=user,
            values={"verdict": "correct", "note": hostile},
            status="submitted",
        )
    before = timezone.now()

    assert consensus_compute_pending(campaign=arc_campaign) == 1

    consensus = Consensus.objects.get(record=record)
    assert consensus.pieces == {piece["name"]: piece["translation"] for piece in fields}
    assert [answer["values"]["note"] for answer in consensus.inputs["answers"]] == [hostile] * 2
    assert (consensus.rule, consensus.rule_version) == (RULE, RULE_VERSION)
    assert (consensus.status, consensus.verdict, consensus.reason) == ("validated", "correct", "")
    assert (consensus.reviewed, consensus.note, consensus.decided_by) == (False, "", None)
    assert consensus.agreement == 1.0
    assert before <= consensus.decided_at <= timezone.now()
    assert Record.objects.get(pk=record.pk).status == "validated"


@pytest.mark.django_db(transaction=True)
def test_consensus_compute_pending_settles_parts_side_by_side_as_one_pass_would(
    arc_campaign, monkeypatch
):
    # Outside any transaction the pending records are split by id and settled in parts, each
    # on its own connection; the outcome per record and the counters are the single pass's.
    from annotation.consensus import bulk

    monkeypatch.setattr(bulk, "_PART_MINIMUM", 1)
    monkeypatch.setattr(bulk, "_SETTLE_PARTS", 3)
    users = [UserFactory() for _ in range(2)]
    records = list(arc_campaign.records.order_by("id")[:24])
    patterns = [("correct", "correct"), ("correct", "wrong"), ("wrong", "wrong")]
    for number, record in enumerate(records):
        for user, verdict in zip(users, patterns[number % 3], strict=True):
            values = {"verdict": verdict}
            if verdict == "wrong":
                values["question_corrected"] = "Otra pregunta"
            Response.objects.create(
                record=record, campaign=arc_campaign, user=user, values=values, status="submitted"
            )
    Record.objects.filter(pk__in=[record.pk for record in records]).update(
        submitted_count=2, status="completed"
    )
    assert len(bulk._id_ranges(records[0].pk, records[-1].pk, parts=3)) == 3

    assert consensus_compute_pending(campaign=arc_campaign) == 24
    assert consensus_compute_pending(campaign=arc_campaign) == 0
    expected = {0: "validated", 1: "disputed", 2: "validated"}
    statuses = dict(
        Record.objects.filter(pk__in=[r.pk for r in records]).values_list("id", "status")
    )
    assert [statuses[record.pk] for record in records] == [
        expected[number % 3] for number in range(24)
    ]
    assert Consensus.objects.filter(record__in=records).count() == 24
    fixed = Consensus.objects.get(record=records[2])
    assert fixed.pieces["question"] == "Otra pregunta"
    counter = _counter(arc_campaign)
    assert (counter.records_validated, counter.records_disputed) == (16, 8)
    assert _agreement(arc_campaign, users[0]) == (16, 16)
    assert _agreement(arc_campaign, users[1]) == (16, 16)
