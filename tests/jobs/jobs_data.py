"""What the job tests import: an MMLU pair as uploads, and a new campaign's fields."""

from __future__ import annotations

from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile


def uploads_of(english: Path, spanish: Path) -> list[SimpleUploadedFile]:
    """The two files as the new-campaign form would receive them."""
    return [
        SimpleUploadedFile(english.name, english.read_bytes()),
        SimpleUploadedFile(spanish.name, spanish.read_bytes()),
    ]


def new_mmlu_campaign(slug: str) -> dict:
    """The fields of a new Okapi MMLU campaign, as import_job_start's `create` takes them."""
    return {
        "slug": slug,
        "name": slug,
        "preset": "okapi_mmlu",
        "description": "",
        "overlap": 2,
        "source_language": "en",
        "target_language": "es",
        "field_mapping": None,
    }
