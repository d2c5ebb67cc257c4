"""Concurrent volunteers on PostgreSQL: no lost, doubled or over-assigned response."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest
from django.db import connection
from django.db.models import Count, Q, Sum

from annotation.assignment import next_record_for
from annotation.models import Lease, Response, ResponseRevision
from annotation.services import response_submit
from campaigns.importers.sources import Source
from campaigns.models import Campaign, Record
from campaigns.samples import SAMPLE_DATA as SAMPLES
from campaigns.services import campaign_create, campaign_status_change, records_import
from dashboards.models import CampaignCounter, ContributorCounter
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 20
RECORDS = 10
OVERLAP = 3
LEASE_ROUNDS = 10
EDIT_ROUNDS = 2
WORKERS_PER_VOLUNTEER = 2


@pytest.fixture
def small_campaign(tmp_path: Path, organizer) -> Campaign:
    """An active ARC campaign of the first ten shipped records, three answers each."""
    english = tmp_path / "arc_en.jsonl"
    spanish = tmp_path / "arc_es.jsonl"
    for target, name in (
        (english, "arc_challenge_validation_en.jsonl"),
        (spanish, "okapi_arc_challenge_validation_es.jsonl"),
    ):
        lines = (SAMPLES / name).read_text(encoding="utf-8").splitlines(keepends=True)
        target.write_text("".join(lines[:RECORDS]), encoding="utf-8")
    campaign = campaign_create(
        slug="arc-race",
        name="ARC race",
        preset="okapi_arc",
        overlap=OVERLAP,
        organizers=[organizer],
    )
    records_import(campaign=campaign, source=Source(path=english), translation=Source(path=spanish))
    return campaign_status_change(campaign=campaign, status=Campaign.Status.ACTIVE)


def run_together(jobs: list[Callable[[], None]]) -> None:
    """Run each job in its own thread and connection, all released at once; re-raise errors."""
    barrier = threading.Barrier(len(jobs))
    errors: list[BaseException] = []

    def run(job: Callable[[], None]) -> None:
        try:
            barrier.wait(timeout=30)
            job()
        except BaseException as error:
            errors.append(error)
        finally:
            # Each thread opened its own connection; a leftover one would block the flush.
            connection.close()

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a thread hung"
    if errors:
        raise errors[0]


def corrected(record: Record, pieces: int, tag: str) -> dict[str, object]:
    """Return a submit that corrects the first `pieces` translated pieces of the record."""
    values: dict[str, object] = {"verdict": "minor_fixes" if pieces else "correct"}
    for piece in record.fields[:pieces]:
        values[f"{piece['name']}_corrected"] = f"{piece['translation']} ({tag})"
    return values


def submit_behind_a_lock(
    *, record: Record, user, values: dict, held_user, then_sql: str, then_params: list
) -> None:
    """Hold held_user's counter row, let the user's submit wait for it, then run then_sql.

    A submit that takes its rows in the documented order waits holding none of the rows
    then_sql locks, so both go through; in any other order PostgreSQL reports a deadlock.
    """
    errors: list[Exception] = []

    def submit() -> None:
        try:
            response_submit(record=record, user=user, values=values)
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    settings = connection.settings_dict
    with psycopg.connect(
        host=settings["HOST"],
        port=settings["PORT"],
        user=settings["USER"],
        password=settings["PASSWORD"],
        dbname=settings["NAME"],
    ) as other:
        other.execute(
            "SELECT 1 FROM dashboards_contributorcounter"
            " WHERE campaign_id = %s AND user_id = %s FOR UPDATE",
            [record.campaign_id, held_user.pk],
        )
        submitting = threading.Thread(target=submit)
        submitting.start()
        lock_wait_until(other, count=1)
        other.execute(then_sql, then_params)
        other.commit()
        submitting.join(timeout=30)
    assert not errors


def lock_wait_until(conn: psycopg.Connection, *, count: int) -> None:
    """Wait until `count` sessions of this database wait for a lock."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        # Activity statistics are a snapshot per transaction: take a fresh one each time.
        conn.execute("SELECT pg_stat_clear_snapshot()")
        (waiting,) = conn.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND wait_event_type = 'Lock'"
        ).fetchone()
        if waiting >= count:
            return
        time.sleep(0.02)
    raise AssertionError("nobody waited for a lock")


def assert_each_record_filled_to_overlap(campaign: Campaign, answered: Counter[int]):
    """Check that every answer the volunteers counted is stored, each record at its overlap."""
    submitted = Response.objects.filter(campaign=campaign, status=Response.Status.SUBMITTED)
    assert submitted.count() == sum(answered.values()) == RECORDS * OVERLAP
    per_record = Counter(submitted.values_list("record_id", flat=True))
    assert set(per_record.values()) == {OVERLAP} and len(per_record) == RECORDS
    return submitted


