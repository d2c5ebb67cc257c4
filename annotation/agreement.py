"""Measure how much annotators agree: Krippendorff's alpha (nominal) and percentage agreement.

Units are records and each submitted answer is one coder's value for a record; records with
fewer than two answers to a question tell nothing about agreement and are left out.

- Choice questions (the verdict, labels, ratings, multiple choice as a set) compare values
  as they are. The campaign's figure is its verdict question's, the one every record has.
- A piece's correction question compares the text each answer leaves: the machine
  translation when the answer left the piece alone (or wrote it unchanged), else the
  correction, normalised as consensus compares them. Texts are coded per record (0 for the
  machine translation, 1, 2, … for each distinct correction), because one record's texts
  never recur in another; the expected disagreement then measures how often answers in
  general keep or change a translation, which is the chance level that matters here.
- Percentage agreement is the share of agreeing pairs among all pairs of answers to the
  same record.

Each contributor's agreement with consensus is kept as counters (consensus/services.py) and is
for organizers only: it is never ranked in public.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import krippendorff
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from django.db.models import Count, Q

from annotation.consensus.rule import VERDICT, text_normalise
from annotation.models import Response
from campaigns.importers.json_codec import value_from_text
from campaigns.models import Campaign, Question, Record
from dashboards.models import ContributorCounter
from guides.models import GuideVersion
from guides.selectors import guide_of, questions_per_version


@dataclass(frozen=True, slots=True)
class Agreement:
    """Agreement on one question: alpha, percentage, and how much data it rests on."""

    question: str
    title: str
    alpha: float | None
    percent: float | None
    units: int
    values: int


@dataclass(frozen=True, slots=True)
class CampaignAgreement:
    """The campaign's figure (its verdict question) and every question's."""

    overall: Agreement | None
    questions: list[Agreement]


def _measure(
    units: np.ndarray, keys: np.ndarray, untouched: Sequence[tuple[int, int]] = ()
) -> tuple[float | None, float | None, int, int]:
    """Return alpha, percent, units and values from each value's unit and category.

    units: per value, the unit it belongs to (each unit's values side by side, units in
    order); keys: per value, its category (any integers). Units with fewer than two values
    tell nothing and are left out. untouched: (size, how many) of further units whose values
    are all category 0, counted after the others.

    The value-counts table has one row per unit whose values disagree, in unit order, then
    one row per category holding the summed size of the units that agree on it: such a unit
    adds its size to its category's coincidences whatever it is grouped with, so alpha is
    exactly the same, and a campaign where most answers agree needs a table of a few rows
    instead of one per record. Categories are the table's columns in order of first
    appearance (the untouched units' after the others).
    """
    starts = np.flatnonzero(np.r_[True, units[1:] != units[:-1]]) if len(units) else units
    sizes = np.diff(np.r_[starts, len(units)]).astype(np.int64)
    if len(sizes) and sizes.min() < 2:
        kept = np.repeat(sizes >= 2, sizes)
        units, keys = units[kept], keys[kept]
        starts = np.flatnonzero(np.r_[True, units[1:] != units[:-1]]) if len(units) else units
        sizes = np.diff(np.r_[starts, len(units)]).astype(np.int64)
    distinct, first_at = np.unique(keys, return_index=True)
    rank = np.empty(len(distinct), dtype=np.int64)
    rank[np.argsort(first_at, kind="stable")] = np.arange(len(distinct))
    columns = rank[np.searchsorted(distinct, keys)]
    width = len(distinct)
    untouched_column = None
    if untouched:
        where = np.searchsorted(distinct, 0)
        if where < len(distinct) and distinct[where] == 0:
            untouched_column = int(rank[where])
        else:
            untouched_column, width = width, width + 1
    if len(starts):
        same = np.minimum.reduceat(columns, starts) == np.maximum.reduceat(columns, starts)
    else:
        same = np.zeros(0, dtype=bool)
    unit_of = np.repeat(np.arange(len(starts)), sizes)
    split_row = np.cumsum(~same) - 1
    in_split = ~same[unit_of]
    cells, counts = np.unique(
        split_row[unit_of[in_split]] * max(width, 1) + columns[in_split], return_counts=True
    )
    split_units = int((~same).sum())
    uniform_columns = columns[starts[same]]
    uniform_sizes = sizes[same]
    present, first_uniform = np.unique(uniform_columns, return_index=True)
    uniform_order = present[np.argsort(first_uniform, kind="stable")].tolist()
    totals = dict.fromkeys(uniform_order, 0)
    for column, size in zip(uniform_columns.tolist(), uniform_sizes.tolist(), strict=True):
        totals[column] += size
    agreeing = int((counts * (counts - 1) // 2).sum()) + int(
        (uniform_sizes * (uniform_sizes - 1) // 2).sum()
    )
    pairs = int((sizes * (sizes - 1) // 2).sum())
    unit_count, value_count = len(starts), int(sizes.sum())
    for size, many in untouched:
        if size < 2:
            continue
        totals[untouched_column] = totals.get(untouched_column, 0) + size * many
        agreeing += size * (size - 1) // 2 * many
        pairs += size * (size - 1) // 2 * many
        unit_count += many
        value_count += size * many
    percent = agreeing / pairs if pairs else None
    # Undefined with no pairable value, or one category overall (nothing to expect).
    if not unit_count or width < 2:
        return None, percent, unit_count, value_count
    table = np.zeros((split_units + len(totals), max(width, 1)))
    table[cells // max(width, 1), cells % max(width, 1)] = counts
    for offset, (column, total) in enumerate(totals.items()):
        table[split_units + offset, column] = total
    alpha = krippendorff.alpha(value_counts=table, level_of_measurement="nominal")
    return (None if math.isnan(alpha) else float(alpha)), percent, unit_count, value_count


def _categories(units: Iterable[Sequence[Hashable]]) -> tuple[np.ndarray, np.ndarray]:
    """Return each value's unit and category from units given as their values."""
    unit_of: list[int] = []
    keys: list[int] = []
    categories: dict[Hashable, int] = {}
    for unit, values in enumerate(units):
        for value in values:
            unit_of.append(unit)
            keys.append(categories.setdefault(value, len(categories)))
    return np.array(unit_of, dtype=np.int64), np.array(keys, dtype=np.int64)


def alpha_nominal(units: Iterable[Sequence[Hashable]]) -> float | None:
    """Return Krippendorff's alpha (nominal) of units given as the values their coders gave."""
    return _measure(*_categories(units))[0]


def percent_agreement(units: Iterable[Sequence[Hashable]]) -> float | None:
    """Return the share of agreeing pairs among all pairs of values within the same unit."""
    return _measure(*_categories(units))[1]


def answers_agreement(
    *,
    questions: Sequence[Question],
    records: Iterable[tuple[Mapping[str, str], Sequence[Mapping[str, object]]]],
) -> CampaignAgreement:
    """Measure agreement per question from (machine translations, answer values) per record."""
    positions: list[int] = []
    values: list[Mapping[str, object]] = []
    machine: dict[int, Mapping[str, str]] = {}
    for position, (translations, answers) in enumerate(records):
        machine[position] = translations
        positions.extend([position] * len(answers))
        values.extend(answers)
    return answers_agreement_columns(
        questions=questions,
        records=np.array(positions, dtype=np.int64),
        values=AnswerValues(distinct=values, index=np.arange(len(values), dtype=np.int64)),
        texts=ComparedTexts(pieces={}, translations=machine),
    )


class ComparedTexts(NamedTuple):
    """The text each record's answers to a piece's correction question are compared with.

    A record's machine translation where it is given whole in translations (by record
    position); elsewhere its piece in pieces (per piece, per record position; null where the
    record has no such piece).
    """

    pieces: Mapping[str, pa.Array | pa.ChunkedArray]
    translations: Mapping[int, Mapping[str, str]]


class AnswerValues(NamedTuple):
    """Answers' values as a column: each distinct value once, and per answer its index."""

    distinct: Sequence[Mapping[str, object]]
    index: np.ndarray


def answer_values(texts: pa.Array | pa.ChunkedArray) -> AnswerValues:
    """Return a column of values given as JSON text, each distinct text decoded once."""
    encoded = texts.dictionary_encode()
    if isinstance(encoded, pa.ChunkedArray):
        encoded = encoded.unify_dictionaries().combine_chunks()
    return AnswerValues(
        distinct=[value_from_text(text) for text in encoded.dictionary.to_pylist()],
        index=encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64),
    )


