"""Write the dataset card (README.md) of an export.

The card is published with the data on the Hugging Face Hub, where dataset cards are read
in English by an international audience, so it is written in English rather than through
the site's translations.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import yaml
from django.utils.translation import override

from annotation.agreement import CampaignAgreement
from annotation.consensus.rule import RULE_DESCRIPTION
from campaigns.languages import language_name
from leaderboard.export.layouts import Layout


@dataclass(frozen=True, slots=True)
class ExportCounts:
    """What the export holds and where the campaign stands."""

    records_total: int
    exported: int
    validated: int
    reviewed: int
    disputed: int
    waiting: int
    responses: int
    contributors: int
    # Records the triage checks flagged at import (campaigns.triage), and of those, how many
    # the community's validated text corrects.
    flagged: int = 0
    flagged_corrected: int = 0


def _figure(value: float | None, *, percent: bool = False) -> str:
    if value is None:
        return "n/a"
    return f"{100 * value:.1f}%" if percent else f"{value:.3f}"


def card_text(
    *,
    title: str,
    description: str,
    layout: Layout,
    license_id: str,
    include: str,
    splits: Mapping[str, int],
    counts: ExportCounts,
    agreement: CampaignAgreement,
    credited: Sequence[str],
    task: str | None,
    language: str,
) -> str:
    """Return the card: Hub metadata, counts, agreement, consensus rule, license, credits.

    language: the code of the validated text's language (the campaign's target language).
    """
    with override("en"):
        language_english = language_name(language)
    header = {
        "license": license_id,
        "language": [language],
        "pretty_name": title,
        "tags": ["somos600m", "translation-validation"],
        "configs": [
            {
                "config_name": "default",
                "data_files": [
                    {"split": split, "path": f"data/{split}.parquet"} for split in splits
                ],
            },
            {
                "config_name": "responses",
                "data_files": [{"split": "train", "path": "responses/train.parquet"}],
            },
        ],
    }
    lines = [
        "---",
        yaml.safe_dump(header, allow_unicode=True, sort_keys=False).strip(),
        "---",
        "",
        f"# {title}",
        "",
    ]
    if description:
        lines += [description.strip(), ""]
    exported = (
        "validated records only"
        if include == "validated"
        else "every record; those not validated yet keep their machine translation"
    )
    lines += [
        f"{language_english} text validated by the #Somos600M community on Somos: volunteers"
        " checked the machine translation of every record and corrected it where needed. The"
        f" rows keep the source's layout (`{layout.preset}`), with the validated text in place"
        f" of the machine translation. This export holds {exported}.",
        "",
        "## Splits",
        "",
        "| split | rows |",
        "|---|---|",
        *(f"| {split} | {rows} |" for split, rows in splits.items()),
        "",
        "## Counts",
        "",
        "| | |",
        "|---|---|",
        f"| records in the campaign | {counts.records_total} |",
        f"| records in this export | {counts.exported} |",
        f"| validated | {counts.validated} |",
        f"| of which settled by a reviewer | {counts.reviewed} |",
        f"| disputed, waiting for review | {counts.disputed} |",
        f"| still collecting answers | {counts.waiting} |",
        f"| answers | {counts.responses} |",
        f"| contributors | {counts.contributors} |",
        f"| flagged as suspect translations at import | {counts.flagged} |",
        f"| of which corrected by the community | {counts.flagged_corrected} |",
        "",
        "## Agreement",
        "",
        "Krippendorff's alpha (nominal) and percentage agreement (share of agreeing pairs of"
        " answers to the same record), over records with at least two answers. Corrections"
        " are compared as text: the machine translation, or one of the distinct corrections"
        " of that record.",
        "",
        "| question | alpha | agreement | records | answers |",
        "|---|---|---|---|---|",
        *(
            f"| {item.question} | {_figure(item.alpha)} | {_figure(item.percent, percent=True)}"
            f" | {item.units} | {item.values} |"
            for item in agreement.questions
        ),
        "",
        "## Consensus rule",
        "",
        RULE_DESCRIPTION,
        "",
        "## Source and license",
        "",
        f"Source: {layout.source}. License of this export: `{license_id}`.",
        "",
        "## Files",
        "",
        "- `data/<split>.parquet` and `data/<split>.jsonl`: the rows, one file per split.",
        "- `disk/validated`: the same as a `datasets.DatasetDict` (`datasets.load_from_disk`).",
        "- `responses/train.parquet` (the `responses` configuration): every answer, one row per"
        " answer;"
        " contributors are pseudonymous unless they chose to be credited.",
        "- `spreadsheet/<split>.csv` and `spreadsheet/responses.csv`: the same rows and answers"
        " for spreadsheets; a cell a spreadsheet would run as a formula starts with an extra `'`.",
    ]
    if task:
        lines += [
            "- `lm_eval/`: an lm-evaluation-harness task that reads the JSON Lines files.",
            "",
            "## Evaluation",
            "",
            "From the root of this dataset (the task names its files relative to it):",
            "",
            "```",
            f"lm_eval --model hf --model_args pretrained=... --include_path lm_eval --tasks {task}",
            "```",
        ]
    lines += ["", "## Contributors", ""]
    anonymous = counts.contributors - len(credited)
    if credited:
        lines.append("With thanks to " + ", ".join(credited) + ".")
    if anonymous > 0:
        lines.append(
            f"{anonymous} more {'person' if anonymous == 1 else 'people'} contributed without"
            " being named."
        )
    return "\n".join(lines) + "\n"
