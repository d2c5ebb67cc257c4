"""The answer options of the multiple-choice presets, shared by their row and column readers."""

from __future__ import annotations

LETTERS = "ABCDE"
OPTION_FIELDS = tuple(f"option_{letter.lower()}" for letter in LETTERS)