def answers_agreement_columns(
    *,
    questions: Sequence[Question],
    records: np.ndarray,
    values: AnswerValues,
    texts: ComparedTexts,
) -> CampaignAgreement:
    """Measure agreement per question from answers given as columns.

    records: per answer, the position of its record (a record's answers side by side);
    values: per answer, its values; texts: what the answers to a piece's correction question
    are compared with.
    """
    measured = [question for question in questions if _comparable(question)]
    distinct, given = values.distinct, values.index
    starts = np.flatnonzero(np.r_[True, records[1:] != records[:-1]]) if len(records) else records
    sizes = np.diff(np.r_[starts, len(records)]).astype(np.int64)
    # Records with fewer than two answers tell nothing about agreement.
    pairable = np.repeat(sizes >= 2, sizes)
    records, given = records[pairable], given[pairable]
    starts = np.flatnonzero(np.r_[True, records[1:] != records[:-1]]) if len(records) else records
    sizes = np.diff(np.r_[starts, len(records)]).astype(np.int64)
    results = []
    text_units = None
    for question in measured:
        if question.kind == Question.Kind.TEXT:
            if text_units is None:
                text_units = _text_units(records, starts, sizes, texts)
            measure = _text_measure(question, distinct, given, text_units, texts)
        else:
            measure = _choice_measure(question, distinct, given, records)
        alpha, percent, units, count = measure
        results.append(
            Agreement(
                question=question.name,
                title=question.title,
                alpha=alpha,
                percent=percent,
                units=units,
                values=count,
            )
        )
    overall = next((result for result in results if result.question == VERDICT), None)
    return CampaignAgreement(overall=overall, questions=results)


