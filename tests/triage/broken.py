"""Build triage evaluation sets: shipped records, some broken the way machine translation breaks.

The pool is the shipped MMLU and ARC-Challenge samples with their Okapi Spanish (60 records).
Under the `okapi_mmlu` preset the ARC items are written as one more MMLU subject,
`arc_challenge`, so that `broken_rows_files` can hand all 60 to an MMLU import; under
`okapi_arc` the pool is the 25 ARC items with their own ids. Pieces are named and filled as
the presets fill them: `question` (English question, Okapi `instruction`), then `option_a`….
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from campaigns.importers.records import Piece
from campaigns.samples import SAMPLE_DATA

LETTERS = "abcde"
ARC_SUBJECT = "arc_challenge"
OTHER_LANGUAGE = (
    "A célula é a unidade básica da vida e todos os seres vivos são formados por células.",
    "Qual das seguintes opções descreve melhor a energia mecânica do carrinho no alto da colina?",
    "Quina de les següents opcions descriu millor l'energia mecànica del carretó?",
    "La cèl·lula és la unitat bàsica de la vida i tots els éssers vius en tenen.",
    "Laquelle des options suivantes décrit le mieux l'énergie mécanique du chariot ?",
    "La cellule est l'unité de base de la vie et tous les êtres vivants en sont faits.",
)
PLACEHOLDERS = ("N/A", "...", "TODO", "[translation]")
_NUMBER = re.compile(r"[0-9]+")
_FORMULA = re.compile(r"\b[0-9]*[A-Z][A-Za-z]?[0-9]+\w*|\b\w+[\^_][0-9]+")
_LETTER_WORD = re.compile(r"[^\W\d_]{2,}")


@dataclass(frozen=True)
class Item:
    """One sample record, clean or broken, and what an MMLU file needs to hold it again."""

    external_id: str
    subject: str
    row_index: int
    answer: int
    pieces: list[Piece]


def clean_items(preset: str = "okapi_mmlu") -> list[Item]:
    """The shipped records as the preset would import them, in file order."""
    if preset == "okapi_mmlu":
        return _mmlu_items() + _arc_items(as_mmlu=True)
    if preset == "okapi_arc":
        return _arc_items(as_mmlu=False)
    raise ValueError(f"no shipped Spanish sample for preset {preset!r}")


def _rows(name: str) -> list[dict]:
    lines = (SAMPLE_DATA / name).read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


def _pieces(question: str, choices: list[str], spanish: dict) -> list[Piece]:
    pieces = [Piece("question", question, spanish["instruction"])]
    for letter, choice in zip(LETTERS, choices, strict=False):
        pieces.append(Piece(f"option_{letter}", choice, spanish[f"option_{letter}"]))
    return pieces


def _mmlu_items() -> list[Item]:
    english = _rows("mmlu_validation_en.jsonl")
    spanish = _rows("okapi_mmlu_val_es.jsonl")
    return [
        Item(
            es["id"],
            en["subject"],
            en["_row_index"],
            en["answer"],
            _pieces(en["question"], en["choices"], es),
        )
        for en, es in zip(english, spanish, strict=True)
    ]


def _arc_items(*, as_mmlu: bool) -> list[Item]:
    english = _rows("arc_challenge_validation_en.jsonl")
    spanish = _rows("okapi_arc_challenge_validation_es.jsonl")
    items = []
    for index, (en, es) in enumerate(zip(english, spanish, strict=True)):
        external_id = f"{ARC_SUBJECT}/val/{index}" if as_mmlu else es["id"]
        answer = en["choices"]["label"].index(en["answerKey"])
        pieces = _pieces(en["question"], en["choices"]["text"], es)
        items.append(Item(external_id, ARC_SUBJECT, index, answer, pieces))
    return items


Breakage = Callable[[list[Piece], random.Random, list[Item]], list[Piece] | None]


def _words(text: str) -> int:
    return len(_LETTER_WORD.findall(text))


def _some(rng: random.Random, pieces: list[Piece], test: Callable[[Piece], bool]) -> int | None:
    """The index of a piece passing test, chosen by rng, or None."""
    fitting = [index for index, piece in enumerate(pieces) if test(piece)]
    return rng.choice(fitting) if fitting else None


def _set(pieces: list[Piece], index: int, translation: str) -> list[Piece]:
    changed = list(pieces)
    changed[index] = replace(pieces[index], translation=translation)
    return changed


def left_in_english(
    pieces: list[Piece], rng: random.Random, pool: list[Item]
) -> list[Piece] | None:
    """Copy a piece's original over its translation."""
    index = _some(rng, pieces, lambda piece: _words(piece.source) >= 4)
    return None if index is None else _set(pieces, index, pieces[index].source)


