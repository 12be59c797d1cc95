"""The preset gallery: the project's presets and the ones a user saved."""

from __future__ import annotations

import json
import re
from pathlib import Path

from pydantic import BaseModel

from archon_engine.config import Architecture, ConfigError
from archon_engine.loading import load_config
from archon_engine.storage.sqlite import data_dir

BUILTIN_DIR = Path(__file__).resolve().parents[2] / "presets"


def user_dir() -> Path:
    return data_dir() / "presets"


class Preset(BaseModel):
    slug: str
    path: Path
    builtin: bool
    architecture: Architecture

    @property
    def name(self) -> str:
        return self.architecture.name

    @property
    def description(self) -> str:
        return self.architecture.description


def list_presets() -> list[Preset]:
    """Built-in presets first, then the user's; unreadable files are skipped (``problems`` names them)."""
    presets, _ = _scan()
    return presets


def problems() -> list[str]:
    """One message per preset file that could not be read."""
    _, errors = _scan()
    return errors


def _scan() -> tuple[list[Preset], list[str]]:
    presets, errors = [], []
    for folder, builtin in ((BUILTIN_DIR, True), (user_dir(), False)):
        for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
            try:
                arch = load_config(path)
            except ConfigError as exc:
                errors.append(str(exc))
                continue
            presets.append(Preset(slug=path.stem, path=path, builtin=builtin, architecture=arch))
    return presets, errors


def slugify(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "architecture"


def save_preset(arch: Architecture) -> Path:
    """Save to the user's presets under a file name made from the architecture's name."""
    folder = user_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{slugify(arch.name)}.json"
    path.write_text(json.dumps(arch.to_dict(), indent=2) + "\n", encoding="utf-8")
    return path
