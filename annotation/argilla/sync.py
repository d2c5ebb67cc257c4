"""Push campaigns to Argilla and bring answers back; README.md beside this explains how."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from uuid import UUID

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from annotation.argilla import gateway, users
from annotation.argilla.answers import (
    SYNCED_STATUSES,
    Applied,
    argilla_response_withdraw,
    problems_forget,
    response_apply,
)
from annotation.argilla.models import (
    ArgillaAnswerProblem,
    ArgillaDatasetLink,
    ArgillaSyncRun,
    ArgillaWebhook,
)
from annotation.models import Response
from campaigns.models import Campaign, Record
from campaigns.progress import Progress, WorkCancelled, no_progress
from guides.models import GuideVersion

logger = logging.getLogger(__name__)

# Where the database has no session locks (SQLite), a run that has not reported for this long
# is taken to have died with its process.
STALE_AFTER = timedelta(minutes=15)
# Advisory lock class of Argilla syncs; the lock of a campaign's syncs is (class, campaign id).
SYNC_LOCK_CLASS = 4101
GUIDELINES_MAX = 10_000
# A quiet dataset's pending answers are fetched record by record up to this many records;
# past it one full pass costs fewer requests.
RETRY_ONE_BY_ONE = 50


class SyncAlreadyRunning(RuntimeError):
    """Another sync of the same campaign is under way."""


class ArgillaNotLinked(ValueError):
    """The campaign names no Argilla workspace and dataset."""


class CampaignNotActive(ValueError):
    """Answers are pulled only into an active campaign, unless the pull is forced."""


@dataclass
class _Tally:
    pulled: int = 0
    withdrawn: int = 0
    writes: list[gateway.ResponseWrite] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


class _Watch:
    """Tell a progress callable how many records the run went through, of those it knows of.

    Reports come per batch pushed and per page pulled, after each one's commit: a batch takes
    a request to Argilla, so they cost nothing beside it. The push counts its records before
    it starts; the pull learns its number from its first page, so until then a run that pulls
    reports no total.
    """

    def __init__(self, progress: Progress | None, *, pull: bool) -> None:
        self.progress = progress or no_progress
        self.done = 0
        self.known = 0
        self.waiting = pull

    def expect(self, records: int, *, pull: bool = False) -> None:
        self.known += records
        if pull:
            self.waiting = False
        self.report()

    def went(self, records: int) -> None:
        self.done += records
        self.report()

    def finish(self) -> None:
        self.waiting = False
        self.known = self.done
        self.report()

    def report(self) -> None:
        self.progress(self.done, None if self.waiting else max(self.known, self.done))


# ---------------------------------------------------------------------------------------------
# Runs


def argilla_sync(
    *,
    campaign: Campaign,
    push: bool = True,
    pull: bool = True,
    trigger: str = ArgillaSyncRun.Trigger.COMMAND,
    force: bool = False,
    progress: Progress | None = None,
) -> ArgillaSyncRun:
    """Sync one campaign with Argilla as one recorded run; raise if Argilla fails mid-way.

    Each step commits as it goes and is idempotent, so a failed run leaves nothing half done
    and the next run carries on from the stored cursors. A pull into a campaign that is not
    active is refused (CampaignNotActive) unless `force`, which brings the answers in anyway.
    `progress` hears of the records pushed and pulled; when it raises WorkCancelled the run
    stops after the batch it had committed and is recorded as failed, cancelled.
    """
    if not gateway.campaign_is_linked(campaign):
        raise ArgillaNotLinked(_("Set the campaign's Argilla workspace and dataset first."))
    if pull:
        pull_check(campaign=campaign, force=force)
    with campaign_sync_lock(campaign_id=campaign.pk) as taken:
        if not taken:
            raise _already_running(campaign)
        run = _run_start(campaign=campaign, trigger=trigger, push=push, pull=pull)
        watch = _Watch(progress, pull=pull)
        try:
            schema = gateway.campaign_schema(campaign=campaign, with_metadata=True)
            link, dataset = _link_ensure(campaign=campaign, schema=schema)
            if push:
                _records_push(run=run, link=link, dataset=dataset, schema=schema, watch=watch)
            if pull:
                _reconcile(run=run, link=link, schema=schema, inactive_ok=force, watch=watch)
            watch.finish()
        except WorkCancelled:
            _run_finish(
                run=run,
                status=ArgillaSyncRun.Status.FAILED,
                error=_(
                    "the sync was cancelled; what it pushed or pulled until then stays, and the"
                    " next sync goes on from there"
                ),
            )
            raise
        except Exception as exc:
            _run_finish(run=run, status=ArgillaSyncRun.Status.FAILED, error=str(exc))
            raise
        _run_finish(run=run, status=ArgillaSyncRun.Status.SUCCEEDED)
    run.refresh_from_db()
    return run


def pull_check(*, campaign: Campaign, force: bool = False) -> None:
    """Refuse to pull answers into a campaign that is not active, unless forced."""
    if campaign.status != Campaign.Status.ACTIVE and not force:
        raise CampaignNotActive(
            _(
                "%(campaign)s is %(status)s and takes no answers, so none are brought in from"
                " Argilla. Force the pull to bring them in anyway."
            )
            % {"campaign": campaign, "status": campaign.get_status_display().lower()}
        )


@contextmanager
def campaign_sync_lock(*, campaign_id: int) -> Iterator[bool]:
    """Hold the campaign's sync lock while the block runs; yield whether it could be taken.

    The lock is a PostgreSQL advisory lock in a session of its own, and a session ends with
    its process: when a worker is killed mid-run the lock frees itself at once, so the task's
    rerun can tell that a run still marked running is dead (a heartbeat could only guess that
    after a long silence). SQLite has no such lock; there the unique index alone guards.
    """
    if connection.vendor != "postgresql":
        yield True
        return
    session = connection.Database.connect(**connection.get_connection_params(), autocommit=True)
    try:
        taken = session.execute(
            "SELECT pg_try_advisory_lock(%s, %s)", (SYNC_LOCK_CLASS, campaign_id)
        ).fetchone()[0]
        yield taken
    finally:
        session.close()


def _already_running(campaign: Campaign) -> SyncAlreadyRunning:
    return SyncAlreadyRunning(
        _("A sync of %(campaign)s is already running.") % {"campaign": campaign}
    )


def _run_start(*, campaign: Campaign, trigger: str, push: bool, pull: bool) -> ArgillaSyncRun:
    """Record a new run, first closing the runs whose process died (call with the lock held)."""
    abandoned = ArgillaSyncRun.objects.filter(
        campaign=campaign, status=ArgillaSyncRun.Status.RUNNING
    )
    if connection.vendor != "postgresql":
        # Without the session lock only a long silence shows that a run's process died.
        abandoned = abandoned.filter(heartbeat_at__lt=timezone.now() - STALE_AFTER)
    for run in abandoned:
        _run_finish(run=run, status=ArgillaSyncRun.Status.FAILED, error="abandoned")
    try:
        with transaction.atomic():
            return ArgillaSyncRun.objects.create(
                campaign=campaign, trigger=trigger, push=push, pull=pull
            )
    except IntegrityError:
        raise _already_running(campaign) from None


def _run_finish(*, run: ArgillaSyncRun, status: str, error: str = "") -> None:
    run.refresh_from_db()
    run.status = status
    run.finished_at = timezone.now()
    if error:
        run.errors = [*run.errors, error[:1000]]
    run.save(update_fields=["status", "finished_at", "errors"])


def _run_count(run: ArgillaSyncRun, **counts: int) -> None:
    changes = {name: F(name) + value for name, value in counts.items() if value}
    ArgillaSyncRun.objects.filter(pk=run.pk).update(heartbeat_at=timezone.now(), **changes)


def _run_errors(run: ArgillaSyncRun, errors: Iterable[str], *, kind: str = "errors") -> None:
    errors = list(errors)
    if errors:
        run.refresh_from_db(fields=[kind])
        # Keep the list readable: the first hundred problems say enough.
        setattr(run, kind, (getattr(run, kind) + errors)[:100])
        run.save(update_fields=[kind])


# ---------------------------------------------------------------------------------------------
# Push: workspace, dataset, records


def _guidelines(campaign: Campaign) -> str:
    version = (
        GuideVersion.objects.filter(guide__campaign=campaign, published_at__isnull=False)
        .order_by("-number")
        .first()
    )
    if version is None:
        return ""
    text = version.body
    if version.video_url:
        text += f"\n\n{version.video_url}"
    return text[:GUIDELINES_MAX]


def _link_ensure(
    *, campaign: Campaign, schema: gateway.CampaignSchema
) -> tuple[ArgillaDatasetLink, gateway.DatasetState]:
    webhook_ensure()
    workspace_id = gateway.workspace_ensure(name=campaign.argilla_workspace)
    dataset = gateway.dataset_ensure(
        campaign=campaign,
        schema=schema,
        workspace_id=workspace_id,
        guidelines=_guidelines(campaign),
    )
    link, _created = ArgillaDatasetLink.objects.get_or_create(campaign=campaign)
    if link.dataset_id != dataset.id:
        # A new dataset (renamed, or deleted in Argilla): everything goes again.
        link.dataset_id = dataset.id
        link.push_cursor = 0
        link.push_pass_started_at = None
        link.pushed_until = None
        link.pulled_activity_at = None
        link.pulled_at = None
    link.workspace_id = workspace_id
    link.save()
    return link, dataset


def _records_push(
    *,
    run: ArgillaSyncRun,
    link: ArgillaDatasetLink,
    dataset: gateway.DatasetState,
    schema: gateway.CampaignSchema,
    watch: _Watch,
) -> None:
    """Upsert changed records in batches of 500, keeping a cursor to resume a failed pass."""
    if link.push_pass_started_at is None:
        link.push_pass_started_at = timezone.now()
        link.push_cursor = 0
        link.save(update_fields=["push_pass_started_at", "push_cursor"])
    pending = Record.objects.filter(campaign_id=link.campaign_id)
    if link.pushed_until is not None:
        pending = pending.filter(Q(argilla_id__isnull=True) | Q(updated_at__gt=link.pushed_until))
    cursor = link.push_cursor
    watch.expect(pending.filter(id__gt=cursor).count())
    while True:
        batch = list(
            pending.filter(id__gt=cursor)
            .order_by("id")
            .values("id", "external_id", "fields", "metadata", "argilla_id")[: gateway.PUSH_BATCH]
        )
        if not batch:
            break
        ids = gateway.records_upsert(dataset=dataset, schema=schema, records=batch)
        changed = [
            Record(pk=row["id"], argilla_id=ids[row["external_id"]])
            for row in batch
            if row["external_id"] in ids and row["argilla_id"] != ids[row["external_id"]]
        ]
        cursor = batch[-1]["id"]
        with transaction.atomic():
            # bulk_update leaves updated_at alone, so storing the ids makes no new push.
            Record.objects.bulk_update(changed, ["argilla_id"], batch_size=gateway.MAX_BULK)
            ArgillaDatasetLink.objects.filter(pk=link.pk).update(push_cursor=cursor)
            _run_count(run, records_pushed=len(batch))
        watch.went(len(batch))
    link.pushed_until = link.push_pass_started_at
    link.push_pass_started_at = None
    link.push_cursor = 0
    link.save(update_fields=["pushed_until", "push_pass_started_at", "push_cursor"])


# ---------------------------------------------------------------------------------------------
# Pull: reconciliation


def _reconcile(
    *,
    run: ArgillaSyncRun,
    link: ArgillaDatasetLink,
    schema: gateway.CampaignSchema,
    watch: _Watch,
    inactive_ok: bool = False,
) -> None:
    """Compare every record's answers on both sides; the newer answer wins on each.

    A quiet dataset (no activity in Argilla, no answer here since the last pull) is skipped,
    except for its pending answers, which are tried again on every pull.
    """
    state = gateway.dataset_get(dataset_id=link.dataset_id)
    if state is None:
        raise gateway.ArgillaRejected(f"dataset {link.dataset_id} is gone from Argilla")
    started = timezone.now()
    web_changes = Response.objects.filter(
        campaign_id=link.campaign_id, origin=Response.Origin.WEB, status__in=SYNCED_STATUSES
    )
    if link.pulled_at is not None:
        web_changes = web_changes.filter(updated_at__gt=link.pulled_at)
    quiet = state.last_activity_at is not None and state.last_activity_at == link.pulled_activity_at
    if not quiet or web_changes.exists():
        _pages_reconcile(run=run, link=link, schema=schema, inactive_ok=inactive_ok, watch=watch)
    else:
        # Quiet, but answers that could not be applied wait: try them again.
        pending = list(
            Record.objects.filter(
                pk__in=ArgillaAnswerProblem.objects.filter(
                    campaign_id=link.campaign_id, kind=ArgillaAnswerProblem.Kind.PENDING
                ).values("record_id")
            ).values_list("pk", "argilla_id")[: RETRY_ONE_BY_ONE + 1]
        )
        if len(pending) > RETRY_ONE_BY_ONE or not all(argilla_id for _pk, argilla_id in pending):
            _pages_reconcile(
                run=run, link=link, schema=schema, inactive_ok=inactive_ok, watch=watch
            )
        elif pending:
            _pending_retry(
                run=run,
                link=link,
                schema=schema,
                pending=pending,
                inactive_ok=inactive_ok,
                watch=watch,
            )
        else:
            watch.expect(0, pull=True)
    link.pulled_activity_at = state.last_activity_at
    link.pulled_at = started
    link.save(update_fields=["pulled_activity_at", "pulled_at"])


def _pages_reconcile(
    *,
    run: ArgillaSyncRun,
    link: ArgillaDatasetLink,
    schema: gateway.CampaignSchema,
    inactive_ok: bool,
    watch: _Watch,
) -> None:
    offset = 0
    while True:
        fetched_at = timezone.now()
        page, total = gateway.records_with_responses(
            dataset_id=link.dataset_id, schema=schema, offset=offset
        )
        if offset == 0:
            watch.expect(total, pull=True)
        if not page:
            break
        _page_settle(
            run=run,
            link=link,
            schema=schema,
            page=page,
            fetched_at=fetched_at,
            inactive_ok=inactive_ok,
        )
        watch.went(len(page))
        offset += len(page)
        if offset >= total:
            break


def _pending_retry(
    *,
    run: ArgillaSyncRun,
    link: ArgillaDatasetLink,
    schema: gateway.CampaignSchema,
    pending: list[tuple[int, UUID]],
    inactive_ok: bool,
    watch: _Watch,
) -> None:
    """Fetch again the records with answers not applied yet, and try those answers again."""
    watch.expect(len(pending), pull=True)
    fetched_at = timezone.now()
    page = []
    for record_id, argilla_id in pending:
        item = gateway.record_get(record_id=argilla_id, schema=schema)
        if item is None:
            # Gone from Argilla, and its answers with it: nothing is left to apply.
            problems_forget(record=Record(pk=record_id))
        else:
            page.append(item)
    _page_settle(
        run=run, link=link, schema=schema, page=page, fetched_at=fetched_at, inactive_ok=inactive_ok
    )
    watch.went(len(pending))


def _page_settle(
    *,
    run: ArgillaSyncRun,
    link: ArgillaDatasetLink,
    schema: gateway.CampaignSchema,
    page: list[gateway.ArgillaRecord],
    fetched_at: datetime,
    inactive_ok: bool,
) -> None:
    tally = _page_reconcile(
        campaign=link.campaign,
        link=link,
        schema=schema,
        page=page,
        fetched_at=fetched_at,
        inactive_ok=inactive_ok,
    )
    _writes_push(link=link, schema=schema, writes=tally.writes)
    _run_count(
        run,
        responses_pulled=tally.pulled,
        responses_withdrawn=tally.withdrawn,
        responses_pushed=len(tally.writes),
    )
    _run_errors(run, tally.errors)
    _run_errors(run, tally.warnings, kind="warnings")


def _page_reconcile(
    *,
    campaign: Campaign,
    link: ArgillaDatasetLink,
    schema: gateway.CampaignSchema,
    page: list[gateway.ArgillaRecord],
    fetched_at: datetime,
    inactive_ok: bool = False,
) -> _Tally:
    records = {
        record.external_id: record
        for record in Record.objects.filter(
            campaign=campaign, external_id__in=[item.external_id for item in page]
        )
    }
    answers: dict[int, dict[int, Response]] = {}
    for response in Response.objects.filter(record__in=records.values()).select_related("user"):
        answers.setdefault(response.record_id, {})[response.user_id] = response
    with_problems = set(
        ArgillaAnswerProblem.objects.filter(record__in=records.values()).values_list(
            "record_id", flat=True
        )
    )
    fixes = []
    tally = _Tally()
    for item in page:
        record = records.get(item.external_id)
        if record is None:
            continue
        if record.argilla_id != item.id:
            record.argilla_id = item.id
            fixes.append(record)
        _record_reconcile(
            record=record,
            item=item,
            answers=answers.get(record.pk, {}),
            workspace_id=link.workspace_id,
            fetched_at=fetched_at,
            tally=tally,
            inactive_ok=inactive_ok,
        )
        if record.pk in with_problems:
            # Problems of answers no longer in Argilla go: there is nothing left to apply.
            problems_forget(record=record, keep=[incoming.user_id for incoming in item.responses])
    Record.objects.bulk_update(fixes, ["argilla_id"])
    return tally


def _record_reconcile(
    *,
    record: Record,
    item: gateway.ArgillaRecord,
    answers: dict[int, Response],
    workspace_id: UUID,
    fetched_at: datetime,
    tally: _Tally,
    inactive_ok: bool = False,
) -> None:
    seen: set[int] = set()
    for incoming in item.responses:
        user = users.somos_user_for(argilla_user_id=incoming.user_id, username=incoming.username)
        seen.add(user.pk)
        result = response_apply(
            record=record, user=user, incoming=incoming, inactive_ok=inactive_ok
        )
        if result.warning:
            tally.warnings.append(f"{record.external_id} ({user}): {result.warning}")
        if result.outcome == Applied.PENDING:
            # Kept as a pending problem: the next pull tries it again.
            tally.errors.append(f"{record.external_id} ({user}): {result.problem}")
        elif result.outcome == Applied.APPLIED:
            tally.pulled += 1
        elif result.outcome == Applied.SOMOS_NEWER:
            answer = Response.objects.get(record=record, user=user)
            tally.writes.append(
                gateway.ResponseWrite(item.id, incoming.user_id, answer.status, answer.values)
            )
    for user_id, answer in answers.items():
        if user_id in seen or answer.status not in SYNCED_STATUSES:
            continue
        if answer.origin == Response.Origin.WEB:
            argilla_user = users.argilla_user_for(user=answer.user, workspace_id=workspace_id)
            tally.writes.append(
                gateway.ResponseWrite(item.id, argilla_user, answer.status, answer.values)
            )
        elif argilla_response_withdraw(record=record, user=answer.user, listed_at=fetched_at):
            # Came from Argilla and is no longer there: it was deleted in Argilla.
            tally.withdrawn += 1


def _writes_push(
    *,
    link: ArgillaDatasetLink,
    schema: gateway.CampaignSchema,
    writes: list[gateway.ResponseWrite],
) -> None:
    if writes:
        gateway.responses_upsert(dataset_id=link.dataset_id, schema=schema, writes=writes)


# ---------------------------------------------------------------------------------------------
# Webhook registration


def webhook_ensure() -> None:
    """Register Somos's webhook in Argilla if ARGILLA_WEBHOOK_URL is set and it is missing."""
    url = settings.ARGILLA_WEBHOOK_URL
    if not url:
        return
    known = ArgillaWebhook.objects.filter(url=url).order_by("-id").first()
    if known is not None and gateway.webhook_exists(webhook_id=known.argilla_id):
        return
    argilla_id, secret = gateway.webhook_create(url=url)
    with transaction.atomic():
        ArgillaWebhook.objects.filter(url=url).delete()
        ArgillaWebhook.objects.create(argilla_id=argilla_id, url=url, secret=secret)


def linked_campaigns() -> Iterable[Campaign]:
    """Return the campaigns the periodic sync keeps up to date."""
    if not gateway.configured():
        return Campaign.objects.none()
    return (
        Campaign.objects.filter(status=Campaign.Status.ACTIVE)
        .exclude(argilla_workspace="")
        .exclude(argilla_dataset="")
    )


def schema_for_dataset() -> Callable[[UUID], gateway.CampaignSchema | None]:
    """Return a memoised lookup of a dataset's campaign schema (for webhook events)."""
    cache: dict[UUID, gateway.CampaignSchema | None] = {}

    def lookup(dataset_id: UUID) -> gateway.CampaignSchema | None:
        if dataset_id not in cache:
            link = (
                ArgillaDatasetLink.objects.filter(dataset_id=dataset_id)
                .select_related("campaign")
                .first()
            )
            cache[dataset_id] = gateway.campaign_schema(campaign=link.campaign) if link else None
        return cache[dataset_id]

    return lookup
