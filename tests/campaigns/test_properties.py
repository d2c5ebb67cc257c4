"""Properties over generated input: importers are all or nothing, consensus is a fair rule.

Importers: any rows, in JSON Lines, CSV or Parquet, either become exactly those records or
are refused with problems that name the file and row, leaving no record behind and the
run marked failed. Consensus: the outcome does not depend on the order of the answers, a
strict majority wins, anything short of one goes to review, and the same answers always
settle the same way.
"""

from __future__ import annotations

import csv
import itertools
import json
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from django.db import transaction
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from annotation.consensus.rule import (
    CORRECT,
    NO_MAJORITY,
    NO_VERDICT,
    VERDICT_TIE,
    consensus_rule,
    text_normalise,
)
from annotation.models import Consensus
from annotation.services import response_submit
from campaigns.importers.presets.base import MAX_ID_LENGTH
from campaigns.importers.records import ImportRejected
from campaigns.importers.sources import Source
from campaigns.importers.sources.base import HEAD_BYTES, text_head_message
from campaigns.models import Campaign, ImportRun, Record
from campaigns.services import campaign_create, campaign_status_change, records_import
from dashboards.models import CampaignCounter
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

# Modest example counts keep the suite fast; no example database is written into the tree.
PROPERTIES = settings(
    max_examples=50,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

MAPPING = {"id": "id", "pairs": [["en", "es"]], "metadata": ["tema"]}


class _Undo(Exception):
    pass


@contextmanager
def _rolled_back() -> Iterator[None]:
    """Run one example in a savepoint that is undone, so examples never see each other."""
    try:
        with transaction.atomic():
            yield
            raise _Undo
    except _Undo:
        pass


# --------------------------------------------------------------------------------------------
# Importers

# Any text, NUL characters and halves of surrogate pairs included (JSON escapes them).
_any_text = st.text(st.characters(exclude_categories=()), max_size=12)
# Text a CSV or Parquet file can hold: valid Unicode, NUL included.
_valid_text = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=12)
_ids = st.one_of(_any_text, st.integers(min_value=-10, max_value=10**6), st.none())
_cells = st.one_of(_any_text, _any_text, _any_text, st.none(), st.integers(), st.booleans())


def _json_rows(text: st.SearchStrategy, ids: st.SearchStrategy) -> st.SearchStrategy:
    return st.lists(
        st.fixed_dictionaries(
            {"id": ids, "en": text, "es": text, "tema": text},
            optional={"notes": st.one_of(text, st.lists(text, max_size=2))},
        ),
        max_size=6,
    )


def _storable(value: object) -> bool:
    """Say whether PostgreSQL can store the value: no NUL, no half surrogate pair."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return False
        return "\x00" not in value
    if isinstance(value, list):
        return all(_storable(item) for item in value)
    return True


def _external_id(value: object) -> str | None:
    """Return the id a valid row gets, or None if the row's id is refused."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, str) and value.strip() and len(value.strip()) <= MAX_ID_LENGTH:
        return value.strip()
    return None


def _expected_records(rows: list[dict]) -> dict[str, list[dict]] | None:
    """Return the records the rows must become, or None if the import must be refused."""
    records: dict[str, list[dict]] = {}
    for row in rows:
        external_id = _external_id(row["id"])
        if (
            external_id is None
            or external_id in records
            or not all(isinstance(row[name], str) for name in ("en", "es"))
            or not all(_storable(value) for value in row.values())
        ):
            return None
        records[external_id] = [{"name": "es", "source": row["en"], "translation": row["es"]}]
    return records or None


def _import_checked(path: Path, rows: list[dict]) -> None:
    """Import path into a fresh generic campaign; check all-or-nothing against rows."""
    campaign = campaign_create(
        slug="propiedades", name="Propiedades", preset="generic", field_mapping=MAPPING
    )
    expected = _expected_records(rows)
    try:
        run = records_import(campaign=campaign, source=Source(path))
    except ImportRejected as rejection:
        assert expected is None, rejection
        assert rejection.problems
        # Only an empty file, or one that is not UTF-8 text at all (the problem then names
        # the byte), is refused as a whole; every other problem names its row.
        as_a_whole = not rows or (
            path.suffix != ".parquet"
            and text_head_message(path.read_bytes()[:HEAD_BYTES]) is not None
        )
        for problem in rejection.problems:
            assert problem.file == path.name
            assert (problem.row is None) == as_a_whole, problem
        assert not campaign.records.exists()
        failed = campaign.import_runs.get()
        assert failed.status == ImportRun.Status.FAILED
        assert failed.errors == str(rejection).splitlines()
        return
    assert expected is not None
    assert dict(campaign.records.values_list("external_id", "fields")) == expected
    assert (run.status, run.records_created, run.records_updated) == (
        ImportRun.Status.SUCCEEDED,
        len(expected),
        0,
    )
    stored = campaign.records.values_list("external_id", "metadata")
    assert dict(stored) == {_external_id(row["id"]): {"tema": row["tema"]} for row in rows}


