"""Two copies of one question form sent at once, on PostgreSQL: one question is filed."""

from __future__ import annotations

import pytest

from guides.models import GuideQuestion
from guides.services import question_ask
from tests.annotation.test_concurrency import run_together

pytestmark = pytest.mark.django_db(transaction=True)

COPIES = 6


def test_question_ask_sent_many_times_at_once_files_it_once(guide, volunteer):
    jobs = [
        lambda: question_ask(guide=guide, user=volunteer, text="¿Se traducen los nombres?")
        for _ in range(COPIES)
    ]
    run_together(jobs)
    assert GuideQuestion.objects.filter(guide=guide, asked_by=volunteer).count() == 1
