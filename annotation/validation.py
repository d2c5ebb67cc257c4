"""Check a response's values against the campaign's questions and the record's pieces."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from campaigns.models import Question, Record

MAX_TEXT_LENGTH = 20_000


class ResponseInvalid(ValueError):
    """The values do not fit the questions; `errors` maps each question name to a message."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{name}: {message}" for name, message in errors.items()))
        self.errors = errors


@dataclass
class CleanValues:
    values: dict[str, object]
    corrections: int = 0
    errors: dict[str, str] = field(default_factory=dict)


def response_values_clean(
    *,
    record: Record,
    questions: Iterable[Question],
    values: Mapping[str, object],
    require_answers: bool,
) -> CleanValues:
    """Return the values a response may store, or raise ResponseInvalid naming each bad field."""
    translations = {piece["name"]: piece["translation"] for piece in record.fields}
    questions = list(questions)
    known = {question.name for question in questions}
    result = CleanValues(values={})
    for name in values:
        if name not in known:
            result.errors[name] = _("This campaign has no question named «%(name)s».") % {
                "name": name
            }
    for question in questions:
        if question.field and question.field not in translations:
            if values.get(question.name) not in (None, ""):
                result.errors[question.name] = _("This record has no such piece.")
            continue
        raw = values.get(question.name)
        if raw in (None, "", []):
            if question.required and require_answers:
                result.errors[question.name] = _("Answer this question.")
            continue
        cleaned = _clean_one(question, raw, result.errors)
        if cleaned is None:
            continue
        result.values[question.name] = cleaned
        is_correction = question.kind == Question.Kind.TEXT and question.field
        if is_correction and cleaned.strip() != translations[question.field].strip():
            result.corrections += 1
    if result.errors:
        raise ResponseInvalid(result.errors)
    return result


def _clean_one(question: Question, raw: object, errors: dict[str, str]) -> object | None:
    allowed = [option["value"] for option in question.options]
    if question.kind == Question.Kind.TEXT:
        if not isinstance(raw, str):
            errors[question.name] = _("Write text here.")
            return None
        if len(raw) > MAX_TEXT_LENGTH:
            errors[question.name] = _("Keep it under %(limit)s characters.") % {
                "limit": MAX_TEXT_LENGTH
            }
            return None
        problem = _text_problem(raw)
        if problem:
            errors[question.name] = problem
            return None
        return raw.replace("\r\n", "\n")
    if question.kind == Question.Kind.MULTI_LABEL:
        chosen = raw if isinstance(raw, list) else [raw]
        if not chosen or any(value not in allowed for value in chosen):
            errors[question.name] = _("Choose among the offered options.")
            return None
        return sorted(set(chosen), key=allowed.index)
    if question.kind == Question.Kind.RATING:
        try:
            rating = int(raw)
        except (TypeError, ValueError, OverflowError):
            rating = None
        if rating is None or (allowed and rating not in [int(v) for v in allowed]):
            errors[question.name] = _("Choose one of the offered ratings.")
            return None
        return rating
    if raw not in allowed:
        errors[question.name] = _("Choose one of the offered options.")
        return None
    return raw


def _text_problem(text: str) -> str | None:
    # PostgreSQL stores neither NUL characters nor lone surrogates (which only JSON bodies,
    # such as Argilla's webhooks, can carry): refuse them here rather than fail on save.
    if "\x00" in text:
        return _("Null characters are not allowed.")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return _("This text holds characters that are not valid Unicode.")
    return None