@PROPERTIES
@given(rows=_json_rows(_cells, _ids))
def test_records_import_jsonl_stores_every_row_or_none(tmp_path_factory, rows):
    path = tmp_path_factory.mktemp("jsonl") / "filas.jsonl"
    # json.dumps escapes NUL and lone surrogates, as other writers do.
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    with _rolled_back():
        _import_checked(path, rows)


@PROPERTIES
@given(
    rows=st.lists(
        st.fixed_dictionaries(
            {"id": _valid_text, "en": _valid_text, "es": _valid_text, "tema": _valid_text}
        ),
        max_size=6,
    )
)
# Found by hypothesis: the duplicate-id message quoted a NUL, which the run's JSON refused.
@example(rows=[{"id": "\x00", "en": "", "es": "", "tema": ""}] * 2)
def test_records_import_csv_stores_every_row_or_none(tmp_path_factory, rows):
    path = tmp_path_factory.mktemp("csv") / "filas.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["id", "en", "es", "tema"])
        writer.writeheader()
        writer.writerows(rows)
    # A CSV cell is text: csv reads a lone "\r" or "\r\n" inside a quoted cell as written,
    # but an unquoted empty row is no row at all, so compare with what csv reads back.
    with path.open(encoding="utf-8", newline="") as handle:
        read_back = list(csv.DictReader(handle))
    with _rolled_back():
        _import_checked(path, read_back)


@PROPERTIES
@given(rows=_json_rows(_valid_text, st.one_of(_valid_text, st.none())))
def test_records_import_parquet_stores_every_row_or_none(tmp_path_factory, rows):
    path = tmp_path_factory.mktemp("parquet") / "filas.parquet"
    columns = {
        name: pa.array([row[name] for row in rows], pa.string())
        for name in ("id", "en", "es", "tema")
    }
    pq.write_table(pa.table(columns), path, row_group_size=4)
    with _rolled_back():
        _import_checked(path, [{name: row[name] for name in columns} for row in rows])


@PROPERTIES
@given(rows=_json_rows(_valid_text.filter(lambda text: "\x00" not in text), st.integers(0, 99)))
def test_records_import_again_changes_nothing(tmp_path_factory, rows):
    path = tmp_path_factory.mktemp("again") / "filas.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    with _rolled_back():
        campaign = campaign_create(
            slug="otra-vez", name="Otra vez", preset="generic", field_mapping=MAPPING
        )
        try:
            first = records_import(campaign=campaign, source=Source(path))
        except ImportRejected:
            assert _expected_records(rows) is None
            return
        before = list(campaign.records.order_by("id").values_list("id", "external_id", "fields"))
        again = records_import(campaign=campaign, source=Source(path))
        after = list(campaign.records.order_by("id").values_list("id", "external_id", "fields"))
        assert after == before
        assert (again.records_created, again.records_updated) == (0, first.records_created)
        assert CampaignCounter.objects.get(campaign=campaign).records_total == len(before)


# --------------------------------------------------------------------------------------------
# Consensus

VERDICTS = [CORRECT, "minor_fixes", "wrong"]
PIECES = ["question", "option_a"]
MACHINE = {"question": "¿Qué es?", "option_a": "Una  prueba"}
# Corrections: a few distinct texts, one equal to the machine text once normalised, and
# whitespace variants, so that ties and normalisation both happen often.
_corrections = st.sampled_from(
    [
        "¿Qué es esto?",
        "  ¿Qué es esto? ",
        "¿Qué  es\nesto?",
        "Otra cosa",
        "¿Qué es?",
        "",
        "Una prueba",
    ]
)
_answer = st.fixed_dictionaries(
    {},
    optional={
        "verdict": st.sampled_from([*VERDICTS, "", 3]),
        "question_corrected": _corrections,
        "option_a_corrected": _corrections,
    },
)
_answers = st.lists(_answer, min_size=1, max_size=7)


def _settled(outcome) -> tuple:
    """The parts of an outcome that no order of the answers may change."""
    pieces = {
        name: text if text is None else text_normalise(text)
        for name, text in outcome.pieces.items()
    }
    return outcome.status, outcome.verdict, round(outcome.agreement, 9), outcome.reason, pieces


