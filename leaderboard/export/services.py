"""Export a campaign: validated rows in the source layout, every answer, card, harness task.

`read` gathers the records and answers, `write` the files; here the export is run,
checked, pushed to the Hub if asked, and registered as a new version of its leaderboard
dataset.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow.compute as pc
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from annotation.agreement import CampaignAgreement, answers_agreement_columns
from annotation.consensus.bulk import consensus_compute_pending
from annotation.consensus.selectors import suspect_fixed_count
from campaigns.models import Campaign, Record
from campaigns.progress import Progress, WorkCancelled, no_progress
from leaderboard.export.card import ExportCounts, card_text
from leaderboard.export.harness import harness_task_write, task_name
from leaderboard.export.layouts import Layout, layout_get
from leaderboard.export.read import (
    INCLUDE_CHOICES,
    INCLUDE_PENDING,
    INCLUDE_VALIDATED,
    REVIEWED,
    export_load,
)
from leaderboard.export.write import dataset_write, export_zip, responses_write
from leaderboard.models import LeaderboardDataset, LeaderboardDatasetVersion
from leaderboard.services import campaign_target_ensure

__all__ = [
    "INCLUDE_CHOICES",
    "INCLUDE_PENDING",
    "INCLUDE_VALIDATED",
    "ExportError",
    "ExportResult",
    "campaign_export",
    "export_zip",
]


class ExportError(Exception):
    """The export cannot be written; the message says why and what to do."""


@dataclass
class ExportResult:
    """Where the export went, what it holds and the registry version it became."""

    folder: Path
    splits: dict[str, int]
    counts: ExportCounts
    agreement: CampaignAgreement
    version: LeaderboardDatasetVersion
    task: str | None
    hub_url: str
    timings: dict[str, float] = field(default_factory=dict)


def campaign_export(
    *,
    campaign: Campaign,
    folder: Path,
    include: str = INCLUDE_VALIDATED,
    user: AbstractBaseUser | None = None,
    push_to_hub: str = "",
    token: str | None = None,
    progress: Progress | None = None,
) -> ExportResult:
    """Write the campaign's dataset into folder, register the version, push it if asked.

    `progress` hears of the steps done (consensus, reading, agreement, writing, the push if
    asked, the registration) out of their number. When it raises, the export stops: the files
    it wrote are removed and no version is registered (one pushed to the Hub stays there).
    """
    if include not in INCLUDE_CHOICES:
        raise ExportError(
            _("--include must be one of: %(choices)s") % {"choices": ", ".join(INCLUDE_CHOICES)}
        )
    folder = Path(folder)
    if folder.exists() and any(folder.iterdir()):
        raise ExportError(
            _("%(folder)s is not empty; export into a new or empty folder.") % {"folder": folder}
        )
    if push_to_hub:
        token = token or _hub_token()
    created = not folder.exists()
    try:
        return _export(
            campaign=campaign,
            folder=folder,
            include=include,
            user=user,
            push_to_hub=push_to_hub,
            token=token,
            report=progress or no_progress,
        )
    except WorkCancelled:
        _written_remove(folder=folder, created=created)
        raise


def _export(
    *,
    campaign: Campaign,
    folder: Path,
    include: str,
    user: AbstractBaseUser | None,
    push_to_hub: str,
    token: str | None,
    report: Progress,
) -> ExportResult:
    """Run the export's steps, telling `report` of each one done."""
    steps = 6 if push_to_hub else 5
    report(0, steps)
    layout = layout_get(campaign.preset)
    timings: dict[str, float] = {"consensus": 0.0}
    started = time.perf_counter()
    loaded = export_load(campaign=campaign, layout=layout, include=include)
    timings["load"] = time.perf_counter() - started
    if loaded.counts.get(Record.Status.COMPLETED):
        # Records completed but not settled (a bulk load, answers from before consensus):
        # settled now, then read again. Usually there are none, as submits settle records
        # when they complete; asking before reading would scan the whole table once more.
        started = time.perf_counter()
        consensus_compute_pending(campaign=campaign)
        timings["consensus"] = time.perf_counter() - started
        started = time.perf_counter()
        loaded = export_load(campaign=campaign, layout=layout, include=include)
        timings["load"] += time.perf_counter() - started
    responses = loaded.responses
    report(1, steps)
    report(2, steps)

    folder.mkdir(parents=True, exist_ok=True)
    questions = list(campaign.questions.all())
    # Every answer's files and the rows' files are written beside the agreement: Arrow
    # writes them mostly without holding the GIL, and the agreement is Python's work, so on
    # two cores the files cost the export little time of their own.
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="export-write") as writers:
        credited_written = writers.submit(responses_write, folder=folder, responses=responses)
        splits_written = writers.submit(
            dataset_write, folder=folder, layout=layout, records=loaded.records
        )
        started = time.perf_counter()
        agreement = answers_agreement_columns(
            questions=questions,
            records=loaded.answer_records,
            values=loaded.values,
            texts=loaded.compared,
        )
        timings["agreement"] = time.perf_counter() - started
        report(3, steps)

        started = time.perf_counter()
        splits = splits_written.result()
        credited = credited_written.result()
    task = None
    if layout.harness:
        task = task_name(
            harness=layout.harness, language=campaign.target_language, slug=campaign.slug
        )
        harness_task_write(
            harness=layout.harness,
            task=task,
            folder=folder / "lm_eval",
            # Relative to the export's root, so that the export runs wherever it is unzipped.
            data_files={split: f"data/{split}.jsonl" for split in splits},
            title=campaign.name,
        )
    counts = ExportCounts(
        records_total=sum(n for key, n in loaded.counts.items() if key != REVIEWED),
        exported=len(loaded.records),
        validated=loaded.counts.get(Record.Status.VALIDATED, 0),
        reviewed=loaded.counts.get(REVIEWED, 0),
        disputed=loaded.counts.get(Record.Status.DISPUTED, 0),
        waiting=loaded.counts.get(Record.Status.PENDING, 0)
        + loaded.counts.get(Record.Status.COMPLETED, 0),
        responses=responses.num_rows,
        contributors=pc.count_distinct(responses.column("contributor")).as_py(),
        flagged=Record.objects.filter(campaign=campaign, suspicion__gt=0).count(),
        flagged_corrected=suspect_fixed_count(campaign=campaign),
    )
    leaderboard = campaign_target_ensure(campaign=campaign, layout=layout, user=user)
    license_id = leaderboard.license or layout.license
    (folder / "README.md").write_text(
        card_text(
            title=campaign.name,
            description=campaign.description,
            layout=layout,
            license_id=license_id,
            include=include,
            splits=splits,
            counts=counts,
            agreement=agreement,
            credited=credited,
            task=task,
            language=campaign.target_language,
        ),
        encoding="utf-8",
    )
    timings["write"] = time.perf_counter() - started
    report(4, steps)

    hub_url = ""
    if push_to_hub:
        hub_url = _push(
            folder=folder,
            repo=push_to_hub,
            token=token,
            layout=layout,
            task=task,
            splits=splits,
            title=campaign.name,
        )
        report(5, steps)
    with transaction.atomic():
        version = _version_register(
            leaderboard=leaderboard,
            campaign=campaign,
            counts=counts,
            include=include,
            location=hub_url or str(folder.resolve()),
            hub_repo=push_to_hub,
            user=user,
        )
        # The last report inside the registration's transaction: cancelled there, the export
        # still leaves no version behind.
        report(steps, steps)
    return ExportResult(
        folder=folder,
        splits=splits,
        counts=counts,
        agreement=agreement,
        version=version,
        task=task,
        hub_url=hub_url,
        timings=timings,
    )