def assert_counters_match_rows(campaign: Campaign) -> None:
    """Check every counter against the response rows it summarises."""
    submitted = Response.objects.filter(campaign=campaign, status=Response.Status.SUBMITTED)
    per_record = dict(submitted.values_list("record").annotate(n=Count("pk")))
    for record in campaign.records.all():
        assert record.submitted_count == per_record.get(record.pk, 0), record.external_id
        assert record.submitted_count <= campaign.overlap, record.external_id
    per_user = {
        row["user"]: row
        for row in submitted.values("user").annotate(n=Count("pk"), fixes=Sum("corrections"))
    }
    contributors = ContributorCounter.objects.filter(campaign=campaign)
    assert {c.user_id for c in contributors if c.submitted} == set(per_user)
    for contributor in contributors:
        row = per_user[contributor.user_id]
        assert (contributor.submitted, contributor.corrections) == (row["n"], row["fixes"])
    counter = CampaignCounter.objects.get(campaign=campaign)
    completed = campaign.records.filter(submitted_count__gte=campaign.overlap).count()
    assert counter.responses_submitted == submitted.count()
    assert counter.corrections == (submitted.aggregate(s=Sum("corrections"))["s"] or 0)
    assert counter.contributors == len(per_user)
    assert counter.records_completed == completed


def test_next_record_and_submit_by_twenty_volunteers_fill_each_record_to_overlap(small_campaign):
    campaign = small_campaign
    volunteers = [UserFactory() for _ in range(THREADS)]
    answered: Counter[int] = Counter()

    def volunteer_loop(user) -> None:
        # More turns than records means a record offered twice to one volunteer.
        for _turn in range(RECORDS + 1):
            record = next_record_for(campaign=campaign, user=user)
            if record is None:
                return
            response_submit(record=record, user=user, values={"verdict": "correct"})
            answered[user.pk] += 1
        raise AssertionError(f"volunteer {user.pk} was never told the campaign is done")

    run_together([lambda user=user: volunteer_loop(user) for user in volunteers])

    submitted = assert_each_record_filled_to_overlap(campaign, answered)
    # Completed records are settled at once (validated or disputed), never left pending.
    assert not campaign.records.filter(status=Record.Status.PENDING).exists()
    counter = CampaignCounter.objects.get(campaign=campaign)
    assert (counter.responses_submitted, counter.records_completed) == (
        RECORDS * OVERLAP,
        RECORDS,
    )
    assert counter.contributors == submitted.values("user").distinct().count()
    assert_counters_match_rows(campaign)


def test_submit_leasing_the_next_record_fills_each_record_to_overlap(small_campaign):
    # The annotate page's script: each answer's transaction also leases the next record.
    campaign = small_campaign
    volunteers = [UserFactory() for _ in range(THREADS)]
    answered: Counter[int] = Counter()
    most_held = [0]

    def volunteer_loop(user) -> None:
        record = next_record_for(campaign=campaign, user=user)
        for _turn in range(RECORDS + 1):
            if record is None:
                return
            outcome = response_submit(
                record=record,
                user=user,
                values={"verdict": "correct"},
                assigned_only=True,
                lease_next=True,
            )
            answered[user.pk] += 1
            if outcome.next_record is not None:
                with connection.cursor() as cursor:
                    # One statement, one snapshot: answers and the leases still held.
                    cursor.execute(
                        "SELECT submitted_count + (SELECT count(*) FROM annotation_lease"
                        " WHERE record_id = %s) FROM campaigns_record WHERE id = %s",
                        [outcome.next_record.pk, outcome.next_record.pk],
                    )
                    most_held[0] = max(most_held[0], cursor.fetchone()[0])
            record = outcome.next_record or next_record_for(campaign=campaign, user=user)
        raise AssertionError(f"volunteer {user.pk} was never told the campaign is done")

    run_together([lambda user=user: volunteer_loop(user) for user in volunteers])

    assert_each_record_filled_to_overlap(campaign, answered)
    # Answers plus leases never went past the overlap (read after each answer's lease).
    assert most_held[0] <= OVERLAP
    assert not Lease.objects.filter(record__campaign=campaign).exists()
    assert_counters_match_rows(campaign)


def test_next_record_asked_at_once_never_leases_past_overlap(small_campaign):
    campaign = small_campaign
    volunteers = [UserFactory() for _ in range(THREADS)]
    # The race is between one volunteer's lease commit and another's candidate scan:
    # a few rounds of everyone asking at once make it likely to show if it exists.
    for _round in range(LEASE_ROUNDS):
        Lease.objects.filter(record__campaign=campaign).delete()
        run_together(
            [lambda user=user: next_record_for(campaign=campaign, user=user) for user in volunteers]
        )
        held = Counter(
            Lease.objects.filter(record__campaign=campaign).values_list("record_id", flat=True)
        )
        assert max(held.values()) <= OVERLAP, held
        # Thirty slots for twenty volunteers: nobody is told "nothing left".
        assert sum(held.values()) == THREADS


