"""Reading an architecture from a path or a dict, in this project's JSON or Archon's JSON."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import ValidationError

import archon_engine.components  # noqa: F401  (registers every component type's spec class)
from archon_engine import archon_format
from archon_engine.config import Architecture, ConfigError, describe_validation_error


def _read_json(source: str | Path) -> Any:
    path = Path(source)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: the file is not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the file ({exc.strerror or exc})") from exc
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path}: invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}") from exc
    except RecursionError:
        raise ConfigError(f"{path}: invalid JSON: nested too deeply") from None


def load_config(source: str | Path | dict[str, Any]) -> Architecture:
    """Read an architecture from a path or a dict, in this project's JSON or Archon's JSON."""
    if not isinstance(source, dict | str | Path):
        raise ConfigError(f"an architecture is read from a path or a dict, not a {type(source).__name__}")
    origin = "config" if isinstance(source, dict) else str(source)
    data = source if isinstance(source, dict) else _read_json(source)
    if not isinstance(data, dict):
        raise ConfigError(f"{origin}: an architecture must be a JSON object with 'layers'")
    if archon_format.is_archon(data):
        data = archon_format.from_archon(data, origin=origin)
    try:
        return Architecture.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"{origin}: {describe_validation_error(exc)}") from exc
