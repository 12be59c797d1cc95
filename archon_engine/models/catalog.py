"""Which models a user can pick: the embedded one, and the chat models of providers with a key."""

from __future__ import annotations

from functools import cache

from archon_engine.models import keys, local, prices

EMBEDDED = f"local/{local.MODEL_NAME}"


@cache
def provider_models(provider: str) -> tuple[str, ...]:
    """Chat models litellm's price table lists for a provider, as litellm names."""
    names = set()
    for name, entry in prices.table().items():
        if not isinstance(entry, dict) or entry.get("litellm_provider") != provider or entry.get("mode") != "chat":
            continue
        if provider == "openai" or name.startswith(f"{provider}/"):
            names.add(name)
        elif "/" not in name or provider in ("together_ai", "bedrock"):
            names.add(f"{provider}/{name}")
    return tuple(sorted(names))


def available_models(session_keys: dict[str, str] | None = None) -> list[str]:
    """The embedded model first, then every chat model of each provider that has a key."""
    models = [EMBEDDED]
    for provider in keys.ready_providers(session_keys):
        models.extend(provider_models(provider))
    return models
