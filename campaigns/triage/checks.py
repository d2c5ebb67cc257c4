"""Score how suspect a record's machine translation looks, with one reason per suspicion.

Machine translation breaks in recognisable ways: text left in English or put into another
language, a translation cut short or caught in a loop, numbers, formulas or URLs changed,
options made identical or swapped, an empty or placeholder piece. Each check looks for one.

The import runs them on every record (200,000 MMLU rows take ~13 s and may take 20 % more), so
a clean record must cost microseconds. The checks that read words, numbers or formulas
first read all the record's pieces at once and look at them one by one only when that finds
something; the patterns scanned over whole texts start with one character class, which the
regex engine skips ahead to; and the language identifier (~30 µs a call) only runs where the
stop words point at another language or are missing altogether.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise
from operator import eq

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

from campaigns.importers.presets.base import piece_label
from campaigns.importers.records import Piece
from campaigns.languages import language_name_in_sentence

__all__ = ["WEIGHTS", "Flag", "Piece", "Triage", "reason_text", "record_triage", "records_triage"]

WEIGHTS = {
    "wrong_language": 3.0,
    "empty_or_placeholder": 3.0,
    "identical_to_source": 2.5,
    "repeated_loop": 2.5,
    "length_ratio": 2.0,
    "duplicate_options": 2.0,
    "option_numbers_swapped": 2.0,
    "numbers_differ": 1.5,
    "formula_differs": 1.5,
    "url_or_code_differs": 1.5,
}
# HellaSwag's preset names its endings `ending_0`…; other layouts may say `endings_`/`choices_`.
OPTION_PREFIXES = ("option_", "ending_", "endings_", "choices_")

# Translation length / original length, for originals of at least _RATIO_SHORTEST characters.
# On the shipped en→es samples clean pieces lie within 0.70–1.48, and a translation cut to
# 40 % falls below 0.6. Only en→es was measured; Basque gets more room.
LENGTH_BOUNDS = {
    ("en", "es"): (0.6, 1.9),
    ("en", "ca"): (0.6, 1.9),
    ("en", "gl"): (0.6, 1.9),
    ("en", "eu"): (0.5, 2.1),
}
_OTHER_LENGTH_BOUNDS = (0.5, 2.1)
_RATIO_SHORTEST = 40
_PLACEHOLDER_LONGEST = 24
_SPACING_SLACK = 4  # case and spacing barely change a text's length
_JUDGED_WORDS = 4  # shorter translations (names, terms, "Verdadero, Falso") are not judged
_UNSURE_WORDS = 8  # a text this long without one stop word of the target is worth asking
_WORDS_PER_FOREIGN_WORD = 20
_FOREIGN_WORDS_MOST = 3
_IDENTIFIED_LONGEST = 300
_LANGUAGE_CONFIDENCE = 0.8
_LOOP_SIZES = (2, 3, 4)
_REPEATS_RATIO = 1.5
_EXCESS_REPEATS = 8
_EXCESS_SHARE = 0.3

LANGUAGES = ("en", "es", "ca", "eu", "gl", "pt", "fr", "it", "de")
# The most common function words of each language; capitalised forms are added.
STOP_WORDS = {
    "en": "the of and to is are was were that which this these those with from for by on at "
    "as be been has have had it its not but or an can will would what who how why when where "
    "there their they than into most does do did if following",
    "es": "de la el que y en los las del se por con para una un su sus al lo como más pero es "
    "son este esta estos estas cuál cuáles qué cuando muy sin hasta hay donde también ya entre "
    "ni sobre fue ser está puede tiene le les ha han a e o no dos nos da",
    "ca": "el la els les de que i en un una per amb no del dels al als és són com més però "
    "aquest aquesta aquests quin quina quins quines també molt sense fins on hi ho pel pels "
    "seu seva seus seves",
    "eu": "eta da ez du bat ere dira zen izan baina edo hau honen dute zuen egin beste hori dago "
    "nola zer zein bezala baino ditu den duen dela ziren",
    "gl": "o a os as do da dos das no na nos nas un unha que e en non é por con para máis pero "
    "como tamén cando moi sen ata onde quen polo pola cal cales ao aos",
    "pt": "o a os as do da dos das no na nos nas um uma que e em não é por com para mais mas "
    "como também quando muito sem até onde quem pelo pela qual quais ao aos são está",
    "fr": "le la les des du de un une et est sont dans pour avec sur par ce cette ces qui que "
    "au aux ne pas plus mais ou il elle",
    "it": "il lo la gli le di del della dei delle che è e un una per con non sono nel nella "
    "alla al più ma anche",
    "de": "der die das und ist sind nicht ein eine mit von zu den dem des auf für im auch wie oder",
}

# A number, or a formula sign with the number it touches: the one scan of the originals.
_MARK = re.compile(
    r"[0-9\^_=+<>≤≥×÷−*$`](?:[.,]?[0-9])*(?:[\u00a0\u202f ][0-9]{3}(?![0-9])(?:[.,]?[0-9])*)*"
)
_SIGNS = "^_=+<>≤≥×÷−*$`"
# Anything _marks may take for a formula: a sign, or a digit touching a capital (H2O, B12).
# Signs (_SIGNS) are looked for one by one (a search for one character is the fastest scan
# there is); capitals through the digit they touch, so the pattern starts with a digit, which
# the regex engine skips ahead to, rather than with a capital, which every sentence has.
_CAPITAL = "A-ZÀ-ÖØ-ÞΑ-ΩА-Я"
_DIGIT_BY_CAPITAL = re.compile(rf"[0-9](?:[{_CAPITAL}]|(?<=[{_CAPITAL}][0-9]))")
# Pieces joined for one scan; the break is matched too, so numbers stay with their piece.
_PIECE_BREAK = "\x1f"
_NUMBER = re.compile(r"[0-9](?:[.,]?[0-9])*(?:[\u00a0\u202f ][0-9]{3}(?![0-9])(?:[.,]?[0-9])*)*")
# Digits as written, and each piece break: equal lists mean each piece kept its numbers.
_NUMBERS_BY_PIECE = re.compile(r"[0-9\x1f][0-9.,]*")
_SEPARATOR = re.compile(r"[.,\u00a0\u202f ]")
_DECADE = re.compile(r"([0-9]*0)'?s\b")
_ROMAN = re.compile(r"\b(?:[IVXLC]{2,}|[VXLC])\b")
_ROMAN_DIGITS = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100}
_HINTED = re.compile(r"[0-9\^_=+<>≤≥×÷−*$][^\s]*")
_PLAIN_NUMBER = re.compile(r"[0-9][0-9.,]*%?")
# H2O, 6CO2, C6H12O6, B12: a digit and capitals, chemistry-style.
_CHEMICAL = re.compile(r"(?=[A-Za-z0-9]*[0-9])[0-9]*(?:[A-Z][a-z]?[0-9]*)+(?![A-Za-z])")
# x^2, Z_4, a_{n+1}
_POWER = re.compile(r"[A-Za-z0-9]+(?:[\^_](?:\{[^}\s]*\}|[A-Za-z0-9]+))+")
_OPERAND = r"(?:[0-9]+(?:[.,][0-9]+)?[a-z]?|[A-Za-z])(?:\^[0-9]+)?(?![A-Za-z0-9])"
# 2x + 3 = 7; a hyphen is a minus only between spaces (1-2 is a range).
_EQUATION = re.compile(rf"(?<![A-Za-z0-9.]){_OPERAND}(?:\s*(?:[=+*<>≤≥×÷−]|\s-\s)\s*{_OPERAND})+")
_OPERATOR = re.compile(r"[=+*<>≤≥×÷−]")
_EQUATION_REACH = 32
_TOKEN_REACH = 64
_URL = re.compile(r"(?:https?://|www\.)[^\s<>\"'`]*[^\s<>\"'`.,;:!?)\]]")
_CODE = re.compile(r"`[^`\n]+`")
_LATEX = re.compile(r"\$[^$\s](?:[^$\n]*[^$\s])?\$")
# Two options differing only in these at their end count as identical.
_OPTION_EDGES = " .\t\n"
_WORD_EDGES = "\"'«»“”‘’¿¡([{.,;:!?)]}"
_PLACEHOLDER = re.compile(
    r"\W*|(?:n/?a|tbd|todo|fixme|none|null|nan|x{3,}|\[[^\]]*\]|<[^>]*>|\{[^}]*\})",
    re.IGNORECASE,
)
# Those a translation may be made of that start with a letter, as usually written.
_PLACEHOLDER_WORDS = frozenset(
    word
    for text in ("N/A", "NA", "TBD", "TODO", "FIXME", "None", "null", "NaN", "xxx")
    for word in (text, text.lower(), text.upper())
)
_LETTER_WORD = re.compile(r"[^\W\d_]{2,}")
_TRUE_RUNS = {size: b"\x01" * (2 * size - 1) for size in _LOOP_SIZES}


@dataclass(frozen=True, slots=True)
class Flag:
    """One suspicion about one piece (or the whole record when piece is "")."""

    piece: str
    check: str
    weight: float
    detail: dict[str, str]

    def as_json(self) -> dict:
        """Return the flag as JSON-serialisable data."""
        return {
            "piece": self.piece,
            "check": self.check,
            "weight": self.weight,
            "detail": dict(self.detail),
        }


@dataclass(frozen=True, slots=True)
class Triage:
    """How suspect a record is (0 = nothing found) and why."""

    score: float
    flags: tuple[Flag, ...]


_CLEAN = Triage(0.0, ())


@dataclass(frozen=True, slots=True)
class _Pair:
    """What the checks need to know about a language pair, worked out once."""

    target: str
    native: frozenset[str]  # the target language's stop words
    foreign: frozenset[str]  # the other languages' stop words that the target does not use
    by_language: dict[str, frozenset[str]]  # the same, language by language
    native_apart: dict[str, frozenset[str]]  # the target's stop words the other does not use
    ratio_low: float
    ratio_high: float


def _stop_words(language: str) -> frozenset[str]:
    words = STOP_WORDS.get(language, "").split()
    return frozenset(words + [word.capitalize() for word in words])


@lru_cache(maxsize=16)
def _pair(source_language: str, target_language: str) -> _Pair:
    native = _stop_words(target_language)
    by_language = {code: _stop_words(code) - native for code in STOP_WORDS}
    native_apart = {code: native - _stop_words(code) for code in STOP_WORDS}
    foreign = frozenset().union(*by_language.values())
    low, high = LENGTH_BOUNDS.get((source_language, target_language), _OTHER_LENGTH_BOUNDS)
    return _Pair(target_language, native, foreign, by_language, native_apart, low, high)


def record_triage(
    pieces: Sequence[Piece], *, source_language: str = "en", target_language: str = "es"
) -> Triage:
    """Score one record's translation: the sum of its flags' weights."""
    return _triage(pieces, _pair(source_language, target_language))


def records_triage(
    records: Iterable[Sequence[Piece]],
    *,
    source_language: str = "en",
    target_language: str = "es",
) -> list[Triage]:
    """The same for many records; cheap pre-filters first, the language identifier only where they are unsure."""  # noqa: E501
    pair = _pair(source_language, target_language)
    return [_triage(pieces, pair) for pieces in records]


def _triage(pieces: Sequence[Piece], pair: _Pair) -> Triage:
    flags: list[Flag] = []
    translated = [piece for piece in pieces if _piece_check(piece, pair, flags)]
    numbers: dict[str, tuple[list[str], list[str]]] = {}
    if translated:
        # Each of these reads all the pieces at once, and looks at them one by one only
        # when it finds something: most records hold no foreign word, no repeated phrase,
        # no number and no formula.
        words = "\n".join([piece.translation for piece in translated]).split()
        if not pair.foreign.isdisjoint(words) or pair.native.isdisjoint(words):
            _language_check(translated, pair, flags)
        if _consecutive_phrase(words) is not None:
            _loop_check(translated, flags)
        sources = _PIECE_BREAK.join([piece.source for piece in translated])
        if not _plain_numbers(sources, (piece.translation for piece in translated)):
            for piece in translated:
                _marked_check(piece, flags, numbers)
    options = [piece for piece in pieces if piece.name.startswith(OPTION_PREFIXES)]
    if len(options) > 1:
        _duplicate_options(options, flags)
        if len(numbers) > 1:
            _option_numbers_swapped(options, numbers, flags)
    if not flags:
        return _CLEAN
    return Triage(round(sum(flag.weight for flag in flags), 3), tuple(flags))


def _flag(flags: list[Flag], piece: str, check: str, **detail: str) -> None:
    flags.append(Flag(piece, check, WEIGHTS[check], detail))


def _piece_check(piece: Piece, pair: _Pair, flags: list[Flag]) -> bool:
    """Run the checks that need one piece only; return whether it was translated at all."""
    source, translation, name = piece.source, piece.translation, piece.name
    if not source or source.isspace():
        return False
    if abs(len(source) - len(translation)) <= _SPACING_SLACK and _identical(source, translation):
        # A name, a number, a short term or a placeholder original is rightly left as it
        # is; either way the other checks would only repeat this one.
        if _worth_translating(source):
            _flag(flags, name, "identical_to_source")
        return False
    if (
        len(translation) <= _PLACEHOLDER_LONGEST
        and (not translation[:1].isalpha() or translation in _PLACEHOLDER_WORDS)
        and _placeholder(source, translation)
    ):
        _flag(flags, name, "empty_or_placeholder")
        return False
    if len(source) >= _RATIO_SHORTEST:
        ratio = len(translation) / len(source)
        if not pair.ratio_low <= ratio <= pair.ratio_high:
            _flag(flags, name, "length_ratio", ratio=f"{ratio:.2f}")
        if ratio >= _REPEATS_RATIO:
            phrase = _repeats_phrase(source, translation)
            if phrase is not None:
                _flag(flags, name, "repeated_loop", phrase=phrase)
    return True


def _placeholder(source: str, translation: str) -> bool:
    """Whether a short translation is empty, punctuation or a placeholder, and the original text."""
    return (
        _PLACEHOLDER.fullmatch(translation.strip()) is not None
        and _PLACEHOLDER.fullmatch(source.strip()) is None
    )


def _identical(source: str, translation: str) -> bool:
    """Whether the translation equals the original once case and spacing are set aside."""
    if source == translation:
        return True
    # Most translations already differ in their first letter.
    if source.lstrip()[:1].lower() != translation.lstrip()[:1].lower():
        return False
    return source.casefold().split() == translation.casefold().split()


def _worth_translating(source: str) -> bool:
    """Whether an original needs translating: three words or more, and not just a name."""
    words = _LETTER_WORD.findall(source)
    if len(words) < 3:
        return False
    return len(words) > 4 or not all(word[0].isupper() for word in words)


def _language_check(pieces: list[Piece], pair: _Pair, flags: list[Flag]) -> None:
    """Ask the identifier about the pieces whose stop words are another language's, or none."""
    for piece in pieces:
        words = piece.translation.split()
        if len(words) < _JUDGED_WORDS:
            continue
        # One foreign stop word is enough in a short text ("The particles gain mass."), but
        # a long one may quote a name ("Klemens von Metternich"); any other language brings
        # several.
        needed = min(_FOREIGN_WORDS_MOST, 1 + len(words) // _WORDS_PER_FOREIGN_WORD)
        if len(pair.foreign.intersection(words)) >= needed or (
            len(words) >= _UNSURE_WORDS and pair.native.isdisjoint(words)
        ):
            language = _language_other(piece.translation, words, pair)
            if language is not None:
                _flag(flags, piece.name, "wrong_language", language=language)


@lru_cache(maxsize=1)
def _identifier() -> LanguageIdentifier:
    """Load py3langid's model (shipped inside the package, ~1 s) once, limited to LANGUAGES."""
    identifier = LanguageIdentifier.from_modelpath(MODEL_DIR / MODEL_FILE, norm_probs=True)
    identifier.set_languages(list(LANGUAGES))
    return identifier


def _language_other(text: str, words: list[str], pair: _Pair) -> str | None:
    """The language the identifier finds the text in, when it is not the target and is sure.

    Sure means a high probability, or the top one backed by at least as many stop words of
    that language as of the target (the words both use aside): short English options get
    "en" at only 0.4–0.8, Portuguese next to Galician at 0.5.
    """
    # The identifier's cost grows with the text; a few hundred characters tell the language.
    language, probability = _identifier().classify(text[:_IDENTIFIED_LONGEST])
    if language == pair.target:
        return None
    if probability >= _LANGUAGE_CONFIDENCE:
        return language
    backing = len(pair.by_language.get(language, frozenset()).intersection(words))
    against = len(pair.native_apart.get(language, pair.native).intersection(words))
    if backing and backing >= against:
        return language
    return None


def _loop_check(pieces: list[Piece], flags: list[Flag]) -> None:
    """Flag the pieces saying a phrase three times in a row where the original does not."""
    for piece in pieces:
        phrase = _consecutive_phrase(piece.translation.split())
        if phrase is not None and _consecutive_phrase(piece.source.split()) is None:
            _flag(flags, piece.name, "repeated_loop", phrase=phrase)


def _repeats_phrase(source: str, translation: str) -> str | None:
    """The most repeated pair of words of a translation repeating far more than its original."""
    words, original = translation.split(), source.split()
    repeated = len(words) - len(set(words))
    expected = (len(original) - len(set(original))) * len(words) / max(len(original), 1)
    if repeated - expected < max(_EXCESS_REPEATS, _EXCESS_SHARE * len(words)):
        return None
    return " ".join(Counter(pairwise(words)).most_common(1)[0][0])


def _consecutive_phrase(words: list[str]) -> str | None:
    """A phrase of 2–4 words said three times in a row, if any."""
    for size in _LOOP_SIZES:
        # A phrase said three times in a row makes a run of 2 × size − 1 words equal to the
        # word `size` places on (the last copy may end in other punctuation: "la célula, la
        # célula, la célula."). Comparing every run-th word cannot miss such a run and costs
        # a fraction of comparing them all; each equal pair found is then looked at closely.
        run = 2 * size - 1
        if not any(map(eq, words[::run], words[size::run])):
            continue
        sampled = bytes(map(eq, words[::run], words[size::run]))
        hit = sampled.find(1)
        while hit >= 0:
            low, high = max(0, (hit - 1) * run + 1), (hit + 1) * run
            near = bytes(map(eq, words[low:high], words[low + size : high + size]))
            start = near.find(_TRUE_RUNS[size])
            if start >= 0:
                return " ".join(words[low + start : low + start + size])
            hit = sampled.find(1, hit + 1)
    return None


def _plain_numbers(sources: str, translations: Iterable[str]) -> bool:
    """Whether no number, formula, URL or code check can find anything in these pieces.

    So when the originals (joined by _PIECE_BREAK) hold no number, sign or link, or when
    every piece keeps its numbers as written and no original holds a formula or link (and
    options keep their own numbers): one scan of all the originals and one of all the
    translations instead of one per piece, which matters for number-heavy datasets such as MMLU.
    """
    links = "://" in sources or "www." in sources
    if _MARK.search(sources) is None and not links:
        return True
    if links or any(sign in sources for sign in _SIGNS):
        return False
    if _DIGIT_BY_CAPITAL.search(sources) is not None:
        return False
    joined = _PIECE_BREAK.join(translations)
    return _NUMBERS_BY_PIECE.findall(sources) == _NUMBERS_BY_PIECE.findall(joined)


def _marked_check(
    piece: Piece, flags: list[Flag], numbers: dict[str, tuple[list[str], list[str]]]
) -> None:
    """Compare the numbers, formulas, URLs and code of a piece's original and translation."""
    source, translation, name = piece.source, piece.translation, piece.name
    first = _MARK.search(source)
    links = "://" in source or "www." in source
    if first is None and not links:
        return
    written, formula = _marks(source, first)
    # Numbers a translation adds to an original without any are left alone: "the sixties"
    # may rightly become "los años 60", and nothing was there to be changed.
    if written:
        translated = _NUMBER.findall(translation)
        numbers[name] = (written, translated)
        if translated != written:
            differing = _numbers_differing(source, translation, written, translated)
            if differing is not None:
                _flag(flags, name, "numbers_differ", source=differing[0], translation=differing[1])
    if formula:
        found = _formula_missing(source, translation)
        if found is not None:
            _flag(flags, name, "formula_differs", source=found)
    if links or "`" in source:
        span = _url_or_code_missing(source, translation)
        if span is not None:
            _flag(flags, name, "url_or_code_differs", source=span)


def _marks(source: str, first: re.Match | None) -> tuple[list[str], bool]:
    """The numbers of an original as written, and whether it may hold a formula."""
    written: list[str] = []
    formula = False
    if first is None:
        return written, formula
    for match in _MARK.finditer(source, first.start()):
        mark = match[0]
        number = mark.lstrip(_SIGNS)
        if number[:1].isdigit():
            written.append(number)
        if number != mark:
            formula = True
        elif not formula:
            # A digit touching a capital: H2O, CO2, B12 (not 1960s, 33oC or 5th).
            start, end = match.span()
            formula = source[start - 1 : start].isupper() or source[end : end + 1].isupper()
    return written, formula


def _number_key(written: str) -> str:
    """Write a number one way: "1,000" = "1.000" = "1 000" → "1000"; "3.5" = "3,5" → "3.5"."""
    groups = _SEPARATOR.split(written)
    if len(groups) == 1:
        return written.lstrip("0") or "0"
    # A last group of other than three digits, or after a second kind of separator
    # ("1,000.5", "1.000,5"), is the decimal part; the other separators group thousands.
    last = groups[-1]
    if len(last) != 3 or len(set(_SEPARATOR.findall(written))) > 1:
        whole, fraction = "".join(groups[:-1]), last.rstrip("0")
    else:
        whole, fraction = "".join(groups), ""
    whole = whole.lstrip("0") or "0"
    return f"{whole}.{fraction}" if fraction else whole


def _numbers_differing(
    source: str, translation: str, written: list[str], translated: list[str]
) -> tuple[str, str] | None:
    """The first original number the translation lacks and what it has instead, if any."""
    original = [_number_key(number) for number in written]
    translation_keys = [_number_key(number) for number in translated]
    balance = Counter(original)
    balance.subtract(translation_keys)
    lacking = [number for number in original if balance[number] > 0]
    extra = [number for number in translation_keys if balance[number] < 0]
    # "the 1960s" may become "los años 60" as well as "la década de 1960".
    for decade in _DECADE.findall(source):
        if decade in lacking and decade[-2:] in extra:
            lacking.remove(decade)
            extra.remove(decade[-2:])
    # "the 19th century" becomes "el siglo XIX".
    for numeral in _ROMAN.findall(translation) if lacking else ():
        value = str(_roman_value(numeral))
        if value in lacking:
            lacking.remove(value)
    if not lacking and not extra:
        return None
    return (lacking[0] if lacking else "—", extra[0] if extra else "—")


def _roman_value(numeral: str) -> int:
    """The value of a Roman numeral such as XIX."""
    values = [_ROMAN_DIGITS[letter] for letter in numeral]
    return sum(
        -value if value < following else value
        for value, following in zip(values, [*values[1:], 0], strict=True)
    )


def _formula_missing(source: str, translation: str) -> str | None:
    """The first formula of the original that the translation does not carry unchanged."""
    compact = None
    for formula in _formulas(source):
        if formula in translation:
            continue
        compact = compact or _compact(translation)
        if _compact(formula.strip("$")) not in compact:
            return formula
    return None


def _compact(text: str) -> str:
    """The text without spaces, with one decimal mark and one minus, to compare formulas."""
    return text.replace(" ", "").replace("\u00a0", "").replace(",", ".").replace("−", "-")


def _formulas(source: str) -> Iterator[str]:
    """Yield the formula-like tokens, equations and LaTeX spans of an original."""
    for match in _HINTED.finditer(source):
        # The token's start, looked for nearby only: a text without spaces stays linear.
        reach = max(0, match.start() - _TOKEN_REACH)
        start = max(
            reach - 1,
            source.rfind(" ", reach, match.start()),
            source.rfind("\n", reach, match.start()),
        )
        token = source[start + 1 : match.end()].strip(_WORD_EDGES)
        if not token or _PLAIN_NUMBER.fullmatch(token):
            continue
        found = _CHEMICAL.match(token) or _POWER.search(token)
        if found is not None:
            yield found[0]
        elif _OPERATOR.search(token) is not None:
            # An equation runs over several tokens: read it around this one.
            low, high = max(0, start - _EQUATION_REACH), match.end() + _EQUATION_REACH
            equation = _EQUATION.search(source, low, high)
            if equation is not None:
                yield equation[0]
    if "$" in source:
        yield from _LATEX.findall(source)


def _url_or_code_missing(source: str, translation: str) -> str | None:
    """The first URL or `code` span of the original missing from the translation."""
    for span in [*_URL.findall(source), *_CODE.findall(source)]:
        if span not in translation and span.strip("`") not in translation:
            return span
    return None


def _duplicate_options(options: list[Piece], flags: list[Flag]) -> None:
    """Flag an option whose translation equals an earlier one's while their originals differ."""
    keys = [option.translation.rstrip(_OPTION_EDGES) for option in options]
    if len(set(keys)) == len(keys):
        return
    seen: dict[str, Piece] = {}
    for key, option in zip(keys, options, strict=True):
        earlier = seen.setdefault(key, option)
        if (
            key
            and earlier is not option
            and _same_text(earlier.source) != _same_text(option.source)
        ):
            _flag(flags, option.name, "duplicate_options", other=earlier.name)


def _same_text(text: str) -> str:
    """The text with its case and spacing set aside."""
    return " ".join(text.split()).casefold()


def _option_numbers_swapped(
    options: list[Piece], numbers: dict[str, tuple[list[str], list[str]]], flags: list[Flag]
) -> None:
    """Flag an option whose translation carries another option's numbers instead of its own."""
    numbered = [option.name for option in options if option.name in numbers]
    if not any(numbers[name][0] != numbers[name][1] for name in numbered):
        return
    originals = {name: sorted(map(_number_key, numbers[name][0])) for name in numbered}
    for name in numbered:
        translated = sorted(map(_number_key, numbers[name][1]))
        if not translated or translated == originals[name]:
            continue
        other = next((o for o in numbered if o != name and originals[o] == translated), None)
        if other is not None:
            _flag(flags, name, "option_numbers_swapped", other=other)


_FIXED_REASONS = {
    "identical_to_source": gettext_lazy("Identical to the original"),
    "formula_differs": gettext_lazy("The formula differs from the original"),
    "url_or_code_differs": gettext_lazy("A URL or code span differs from the original"),
    "repeated_loop": gettext_lazy("A phrase repeats in a loop"),
    "empty_or_placeholder": gettext_lazy("Empty or a placeholder"),
}


def reason_text(flag: Flag | dict) -> str:
    """Return the flag's reason in the active language, e.g. "Looks like it is in English"."""
    data = flag.as_json() if isinstance(flag, Flag) else flag
    check, detail = data["check"], data.get("detail") or {}
    if check == "wrong_language":
        code = detail.get("language", "")
        return _("Looks like it is in %(language)s") % {"language": language_name_in_sentence(code)}
    if check == "numbers_differ":
        return _("The numbers do not match: %(source)s → %(translation)s") % {
            "source": detail.get("source", ""),
            "translation": detail.get("translation", ""),
        }
    if check == "length_ratio":
        if float(detail.get("ratio") or 0) < 1:
            return _("Much shorter than the original")
        return _("Much longer than the original")
    if check == "duplicate_options":
        return _("Identical to %(other)s") % {"other": piece_label(detail.get("other", ""))}
    if check == "option_numbers_swapped":
        return _("Its numbers match another option's original (%(other)s)") % {
            "other": piece_label(detail.get("other", ""))
        }
    return str(_FIXED_REASONS.get(check, check))