def _choice_measure(
    question: Question, distinct: Sequence[Mapping], given: np.ndarray, records: np.ndarray
) -> tuple[float | None, float | None, int, int]:
    """Measure a choice question: answers without a value are left out of their unit."""
    categories: dict[Hashable, int] = {}
    keys = np.full(len(distinct), -1, dtype=np.int64)
    for index, value in enumerate(distinct):
        choice = value.get(question.name)
        if choice is None or choice == "" or choice == []:
            continue
        choice = tuple(choice) if isinstance(choice, list) else choice
        keys[index] = categories.setdefault(choice, len(categories))
    answer_keys = keys[given]
    kept = answer_keys >= 0
    return _measure(records[kept], answer_keys[kept])


class _TextUnits(NamedTuple):
    """What every correction question's measure shares: the units and their answers."""

    # Per answer, the position of its record (a record's answers side by side).
    records: np.ndarray
    starts: np.ndarray
    sizes: np.ndarray
    # Per unit, its record's position; per answer, its unit.
    unit_records: np.ndarray
    unit_of: np.ndarray
    # The units whose machine translation is given whole (ComparedTexts.translations).
    whole: dict[int, Mapping[str, str]]


def _text_units(
    records: np.ndarray, starts: np.ndarray, sizes: np.ndarray, texts: ComparedTexts
) -> _TextUnits:
    unit_records = records[starts]
    whole: dict[int, Mapping[str, str]] = {}
    if texts.translations and len(unit_records):
        # A record's unit by its position: each given record looked up once, not once per
        # unit and question.
        unit_at = np.full(int(unit_records.max()) + 1, -1, dtype=np.int64)
        unit_at[unit_records] = np.arange(len(unit_records))
        for record, translations in texts.translations.items():
            if 0 <= record < len(unit_at) and unit_at[record] >= 0:
                whole[int(unit_at[record])] = translations
    return _TextUnits(
        records=records,
        starts=starts,
        sizes=sizes,
        unit_records=unit_records,
        unit_of=np.repeat(np.arange(len(starts)), sizes),
        whole=whole,
    )


