"""Archon Studio's engine: layered inference-time architectures over any LLM.

from archon_engine import load_config, validate, estimate, run
arch = load_config("presets/moa-lite.json")
result = run(arch, "What is the capital of France?")
print(result.answer, result.usage.cost_usd)
"""

from archon_engine import plugins
from archon_engine.archon_format import to_archon
from archon_engine.config import Architecture, ComponentSpec, ConfigError
from archon_engine.estimate import Estimate, estimate
from archon_engine.execution import Execution, RunEvent, RunResult, arun, run
from archon_engine.loading import load_config
from archon_engine.models.base import ModelError, ModelReply, ModelRequest
from archon_engine.models.client import Budget, Limits
from archon_engine.models.fake import FakeModel
from archon_engine.validation import ArchitectureError, Finding, validate

__all__ = [
    "Architecture",
    "ArchitectureError",
    "Budget",
    "ComponentSpec",
    "ConfigError",
    "Estimate",
    "Execution",
    "FakeModel",
    "Finding",
    "Limits",
    "ModelError",
    "ModelReply",
    "ModelRequest",
    "RunEvent",
    "RunResult",
    "arun",
    "estimate",
    "load_config",
    "run",
    "to_archon",
    "validate",
]

plugins.load_all()  # component types and scorers of installed packages (entry points), after the engine