def other_language(pieces: list[Piece], rng: random.Random, pool: list[Item]) -> list[Piece] | None:
    """Put Portuguese, Catalan or French, or another record's English, in a piece's place."""
    index = _some(rng, pieces, lambda piece: _words(piece.source) >= 4)
    if index is None:
        return None
    if rng.random() < 0.5:
        return _set(pieces, index, rng.choice(OTHER_LANGUAGE))
    own = {piece.source for piece in pieces}
    english = [
        other.source
        for item in pool
        for other in item.pieces
        if other.source not in own and _words(other.source) >= 6
    ]
    return _set(pieces, index, rng.choice(english))


def cut_short(pieces: list[Piece], rng: random.Random, pool: list[Item]) -> list[Piece] | None:
    """Keep the first 30–40 % of a long piece's translation."""
    index = _some(rng, pieces, lambda piece: len(piece.source) >= 60)
    if index is None:
        return None
    translation = pieces[index].translation
    kept = translation[: int(len(translation) * rng.uniform(0.3, 0.4))]
    return _set(pieces, index, kept.rsplit(" ", 1)[0] if " " in kept else kept)


def number_changed(pieces: list[Piece], rng: random.Random, pool: list[Item]) -> list[Piece] | None:
    """Change one number of a translation: reverse its digits, or add a little to it."""
    index = _some(rng, pieces, lambda piece: _NUMBER.search(piece.translation) is not None)
    if index is None:
        return None
    translation = pieces[index].translation
    match = rng.choice(list(_NUMBER.finditer(translation)))
    digits = match[0]
    changed = digits[::-1].lstrip("0")
    if not changed or changed == digits:
        changed = str(int(digits) + rng.randint(1, 9))
    return _set(pieces, index, translation[: match.start()] + changed + translation[match.end() :])


def formula_changed(
    pieces: list[Piece], rng: random.Random, pool: list[Item]
) -> list[Piece] | None:
    """Change a digit inside a formula ("CO2" → "CO3", "Z_4" → "Z_5")."""
    index = _some(
        rng,
        pieces,
        lambda piece: any(m[0] in piece.translation for m in _FORMULA.finditer(piece.source)),
    )
    if index is None:
        return None
    piece = pieces[index]
    formula = rng.choice(
        [m[0] for m in _FORMULA.finditer(piece.source) if m[0] in piece.translation]
    )
    digit = rng.choice([position for position, char in enumerate(formula) if char.isdigit()])
    altered = formula[:digit] + str((int(formula[digit]) + 1) % 10) + formula[digit + 1 :]
    return _set(pieces, index, piece.translation.replace(formula, altered, 1))


def options_identical(
    pieces: list[Piece], rng: random.Random, pool: list[Item]
) -> list[Piece] | None:
    """Give one option the translation of another."""
    options = [index for index, piece in enumerate(pieces) if piece.name.startswith("option_")]
    first, second = rng.sample(options, 2)
    return _set(pieces, second, pieces[first].translation)


def options_swapped(
    pieces: list[Piece], rng: random.Random, pool: list[Item]
) -> list[Piece] | None:
    """Swap the translations of two options whose numbers differ."""
    numbered = [
        index
        for index, piece in enumerate(pieces)
        if piece.name.startswith("option_") and _NUMBER.search(piece.source)
    ]
    pairs = [
        (a, b)
        for a in numbered
        for b in numbered
        if a < b and _NUMBER.findall(pieces[a].source) != _NUMBER.findall(pieces[b].source)
    ]
    if not pairs:
        return None
    first, second = rng.choice(pairs)
    swapped = _set(pieces, first, pieces[second].translation)
    return _set(swapped, second, pieces[first].translation)