def test_response_submit_same_answer_at_once_counts_once(small_campaign, volunteer):
    record = small_campaign.records.order_by("id").first()
    values = corrected(record, 1, "doble clic")

    run_together([lambda: response_submit(record=record, user=volunteer, values=values)] * THREADS)

    (response,) = Response.objects.filter(record=record)
    assert (response.user, response.status, response.revision) == (
        volunteer,
        Response.Status.SUBMITTED,
        1,
    )
    assert not ResponseRevision.objects.exists()
    record.refresh_from_db()
    assert record.submitted_count == 1
    counter = CampaignCounter.objects.get(campaign=small_campaign)
    assert (counter.responses_submitted, counter.contributors, counter.corrections) == (1, 1, 1)
    contributor = ContributorCounter.objects.get(campaign=small_campaign, user=volunteer)
    assert (contributor.submitted, contributor.corrections) == (1, 1)


def test_response_edits_at_once_keep_revisions_and_move_only_corrections(small_campaign):
    campaign = small_campaign
    records = list(campaign.records.order_by("id"))
    volunteers = [UserFactory() for _ in range(RECORDS)]
    # Volunteer i answers records i, i+1, i+2: every record gets exactly OVERLAP answers.
    answers = {
        user: [records[(i + k) % RECORDS] for k in range(OVERLAP)]
        for i, user in enumerate(volunteers)
    }

    def submit_then_edit(user, worker: int) -> None:
        for record in answers[user]:
            response_submit(record=record, user=user, values=corrected(record, 0, "first"))
        # Two workers per volunteer race on the same responses with different edits.
        for round_ in range(EDIT_ROUNDS):
            for record in answers[user]:
                pieces = (worker + round_) % len(record.fields) + 1
                response_submit(
                    record=record,
                    user=user,
                    values=corrected(record, pieces, f"w{worker}r{round_}"),
                )

    run_together(
        [
            lambda user=user, worker=worker: submit_then_edit(user, worker)
            for user in volunteers
            for worker in range(WORKERS_PER_VOLUNTEER)
        ]
    )

    responses = Response.objects.filter(campaign=campaign).annotate(
        kept=Count("revisions"),
        earlier_submitted=Count("revisions", filter=Q(revisions__status=Response.Status.SUBMITTED)),
    )
    assert responses.count() == RECORDS * OVERLAP
    for response in responses:
        assert response.status == Response.Status.SUBMITTED
        # Every edit differs from every other, so each one made a revision.
        assert response.revision >= 1 + WORKERS_PER_VOLUNTEER * EDIT_ROUNDS
        assert response.kept == response.revision - 1
        assert response.earlier_submitted == response.kept
        numbers = list(response.revisions.values_list("number", flat=True))
        assert numbers == list(range(1, response.revision))
        assert response.corrections >= 1
    assert set(campaign.records.values_list("submitted_count", flat=True)) == {OVERLAP}
    counter = CampaignCounter.objects.get(campaign=campaign)
    assert (counter.responses_submitted, counter.records_completed, counter.contributors) == (
        RECORDS * OVERLAP,
        RECORDS,
        RECORDS,
    )
    assert counter.corrections == sum(response.corrections for response in responses)
    assert_counters_match_rows(campaign)


def test_response_submit_disputed_completion_locks_contributor_rows_first(small_campaign):
    campaign = small_campaign
    record, elsewhere = list(campaign.records.order_by("id")[:2])
    first, second, volunteer = UserFactory(), UserFactory(), UserFactory()
    response_submit(record=record, user=first, values={"verdict": "correct"})
    response_submit(record=record, user=second, values={"verdict": "wrong"})
    response_submit(record=elsewhere, user=volunteer, values={"verdict": "correct"})
    # The volunteer's "wrong" completes the record disputed (a majority that fixes nothing)
    # while another submit of theirs holds their row and wants the campaign's.
    submit_behind_a_lock(
        record=record,
        user=volunteer,
        values={"verdict": "wrong"},
        held_user=volunteer,
        then_sql="UPDATE dashboards_campaigncounter SET responses_submitted ="
        " responses_submitted WHERE campaign_id = %s",
        then_params=[campaign.pk],
    )
    assert Record.objects.get(pk=record.pk).status == Record.Status.DISPUTED
    assert_counters_match_rows(campaign)


def test_response_submit_validated_completion_locks_answerers_by_user_id(small_campaign):
    campaign = small_campaign
    record, elsewhere = list(campaign.records.order_by("id")[:2])
    # Created in this order, so their ids sort the same way.
    first, second, last = UserFactory(), UserFactory(), UserFactory()
    response_submit(record=elsewhere, user=last, values={"verdict": "correct"})
    response_submit(record=record, user=first, values={"verdict": "correct"})
    response_submit(record=record, user=second, values={"verdict": "correct"})
    # The last answer settles the record and moves all three counters; a completion of
    # another record holds the second's row and wants the last's, as id order says.
    submit_behind_a_lock(
        record=record,
        user=last,
        values={"verdict": "correct"},
        held_user=second,
        then_sql="SELECT 1 FROM dashboards_contributorcounter"
        " WHERE campaign_id = %s AND user_id = %s FOR UPDATE",
        then_params=[campaign.pk, last.pk],
    )
    assert Record.objects.get(pk=record.pk).status == Record.Status.VALIDATED
    assert_counters_match_rows(campaign)
