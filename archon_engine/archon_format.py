"""Import and export of Archon's JSON configs.

Archon names a model with ``model`` plus ``model_type`` (which API serves it); this project uses
litellm names. Import also expands Archon's deprecated layer shapes: ``{"branches": N,
"models": [...]}`` (the models, N times over) and a bare component object as a layer.
``vLLM`` and ``tgi`` become OpenAI-compatible endpoints: set the component's ``api_base`` (or
``HOSTED_VLLM_API_BASE`` / ``OPENAI_API_BASE``) to the server you run.
"""

from __future__ import annotations

from typing import Any

from archon_engine.config import Architecture, ConfigError

# Archon model_type -> litellm provider prefix ("" for bare OpenAI names)
PROVIDERS: dict[str, str] = {
    "Together_API": "together_ai",
    "OpenAI_API": "",
    "Anthropic_API": "anthropic",
    "Google_API": "gemini",
    "Groq_API": "groq",
    "Bedrock_API": "bedrock",
    "vLLM": "hosted_vllm",
    "tgi": "openai",
    "Local_API": "local",
}
MODEL_TYPES = {prefix: model_type for model_type, prefix in PROVIDERS.items() if prefix}
MISSPELLED = {"length_contorl": "length_control"}
MAX_LAYER_COMPONENTS = 1000  # a deprecated layer's branches x models, expanded: more is a mistake, not a design
_CORE = ("type", "model", "model_type", "temperature", "max_tokens", "samples")


def is_archon(data: dict[str, Any]) -> bool:
    """Archon JSON has ``model_type`` on its components or deprecated (object) layers."""
    layers = data.get("layers")
    for layer in layers if isinstance(layers, list) else []:
        if isinstance(layer, dict):
            return True
        if isinstance(layer, list) and any(isinstance(c, dict) and "model_type" in c for c in layer):
            return True
    return False


def _layer_components(layer: Any, where: str) -> list[Any]:
    if isinstance(layer, list):
        return layer
    if isinstance(layer, dict) and "models" in layer:
        branches, models = layer.get("branches", 1), layer["models"]
        if not isinstance(branches, int) or branches < 1 or not isinstance(models, list):
            raise ConfigError(f"{where}: 'branches' must be a positive integer and 'models' a list")
        if branches * len(models) > MAX_LAYER_COMPONENTS:
            raise ConfigError(
                f"{where}: 'branches' x 'models' makes {branches * len(models)} components, "
                f"more than {MAX_LAYER_COMPONENTS} in one layer"
            )
        return [dict(model) if isinstance(model, dict) else model for _ in range(branches) for model in models]
    if isinstance(layer, dict):
        return [layer]
    raise ConfigError(f"{where}: a layer must be a list of components, got {type(layer).__name__}")


def _component_from_archon(component: Any, where: str) -> Any:
    if not isinstance(component, dict):
        return component  # the architecture's own validation names the problem
    spec = dict(component)
    model_type = spec.pop("model_type", None)
    if model_type is not None:
        if not isinstance(model_type, str):
            raise ConfigError(f"{where}: 'model_type' must be text, got {type(model_type).__name__}")
        if model_type not in PROVIDERS and model_type != "":
            raise ConfigError(f"{where}: unknown model_type '{model_type}' (known: {', '.join(PROVIDERS)})")
        prefix = PROVIDERS.get(model_type, "")
        model = str(spec.get("model", ""))
        if prefix and not model.startswith(prefix + "/"):
            spec["model"] = f"{prefix}/{model}"
    return spec


def from_archon(data: dict[str, Any], origin: str = "config") -> dict[str, Any]:
    """Archon JSON -> this project's JSON (a dict for ``Architecture.model_validate``)."""
    layers = data.get("layers")
    if not isinstance(layers, list):
        raise ConfigError(f"{origin}: 'layers' must be a list")
    converted = []
    for i, layer in enumerate(layers):
        where = f"{origin}: layers[{i}]"
        components = _layer_components(layer, where)
        converted.append([_component_from_archon(c, f"{where}[{j}]") for j, c in enumerate(components)])
    extra = {k: v for k, v in data.items() if k not in ("name", "layers", "description")}
    if extra:
        raise ConfigError(f"{origin}: unknown top-level fields {sorted(extra)}")
    return {"name": data.get("name", "untitled"), "description": data.get("description", ""), "layers": converted}


def split_model(model: str) -> tuple[str, str]:
    """litellm name -> (Archon model, Archon model_type)."""
    prefix, _, rest = model.partition("/")
    if rest and prefix in MODEL_TYPES:
        return rest, MODEL_TYPES[prefix]
    if not rest:
        return model, "OpenAI_API"
    return model, ""  # a name Archon has no API for (e.g. its PairRM reward model)


def to_archon(arch: Architecture) -> dict[str, Any]:
    """This project's architecture -> Archon JSON (every layer a list, Archon's field names)."""
    layers = []
    for layer in arch.layers:
        components = []
        for spec in layer:
            settings = spec.model_dump(exclude_defaults=True)
            model, model_type = split_model(spec.model)
            out: dict[str, Any] = {
                "type": spec.type,
                "model": model,
                "model_type": model_type,
                "temperature": spec.temperature,
                "max_tokens": spec.max_tokens,
                "samples": spec.samples,
            }
            for wrong, right in MISSPELLED.items():
                if wrong in settings and settings.get(right) == settings[wrong]:
                    settings.pop(right)
            out.update({k: v for k, v in settings.items() if k not in _CORE})
            components.append(out)
        layers.append(components)
    out = {"name": arch.name, "layers": layers}
    if arch.description:
        out["description"] = arch.description
    return out
