"""Turn hub references into importer sources (uploads are kept by campaigns.jobs)."""

from __future__ import annotations

from campaigns.importers.sources import Source


def hub_source(*, name: str, config: str = "", split: str = "") -> Source:
    """Name a Hugging Face hub dataset for the importers."""
    return Source(path=f"hf://{name}", format="hub", config=config or None, split=split or None)
