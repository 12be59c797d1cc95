"""A recording on disk: versioned JSON holding a finished run, sealed with a digest of its content.

The digest is SHA-256 over the canonical JSON (sorted keys, no spaces) of everything but the digest itself,
so a file changed or cut after it was written no longer matches it.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Literal

from pydantic import BaseModel

from archon_engine.config import Architecture
from archon_engine.execution import RunResult
from archon_engine.trace import CallRecord

FORMAT = "archon-recording"
FORMAT_VERSION = 1
KNOWN_VERSIONS = (1,)


class RecordingError(ValueError):
    """A recording that cannot be read or replayed; the message names what is wrong."""


class Recording(BaseModel):
    """A run as it happened: the architecture, the conversation, every call and the result (``run``)."""

    format: Literal["archon-recording"] = FORMAT
    format_version: int = FORMAT_VERSION
    recorded_at: str  # ISO 8601, UTC
    title: str  # what the app lists it as
    prompt: str  # the conversation's last user message (``run.messages`` holds all of it)
    run: RunResult
    digest: str = ""  # "sha256:<hex>" of the rest; set by ``sealed``

    @property
    def architecture(self) -> Architecture:
        return self.run.architecture

    @property
    def calls(self) -> list[CallRecord]:
        return self.run.trace.calls

    @property
    def system(self) -> str | None:
        return next((str(m.get("content", "")) for m in self.run.messages if m.get("role") == "system"), None)

    def sealed(self) -> Recording:
        """This recording with the digest of its content."""
        return self.model_copy(update={"digest": digest_of(self._content())})

    def _content(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude={"digest"})

    def to_json(self) -> str:
        """The file's text (sealed)."""
        return json.dumps(self.sealed().model_dump(mode="json"), indent=1, ensure_ascii=False) + "\n"


def digest_of(content: dict[str, Any]) -> str:
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()
