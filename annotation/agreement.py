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

import krippendorff
import numpy as np
from django.db.models import Count, Q

from annotation.consensus.rule import VERDICT, text_normalise
from annotation.models import Response
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


class Tally:
    """Count, per unit, how many values fell in each category (the value-counts table).

    Units whose values all agree are kept as one row per category holding their summed
    count: such a unit adds its size to its category's coincidences whatever it is grouped
    with, so alpha is exactly the same, and a campaign where most answers agree needs a
    table of a few rows instead of one per record. Pairs are counted per unit as they come.
    """

    def __init__(self) -> None:
        self.categories: dict[Hashable, int] = {}
        self.uniform: dict[int, int] = defaultdict(int)
        self.cells: list[tuple[int, int, int]] = []
        self.split_units = 0
        self.units = 0
        self.values = 0
        self.pairs = 0
        self.agreeing = 0

    def add_uniform(self, value: Hashable, size: int, units: int = 1) -> None:
        """Add units of size values each, all the same value."""
        if size < 2:
            return
        categories = self.categories
        self.uniform[categories.setdefault(value, len(categories))] += size * units
        pairs = size * (size - 1) // 2 * units
        self.pairs += pairs
        self.agreeing += pairs
        self.units += units
        self.values += size * units

    def add(self, values: Sequence[Hashable]) -> None:
        """Add one unit's values; a unit with fewer than two tells nothing and is skipped."""
        size = len(values)
        if size < 2:
            return
        first = values[0]
        if all(value == first for value in values):
            self.add_uniform(first, size)
            return
        categories = self.categories
        for value, count in Counter(values).items():
            column = categories.setdefault(value, len(categories))
            self.cells.append((self.split_units, column, count))
            self.agreeing += count * (count - 1) // 2
        self.pairs += size * (size - 1) // 2
        self.split_units += 1
        self.units += 1
        self.values += size

    def matrix(self) -> np.ndarray:
        """Return the table of counts: one row per split unit, one per agreeing category."""
        width = max(len(self.categories), 1)
        table = np.zeros((self.split_units + len(self.uniform), width))
        if self.cells:
            rows, columns, counts = np.array(self.cells, dtype=np.int64).T
            table[rows, columns] = counts
        for offset, (column, count) in enumerate(self.uniform.items()):
            table[self.split_units + offset, column] = count
        return table

    def alpha(self) -> float | None:
        """Return Krippendorff's alpha (nominal), or None where it is undefined."""
        # Undefined with no pairable value, or one category overall (nothing to expect).
        if not self.units or len(self.categories) < 2:
            return None
        alpha = krippendorff.alpha(value_counts=self.matrix(), level_of_measurement="nominal")
        return None if math.isnan(alpha) else float(alpha)

    def percent(self) -> float | None:
        """Return the share of agreeing pairs among all pairs of values in the same unit."""
        return self.agreeing / self.pairs if self.pairs else None

    def agreement(self, *, question: str, title: str) -> Agreement:
        """Return the question's agreement from what was counted."""
        return Agreement(
            question=question,
            title=title,
            alpha=self.alpha(),
            percent=self.percent(),
            units=self.units,
            values=self.values,
        )


def _tally(units: Iterable[Sequence[Hashable]]) -> Tally:
    tally = Tally()
    for values in units:
        tally.add(values)
    return tally


def alpha_nominal(units: Iterable[Sequence[Hashable]]) -> float | None:
    """Return Krippendorff's alpha (nominal) of units given as the values their coders gave."""
    return _tally(units).alpha()


def percent_agreement(units: Iterable[Sequence[Hashable]]) -> float | None:
    """Return the share of agreeing pairs among all pairs of values within the same unit."""
    return _tally(units).percent()


def answers_agreement(
    *,
    questions: Sequence[Question],
    records: Iterable[tuple[Mapping[str, str], Sequence[Mapping[str, object]]]],
) -> CampaignAgreement:
    """Measure agreement per question from (machine translations, answer values) per record."""
    measured = [question for question in questions if _comparable(question)]
    tallies = {question.name: Tally() for question in measured}
    choices = [(q, tallies[q.name]) for q in measured if q.kind != Question.Kind.TEXT]
    texts = [(q, tallies[q.name]) for q in measured if q.kind == Question.Kind.TEXT]
    # Pieces nobody touched, counted per (question, answers) and added at the end: every
    # answer keeps the machine translation there.
    untouched: Counter[tuple[str, int]] = Counter()
    for translations, answers in records:
        size = len(answers)
        if size < 2:
            continue
        for question, tally in choices:
            tally.add(_choice_values(question, answers))
        answered = set().union(*answers)
        for question, tally in texts:
            if question.field not in translations:
                continue
            if question.name in answered:
                machine = translations[question.field]
                tally.add(_text_codes(machine, [answer.get(question.name) for answer in answers]))
            else:
                untouched[question.name, size] += 1
    for (name, size), units in untouched.items():
        tallies[name].add_uniform(0, size, units)
    results = [
        tallies[question.name].agreement(question=question.name, title=question.title)
        for question in measured
    ]
    overall = next((result for result in results if result.question == VERDICT), None)
    return CampaignAgreement(overall=overall, questions=results)


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


def _text_codes(machine: str, texts: Sequence[object]) -> list[int]:
    """Code each answer's text: 0 for the machine translation, 1, 2, … per distinct fix."""
    codes: dict[str, int] = {}
    values = []
    for text in texts:
        # Most answers leave the pre-filled translation as it is: skip normalising those.
        if not isinstance(text, str) or text == machine or not text.strip():
            values.append(0)
            continue
        codes = codes or {text_normalise(machine): 0}
        values.append(codes.setdefault(text_normalise(text), len(codes)))
    return values


def _choice_values(question: Question, answers: Sequence[Mapping[str, object]]) -> list:
    values = []
    for answer in answers:
        value = answer.get(question.name)
        if value is None or value == "" or value == []:
            continue
        values.append(tuple(value) if isinstance(value, list) else value)
    return values
