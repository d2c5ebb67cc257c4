"""The words the registry's domains and tasks are written in, named in the visitor's language.

A dataset stores its domain and task as the paper's Table 5 writes them (English), so the
registry, its API and its exports keep one stable value. Pages show the known ones translated;
a value staff typed that is not listed here shows as it was typed.
"""

from __future__ import annotations

from django.utils.translation import pgettext_lazy

DOMAIN_NAMES = {
    "Miscellaneous": pgettext_lazy("leaderboard domain", "Miscellaneous"),
    "Language proficiency": pgettext_lazy("leaderboard domain", "Language proficiency"),
    "Science": pgettext_lazy("leaderboard domain", "Science"),
    "Press": pgettext_lazy("leaderboard domain", "Press"),
    "Legal": pgettext_lazy("leaderboard domain", "Legal"),
    "Clinical": pgettext_lazy("leaderboard domain", "Clinical"),
    "Hate speech": pgettext_lazy("leaderboard domain", "Hate speech"),
}

TASK_NAMES = {
    "Abstractive QA": pgettext_lazy("leaderboard task", "Abstractive QA"),
    "RAG and Abstractive QA": pgettext_lazy("leaderboard task", "RAG and Abstractive QA"),
    "Commonsense NLI": pgettext_lazy("leaderboard task", "Commonsense NLI"),
    "Multiple choice QA": pgettext_lazy("leaderboard task", "Multiple choice QA"),
    "NLI": pgettext_lazy("leaderboard task", "NLI"),
    "Classification": pgettext_lazy("leaderboard task", "Classification"),
    "Summarization": pgettext_lazy("leaderboard task", "Summarization"),
    "Open QA": pgettext_lazy("leaderboard task", "Open QA"),
    "Extractive QA": pgettext_lazy("leaderboard task", "Extractive QA"),
    "Counter narrative generation": pgettext_lazy(
        "leaderboard task", "Counter narrative generation"
    ),
    "Commonsense Reasoning": pgettext_lazy("leaderboard task", "Commonsense Reasoning"),
    "Paraphrasing": pgettext_lazy("leaderboard task", "Paraphrasing"),
}


def domain_name(value: str) -> str:
    """The domain in the active language if the vocabulary knows it, else as stored."""
    return str(DOMAIN_NAMES.get(value, value))


def task_name(value: str) -> str:
    """The task in the active language if the vocabulary knows it, else as stored."""
    return str(TASK_NAMES.get(value, value))
