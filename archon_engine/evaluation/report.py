"""An evaluation's results, summarised per system: quality with its interval, cost, latency, calls,
tokens; the Pareto frontier; the best single model; and every item side by side."""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, computed_field

from archon_engine.evaluation.records import EvaluationSpec, ItemResult
from archon_engine.evaluation.stats import Interval, bootstrap_ci


class SystemSummary(BaseModel):
    system: str
    baseline: bool
    items: int
    failed: int  # items with no answer or no score
    quality: Interval
    cost_per_query: float  # USD, the architecture's calls (cached calls count at their price)
    cost_known: bool
    latency_mean_s: float
    latency_p95_s: float
    calls_per_query: float
    tokens_per_query: float
    judge_cost: float  # USD spent on judging, not part of the system's cost
    wins: int | None = None  # pairwise scorers only
    ties: int | None = None
    losses: int | None = None


class Evaluation(BaseModel):
    id: str | None = None
    spec: EvaluationSpec
    results: list[ItemResult]
    status: Literal["running", "completed", "cancelled", "failed"] = "completed"
    wall_s: float | None = None  # the evaluation's wall time (this session's, when resumed); None: not measured
    ran: int = 0  # queries (a system on an item) run in that time

    @computed_field
    @property
    def throughput_qps(self) -> float | None:
        """Queries answered per second of the evaluation's wall time."""
        return self.ran / self.wall_s if self.wall_s else None

    def results_of(self, system: str) -> list[ItemResult]:
        return [r for r in self.results if r.system == system]

    def summaries(self) -> list[SystemSummary]:
        pairwise = self.spec.scorer == "pairwise"
        out = []
        for system in self.spec.systems:
            rows = self.results_of(system.name)
            if not rows:
                continue
            latencies = [r.latency_s for r in rows]
            outcomes = [r.score.extracted for r in rows]
            out.append(
                SystemSummary(
                    system=system.name,
                    baseline=system.baseline,
                    items=len(rows),
                    failed=sum(r.output is None or r.score.error is not None for r in rows),
                    quality=bootstrap_ci([r.score.value for r in rows]),
                    cost_per_query=float(np.mean([r.usage.cost_usd for r in rows])),
                    cost_known=all(r.usage.cost_known for r in rows),
                    latency_mean_s=float(np.mean(latencies)),
                    latency_p95_s=float(np.percentile(latencies, 95)),
                    calls_per_query=float(np.mean([r.usage.calls for r in rows])),
                    tokens_per_query=float(np.mean([r.usage.prompt_tokens + r.usage.completion_tokens for r in rows])),
                    judge_cost=sum(r.judge_usage.cost_usd for r in rows),
                    wins=outcomes.count("win") if pairwise else None,
                    ties=outcomes.count("tie") if pairwise else None,
                    losses=outcomes.count("loss") if pairwise else None,
                )
            )
        return out

    def table(self) -> pd.DataFrame:
        """One row per system: the comparison a person reads first."""
        rows = []
        for s in self.summaries():
            row = {
                "system": s.system,
                "baseline": s.baseline,
                "quality": s.quality.mean,
                "quality 95% low": s.quality.low,
                "quality 95% high": s.quality.high,
                "cost/query $": s.cost_per_query if s.cost_known else float("nan"),
                "latency mean s": s.latency_mean_s,
                "latency p95 s": s.latency_p95_s,
                "calls/query": s.calls_per_query,
                "tokens/query": s.tokens_per_query,
                "items": s.items,
                "failed": s.failed,
            }
            if s.wins is not None:
                row.update({"wins": s.wins, "ties": s.ties, "losses": s.losses})
            rows.append(row)
        return pd.DataFrame(rows)

    def best_single_model(self) -> str | None:
        """The baseline with the best quality (the cheaper one on a tie), computed, not assumed."""
        baselines = [s for s in self.summaries() if s.baseline]
        if not baselines:
            return None
        return max(baselines, key=lambda s: (s.quality.mean, -s.cost_per_query, -s.latency_mean_s)).system

    def pareto(self, cost: Literal["cost", "latency"] = "cost") -> list[str]:
        """Systems no other system beats on both quality (higher) and cost or latency (lower)."""
        points = {
            s.system: (s.quality.mean, s.cost_per_query if cost == "cost" else s.latency_mean_s)
            for s in self.summaries()
        }
        return [
            name
            for name, (q, c) in points.items()
            if not any(
                q2 >= q and c2 <= c and (q2 > q or c2 < c) for other, (q2, c2) in points.items() if other != name
            )
        ]

    def items_table(self) -> pd.DataFrame:
        """One row per item and system: prompt, reference, output, score and the scorer's detail."""
        items = {item.id: item for item in self.spec.dataset.items}
        return pd.DataFrame(
            [
                {
                    "item": r.item_id,
                    "prompt": items[r.item_id].prompt if r.item_id in items else "",
                    "reference": items[r.item_id].reference if r.item_id in items else None,
                    "system": r.system,
                    "output": r.output,
                    "score": r.score.value,
                    "extracted": r.score.extracted,
                    "detail": r.score.detail or r.score.error or r.error,
                    "latency s": r.latency_s,
                    "cost $": r.usage.cost_usd,
                }
                for r in self.results
            ]
        )
