"""Which techniques help a small model? Accuracy of six systems on the embedded SmolLM2-135M.

    python benchmarks/small_model_quality.py [--limit N] [--trials 20] [--sets factual,arithmetic]  # JSON on stdout

On the shipped `factual` (normalised match) and `arithmetic` (numeric match) sets, every system runs
on the embedded model with no response cache (every call is real):
greedy; one sample at 0.7; majority vote of 5 samples at 0.7; 5 samples -> fuser;
3 samples -> critic -> fuser; and the best architecture an ITAS search (TPE, 20 trials, budget of
7 calls per query) finds on the dev half, over aggregation (none, majority vote, ranker, fuser),
samples, critic+ranker and instruction variants. For each: accuracy with its 95 % bootstrap
interval, calls and tokens per query, and seconds per query (evaluation wall time / items, with
the default pool of 2 llama.cpp instances). The search's pick is reported on the held-out half it
never saw, next to the fixed systems on that same half. Results and their reading: docs/benchmarks.md.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import argparse
import json
import tempfile
import time

MODEL = "local/smollm2-135m"
MAX_TOKENS = 96
SETS = {"factual": ("normalised", "short_text"), "arithmetic": ("numeric", "last_number")}


def log(message: str) -> None:
    print(f"[small_model_quality] {message}", file=sys.stderr, flush=True)


def fixed_systems(extractor: str) -> dict[str, dict]:
    def gen(samples: int, temperature: float) -> dict:
        return {"type": "generator", "model": MODEL, "samples": samples, "temperature": temperature,
                "max_tokens": MAX_TOKENS}  # fmt: skip

    judge = {"model": MODEL, "temperature": 0.0, "max_tokens": MAX_TOKENS}
    return {
        "greedy": {"layers": [[gen(1, 0.0)]]},
        "one sample at 0.7": {"layers": [[gen(1, 0.7)]]},
        "majority vote of 5": {"layers": [[gen(5, 0.7)], [{"type": "majority_vote", "extractor": extractor}]]},
        "5 samples -> fuser": {"layers": [[gen(5, 0.7)], [{"type": "fuser", **judge}]]},
        "3 samples -> critic -> fuser": {
            "layers": [[gen(3, 0.7)], [{"type": "critic", **judge}], [{"type": "fuser", **judge}]]
        },
    }


def figures(evaluation, wall_s: float, items: int) -> dict:
    (s,) = evaluation.summaries()
    return {
        "accuracy": round(s.quality.mean, 3),
        "ci95": [round(s.quality.low, 3), round(s.quality.high, 3)],
        "calls_per_query": round(s.calls_per_query, 2),
        "tokens_per_query": round(s.tokens_per_query, 1),
        "seconds_per_query": round(wall_s / items, 2),
        "failed": s.failed,
    }


def evaluate_one(name: str, arch, dataset, scorer: str) -> dict:
    from archon_engine.evaluation.records import EvaluationSpec, System
    from archon_engine.evaluation.runner import evaluate

    spec = EvaluationSpec(systems=[System.of(arch, name=name)], dataset=dataset, scorer=scorer)
    start = time.perf_counter()
    evaluation = evaluate(spec)
    result = figures(evaluation, time.perf_counter() - start, len(dataset.items))
    log(f"  {name}: {result}")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--limit", type=int, help="only the first N items of each set")
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--sets", default=",".join(SETS), help="comma-separated: " + ", ".join(SETS))
    args = parser.parse_args()

    from archon_engine import load_config
    from archon_engine.evaluation.datasets import get_dataset
    from archon_engine.search import Search, SearchBudget, SearchSpace

    report: dict = {"model": MODEL, "max_tokens": MAX_TOKENS, "sets": {}}
    for set_name in args.sets.split(","):
        scorer, extractor = SETS[set_name]
        dataset = get_dataset(set_name)
        if args.limit:
            dataset = dataset.head(args.limit)
        log(f"{set_name}: {len(dataset.items)} items, scorer {scorer}")
        results = {}
        for name, config in fixed_systems(extractor).items():
            results[name] = evaluate_one(name, load_config({"name": name, **config}), dataset, scorer)

        instruction = "number_only" if set_name == "arithmetic" else "answer_only"
        space = SearchSpace(
            models=[MODEL],
            samples=[1, 3, 5],
            aggregations=["none", "majority_vote", "ranker", "fuser"],
            fusion_layers=(1, 1),
            critic_ranker=[False, True],
            final_checks=["none"],
            temperatures=[0.7],
            instructions=["default", instruction, "step_by_step"],
            extractor=extractor,
            max_tokens=MAX_TOKENS,
        )
        with tempfile.TemporaryDirectory() as tmp:
            search = Search(
                space,
                dataset=dataset,
                scorer=scorer,
                budget=SearchBudget(max_calls=7),
                algorithm="tpe",
                seed=0,
                storage=f"sqlite:///{tmp}/search.db",
            )
            log(f"  search: {args.trials} trials on {len(search.dev.items)} dev items")
            start = time.perf_counter()
            searched = search.run(args.trials, max_trials=args.trials)  # exactly that many trials
            search_s = time.perf_counter() - start
            best = searched.best[0]
            log(f"  search picked trial {best.number}: {best.name} (dev {best.quality:.3f}) in {search_s:.0f} s")
            held_out = search.held_out
            on_held_out = {"search's pick: " + best.name: evaluate_one(best.name, best.architecture, held_out, scorer)}
            for name, config in fixed_systems(extractor).items():
                on_held_out[name] = evaluate_one(name, load_config({"name": name, **config}), held_out, scorer)
        report["sets"][set_name] = {
            "items": len(dataset.items),
            "scorer": scorer,
            "systems": results,
            "search": {
                "trials": len(searched.trials),
                "evaluated": search.evaluations,
                "seconds": round(search_s),
                "picked": best.name,
                "dev_accuracy": round(best.quality, 3),
                "held_out_items": len(held_out.items),
                "held_out": on_held_out,
            },
        }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