def _tally(answers: list[dict]) -> Counter:
    return Counter(a["verdict"] for a in answers if isinstance(a.get("verdict"), str))


@PROPERTIES
@given(answers=_answers, data=st.data())
def test_consensus_rule_ignores_the_order_of_the_answers(answers, data):
    shuffled = data.draw(st.permutations(answers))
    assert _settled(consensus_rule(translations=MACHINE, answers=shuffled)) == _settled(
        consensus_rule(translations=MACHINE, answers=answers)
    )


@PROPERTIES
@given(answers=_answers)
def test_consensus_rule_settles_a_strict_majority_and_disputes_the_rest(answers):
    outcome = consensus_rule(translations=MACHINE, answers=answers)
    tally = _tally(answers)
    total = sum(tally.values())
    if not total:
        assert (outcome.status, outcome.verdict, outcome.reason) == (
            Consensus.Status.DISPUTED,
            "",
            NO_VERDICT,
        )
        return
    (leader, votes), *others = tally.most_common()
    assert outcome.agreement == pytest.approx(votes / total)
    if others and others[0][1] == votes:
        assert (outcome.status, outcome.verdict, outcome.reason) == (
            Consensus.Status.DISPUTED,
            "",
            VERDICT_TIE,
        )
    elif votes * 2 <= total:
        assert (outcome.status, outcome.verdict, outcome.reason) == (
            Consensus.Status.DISPUTED,
            "",
            NO_MAJORITY,
        )
    else:
        assert outcome.verdict == leader
        assert outcome.reason not in (VERDICT_TIE, NO_MAJORITY, NO_VERDICT)
        if leader == CORRECT:
            assert outcome.status == Consensus.Status.VALIDATED
            assert outcome.pieces == MACHINE


@PROPERTIES
@given(answers=_answers)
def test_consensus_rule_takes_texts_only_from_the_majority(answers):
    outcome = consensus_rule(translations=MACHINE, answers=answers)
    if outcome.status != Consensus.Status.VALIDATED:
        return
    majority = [a for a in answers if a.get("verdict") == outcome.verdict]
    for name, text in outcome.pieces.items():
        offered = {text_normalise(MACHINE[name])} | {
            text_normalise(a[name + "_corrected"])
            for a in majority
            if isinstance(a.get(name + "_corrected"), str)
        }
        assert text_normalise(text) in offered
        # What is stored is a text someone wrote (NFC, trimmed), never the folded key.
        assert text in {MACHINE[name]} | {
            a[name + "_corrected"].strip() for a in majority if name + "_corrected" in a
        }


@PROPERTIES
@given(answers=_answers)
def test_consensus_rule_gives_the_same_outcome_every_time(answers):
    first = consensus_rule(translations=MACHINE, answers=answers)
    copies = json.loads(json.dumps(answers))
    assert consensus_rule(translations=dict(MACHINE), answers=copies) == first
    assert consensus_rule(translations=MACHINE, answers=answers) == first


@settings(PROPERTIES, max_examples=15)
@given(
    verdicts=st.lists(st.sampled_from(VERDICTS), min_size=2, max_size=4),
    fixes=st.lists(st.sampled_from(["Arreglado", " arreglado", "Otro"]), min_size=1, max_size=4),
)
def test_consensus_stored_at_completion_matches_the_rule(verdicts, fixes):
    with _rolled_back():
        campaign = campaign_create(
            slug=f"consenso-{uuid.uuid4().hex[:12]}",
            name="Consenso",
            preset="okapi_arc",
            overlap=len(verdicts),
        )
        record = Record.objects.create(
            campaign=campaign,
            external_id="r1",
            fields=[{"name": "question", "source": "What is it?", "translation": "¿Qué es?"}],
        )
        campaign_status_change(campaign=campaign, status=Campaign.Status.ACTIVE)
        answers = [
            {"verdict": verdict}
            if verdict == CORRECT
            else {"verdict": verdict, "question_corrected": fix}
            for verdict, fix in zip(verdicts, itertools.cycle(fixes), strict=False)
        ]
        for values in answers:
            response_submit(record=record, user=UserFactory(), values=values)
        stored = Consensus.objects.get(record=record)
        expected = consensus_rule(translations={"question": "¿Qué es?"}, answers=answers)
        assert (stored.status, stored.verdict, stored.reason) == (
            expected.status,
            expected.verdict,
            expected.reason,
        )
        assert stored.agreement == pytest.approx(expected.agreement)
        record.refresh_from_db()
        assert record.status == expected.status
        if expected.status == Consensus.Status.VALIDATED:
            assert stored.pieces == expected.pieces