def looping(pieces: list[Piece], rng: random.Random, pool: list[Item]) -> list[Piece] | None:
    """Repeat a phrase of 2–4 words of a translation so it comes three or four times in a row."""
    index = _some(rng, pieces, lambda piece: len(piece.translation.split()) >= 6)
    if index is None:
        return None
    words = pieces[index].translation.split()
    size = rng.randint(2, 4)
    start = rng.randrange(len(words) - size + 1)
    phrase = words[start : start + size]
    looped = words[: start + size] + phrase * rng.randint(2, 3) + words[start + size :]
    return _set(pieces, index, " ".join(looped))


def emptied(pieces: list[Piece], rng: random.Random, pool: list[Item]) -> list[Piece] | None:
    """Empty the question, or put a placeholder in an option (an import refuses empty options)."""
    index = rng.randrange(len(pieces))
    filler = "" if pieces[index].name == "question" else rng.choice(PLACEHOLDERS)
    return _set(pieces, index, filler)


BREAKAGES: tuple[Breakage, ...] = (
    left_in_english,
    other_language,
    cut_short,
    number_changed,
    formula_changed,
    options_identical,
    options_swapped,
    looping,
    emptied,
)


def broken_items(
    seed: int, count: int, broken: int, preset: str = "okapi_mmlu"
) -> tuple[list[Item], dict[str, str]]:
    """Pick count clean items and break `broken` of them, one breakage each, cycling.

    Return the items in a seeded order and, by external id, the name of each breakage made.
    """
    rng = random.Random(seed)
    pool = clean_items(preset)
    if count > len(pool) or broken > count:
        raise ValueError(f"the {preset} samples hold {len(pool)} records")
    chosen = rng.sample(pool, count)
    intact = list(range(count))
    rng.shuffle(intact)
    made: dict[str, str] = {}
    # The cycle starts at the seed, so that a few seeds cover every breakage.
    for step in range(broken * len(BREAKAGES)):
        if len(made) == broken:
            break
        breakage = BREAKAGES[(seed + step) % len(BREAKAGES)]
        for position in intact:
            pieces = breakage(chosen[position].pieces, rng, pool)
            if pieces is not None:
                chosen[position] = replace(chosen[position], pieces=pieces)
                made[chosen[position].external_id] = breakage.__name__
                intact.remove(position)
                break
    return chosen, made


def broken_records(
    seed: int, count: int, broken: int, preset: str = "okapi_mmlu"
) -> tuple[list[tuple[str, list[Piece]]], set[str]]:
    """Return count records as (external id, pieces), `broken` of them broken, and their ids."""
    items, made = broken_items(seed, count, broken, preset)
    return [(item.external_id, item.pieces) for item in items], set(made)


def broken_rows_files(
    folder: Path, seed: int, count: int, broken: int
) -> tuple[Path, Path, set[str]]:
    """Write broken_records(...) as MMLU English and Okapi Spanish JSONL files.

    Return both paths and the broken ids; importing the files with the `okapi_mmlu` preset
    gives back the same external ids and pieces.
    """
    items, made = broken_items(seed, count, broken, "okapi_mmlu")
    english = Path(folder) / "mmlu_en.jsonl"
    spanish = Path(folder) / "okapi_mmlu_es.jsonl"
    with english.open("w", encoding="utf-8") as en, spanish.open("w", encoding="utf-8") as es:
        for item in items:
            question, *options = item.pieces
            en_row = {
                "question": question.source,
                "subject": item.subject,
                "choices": [option.source for option in options],
                "answer": item.answer,
                "_row_index": item.row_index,
            }
            es_row = {"instruction": question.translation}
            es_row |= {option.name: option.translation for option in options}
            es_row |= {"answer": LETTERS[item.answer].upper(), "id": item.external_id}
            en.write(json.dumps(en_row, ensure_ascii=False) + "\n")
            es.write(json.dumps(es_row, ensure_ascii=False) + "\n")
    return english, spanish, set(made)
