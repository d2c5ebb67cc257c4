"""Writes on campaigns, their questions and records."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import islice

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import DatabaseError, transaction
from django.utils import timezone
from django.utils.translation import get_language, override
from django.utils.translation import gettext as _

from campaigns.importers.presets import preset_get
from campaigns.importers.records import (
    ImportRejected,
    Piece,
    Problem,
    RecordColumns,
    RecordDraft,
)
from campaigns.importers.sources import Source, source_rows_estimate
from campaigns.models import CAMPAIGN_SETTINGS, Campaign, ImportRun, Question, Record
from campaigns.progress import Progress, WorkCancelled, progress_counted
from campaigns.record_writer import records_write
from campaigns.selectors import campaign_cache_forget
from campaigns.signals import records_imported
from campaigns.triage.checks import records_triage


@transaction.atomic
def campaign_create(
    *,
    slug: str,
    name: str,
    preset: str,
    description: str = "",
    overlap: int = 2,
    organizers: Iterable[AbstractBaseUser] = (),
    field_mapping: dict | None = None,
    source_language: str = "en",
    target_language: str = "es",
) -> Campaign:
    """Create a draft campaign with the preset's questions.

    Apps above hear of it through post_save: guides gives it an empty guide, dashboards its
    counter, in this same transaction.
    """
    preset_definition = preset_get(preset)
    campaign = Campaign.objects.create(
        slug=slug,
        name=name,
        description=description,
        kind=preset_definition.kind,
        overlap=overlap,
        preset=preset,
        field_mapping=field_mapping or {},
        source_language=source_language,
        target_language=target_language,
    )
    campaign.organizers.set(organizers)
    # Question titles are campaign content in the campaign's target language; for a language
    # the site is not translated into, in the language of whoever creates the campaign.
    spoken = target_language if target_language in dict(settings.LANGUAGES) else get_language()
    with override(spoken):
        questions = preset_definition.questions(
            field_mapping or None, target_language=target_language
        )
        Question.objects.bulk_create(
            Question(
                campaign=campaign,
                name=spec.name,
                title=str(spec.title),
                kind=spec.kind,
                options=[
                    {"value": option["value"], "text": str(option["text"])}
                    for option in spec.options
                ],
                required=spec.required,
                field=spec.field,
                position=position,
            )
            for position, spec in enumerate(questions)
        )
    return campaign


def campaign_create_and_import(
    *,
    slug: str,
    name: str,
    preset: str,
    source: Source,
    translation: Source | None = None,
    description: str = "",
    overlap: int = 2,
    source_language: str = "en",
    target_language: str = "es",
    organizers: Iterable[AbstractBaseUser] = (),
    field_mapping: dict | None = None,
    user: AbstractBaseUser | None = None,
    progress: Progress | None = None,
) -> tuple[Campaign, ImportRun]:
    """Create a draft campaign from its first source, all or nothing.

    A refused import raises ImportRejected and leaves no campaign behind, nor its run: the
    organizer fixes the data and creates it again.
    """
    with transaction.atomic():
        campaign = campaign_create(
            slug=slug,
            name=name,
            preset=preset,
            description=description,
            overlap=overlap,
            organizers=organizers,
            field_mapping=field_mapping,
            source_language=source_language,
            target_language=target_language,
        )
        run = records_import(
            campaign=campaign,
            source=source,
            translation=translation,
            user=user,
            progress=progress,
        )
    return campaign, run


def records_import(
    *,
    campaign: Campaign,
    source: Source,
    translation: Source | None = None,
    user: AbstractBaseUser | None = None,
    progress: Progress | None = None,
) -> ImportRun:
    """Import a source into the campaign, all or nothing, upserting by external id.

    The run row is written outside the import's transaction, so a rejected import
    leaves its errors in the history and nothing else. `progress` hears of the records read
    (out of the source's estimated rows).
    """
    run = ImportRun.objects.create(
        campaign=campaign,
        preset=campaign.preset,
        source_name=", ".join(s.name for s in (source, translation) if s is not None),
        created_by=user,
    )
    preset = preset_get(campaign.preset)
    mapping = campaign.field_mapping or None
    # Nothing is read until the writer asks: the columns first where the preset has them,
    # the drafts if it has not or its column reader declines the source.
    drafts = preset.read(source=source, translation=translation, mapping=mapping)
    columns = preset.read_columns(source=source, translation=translation, mapping=mapping)
    if progress is not None:
        total = source_rows_estimate(source)
        drafts = progress_counted(drafts, progress, total=total)
        if columns is not None:
            columns = _batches_counted(columns, progress, total=total)
    try:
        created, updated = _records_store(campaign=campaign, drafts=drafts, columns=columns)
    except ImportRejected as rejection:
        _run_failed(run, str(rejection).splitlines())
        raise
    except DatabaseError as error:
        # Whatever the readers let through and the database refused: still a clear,
        # recorded failure that changed nothing.
        message = _("the database refused a row (%(error)s)") % {
            "error": str(error).splitlines()[0]
        }
        rejection = ImportRejected(
            [Problem(file=run.source_name, row=None, field=None, message=message)]
        )
        _run_failed(run, str(rejection).splitlines())
        raise rejection from error
    except WorkCancelled:
        _run_failed(run, [_("the import was cancelled; nothing was stored")])
        raise
    except BaseException:
        # Whatever else stopped it (a bug, a worker shut down) rolled the records back;
        # the history must not show the run as still going.
        _run_failed(run, [_("the import stopped on an unexpected error; nothing was stored")])
        raise
    run.status = ImportRun.Status.SUCCEEDED
    run.records_created = created
    run.records_updated = updated
    run.finished_at = timezone.now()
    run.save(update_fields=["status", "records_created", "records_updated", "finished_at"])
    return run


def _run_failed(run: ImportRun, errors: list[str]) -> None:
    run.status = ImportRun.Status.FAILED
    run.errors = [message_storable(error) for error in errors]
    run.finished_at = timezone.now()
    run.save(update_fields=["status", "errors", "finished_at"])


def message_storable(message: str) -> str:
    """Return the message as PostgreSQL's JSON can store it."""
    # Messages quote the bad value, which may hold what PostgreSQL's JSON cannot store:
    # a NUL is shown as \0, half a surrogate pair as "?".
    return message.replace("\x00", "\\0").encode("utf-8", "replace").decode("utf-8")


def _batches_counted(
    batches: Iterable[RecordColumns], progress: Progress, *, total: int | None
) -> Iterator[RecordColumns]:
    """Yield batches of records, reporting how many records went by after each."""
    done = 0
    progress(0, total)
    for batch in batches:
        yield batch
        done += len(batch)
        progress(done, None if total is None else max(total, done))


@transaction.atomic
def _records_store(
    *,
    campaign: Campaign,
    drafts: Iterable[RecordDraft],
    columns: Iterable[RecordColumns] | None = None,
) -> tuple[int, int]:
    # Serialises imports of one campaign (and their counts); NO KEY so that answers, whose
    # foreign keys share-lock the campaign's row, are not held up by a long import.
    Campaign.objects.select_for_update(no_key=True).filter(pk=campaign.pk).values_list("pk").first()
    before = Record.objects.filter(campaign=campaign).count()
    written = records_write(
        campaign=campaign, drafts=drafts, columns=columns, first_import=before == 0
    )
    # A first import COPYs every record it writes, or fails: no need to count them.
    after = written.count if before == 0 else Record.objects.filter(campaign=campaign).count()
    _suspect_records_count(campaign)
    # The counters move, and settled records whose text changed settle again, in this
    # transaction (dashboards and annotation listen).
    records_imported.send(
        sender=Campaign,
        campaign=campaign,
        records_total=after,
        settled_retexted=written.settled_retexted,
    )
    created = after - before
    return created, written.count - created


ALLOWED_TRANSITIONS = {
    Campaign.Status.DRAFT: {Campaign.Status.ACTIVE},
    Campaign.Status.ACTIVE: {Campaign.Status.PAUSED, Campaign.Status.CLOSED},
    Campaign.Status.PAUSED: {Campaign.Status.ACTIVE, Campaign.Status.CLOSED},
    Campaign.Status.CLOSED: set(),
}


class TransitionNotAllowed(ValueError):
    pass


@transaction.atomic
def campaign_status_change(*, campaign: Campaign, status: Campaign.Status) -> Campaign:
    """Move the campaign along its lifecycle: draft → active ⇄ paused → closed."""
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if status not in ALLOWED_TRANSITIONS[Campaign.Status(campaign.status)]:
        raise TransitionNotAllowed(
            _("A %(current)s campaign cannot become %(new)s.")
            % {"current": campaign.get_status_display(), "new": Campaign.Status(status).label}
        )
    campaign.status = status
    update_fields = ["status", "updated_at"]
    if status == Campaign.Status.ACTIVE and campaign.launched_at is None:
        campaign.launched_at = timezone.now()
        update_fields.append("launched_at")
    campaign.save(update_fields=update_fields)
    return campaign


# What the settings page (and code creating campaigns) may change; status has its own service.
SETTINGS_FIELDS = frozenset(CAMPAIGN_SETTINGS)
QUESTION_FIELDS = frozenset({"title", "description", "required"})


class QuestionNotInCampaign(ValueError):
    pass


@transaction.atomic
def campaign_settings_update(*, campaign: Campaign, **fields: object) -> Campaign:
    """Change the campaign's editable settings and return it as saved."""
    unknown = set(fields) - SETTINGS_FIELDS
    if unknown:
        raise TypeError(f"Not a campaign setting: {', '.join(sorted(unknown))}")
    # A fresh, locked row: saving the caller's copy whole could undo a concurrent status change.
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    for name, value in fields.items():
        setattr(campaign, name, value)
    campaign.full_clean()
    campaign.save(update_fields=[*fields, "updated_at"])
    return campaign


@transaction.atomic
def questions_update(*, campaign: Campaign, changes: dict[int, dict[str, object]]) -> None:
    """Change titles, descriptions and required flags of the campaign's questions.

    Raise QuestionNotInCampaign, changing nothing, when an id is not one of the campaign's.
    """
    questions = {q.pk: q for q in campaign.questions.select_for_update().filter(pk__in=changes)}
    missing = set(changes) - set(questions)
    if missing:
        raise QuestionNotInCampaign(
            _("These questions are not the campaign's: %(ids)s")
            % {"ids": ", ".join(str(pk) for pk in sorted(missing, key=str))}
        )
    for pk, fields in changes.items():
        unknown = set(fields) - QUESTION_FIELDS
        if unknown:
            raise TypeError(f"Not a question setting: {', '.join(sorted(unknown))}")
        question = questions[pk]
        for name, value in fields.items():
            setattr(question, name, value)
        question.full_clean()
        question.save(update_fields=list(fields))


@transaction.atomic
def campaign_settings_save(
    *,
    campaign: Campaign,
    fields: dict[str, object],
    questions: dict[int, dict[str, object]],
) -> Campaign:
    """Save the settings page: the campaign's settings and its questions, all or nothing."""
    if fields:
        campaign = campaign_settings_update(campaign=campaign, **fields)
    questions_update(campaign=campaign, changes=questions)
    return campaign


def campaign_organizer_add(*, campaign: Campaign, user: AbstractBaseUser) -> None:
    """Give the user organizer rights on the campaign."""
    campaign.organizers.add(user)


@transaction.atomic
def records_triage_refresh(*, campaign: Campaign) -> int:
    """Run the triage checks again on every record of the campaign; return how many changed.

    Imports check each record as they write it; this is for records written before the
    checks existed, or after the checks changed.
    """
    changed = []
    records = Record.objects.filter(campaign=campaign).only(
        "id", "fields", "suspicion", "triage_flags"
    )
    for batch in _chunks(records.order_by("id").iterator(chunk_size=2000), 2000):
        triages = records_triage(
            ([Piece(**piece) for piece in record.fields] for record in batch),
            source_language=campaign.source_language,
            target_language=campaign.target_language,
        )
        for record, triage in zip(batch, triages, strict=True):
            flags = [flag.as_json() for flag in triage.flags]
            if (record.suspicion, record.triage_flags) != (triage.score, flags):
                record.suspicion, record.triage_flags = triage.score, flags
                changed.append(record)
    Record.objects.bulk_update(changed, ["suspicion", "triage_flags"], batch_size=2000)
    _suspect_records_count(campaign)
    return len(changed)


def _suspect_records_count(campaign: Campaign) -> None:
    # Counted through the partial index of suspect records; the cached campaign is forgotten
    # on commit, so the queue starts looking for them at once.
    suspects = Record.objects.filter(campaign=campaign, suspicion__gt=0).count()
    Campaign.objects.filter(pk=campaign.pk).update(suspect_records=suspects)
    campaign.suspect_records = suspects
    campaign_cache_forget(slug=campaign.slug, campaign_id=campaign.pk)


def _chunks(items: Iterable, size: int) -> Iterator[list]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk
