"""An import that changes the text of a settled record settles it again (found by the life model).

The answers judged the old machine text: the consensus must describe the text the record holds
now, or the export writes a text nobody's answers stand for. A reviewer's decision stays.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from annotation.consensus.services import consensus_decide
from annotation.models import Consensus
from annotation.services import campaign_join, response_submit
from campaigns.importers.sources import Source
from campaigns.models import Record
from campaigns.services import campaign_settings_update, records_import
from dashboards.models import CampaignCounter
from tests.factories import ARC_SOURCE, ARC_TRANSLATION, UserFactory, arc_campaign_build

pytestmark = pytest.mark.django_db


def _translation_changed(folder: Path, questions: dict[str, str]) -> Path:
    """The shipped Spanish translation with these records' questions translated anew."""
    rows = [json.loads(line) for line in ARC_TRANSLATION.read_text(encoding="utf-8").splitlines()]
    for row in rows:
        row["instruction"] = questions.get(row["id"], row["instruction"])
    path = folder / "okapi_es.jsonl"
    path.write_text("\n".join(json.dumps(row, ensure_ascii=False) for row in rows), "utf-8")
    return path


def _answer(record: Record, values: dict) -> None:
    user = UserFactory()
    campaign_join(campaign=record.campaign, user=user)
    response_submit(record=record, user=user, values=values)


def import_that_changes_settled_texts_settles_them_again(folder: Path) -> None:
    campaign = arc_campaign_build(slug="reimport")
    campaign = campaign_settings_update(campaign=campaign, overlap=2)
    fixed, reviewed = Record.objects.filter(campaign=campaign).order_by("pk")[:2]
    for record in (fixed, reviewed):
        _answer(record, {"verdict": "correct"})
    _answer(fixed, {"verdict": "correct"})
    _answer(reviewed, {"verdict": "wrong", "question_corrected": "Otra pregunta."})
    fixed.refresh_from_db()
    assert fixed.consensus.pieces["question"] == fixed.fields[0]["translation"]
    reviewed.refresh_from_db()
    consensus_decide(
        record=reviewed,
        reviewer=UserFactory(),
        verdict="correct",
        pieces={piece["name"]: piece["translation"] for piece in reviewed.fields},
        note="Vale.",
    )
    decided = Consensus.objects.get(record=reviewed).pieces

    translation = _translation_changed(
        folder,
        {fixed.external_id: "¿Pregunta traducida de nuevo?", reviewed.external_id: "¿Otra?"},
    )
    records_import(
        campaign=campaign, source=Source(path=ARC_SOURCE), translation=Source(path=translation)
    )

    fixed.refresh_from_db()
    assert fixed.fields[0]["translation"] == "¿Pregunta traducida de nuevo?"
    consensus = Consensus.objects.get(record=fixed)
    assert consensus.status == Consensus.Status.VALIDATED == fixed.status
    assert consensus.pieces["question"] == "¿Pregunta traducida de nuevo?"
    # The reviewer's decision stays as it was made.
    assert Consensus.objects.get(record=reviewed).pieces == decided
    counter = CampaignCounter.objects.get(campaign=campaign)
    assert (counter.records_validated, counter.records_disputed) == (2, 0)


def test_import_that_changes_settled_texts_settles_them_again(tmp_path):
    import_that_changes_settled_texts_settles_them_again(tmp_path)
