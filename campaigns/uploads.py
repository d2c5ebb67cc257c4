"""Turn uploaded files and hub references into importer sources."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.core.files.uploadedfile import UploadedFile
from django.utils.text import get_valid_filename

from campaigns.importers.sources import Source


@contextmanager
def uploaded_sources(*files: UploadedFile | None) -> Iterator[list[Source | None]]:
    """Write uploads to a private temporary folder, keeping their names, for the importers."""
    folder = Path(tempfile.mkdtemp(prefix="somos-import-"))
    try:
        sources: list[Source | None] = []
        for index, upload in enumerate(files):
            if upload is None:
                sources.append(None)
                continue
            # The extension picks the reader; the folder keeps two same-named uploads apart.
            name = get_valid_filename(Path(upload.name).name) or "upload"
            path = folder / str(index) / name
            path.parent.mkdir()
            with path.open("wb") as handle:
                for chunk in upload.chunks():
                    handle.write(chunk)
            sources.append(Source(path=path, display_name=upload.name))
        yield sources
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def hub_source(*, name: str, config: str = "", split: str = "") -> Source:
    """Name a Hugging Face hub dataset for the importers."""
    return Source(path=f"hf://{name}", format="hub", config=config or None, split=split or None)
