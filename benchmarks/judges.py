"""Judges a small model can do: listwise against pointwise critics and rankers, and the verifier, on the embedded model.

    python benchmarks/judges.py [--limit 10] [--sets factual,arithmetic]   # JSON on stdout, progress on stderr

For each item of the shipped sets, the embedded SmolLM2-135M draws 5 candidates (temperature 0.7, seeded)
once; every judge then reads those same 5 (``Execution(done=...)``, so no judge sees other candidates):

- critic, listwise (one call, all candidates) and pointwise (one call per candidate): the share of items whose
  critiques are degenerate (``explain.checks.critic_problems``: the same strengths and weaknesses for every
  candidate, or only the answer repeated), and distinct critiques per candidate;
- ranker, listwise and pointwise (a 1-10 score per candidate), no critiques: how often the top-ranked
  candidate is correct, against the first candidate (no ranking) and the best possible (any candidate
  correct), on all items and on the mixed ones (some candidates right, some wrong: the only items where a
  judge can matter); pointwise also the mean score of correct and of wrong candidates;
- verifier (reasoning, then a verdict, per candidate): verdicts that agree with the reference, and on the
  mixed items.

Calls and the judges' own time (the sum of their calls' service time) per item. Results: docs/benchmarks.md.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import argparse
import asyncio
import json
import os
import platform
import time
from statistics import mean

MODEL = "local/smollm2-135m"
SAMPLES = 5
SETS = {"factual": ("normalised", "answer_only"), "arithmetic": ("numeric", "number_only")}
JUDGES = {  # max_tokens as in the sample-critic-rank-fuse preset (a listwise critic needs room for 5 critiques)
    "critic, listwise": {"type": "critic", "max_tokens": 1024},
    "critic, pointwise": {"type": "critic", "mode": "pointwise", "max_tokens": 256},
    "ranker, listwise": {"type": "ranker", "top_k": 1, "max_tokens": 160},
    "ranker, pointwise": {"type": "ranker", "top_k": 1, "mode": "pointwise", "max_tokens": 160},
    "verifier": {"type": "verifier", "max_tokens": 256},
}


def log(message: str) -> None:
    print(f"[judges] {message}", file=sys.stderr, flush=True)


def architecture(instruction: str, judge: dict | None) -> dict:
    generator = {"type": "generator", "model": MODEL, "samples": SAMPLES, "temperature": 0.7, "max_tokens": 48,
                 "seed": 0, "instruction": instruction}  # fmt: skip
    layers = [[generator]]
    if judge is not None:
        layers.append([{"model": MODEL, "temperature": 0.0, **judge}])
    return {"name": "judge benchmark", "layers": layers}


async def judge_item(item, scorer, instruction: str, backend) -> dict:
    """The candidates of one item, whether each is correct, and what every judge made of them."""
    from archon_engine import Execution, load_config

    drawn = await Execution(load_config(architecture(instruction, None)), item.prompt, backend=backend).run_to_end()
    candidates = drawn.layers[0].candidates
    correct = {c.id: (await scorer.score(item, c.text)).value >= 1.0 for c in candidates}
    out = {"correct": correct, "judges": {}}
    for name, judge in JUDGES.items():
        arch = load_config(architecture(instruction, judge))
        started = time.perf_counter()
        result = await Execution(arch, item.prompt, backend=backend, done=drawn.layers[:1]).run_to_end()
        calls = [c for c in result.trace.calls if c.layer == 1]
        out["judges"][name] = {
            "output": result.layers[1].outputs[0] if len(result.layers) > 1 else None,
            "inputs": candidates,
            "calls": len(calls),
            "service_s": sum(c.service_s for c in calls),
            "wall_s": time.perf_counter() - started,
        }
    return out


def summarise(items: list[dict]) -> dict:
    from archon_engine.explain import checks

    mixed = [i for i in items if 0 < sum(i["correct"].values()) < len(i["correct"])]
    report: dict = {"items": len(items), "mixed_items": len(mixed)}
    first = [i["correct"][next(iter(i["correct"]))] for i in items]
    report["no judge: first candidate correct"] = round(mean(first), 3)
    report["best possible: any candidate correct"] = round(mean(any(i["correct"].values()) for i in items), 3)
    for name in JUDGES:
        runs = [i["judges"][name] for i in items]
        row: dict = {
            "calls_per_item": round(mean(r["calls"] for r in runs), 2),
            "service_s_per_item": round(mean(r["service_s"] for r in runs), 2),
            "failed_items": sum(r["output"] is None or bool(r["output"].errors) for r in runs),
        }
        if name.startswith("critic"):
            wrote = [r for r in runs if r["output"] and r["output"].critiques]  # failed replies are counted above
            degenerate = [bool(checks.critic_problems(r["output"], r["inputs"])) for r in wrote]
            distinct = [len({(c.strengths, c.weaknesses) for c in r["output"].critiques}) / SAMPLES for r in wrote]
            row["degenerate_share"] = round(mean(degenerate), 3) if degenerate else None
            row["distinct_critiques_per_candidate"] = round(mean(distinct), 3) if distinct else None
        elif name.startswith("ranker"):

            def top_correct(item: dict, run: dict) -> bool:
                ranking = run["output"].ranking if run["output"] else None
                top = ranking.order[0] if ranking and not ranking.failed else next(iter(item["correct"]))
                return item["correct"][top]

            row["top_correct"] = round(mean(top_correct(i, r) for i, r in zip(items, runs, strict=True)), 3)
            if mixed:
                row["top_correct_on_mixed"] = round(mean(top_correct(i, i["judges"][name]) for i in mixed), 3)
                row["first_correct_on_mixed"] = round(mean(i["correct"][next(iter(i["correct"]))] for i in mixed), 3)
            rankings = [(i, r["output"].ranking) for i, r in zip(items, runs, strict=True) if r["output"]]
            scores = [(s, i["correct"][cid]) for i, ranking in rankings if ranking for cid, s in ranking.scores.items()]
            if scores:
                right, wrong = [s for s, ok in scores if ok], [s for s, ok in scores if not ok]
                row["mean_score_correct"] = round(mean(right), 2) if right else None
                row["mean_score_wrong"] = round(mean(wrong), 2) if wrong else None
        else:

            def agreeing(item: dict, run: dict) -> list[bool]:
                verdicts = run["output"].verdicts if run["output"] else []
                return [v.correct == item["correct"][v.candidate_id] for v in verdicts if v.correct is not None]

            every = [ok for i, r in zip(items, runs, strict=True) for ok in agreeing(i, r)]
            on_mixed = [ok for i in mixed for ok in agreeing(i, i["judges"][name])]
            row["verdicts_agreeing_with_reference"] = round(mean(every), 3) if every else None
            row["on_mixed"] = round(mean(on_mixed), 3) if on_mixed else None
            said = [v.correct for r in runs if r["output"] for v in r["output"].verdicts if v.correct is not None]
            row["share_judged_correct"] = round(mean(said), 3) if said else None
        report[name] = row
        log(f"  {name}: {row}")
    return report


async def measure(set_name: str, limit: int) -> dict:
    from archon_engine.evaluation.datasets import get_dataset
    from archon_engine.evaluation.scorers import registry
    from archon_engine.models.litellm_backend import LitellmBackend

    scorer_name, instruction = SETS[set_name]
    dataset, scorer, backend = get_dataset(set_name).head(limit), registry.get(scorer_name), LitellmBackend()
    items = []
    for n, item in enumerate(dataset.items, start=1):
        items.append(await judge_item(item, scorer, instruction, backend))
        log(f"{set_name}: item {n}/{len(dataset.items)} done")
    return summarise(items)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--limit", type=int, default=10, help="the first N items of each set (default 10)")
    parser.add_argument("--sets", default=",".join(SETS), help="comma-separated: " + ", ".join(SETS))
    args = parser.parse_args()
    report: dict = {
        "date": time.strftime("%Y-%m-%d"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.python_version()}",
        "model": MODEL,
        "samples": SAMPLES,
        "sets": {},
    }
    for set_name in args.sets.split(","):
        report["sets"][set_name] = asyncio.run(measure(set_name, args.limit))
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
