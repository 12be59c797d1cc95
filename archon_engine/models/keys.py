"""Provider API keys: where they come from, which providers are ready, and redaction.

Keys are read from the environment and a ``.env`` file in the working directory (which never
overrides the environment). Secrets are redacted once, where records and results are made: every
call record as the model client writes it, every run's and evaluation's result as it is built. So
the trace, the store, the cache, exports and pages only ever see ``[REDACTED]``.
"""

from __future__ import annotations

import os
import re
import threading
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel

T = TypeVar("T")

# litellm provider prefix -> environment variables that make it usable (any one suffices)
PROVIDER_KEYS: dict[str, tuple[str, ...]] = {
    "openai": ("OPENAI_API_KEY",),
    "anthropic": ("ANTHROPIC_API_KEY",),
    "together_ai": ("TOGETHERAI_API_KEY", "TOGETHER_API_KEY"),
    "gemini": ("GEMINI_API_KEY", "GOOGLE_API_KEY"),
    "groq": ("GROQ_API_KEY",),
    "bedrock": ("AWS_ACCESS_KEY_ID",),
    "mistral": ("MISTRAL_API_KEY",),
    "deepseek": ("DEEPSEEK_API_KEY",),
    "openrouter": ("OPENROUTER_API_KEY",),
}
_SECRET_NAME = re.compile(r"(KEY|TOKEN|SECRET|PASSWORD|CREDENTIAL)", re.IGNORECASE)
_MIN_SECRET_LENGTH = 6

_extra_secrets: set[str] = set()
_lock = threading.Lock()
_dotenv_loaded = False
_known: tuple[dict, frozenset[str], list[str]] | None = None  # see secret_values


def load_dotenv_once(path: str | Path = ".env") -> None:
    """Read ``.env`` into the environment once, without overriding variables already set."""
    global _dotenv_loaded
    if _dotenv_loaded:
        return
    _dotenv_loaded = True
    if Path(path).is_file():
        from dotenv import load_dotenv

        load_dotenv(path, override=False)


def register_secret(value: str) -> None:
    """Mark a value (e.g. a key typed into the app) as secret so that exports redact it."""
    if value and len(value) >= _MIN_SECRET_LENGTH:
        with _lock:
            _extra_secrets.add(value)


def secret_values() -> list[str]:
    """Every known secret, longest first: secret-named environment variables and the registered values.

    Redaction runs several times per call, so the list is kept until the environment or the registered
    values change (comparing CPython's raw environment dict costs microseconds; decoding it, 0.1 ms).
    """
    global _known
    environment = dict(getattr(os.environ, "_data", None) or os.environ)
    with _lock:
        extra = frozenset(_extra_secrets)
    if _known is not None and _known[0] == environment and _known[1] == extra:
        return _known[2]
    values = {v for name, v in os.environ.items() if _SECRET_NAME.search(name) and len(v) >= _MIN_SECRET_LENGTH}
    found = sorted(values | extra, key=len, reverse=True)
    _known = (environment, extra, found)
    return found


def redact(text: str) -> str:
    for value in secret_values():
        text = text.replace(value, "[REDACTED]")
    return text


def redacted(value: T) -> T:
    """``value`` with every known secret replaced: text, lists and dicts of it, or a pydantic model (a copy)."""
    if isinstance(value, str):
        return redact(value)  # type: ignore[return-value]
    if isinstance(value, BaseModel):
        return type(value).model_validate_json(redact(value.model_dump_json()))
    if isinstance(value, list):
        return [redacted(item) for item in value]  # type: ignore[return-value]
    if isinstance(value, dict):
        return {key: redacted(item) for key, item in value.items()}  # type: ignore[return-value]
    return value


def provider_of(model: str) -> str:
    """The litellm provider prefix of a model name; bare names are OpenAI's."""
    return model.split("/", 1)[0] if "/" in model else "openai"


def provider_ready(provider: str, session_keys: dict[str, str] | None = None) -> bool:
    """True when the provider needs no key here, or has one (in the environment, .env or the session)."""
    load_dotenv_once()
    if (session_keys or {}).get(provider):
        return True
    names = PROVIDER_KEYS.get(provider)
    return names is None or any(os.environ.get(n) for n in names)


def needs_key(model: str, api_base: str | None = None, session_keys: dict[str, str] | None = None) -> bool:
    """True when a call to ``model`` would fail for want of an API key (a custom endpoint needs none)."""
    return not api_base and not provider_ready(provider_of(model), session_keys)


def ready_providers(session_keys: dict[str, str] | None = None) -> list[str]:
    """The key-needing providers that have a key."""
    return [p for p in PROVIDER_KEYS if provider_ready(p, session_keys)]
