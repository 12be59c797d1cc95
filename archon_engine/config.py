"""Architectures as data: pydantic models for components, layers and whole architectures.

An architecture is a list of layers; a layer is a list of component specs. Each spec has a
``type`` naming a registered component (see ``archon_engine.components``) and typed settings.
Fields this engine does not know are kept (and exported again) but reported by ``validate``.
This module imports nothing of the engine: the component registry tells it each type's spec
class, and ``archon_engine.loading`` reads architectures from files, dicts and Archon JSON.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SerializeAsAny, ValidationError, field_validator, model_validator

DEFAULT_MODEL = "local/smollm2-135m"


class ConfigError(ValueError):
    """A configuration that cannot be read; the message names the source and the problem."""


class AnswerReading(BaseModel):
    """How an answer is read from a candidate's text: a majority-vote extractor (components.extractors) and
    the fields it needs."""

    model_config = ConfigDict(extra="forbid")

    extractor: str = "short_text"
    pattern: str | None = None  # the regex extractor's pattern
    field: str | None = None  # the json_field extractor's key


class StopWhen(AnswerReading):
    """A generator's adaptive stopping (components.stopping): samples are drawn in waves of ``wave`` until the
    answers read so far decide, at most ``samples`` in all, never fewer than ``min_samples``.

    ``beta`` (Adaptive-Consistency): stop when P(the leading answer is the majority) >= ``threshold``, with
    p ~ Beta(c1 + 1, c2 + 1) over the counts of the two most common answers. ``window`` (ESC): stop when
    ``window`` consecutive samples give the same answer.
    """

    rule: Literal["beta", "window"] = "beta"
    threshold: float = Field(0.95, gt=0.5, lt=1.0)
    window: int = Field(3, ge=2)
    min_samples: int = Field(2, ge=1)
    wave: int = Field(2, ge=1)


class SkipWhenAgree(AnswerReading):
    """A fuser's shortcut: when its candidates already agree, the agreed one passes on with no call.

    ``by: answer``: at least ``share`` of the candidates give the same extracted answer; ``by: text``: at
    least ``share`` of them are near-identical texts (similarity ratio >= ``similarity``).
    """

    by: Literal["answer", "text"] = "answer"
    share: float = Field(1.0, gt=0.5, le=1.0)
    similarity: float = Field(0.9, gt=0.0, le=1.0)


def _unset(value: Any) -> bool:
    return value is None


class ComponentSpec(BaseModel):
    """Settings of one component. Subclasses (one per component type) may add fields."""

    model_config = ConfigDict(extra="allow", validate_assignment=True)

    type: str
    model: str = DEFAULT_MODEL
    temperature: float = Field(0.7, ge=0.0, le=2.0)
    max_tokens: int = Field(2048, ge=1)
    samples: int = 1
    top_k: int | None = None
    first_k: int | None = None
    seed: int | None = None
    length_control: bool = False
    use_critiques: bool = False
    unit_test_cap: int | None = None
    system_prompt: str | None = None
    api_base: str | None = None
    instruction: str | None = None  # a variant name (components.instructions.VARIANTS) or the user's own text
    extractor: str | None = None  # majority_vote: how an answer is read from a candidate (components.extractors)
    pattern: str | None = None  # the regex extractor's pattern
    field: str | None = None  # the json_field extractor's key (dotted for nested objects)
    # Adaptive compute; left out of dumps when unset, so architectures without them hash as before.
    stop_when: StopWhen | None = Field(None, exclude_if=_unset)  # generator: sample in waves until decided
    skip_when_agree: SkipWhenAgree | None = Field(None, exclude_if=_unset)  # fuser: no call when candidates agree

    @field_validator("instruction", "pattern", "field", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("stop_when", "skip_when_agree", mode="before")
    @classmethod
    def _switch(cls, value: Any) -> Any:
        """``true`` turns a setting on with its defaults, ``false`` turns it off."""
        if value is True:
            return {}
        return None if value is False else value

    @model_validator(mode="before")
    @classmethod
    def _archon_misspelling(cls, data: Any) -> Any:
        """Archon spells length_control 'length_contorl' in places: honour it (validate warns)."""
        if isinstance(data, dict) and "length_contorl" in data and "length_control" not in data:
            data = {**data, "length_control": data["length_contorl"]}
        return data

    @property
    def unknown_fields(self) -> list[str]:
        return sorted(self.model_extra or {})

    def settings(self) -> dict[str, Any]:
        """The fields a user set, in a stable order (for display and export); a switch-like setting left at
        its defaults reads ``true``."""
        settings = self.model_dump(exclude_defaults=True)
        return {k: True if k in ("stop_when", "skip_when_agree") and v == {} else v for k, v in settings.items()}


_SPEC_CLASSES: dict[str, type[ComponentSpec]] = {}


def register_spec_class(type_name: str, spec: type[ComponentSpec]) -> None:
    """Read components of ``type_name`` into ``spec`` (the component registry calls this for each type)."""
    _SPEC_CLASSES[type_name] = spec


def spec_class(type_name: str) -> type[ComponentSpec]:
    """The spec model for a type; unknown types get the generic spec (``validate`` reports them)."""
    return _SPEC_CLASSES.get(type_name, ComponentSpec)


def _spec_from(data: Any, where: str) -> ComponentSpec:
    if isinstance(data, ComponentSpec):
        if isinstance(data, spec_class(data.type)):
            return data
        data = data.model_dump(exclude_unset=True) | {"type": data.type}  # a generic spec: read into its type's
    if not isinstance(data, dict):
        raise ValueError(f"{where}: a component must be an object with a 'type', got {type(data).__name__}")
    if "type" not in data:
        raise ValueError(f"{where}: a component has no 'type'")
    try:
        return spec_class(str(data["type"])).model_validate(data)
    except ValidationError as exc:
        raise ValueError(describe_validation_error(exc, prefix=where)) from None


class Architecture(BaseModel):
    """A layered inference-time architecture."""

    model_config = ConfigDict(extra="forbid")

    name: str = "untitled"
    description: str = ""
    layers: list[list[SerializeAsAny[ComponentSpec]]] = Field(default_factory=list)

    @field_validator("layers", mode="before")
    @classmethod
    def _build_specs(cls, layers: Any) -> Any:
        if not isinstance(layers, list):
            return layers
        return [
            [_spec_from(c, f"layers[{i}][{j}]") for j, c in enumerate(layer)] if isinstance(layer, list) else layer
            for i, layer in enumerate(layers)
        ]

    def to_dict(self) -> dict[str, Any]:
        """Project JSON: only the settings that differ from their defaults."""
        out: dict[str, Any] = {"name": self.name}
        if self.description:
            out["description"] = self.description
        out["layers"] = [[spec.settings() | {"type": spec.type} for spec in layer] for layer in self.layers]
        return out

    def component_ids(self) -> list[str]:
        return [component_id(i, j) for i, layer in enumerate(self.layers) for j in range(len(layer))]


def component_id(layer: int, index: int) -> str:
    """The stable name of a component in traces and findings: ``L<layer>.C<index>``."""
    return f"L{layer}.C{index}"


def describe_validation_error(exc: ValidationError, prefix: str = "") -> str:
    """Each problem naming its field by path (``layers[1][0].top_k: ...``), joined by '; '."""
    problems = []
    for err in exc.errors():
        message = err["msg"].removeprefix("Value error, ")
        if message.startswith("layers["):  # already located by a nested component
            problems.append(message)
            continue
        problems.append(f"{field_path(err['loc'], prefix) or 'architecture'}: {message}")
    return "; ".join(problems)


def field_path(loc: tuple[int | str, ...], prefix: str = "") -> str:
    """A validation error's location as a path: ``("layers", 1, 0, "top_k")`` is ``layers[1][0].top_k``."""
    path = prefix
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path
