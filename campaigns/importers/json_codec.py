"""Parse and write the importer's JSON with orjson, falling back to the json module.

orjson is several times faster than the json module, which matters at an import's
hundreds of thousands of rows, but it differs at the edges: it reads an integer too big
for 64 bits as a float, refuses NaN and half surrogate pairs, and writes dates its own
way. The fast path is taken only where both agree; everything else goes the old way, so
values and error messages stay what they were. One difference is kept on purpose: a float
NaN or infinity (Parquet and saved datasets may hold one) is written as null, which
PostgreSQL stores, where json wrote NaN, which it refused.
"""

from __future__ import annotations

import json

import orjson

# An integer of 19 digits or more may not fit in 64 bits: orjson would read it as a float.
# (Looked for as a run of zeros once every digit is a zero: several times faster than a
# regular expression.)
_DIGITS_TO_ZERO = bytes.maketrans(b"123456789", b"000000000")
_LONG_DIGITS = b"0" * 19
# Dates, times and dataclasses are written as their str() (as json's default=str did), not
# in orjson's own format.
_WRITE_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
# Parquet and saved datasets can hold dates or bytes: kept as their text form.
_json_text = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=str).encode


# What _vouched returns where orjson and json may disagree.
_UNVOUCHED = object()


def _vouched(raw: bytes) -> object:
    """Return the value orjson reads in raw, or _UNVOUCHED where json must judge it.

    That is invalid JSON or UTF-8, and an integer that may not fit in 64 bits (looked for
    in the bytes: bytes.translate's table is forty times faster than str.translate's dict).
    """
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return _UNVOUCHED
    if _LONG_DIGITS in raw.translate(_DIGITS_TO_ZERO):
        return _UNVOUCHED
    return value


def object_from_line(raw: bytes) -> dict | None:
    """Return the JSON object a line holds, or None when the json module must judge it.

    None covers every line this path does not vouch for: invalid JSON or UTF-8, a value
    that is not an object, an integer that may not fit in 64 bits.
    """
    value = _vouched(raw)
    return value if type(value) is dict else None


def value_from_text(text: str) -> object:
    """Return the value a JSON text holds, as json.loads reads it (orjson where they agree)."""
    # A lone surrogate makes bytes orjson refuses, so json judges it.
    value = _vouched(text.encode(errors="surrogatepass"))
    return json.loads(text) if value is _UNVOUCHED else value


def json_text(value: object) -> str:
    """Write a value as compact JSON text (non-ASCII kept as is; unknown types as str())."""
    return json_bytes(value).decode("utf-8", "surrogatepass")


def json_bytes(value: object) -> bytes:
    """Write a value as compact JSON in UTF-8, as json_text writes it."""
    try:
        return orjson.dumps(value, default=str, option=_WRITE_OPTIONS)
    except (orjson.JSONEncodeError, TypeError):
        # Keys that are not text, integers past 64 bits, half surrogate pairs: json writes
        # them (PostgreSQL may still refuse the last, with the import's usual message).
        return _json_text(value).encode("utf-8", "surrogatepass")
