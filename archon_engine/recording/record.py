"""Making a recording of a finished run, and writing it to a file."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from archon_engine.execution import RunResult
from archon_engine.models.keys import redacted
from archon_engine.recording.format import Recording


def last_user_message(messages: list[dict]) -> str:
    return next((str(m.get("content", "")) for m in reversed(messages) if m.get("role") == "user"), "")


def record(result: RunResult, *, title: str | None = None, when: dt.datetime | None = None) -> Recording:
    """The recording of ``result`` (any status), sealed, with every known secret redacted. ``when``: the time
    it ran (default: now)."""
    prompt = last_user_message(result.messages)
    recording = Recording(
        recorded_at=(when or dt.datetime.now(dt.UTC)).isoformat(timespec="seconds"),
        title=title or f"{result.architecture.name}: {prompt[:60]}",
        prompt=prompt,
        run=result,
    )
    return redacted(recording).sealed()


def write(result_or_recording: RunResult | Recording, path: str | Path) -> Recording:
    """Write a recording of a run (or a recording) to ``path``; returns what was written."""
    if isinstance(result_or_recording, Recording):
        recording = redacted(result_or_recording).sealed()
    else:
        recording = record(result_or_recording)
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(recording.to_json(), encoding="utf-8")
    return recording
