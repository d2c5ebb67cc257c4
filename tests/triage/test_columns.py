"""Triage in columns: record for record what records_triage gives. Pure Python: no database."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from campaigns.triage.checks import Piece, records_triage
from campaigns.triage.columns import PieceColumns, columns_triage
from tests.triage.broken import broken_records

NAMES = ("question", "option_a", "option_b", "option_c", "option_d", "option_e")


def as_columns(records: list[list[Piece]]) -> PieceColumns:
    """Records whose pieces are named NAMES[:n], as columns."""
    width = max(len(pieces) for pieces in records)
    return PieceColumns(
        names=NAMES[:width],
        sources=[
            [pieces[slot].source if slot < len(pieces) else None for pieces in records]
            for slot in range(width)
        ],
        translations=[
            [pieces[slot].translation if slot < len(pieces) else None for pieces in records]
            for slot in range(width)
        ],
        counts=[len(pieces) for pieces in records],
    )


def test_columns_triage_matches_records_triage_on_broken_samples():
    records = [
        [Piece(piece.name, piece.source, piece.translation) for piece in pieces]
        for seed in range(6)
        for _, pieces in broken_records(seed, 60, 30)[0]
    ]
    assert all(piece.name == NAMES[i] for pieces in records for i, piece in enumerate(pieces))

    triages = columns_triage(as_columns(records))

    assert triages == records_triage(records)
    assert sum(1 for triage in triages if triage.flags) > 30


WORDS = [
    "the", "of", "la", "de", "el", "que", "y", "não", "els", "energía", "Energy", "célula",
    "x^2", "H2O", "3.5", "1,000", "10", "XIX", "1960s", "N/A", "TODO", "[x]", "...", "www.a.es",
    "http://a.b", "`code`", "$x$", "=", "+", "¿Qué", "A", "a", "K", "\u212a", "\x1f", "\x1e",
    "İ", "ß",
]  # fmt: skip
SPACES = [" ", "  ", "\n", "\t", "\xa0", "\x1c", "\u2003", ""]
text = st.lists(st.tuples(st.sampled_from(WORDS), st.sampled_from(SPACES)), max_size=14).map(
    lambda parts: "".join(word + space for word, space in parts)
)
loop = st.tuples(st.sampled_from(WORDS), st.sampled_from(WORDS)).map(
    lambda pair: " ".join(pair * 3)
)
piece_text = st.one_of(text, loop, st.text(max_size=30), st.sampled_from(WORDS))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.lists(st.tuples(piece_text, piece_text), min_size=1, max_size=6),
        min_size=1,
        max_size=8,
    ),
    st.sampled_from([("en", "es"), ("en", "eu"), ("en", "ca"), ("es", "en")]),
)
def test_columns_triage_matches_records_triage_on_any_text(pairs, languages):
    records = [
        [Piece(NAMES[slot], source, target) for slot, (source, target) in enumerate(pieces)]
        for pieces in pairs
    ]
    source_language, target_language = languages

    triages = columns_triage(
        as_columns(records), source_language=source_language, target_language=target_language
    )

    assert triages == records_triage(
        records, source_language=source_language, target_language=target_language
    )


def test_columns_triage_matches_on_near_misses():
    long_en = "Which of the following statements about the cell is the most accurate one here?"
    records = [
        [Piece("question", long_en, "¿Cuál de las siguientes afirmaciones es correcta aquí?")],
        [Piece("question", long_en, "x" * 200)],
        [Piece("question", long_en, long_en.upper())],
        [Piece("question", "  ", "algo"), Piece("option_a", "a b", "a b")],
        [Piece("question", "What?", "N/A"), Piece("option_a", "Yes", "Sí")],
        [
            Piece("question", long_en, "¿Cuál de las siguientes es la más precisa aquí, de la?"),
            Piece("option_a", "one", "uno."),
            Piece("option_b", "two", "uno"),
        ],
    ]

    assert columns_triage(as_columns(records)) == records_triage(records)
