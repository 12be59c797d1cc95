"""Reading a recording, with one clear message for whatever is wrong with it."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import ValidationError

from archon_engine.recording.format import FORMAT, KNOWN_VERSIONS, Recording, RecordingError, digest_of


def load_recording(source: str | Path | bytes, *, name: str | None = None) -> Recording:
    """A recording from a file path, or from the file's bytes (an upload; ``name`` says what it was).

    Raises RecordingError naming what is wrong: unreadable, not JSON (or cut short), not a recording, an
    unknown format version, a digest that does not match (changed or truncated), or a missing or bad field.
    """
    if isinstance(source, bytes):
        label, raw = name or "the uploaded file", source
    else:
        label = name or str(source)
        try:
            raw = Path(source).read_bytes()
        except OSError as exc:
            raise RecordingError(f"{label}: cannot be read ({exc.strerror or exc})") from None
    return parse(raw, label)


def parse(raw: bytes, label: str) -> Recording:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise RecordingError(f"{label} is not a recording: it is not text (UTF-8)") from None
    if not text.strip():
        raise RecordingError(f"{label} is empty")
    try:
        content = json.loads(text)
    except json.JSONDecodeError as exc:
        cut = " (the file looks cut short)" if _unclosed(text) else ""
        raise RecordingError(
            f"{label} is not valid JSON{cut}: {exc.msg} at line {exc.lineno}, column {exc.colno}"
        ) from None
    if not isinstance(content, dict) or content.get("format") != FORMAT:
        raise RecordingError(f'{label} is not an Archon recording (no "format": "{FORMAT}" at its top)')
    version = content.get("format_version")
    if version not in KNOWN_VERSIONS:
        known = ", ".join(map(str, KNOWN_VERSIONS))
        raise RecordingError(
            f"{label} has format version {version!r}, which this Archon Studio cannot read (it reads {known})"
        )
    stated = content.pop("digest", None)
    if not isinstance(stated, str) or not stated:
        raise RecordingError(f"{label} has no digest: it cannot be checked, so it is not replayed")
    if digest_of(content) != stated:
        raise RecordingError(f"{label} does not match its digest: it was changed or cut after it was recorded")
    try:
        return Recording.model_validate({**content, "digest": stated})
    except ValidationError as exc:
        problem = exc.errors()[0]
        where = ".".join(map(str, problem["loc"])) or "the top level"
        raise RecordingError(f"{label}: {where}: {problem['msg']}") from None


def _unclosed(text: str) -> bool:
    """Whether JSON text ends inside a string, an object or a list (as a file cut short does)."""
    depth, in_string, escaped = 0, False, False
    for char in text:
        if in_string:
            escaped, in_string = (False, True) if escaped else (char == "\\", char != '"')
        elif char == '"':
            in_string = True
        elif char in "{[":
            depth += 1
        elif char in "}]":
            depth -= 1
    return in_string or depth > 0
