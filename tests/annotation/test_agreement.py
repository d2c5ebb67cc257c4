"""Agreement: Krippendorff's alpha against hand-worked values, percentages, campaign figures."""

from __future__ import annotations

import pytest

from annotation.agreement import (
    alpha_nominal,
    answers_agreement,
    campaign_agreement,
    contributors_agreement,
    disputes_per_guide_version,
    percent_agreement,
)
from annotation.services import response_submit
from campaigns.models import Question
from guides.services import guide_acknowledge, question_ask
from tests.factories import UserFactory

# Four records, two annotators: they agree on three.
#   r1: correct, correct   r2: correct, wrong   r3: wrong, wrong   r4: correct, correct
# Coincidences (ordered pairs within a record): o(c,c)=4, o(w,w)=2, o(c,w)=o(w,c)=1;
# n_c=5, n_w=3, n=8. Observed disagreement D_o = (o(c,w)+o(w,c))/n = 2/8;
# expected D_e = 2·n_c·n_w / (n(n-1)) = 30/56; alpha = 1 - D_o/D_e = 1 - 14/30 = 8/15.
HAND_WORKED = [
    ["correct", "correct"],
    ["correct", "wrong"],
    ["wrong", "wrong"],
    ["correct", "correct"],
]


def test_alpha_nominal_matches_the_hand_worked_example():
    assert alpha_nominal(HAND_WORKED) == pytest.approx(8 / 15)
    assert percent_agreement(HAND_WORKED) == pytest.approx(3 / 4)


def test_alpha_nominal_matches_krippendorffs_published_example():
    # Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", nominal data with
    # missing values: four observers, twelve units; alpha = 0.743.
    observers = [
        [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
        [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
        [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
        [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None],
    ]
    units = [[row[unit] for row in observers if row[unit] is not None] for unit in range(12)]
    assert alpha_nominal(units) == pytest.approx(0.743, abs=5e-4)


def test_alpha_nominal_is_undefined_without_disagreement_to_expect():
    assert alpha_nominal([["correct", "correct"], ["correct", "correct"]]) is None
    assert alpha_nominal([["correct"], ["wrong"]]) is None
    assert percent_agreement([["correct", "correct"]]) == 1.0
    assert percent_agreement([]) is None


def test_percent_agreement_counts_pairs_within_each_unit():
    # Three answers, two alike: one agreeing pair of three.
    assert percent_agreement([["a", "a", "b"]]) == pytest.approx(1 / 3)


def _questions() -> list[Question]:
    return [
        Question(name="verdict", title="Verdict", kind=Question.Kind.LABEL),
        Question(name="question_corrected", title="Q", kind=Question.Kind.TEXT, field="question"),
        Question(name="comment", title="Comment", kind=Question.Kind.TEXT),
    ]


def test_answers_agreement_compares_corrections_as_texts_per_record():
    translations = {"question": "¿Qué es?"}
    records = [
        # Unchanged and absent both keep the machine translation: agreement.
        (
            translations,
            [{"verdict": "correct", "question_corrected": "¿Qué es?"}, {"verdict": "correct"}],
        ),
        # The same correction, differing in whitespace only: agreement.
        (
            translations,
            [
                {"verdict": "minor_fixes", "question_corrected": "¿Qué  es esto?"},
                {"verdict": "minor_fixes", "question_corrected": " ¿Qué es esto?"},
            ],
        ),
        # One corrects, the other does not: disagreement.
        (
            translations,
            [{"verdict": "wrong", "question_corrected": "¿Cuál?"}, {"verdict": "correct"}],
        ),
        # A single answer tells nothing.
        (translations, [{"verdict": "correct"}]),
    ]
    result = answers_agreement(questions=_questions(), records=records)
    assert [item.question for item in result.questions] == ["verdict", "question_corrected"]
    verdict, text = result.questions
    assert result.overall == verdict
    assert (verdict.units, verdict.values) == (3, 6)
    assert verdict.percent == pytest.approx(2 / 3)
    # Text codes: r1 (0, 0), r2 (1, 1), r3 (1, 0): n0=3, n1=3, n=6; D_o=2/6,
    # D_e=2·3·3/30=18/30; alpha = 1 - (1/3)/(3/5) = 4/9.
    assert text.alpha == pytest.approx(4 / 9)
    assert text.percent == pytest.approx(2 / 3)


@pytest.mark.django_db
def test_campaign_agreement_and_contributors_from_submitted_answers(arc_campaign):
    first, second, third = UserFactory(), UserFactory(), UserFactory()
    records = list(arc_campaign.records.order_by("id")[:4])
    plan = [
        ("correct", "correct"),
        ("correct", "wrong"),
        ("wrong", "wrong"),
        ("correct", "correct"),
    ]
    for record, (one, two) in zip(records, plan, strict=True):
        response_submit(record=record, user=first, values={"verdict": one})
        wrong = {"question_corrected": "Otra pregunta"} if two == "wrong" else {}
        response_submit(record=record, user=second, values={"verdict": two, **wrong})
    response_submit(
        record=records[0],
        user=third,
        values={"verdict": "wrong", "question_corrected": "Otra pregunta"},
    )
    result = campaign_agreement(campaign=arc_campaign)
    assert (result.overall.units, result.overall.values) == (4, 9)
    # By hand: r0 (c, c, w) adds 1 to o(c,c), o(c,w) and o(w,c) (pairs weighted 1/(3-1));
    # r1 adds 1 to o(c,w) and o(w,c); r2 2 to o(w,w); r3 2 to o(c,c). So n_c=5, n_w=4, n=9
    # and alpha = 1 - (n-1)·(o(c,w)+o(w,c)) / (2·n_c·n_w) = 1 - 8·4/40 = 0.2.
    assert result.overall.alpha == pytest.approx(0.2)
    assert result.overall.percent == pytest.approx((1 + 0 + 1 + 1) / (3 + 1 + 1 + 1))
    rows = contributors_agreement(campaign=arc_campaign)
    # Lowest rate first; never shown in public.
    assert [(row.user, row.agreements, row.agreement_checks) for row in rows] == [
        (third, 0, 1),
        (first, 3, 3),
        (second, 3, 3),
    ]


@pytest.mark.django_db
def test_disputes_per_guide_version_counts_questions_and_disputed_records(guide, volunteer):
    guide_acknowledge(user=volunteer, version=guide.versions.get(number=1))
    response_submit(
        record=guide.campaign.records.first(), user=volunteer, values={"verdict": "correct"}
    )
    question_ask(guide=guide, user=volunteer, text="Duda")
    (row,) = disputes_per_guide_version(campaign=guide.campaign)
    assert (row.questions, row.records_answered, row.records_disputed) == (1, 1, 0)
    assert row.disputed_percent == 0