def _text_measure(
    question: Question,
    distinct: Sequence[Mapping],
    given: np.ndarray,
    units: _TextUnits,
    texts: ComparedTexts,
) -> tuple[float | None, float | None, int, int]:
    """Measure a piece's correction question over the texts each answer leaves (see above).

    Records nobody's answer corrects (no answer has the question) count as untouched: all
    their answers keep the machine translation. Only the others' machine text is looked at.
    """
    name, field = question.name, question.field
    records, starts, sizes, whole = units.records, units.starts, units.sizes, units.whole
    has_key = np.array([name in value for value in distinct], dtype=bool)
    # A text that is there and not blank; the rest keep the machine translation.
    written = [value.get(name) for value in distinct]
    written = [text if isinstance(text, str) and text.strip() else None for text in written]
    column = texts.pieces.get(field)
    has_piece = np.zeros(len(starts), dtype=bool)
    if column is not None and len(starts):
        present = pc.is_valid(column).to_numpy(zero_copy_only=False)
        has_piece = present[units.unit_records]
    for unit, translations in whole.items():
        has_piece[unit] = field in translations
    if len(starts):
        answered = np.logical_or.reduceat(has_key[given], starts)
    else:
        answered = np.zeros(0, dtype=bool)
    active = has_piece & answered
    untouched = Counter(sizes[has_piece & ~answered].tolist())
    active_units = np.flatnonzero(active)
    machine: dict[int, str] = {}
    from_column = [unit for unit in active_units.tolist() if unit not in whole]
    if from_column:
        positions = pa.array(units.unit_records[from_column], pa.int64())
        machine = dict(zip(from_column, column.take(positions).to_pylist(), strict=True))
    for unit, translations in whole.items():
        if active[unit]:
            machine[unit] = translations[field]
    in_active = active[units.unit_of]
    active_given = given[in_active]
    answer_units = units.unit_of[in_active]
    answer_text = pa.array(written, pa.string()).take(pa.array(active_given))
    answer_machine = pa.array([machine[unit] for unit in active_units.tolist()], pa.string()).take(
        pa.array(np.searchsorted(active_units, answer_units))
    )
    fixed = pc.fill_null(pc.not_equal(answer_text, answer_machine), False)
    codes = np.zeros(len(active_given), dtype=np.int64)
    normalised: dict[int, str] = {}
    per_unit: dict[int, dict[str, int]] = {}
    for position in np.flatnonzero(fixed.to_numpy(zero_copy_only=False)).tolist():
        unit = int(answer_units[position])
        codes_of = per_unit.get(unit)
        if codes_of is None:
            codes_of = per_unit[unit] = {text_normalise(machine[unit]): 0}
        index = int(active_given[position])
        if index not in normalised:
            normalised[index] = text_normalise(written[index])
        codes[position] = codes_of.setdefault(normalised[index], len(codes_of))
    return _measure(records[in_active], codes, list(untouched.items()))


def campaign_agreement(*, campaign: Campaign) -> CampaignAgreement:
    """Measure the campaign's agreement from every record with two or more answers."""
    answers: dict[int, list[dict]] = defaultdict(list)
    submitted = (
        Response.objects.filter(
            campaign=campaign, status=Response.Status.SUBMITTED, record__submitted_count__gte=2
        )
        .order_by("record_id", "id")
        .values_list("record_id", "values")
    )
    for record_id, values in submitted.iterator(chunk_size=5000):
        answers[record_id].append(values)
    fields = campaign.records.filter(submitted_count__gte=2).values_list("id", "fields")
    records = (
        ({piece["name"]: piece["translation"] for piece in pieces}, answers.get(record_id, []))
        for record_id, pieces in fields.iterator(chunk_size=5000)
    )
    return answers_agreement(questions=list(campaign.questions.all()), records=records)


def contributors_agreement(*, campaign: Campaign) -> list[ContributorCounter]:
    """Return each contributor's agreement with consensus, lowest rate first (organizers)."""
    counters = list(
        ContributorCounter.objects.filter(campaign=campaign, agreement_checks__gt=0)
        .select_related("user", "user__profile")
        .order_by("user_id")
    )
    counters.sort(key=lambda counter: (counter.agreements / counter.agreement_checks, counter.pk))
    return counters


@dataclass(frozen=True)
class GuideVersionDisputes:
    """One guide version: questions asked about it and how its records ended."""

    version: GuideVersion
    questions: int
    records_answered: int
    records_disputed: int

    @property
    def disputed_percent(self) -> int | None:
        if not self.records_answered:
            return None
        return round(100 * self.records_disputed / self.records_answered)


def disputes_per_guide_version(*, campaign: Campaign) -> list[GuideVersionDisputes]:
    """Per published guide version: questions asked, records answered under it, disputed ones."""
    rows = []
    for version, asked in questions_per_version(guide=guide_of(campaign)):
        records = Response.objects.filter(
            guide_version=version, status=Response.Status.SUBMITTED
        ).values("record_id")
        answered = Record.objects.filter(pk__in=records).aggregate(
            total=Count("id"), disputed=Count("id", filter=Q(status=Record.Status.DISPUTED))
        )
        rows.append(GuideVersionDisputes(version, asked, answered["total"], answered["disputed"]))
    return rows


def _comparable(question: Question) -> bool:
    if question.kind == Question.Kind.TEXT:
        # Free text with no piece to compare against has no categories to agree on.
        return bool(question.field)
    return True
