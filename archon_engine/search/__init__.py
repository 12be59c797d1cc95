"""ITAS, the architecture search: the space (``space``), the study on Optuna (``study``), what its trials
found (``trials``) and the Gaussian-process sampler (``gp_sampler``)."""

from archon_engine.search.space import DEFAULT_INSTRUCTION, Infeasible, SearchBudget, SearchSpace, describe
from archon_engine.search.study import MIN_TRIALS, STOPPED, TRIALS_PER_EVALUATION, Search, Stopped
from archon_engine.search.trials import RECORD, HeldOutResult, SearchResult, TrialSummary

__all__ = [
    "DEFAULT_INSTRUCTION",
    "MIN_TRIALS",
    "RECORD",
    "STOPPED",
    "TRIALS_PER_EVALUATION",
    "HeldOutResult",
    "Infeasible",
    "Search",
    "SearchBudget",
    "SearchResult",
    "SearchSpace",
    "Stopped",
    "TrialSummary",
    "describe",
]
