"""The recordings shipped in presets/recordings/: one per built-in preset, replayable on a fresh install."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel

from archon_engine.design.presets import BUILTIN_DIR

SHIPPED_DIR = BUILTIN_DIR / "recordings"


class ShippedRecording(BaseModel):
    slug: str  # the preset's
    path: Path
    title: str


def shipped_recordings() -> list[ShippedRecording]:
    """The shipped recordings by slug, titled from their files without checking them (``load_recording``
    checks the one picked); a file whose title cannot be read is listed by its slug."""
    found = []
    for path in sorted(SHIPPED_DIR.glob("*.json")) if SHIPPED_DIR.is_dir() else []:
        try:
            title = str(json.loads(path.read_text(encoding="utf-8")).get("title") or path.stem)
        except (OSError, ValueError, AttributeError):
            title = path.stem
        found.append(ShippedRecording(slug=path.stem, path=path, title=title))
    return found