@transaction.atomic
def _version_register(
    *,
    leaderboard: LeaderboardDataset,
    campaign: Campaign,
    counts: ExportCounts,
    include: str,
    location: str,
    hub_repo: str,
    user: AbstractBaseUser | None,
) -> LeaderboardDatasetVersion:
    """Record the export as the next version of its leaderboard dataset."""
    dataset = LeaderboardDataset.objects.select_for_update().get(pk=leaderboard.pk)
    number = (dataset.versions.aggregate(last=Max("number"))["last"] or 0) + 1
    version = LeaderboardDatasetVersion.objects.create(
        dataset=dataset,
        number=number,
        campaign=campaign,
        records=counts.exported,
        records_validated=counts.validated,
        records_total=counts.records_total,
        include=include,
        location=location,
        notes=_("Exported from the campaign %(name)s (%(include)s records).")
        % {"name": campaign.name, "include": include},
        created_by=user,
        # Operators (the command line) and staff publish; an organizer proposes.
        published=user is None or user.is_staff,
    )
    if hub_repo and dataset.hf_repo != hub_repo:
        dataset.hf_repo = hub_repo
        dataset.save(update_fields=["hf_repo"])
    return version


def _written_remove(*, folder: Path, created: bool) -> None:
    """Remove what a cancelled export wrote: the folder was new or empty when it began."""
    if created:
        shutil.rmtree(folder, ignore_errors=True)
        return
    for path in folder.iterdir() if folder.exists() else ():
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)


def _hub_token() -> str:
    from huggingface_hub import get_token

    token = get_token()
    if not token:
        raise ExportError(
            _("Pushing to the Hugging Face Hub needs a token: set HF_TOKEN or log in with `hf`.")
        )
    return token


def _push(
    *,
    folder: Path,
    repo: str,
    token: str | None,
    layout: Layout,
    task: str | None,
    splits: Mapping[str, int],
    title: str,
) -> str:
    """Upload the export (without the saved-to-disk copies) to a Hub dataset repository."""
    from huggingface_hub import HfApi

    api = HfApi(token=token)
    try:
        api.create_repo(repo, repo_type="dataset", exist_ok=True)
        api.upload_folder(
            folder_path=str(folder),
            repo_id=repo,
            repo_type="dataset",
            ignore_patterns=["disk/**", "lm_eval/**"],
        )
        if layout.harness and task:
            with tempfile.TemporaryDirectory() as scratch:
                # The pushed task reads the pushed files, not this machine's.
                harness_task_write(
                    harness=layout.harness,
                    task=task,
                    folder=Path(scratch),
                    data_files={
                        split: f"hf://datasets/{repo}/data/{split}.jsonl" for split in splits
                    },
                    title=title,
                )
                api.upload_folder(
                    folder_path=scratch, repo_id=repo, repo_type="dataset", path_in_repo="lm_eval"
                )
    except Exception as error:
        raise ExportError(
            _("Could not push to the Hub (%(error)s); the export is in %(folder)s.")
            % {"error": error, "folder": folder}
        ) from error
    return f"https://huggingface.co/datasets/{repo}"
