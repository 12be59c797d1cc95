"""An evaluation's results, summarised per system: quality with its interval (and, with repeats, its spread
across repeats), cost, latency, calls, tokens; the Pareto frontier; the best single model; every system
against each baseline item by item (``paired``); and every item side by side."""

from __future__ import annotations

import json
from collections import Counter
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, computed_field

from archon_engine.evaluation.paired import PairedComparison, compare_paired, failed, item_means
from archon_engine.evaluation.records import EvaluationSpec, ItemResult
from archon_engine.evaluation.stats import Interval, bootstrap_ci, spread


class SystemSummary(BaseModel):
    system: str
    baseline: bool
    items: int  # items answered (in at least one repeat)
    failed: int  # answers (an item in a repeat) with no answer or no score; they score 0
    quality: Interval  # mean over items of each item's mean score across repeats; 95 % bootstrap over items
    repeats: int = 1  # the most answers an item got
    quality_by_repeat: list[float] = []  # the mean score of each repeat's answers, repeat 0 first
    quality_spread: float | None = None  # standard deviation (n - 1) of quality_by_repeat; None for one repeat
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
            per_item = item_means(rows)
            by_repeat = [
                float(np.mean([r.score.value for r in rows if r.repeat == repeat]))
                for repeat in sorted({r.repeat for r in rows})
            ]
            out.append(
                SystemSummary(
                    system=system.name,
                    baseline=system.baseline,
                    items=len(per_item),
                    failed=sum(failed(r) for r in rows),
                    quality=bootstrap_ci(list(per_item.values())),
                    repeats=max(Counter(r.item_id for r in rows).values()),
                    quality_by_repeat=by_repeat,
                    quality_spread=spread(by_repeat),
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
                **({"quality sd over repeats": s.quality_spread} if self.spec.repeats > 1 else {}),
                "cost/query $": s.cost_per_query if s.cost_known else float("nan"),
                "latency mean s": s.latency_mean_s,
                "latency p95 s": s.latency_p95_s,
                "calls/query": s.calls_per_query,
                "tokens/query": s.tokens_per_query,
                "items": s.items,
                **({"repeats": s.repeats} if self.spec.repeats > 1 else {}),
                "failed": s.failed,
            }
            if s.wins is not None:
                row.update({"wins": s.wins, "ties": s.ties, "losses": s.losses})
            rows.append(row)
        return pd.DataFrame(rows)

    def paired_baselines(self) -> list[str]:
        """The systems others are compared with item by item: the baselines (pairwise judging's first), or
        every system when none is a baseline."""
        names = [s.name for s in self.spec.systems]
        marked = [s.name for s in self.spec.systems if s.baseline]
        versus = self.spec.comparison_baseline()
        chosen = [versus] if versus and versus not in marked else []
        return [*chosen, *marked] or names

    def paired(self, baseline: str | None = None) -> list[PairedComparison]:
        """Every other system against ``baseline`` (default: against each of ``paired_baselines``), on the items
        both answered."""
        answered = {r.system for r in self.results}
        baselines = [baseline] if baseline is not None else self.paired_baselines()
        return [
            compare_paired(self.results, system.name, versus)
            for versus in baselines
            if versus in answered
            for system in self.spec.systems
            if system.name != versus and system.name in answered
        ]

    def paired_table(self, baseline: str | None = None) -> pd.DataFrame:
        """One row per system and baseline: wins, losses, ties, the mean difference, its interval, the verdict."""
        return pd.DataFrame(
            [
                {
                    "system": p.system,
                    "baseline": p.baseline,
                    "items": p.n,
                    "wins": p.wins,
                    "losses": p.losses,
                    "ties": p.ties,
                    "errored": p.errored,
                    "mean difference": p.difference.mean,
                    "difference 95% low": p.difference.low,
                    "difference 95% high": p.difference.high,
                    "verdict": p.verdict,
                }
                for p in self.paired(baseline)
            ],
            columns=[
                "system", "baseline", "items", "wins", "losses", "ties", "errored",
                "mean difference", "difference 95% low", "difference 95% high", "verdict",
            ],
        )  # fmt: skip

    def export_json(self) -> str:
        """Everything as JSON: the spec, every result, and the paired comparisons (``paired``)."""
        whole = self.model_dump(mode="json")
        whole["paired"] = [p.model_dump(mode="json") for p in self.paired()]
        return json.dumps(whole, indent=2)

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
                    **({"repeat": r.repeat} if self.spec.repeats > 1 else {}),
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
