"""Small real samples of the benchmarks the campaigns validate (sample_data/README.md)."""

from __future__ import annotations

from pathlib import Path

SAMPLE_DATA = Path(__file__).resolve().parent / "sample_data"
