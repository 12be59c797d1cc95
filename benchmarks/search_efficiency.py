"""Search efficiency: how many evaluations do gp, TPE and random search need to find the best architecture?

    python benchmarks/search_efficiency.py        # prints one JSON object (progress goes to stderr)
    python benchmarks/search_efficiency.py --seeds 5 --landscape   # quicker, plus the top of the space
    python benchmarks/search_efficiency.py --space large           # the paper-like space (gp and TPE: about 1 h)
    python benchmarks/search_efficiency.py --algorithms gp         # only gp (and random) searches

The world is simulated, deterministically, by one FakeModel responder (``World``): three generator models of
different accuracy answer arithmetic items (whether model m's sample s is right on item i is a hash of
(m, i, s, temperature) against the model's accuracy on that item; wrong answers are often a shared
distractor, so errors are correlated), and the first model fuses, ranks, critiques, verifies and writes and
checks unit tests with fixed reliabilities, reading the candidates from the prompts the engine sends.
``majority_vote`` is the real component (no calls). Quality therefore depends on the architecture: more
samples, more (weaker) models, fusion layers, critic + ranker and the final check each help or hurt.

The default space (``space()``): top 1-3 models x samples 1/3/5 x fuser/majority vote/ranker, and with a fuser
1-2 fusion layers (2 fusers in the first of two) x critic + ranker on/off x no check/verifier/unit tests: 126
points of Search's conditional space, 108 distinct architectures within 20 calls per query (MAX_CALLS).
``--space large``, closer to the paper's: top 1-5 models (two weaker ones, sim/tiny and sim/micro, join
the world for it only) x samples 1-5 x the same aggregations, and with a fuser 1-3 fusion layers x 1-3 fusers
per layer (all but the last) x critic + ranker x final check: 1,100 points, 877 distinct architectures within
30 calls per query. Random search needs thousands of trials there (most of them repeats late in a search),
so by default random does not search it and the simulation (3.) is random's reference (``--random-seeds``).
The objective is quality minus USD per query (each call costs USD 0.001), so among equally good
architectures the cheapest is the best; the world has one best in each space (asserted).

1. Exhaustive evaluation: every distinct architecture within the budget (``Search.grid()``) is evaluated once
   on the dev split with ``evaluate``, so every architecture's objective value is known in advance. The dev
   split is the same for every seed (``FixedSplit``), so that all searches optimise the same objective.
2. For each of SEEDS seeds, each Bayesian algorithm (``--algorithms``: gp and TPE) and random search
   (``Search(..., algorithm=...)``, a fresh SQLite study in a temporary folder per run, the same rules for all)
   search until they evaluate the best architecture, or the space is exhausted, or MAX_TRIALS trials.
   "Evaluations" are Search's own budget unit (``Search.evaluations``): distinct architectures evaluated; pruned
   trials and repeats cost no model call and do not count. Samplers do not look at the budget, so a search with
   a budget of B evaluations is this search cut at B: it found the best within the budget if it did so within B
   evaluations and within the trials ``Search.run(B)`` allows (its default cap). Recorded per run: evaluations
   (and trials) to the best, and the best architecture the search had after BUDGET evaluations; the success rate
   is also given at REPORTED_BUDGETS.
3. Random search without a trial limit, simulated on the space's points (no model calls) with the draw
   Optuna's RandomSampler makes (each axis uniform, in Search's order, only the axes that matter), as a
   precise reference for random's mean.
4. Checks that every architecture the searches evaluated scored what the exhaustive pass predicted.

Targets (issue 5), for each Bayesian algorithm: <= 25 % of random's evaluations (its mean over the simulated
mean; the medians if one of its searches never found the best) and the best found within the budget in >= 90 %
of seeds. The paper reports 90.4 % fewer evaluations than random and the best in 96 % of searches, on its own
space. Results and their reading: docs/benchmarks.md.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import argparse
import collections
import hashlib
import json
import math
import os
import random
import re
import statistics
import tempfile
import threading
import time
from typing import Any

from archon_engine.evaluation.datasets import Dataset, Item

MODELS = ["sim/large", "sim/medium", "sim/small"]  # ranked best first, as SearchSpace expects
ACCURACY = {"sim/large": 0.45, "sim/medium": 0.38, "sim/small": 0.30}  # per sample, on an item of average difficulty
LARGE_MODELS = [*MODELS, "sim/tiny", "sim/micro"]  # the large space's generators (the default space's first)
ACCURACY |= {"sim/tiny": 0.26, "sim/micro": 0.22}  # only the large space asks these two
ITEMS = 30
DEV_FRACTION = 0.8  # 24 dev items, the same for every seed (FixedSplit)
MAX_CALLS = {"default": 20, "large": 30}  # budget per query, per space
COST_PER_CALL = 0.001  # USD, every model
COST_WEIGHT = 1.0  # objective = quality - COST_WEIGHT x USD per query: among equally good ones, the cheapest
SPLIT_SEED = 0
SEEDS = 20
BUDGET = 40  # evaluations: distinct architectures, the search budget whose success rate is reported
MAX_TRIALS = 3000  # per search to the best: the cap for trials (repeats and pruned ones are free)
FUSER = {"keep": 0.95, "fix": 0.2, "fix_reviewed": 0.4, "invent": 0.03}
CRITIC = {"flags_wrong": 0.7, "flags_right": 0.15}
REPORTED_BUDGETS = (20, 40, 100, 200)  # the success rate is also reported at these budgets
TARGETS = {"over_random_evaluations": 0.25, "found_fraction": 0.90}  # for each Bayesian algorithm
BAYESIAN = ("gp", "tpe")

_NUMBER = re.compile(r"-?\d+")
_ITEM = re.compile(r"Item (\d+):")
_RESPONSE = re.compile(r"Response (\d+):\n(.*?)(?=\n\nResponse \d+:|\Z)", re.DOTALL)
FLAG = "the final number looks wrong"


class FixedSplit(Dataset):
    """A dataset whose dev/held-out split is the same whatever the search's seed.

    ``Search`` splits its dataset with its own seed, so searches with different seeds would optimise
    different dev splits with different best architectures; here the seeds vary the sampler only.
    """

    def split(self, dev_fraction: float = 0.5, seed: int = 0) -> tuple[Dataset, Dataset]:
        return super().split(dev_fraction, seed=SPLIT_SEED)


def log(message: str) -> None:
    print(f"[search_efficiency] {message}", file=sys.stderr, flush=True)


def unit(*parts: Any) -> float:
    """A deterministic number in [0, 1) from ``parts``."""
    digest = hashlib.sha256(repr(parts).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


class World:
    """The simulated models, as a FakeModel responder.

    Items: "Item i: what is a x b?"; every third is easy (+0.25 accuracy for every model), every third hard
    (-0.25). Generators: sample s of model m is right if unit(m, i, s, t) < ACCURACY[m] (+ the shift); a
    wrong sample gives the item's distractor (product +- 10, shared by all models) with probability 0.5, else
    another wrong number. Higher temperature costs a little accuracy and spreads the wrong answers (the space
    here has one temperature). Generators that see unit tests in their prompt gain 0.05.
    The other roles have these reliabilities whichever model plays them (the space always uses the first):
    critic: flags a wrong candidate ("the final number looks wrong") with probability CRITIC["flags_wrong"],
    a right one with CRITIC["flags_right"].
    ranker: orders right candidates first with probability 0.7 (0.9 when it reads critiques, which also puts
    flagged ones last; the space's rankers do not read them), otherwise in a hashed order.
    fuser: drops flagged candidates (unless all are) and takes the most common answer (the first on ties); a
    wrong majority becomes the right answer with probability FUSER["fix"] if a right candidate is among its
    inputs (FUSER["fix_reviewed"] when it reads critiques), else FUSER["invent"]; a right majority is kept
    with probability FUSER["keep"] (else it turns into the distractor).
    verifier: says correct of a right candidate with probability 0.9, of a wrong one 0.2.
    unit tests: three tests; a right candidate passes each with probability 0.9, a wrong one 0.4.

    Identical requests (the samples of one generator, the fusers of one layer) are told apart by the
    order they arrive in: ``new_evaluation()`` restarts those counters, and must be called before each
    architecture's evaluation so that an architecture always gets the same replies.
    """

    def __init__(self, items: int = ITEMS):
        self.items = {}
        for i in range(items):
            a, b = 3 + int(unit("a", i) * 40), 3 + int(unit("b", i) * 40)
            difficulty = ("easy", "medium", "hard")[i % 3]
            distractor = a * b + (10 if unit("d", i) < 0.5 else -10)
            self.items[i] = {"a": a, "b": b, "answer": a * b, "distractor": distractor, "difficulty": difficulty}
        self._lock = threading.Lock()
        self._seen: collections.Counter[str] = collections.Counter()

    def new_evaluation(self) -> None:
        with self._lock:
            self._seen.clear()

    def dataset(self) -> FixedSplit:
        items = [
            Item(id=str(i), prompt=f"Item {i}: what is {v['a']} x {v['b']}?", reference=str(v["answer"]))
            for i, v in self.items.items()
        ]
        return FixedSplit(name="sim-arithmetic", kind="numeric", items=items)

    # --- helpers ------------------------------------------------------------------------------

    def _occurrence(self, request) -> int:
        key = json.dumps([request.role, request.model, request.messages], sort_keys=True)
        with self._lock:
            self._seen[key] += 1
            return self._seen[key] - 1

    def _item(self, request) -> dict:
        text = "\n".join(str(m.get("content", "")) for m in request.messages)
        number = int(_ITEM.search(text).group(1))
        return self.items[number] | {"id": number}

    @staticmethod
    def _value(text: str) -> int | None:
        numbers = _NUMBER.findall(text.split("answer is")[-1])
        return int(numbers[0]) if numbers else None

    @staticmethod
    def _candidates(request) -> list[tuple[str, bool]]:
        """(answer text, flagged by a critic) of each numbered candidate in the last user message."""
        text = request.messages[-1]["content"]
        block = text.split("Candidate responses:\n\n", 1)[1]
        out = []
        for _, body in _RESPONSE.findall(block):
            answer, _, review = body.partition("\n(Review of response")
            out.append((answer.strip(), FLAG in review))
        return out

    # --- roles --------------------------------------------------------------------------------

    def __call__(self, request) -> str:
        item = self._item(request)
        return getattr(self, "_" + request.role)(request, item)

    def _generate(self, request, item) -> str:
        sample = self._occurrence(request)
        tested = "unit tests" in request.messages[-1]["content"]
        shift = {"easy": 0.25, "medium": 0.0, "hard": -0.25}[item["difficulty"]]
        accuracy = ACCURACY[request.model] + shift - 0.1 * (request.temperature - 0.7) + 0.05 * tested
        draw = (request.model, item["id"], sample, request.temperature, tested)
        if unit("right", *draw) < accuracy:
            value = item["answer"]
        elif unit("distractor", *draw) < 0.5 - 0.2 * (request.temperature - 0.7):
            value = item["distractor"]
        else:
            value = item["answer"] + (1 + int(unit("wrong", *draw) * 20)) * (1 if unit("sign", *draw) < 0.5 else -1)
        return f"Working step by step, the answer is {value}."

    def _fuse(self, request, item) -> str:
        copy = self._occurrence(request)
        candidates = self._candidates(request)
        reviewed = "(Review of response" in request.messages[-1]["content"]
        unflagged = [c for c in candidates if not c[1]] or candidates
        values = [self._value(text) for text, _ in unflagged]
        majority = collections.Counter(values).most_common(1)[0][0]  # ties: the first seen
        draw = unit("fuse", request.model, item["id"], copy, tuple(self._value(t) for t, _ in candidates), reviewed)
        if majority == item["answer"]:
            value = majority if draw < FUSER["keep"] else item["distractor"]
        elif any(self._value(t) == item["answer"] for t, _ in candidates):
            value = item["answer"] if draw < FUSER["fix_reviewed" if reviewed else "fix"] else majority
        else:
            value = item["answer"] if draw < FUSER["invent"] else majority
        return f"Combining the responses, the answer is {value}."

    def _rank(self, request, item) -> str:
        candidates = self._candidates(request)
        reviewed = "(Review of response" in request.messages[-1]["content"]
        values = tuple(self._value(t) for t, _ in candidates)
        noise = [unit("order", item["id"], values, n) for n in range(len(candidates))]
        if unit("rank", request.model, item["id"], values, reviewed) < (0.9 if reviewed else 0.7):
            key = [(flag, self._value(t) != item["answer"], noise[n]) for n, (t, flag) in enumerate(candidates)]
        else:
            key = [(flag, False, noise[n]) for n, (_, flag) in enumerate(candidates)]
        order = sorted(range(len(candidates)), key=lambda n: key[n])
        return json.dumps({"ranking": [n + 1 for n in order], "reason": "simulated"})

    def _critique(self, request, item) -> str:
        candidates = self._candidates(request)
        critiques = []
        for n, (text, _) in enumerate(candidates, start=1):
            right = self._value(text) == item["answer"]
            chance = CRITIC["flags_right" if right else "flags_wrong"]
            weakness = FLAG if unit("critic", request.model, item["id"], n, text) < chance else "none"
            critiques.append({"candidate": n, "strengths": "shows its steps", "weaknesses": weakness})
        return json.dumps({"critiques": critiques})

    def _verify_reasoning(self, request, item) -> str:
        text = request.messages[-1]["content"].split("Response:\n", 1)[1].split("\n\n")[0]
        right = self._value(text) == item["answer"]
        correct = unit("verify", request.model, item["id"], text) < (0.9 if right else 0.2)
        return "Checked the multiplication: it " + ("holds." if correct else "does not hold.")

    def _verify_verdict(self, request, item) -> str:
        reasoning = request.messages[-2]["content"]
        return json.dumps({"verdict": "correct" if reasoning.endswith("holds.") else "incorrect"})

    def _unit_tests(self, request, item) -> str:
        return json.dumps({"unit_tests": ["States one number.", "The number is the product.", "Shows a step."]})

    def _evaluate(self, request, item) -> str:
        text = request.messages[-1]["content"].split("Response:\n", 1)[1].split("\n\nUnit tests:")[0]
        right = self._value(text) == item["answer"]
        tests = int(request.metadata.get("tests", 0))
        results = [
            {"test": t, "passed": unit("test", item["id"], text, t) < (0.9 if right else 0.4), "reason": "simulated"}
            for t in range(1, tests + 1)
        ]
        return json.dumps({"results": results})


def space(kind: str = "default"):
    """The searched space: ``default`` (108 architectures) or ``large`` (a paper-like one, see the docstring)."""
    from archon_engine.search import SearchSpace

    common = {"temperatures": [0.7], "extractor": "last_number", "max_tokens": 128}
    if kind == "large":
        return SearchSpace(
            models=LARGE_MODELS,
            samples=[1, 2, 3, 4, 5],
            aggregations=["fuser", "majority_vote", "ranker"],
            fusion_layers=(1, 3),
            fusers_per_layer=[1, 2, 3],
            critic_ranker=[False, True],
            final_checks=["none", "verifier", "unit_tests"],
            **common,
        )
    return SearchSpace(
        models=MODELS,
        samples=[1, 3, 5],
        aggregations=["fuser", "majority_vote", "ranker"],
        fusion_layers=(1, 2),
        fusers_per_layer=[2],
        critic_ranker=[False, True],
        final_checks=["none", "verifier", "unit_tests"],
        **common,
    )


def search(dataset, algorithm: str, seed: int, storage: str, backend, kind: str = "default"):
    from archon_engine.search import Search, SearchBudget

    return Search(
        space(kind),
        dataset=dataset,
        scorer="numeric",
        budget=SearchBudget(max_calls=MAX_CALLS[kind]),
        cost_weight=COST_WEIGHT,
        algorithm=algorithm,
        seed=seed,
        dev_fraction=DEV_FRACTION,
        storage=storage,
        backend=backend,
    )


def exhaustive(world: World, dataset, tmp: str, kind: str = "default") -> tuple[dict[str, dict], list[dict]]:
    """Every distinct architecture within the budget evaluated on the dev split (config hash -> figures),
    and every point of the space (``SearchSpace.points()``)."""
    from archon_engine.evaluation.records import EvaluationSpec, System
    from archon_engine.evaluation.runner import evaluate
    from archon_engine.models.fake import FakeModel
    from archon_engine.storage.store import config_hash

    probe = search(dataset, "random", 0, f"sqlite:///{tmp}/probe.db", None, kind)
    points = probe.space.points()
    distinct = probe.grid()
    log(f"exhaustive: {len(points)} points, {len(distinct)} distinct architectures within {MAX_CALLS[kind]} calls")
    table = {}
    started = time.perf_counter()
    for number, params in enumerate(distinct, start=1):
        arch = probe.space.build(params)
        world.new_evaluation()
        spec = EvaluationSpec(systems=[System.of(arch)], dataset=probe.dev, scorer="numeric")
        evaluation = evaluate(spec, backend=FakeModel(world, cost_per_call=COST_PER_CALL))
        assert all(r.status == "completed" and r.score.error is None for r in evaluation.results), arch.name
        (summary,) = evaluation.summaries()
        table[config_hash(arch)] = {
            "name": arch.name,
            "quality": summary.quality.mean,
            "calls": summary.calls_per_query,
            "value": summary.quality.mean - COST_WEIGHT * summary.cost_per_query,  # what Search maximises
        }
        if number % 50 == 0:
            log(f"  {number}/{len(distinct)} evaluated ({time.perf_counter() - started:.1f} s)")
    return table, points


def default_cap(budget: int) -> int:
    """The trials ``Search.run(budget)`` allows by default."""
    from archon_engine.search import MIN_TRIALS, TRIALS_PER_EVALUATION

    return max(TRIALS_PER_EVALUATION * budget, MIN_TRIALS)


def run_search(
    world: World, dataset, table: dict, best: set[str], algorithm: str, seed: int, budget: int, tmp: str, kind: str
):
    """One search until it evaluates the best (or exhausts the space, or MAX_TRIALS trials)."""
    from archon_engine.models.fake import FakeModel
    from archon_engine.storage.store import config_hash

    backend = FakeModel(world, cost_per_call=COST_PER_CALL)
    runner = search(dataset, algorithm, seed, f"sqlite:///{tmp}/{algorithm}-{seed}.db", backend, kind)
    state: dict[str, Any] = {"found_at": None, "found_trial": None, "mismatches": 0, "calls_in_repeats": 0}
    evaluated: list[tuple[int, float]] = []  # (trial number, value) of each evaluation, in order

    def on_trial(trial) -> None:
        world.new_evaluation()  # the next architecture's samples are numbered from 0 again
        if trial.duplicate_of is not None and backend.requests:
            state["calls_in_repeats"] += len(backend.requests)  # a repeat must make no call
        backend.requests.clear()
        if trial.state != "COMPLETE" or trial.architecture is None:
            return
        digest = config_hash(trial.architecture)
        if digest not in table or abs(trial.values[0] - table[digest]["value"]) > 1e-9:
            state["mismatches"] += 1  # the search saw another score than the exhaustive pass
        if trial.duplicate_of is not None:
            return
        evaluated.append((trial.number, trial.values[0]))
        if state["found_at"] is None and digest in best:
            state["found_at"], state["found_trial"] = runner.evaluations, trial.number
            runner.stop()

    world.new_evaluation()
    started, cpu_started = time.perf_counter(), time.process_time()
    result = runner.run(len(table), max_trials=MAX_TRIALS, on_trial=on_trial)
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    found = state["found_at"] is not None
    cap = default_cap(budget)  # the best that Search.run(budget) would have found:
    top = max((value for number, value in evaluated[:budget] if number < cap), default=-math.inf)
    return {
        "seed": seed,
        "found": found,
        "evaluations_to_best": state["found_at"],
        "trials_to_best": state["found_trial"] + 1 if found else None,
        "found_within_budget": found and state["found_at"] <= budget and state["found_trial"] < cap,
        "evaluations": runner.evaluations,
        "trials": len(result.trials),
        "pruned": sum(t.state == "PRUNED" for t in result.trials),
        "repeats": sum(t.duplicate_of is not None for t in result.trials),
        "budget_rank": 1 + sum(e["value"] > top + 1e-9 for e in table.values()),
        "budget_quality": max((e["quality"] for e in table.values() if abs(e["value"] - top) < 1e-9), default=0),
        "mismatches": state["mismatches"],
        "calls_in_repeats": state["calls_in_repeats"],
        "wall_s": wall,
        "cpu_s": cpu,
    }


def simulated_random(space, points: dict[tuple, str | None], best: set[str], budget: int, runs: int = 20000) -> dict:
    """Random search without a trial limit, simulated on the space's points (no model calls): Optuna's
    RandomSampler picks each axis that matters uniformly, in Search's order, so a point's chance is the product of
    1 / (values of each axis it asks). Distinct evaluations until the best. ``points``: each point (as sorted
    items) -> its architecture's config hash, None if pruned."""
    choices = space.choices()
    keys = list(points)
    weights = [math.prod(1 / len(choices[name]) for name in space.asked(dict(key))) for key in keys]
    assert abs(sum(weights) - 1) < 1e-9, "the points' chances must add up to 1"
    rng = random.Random(12345)

    def draws():
        while True:
            yield from rng.choices(keys, weights, k=256)

    needed, within = [], 0
    for _ in range(runs):
        seen: set[str] = set()
        trials = 0
        for key in draws():
            trials += 1
            digest = points[key]
            if digest is None or digest in seen:
                continue
            seen.add(digest)
            if digest in best:
                break
        needed.append(len(seen))
        within += len(seen) <= budget and trials <= default_cap(budget)
    return {
        "searches": runs,
        "evaluations_to_best_median": statistics.median(needed),
        "evaluations_to_best_mean": round(statistics.fmean(needed), 1),
        "found_within_budget_fraction": round(within / runs, 3),
    }


def within(run: dict, budget: int) -> bool:
    """Whether a search found the best within ``budget`` evaluations and the trials ``Search.run(budget)`` allows."""
    return run["found"] and run["evaluations_to_best"] <= budget and run["trials_to_best"] <= default_cap(budget)


def summary(runs: list[dict]) -> dict | None:
    if not runs:
        return None
    found = [r["evaluations_to_best"] for r in runs if r["found"]]
    censored = [math.inf] * (len(runs) - len(found))  # not found within MAX_TRIALS: more than any found
    trials = sum(r["trials"] for r in runs)
    wall = sum(r["wall_s"] for r in runs)
    median = statistics.median(found + censored)
    return {
        "found_within_budget_fraction": round(sum(r["found_within_budget"] for r in runs) / len(runs), 3),
        "found_fraction": round(len(found) / len(runs), 3),
        "found_within": {  # budget of evaluations -> fraction of seeds (within Search.run(budget)'s trial cap too)
            budget: round(sum(within(r, budget) for r in runs) / len(runs), 3) for budget in REPORTED_BUDGETS
        },
        "evaluations_to_best_median": None if math.isinf(median) else median,
        "evaluations_to_best_mean": round(statistics.fmean(found), 1) if found else None,  # seeds that found it
        "evaluations_to_best": [r["evaluations_to_best"] for r in runs],
        "trials_to_best_median": statistics.median(r["trials_to_best"] or math.inf for r in runs),
        "trials_per_search_mean": round(statistics.fmean(r["trials"] for r in runs), 1),
        "pruned_per_search_mean": round(statistics.fmean(r["pruned"] for r in runs), 1),
        "repeats_per_search_mean": round(statistics.fmean(r["repeats"] for r in runs), 1),
        "budget_rank_median": statistics.median(r["budget_rank"] for r in runs),
        "budget_in_top_5_fraction": round(sum(r["budget_rank"] <= 5 for r in runs) / len(runs), 3),
        "budget_quality_mean": round(statistics.fmean(r["budget_quality"] for r in runs), 3),
        "time_per_trial_ms": round(1000 * wall / trials, 1),
        "cpu_per_trial_ms": round(1000 * sum(r["cpu_s"] for r in runs) / trials, 1),
        "cpu_per_evaluation_ms": round(
            1000 * sum(r["cpu_s"] for r in runs) / max(1, sum(r["evaluations"] for r in runs)), 1
        ),
        "wall_s": round(wall, 1),
        "cpu_s": round(sum(r["cpu_s"] for r in runs), 1),
    }


def share_of_random(bayesian: dict, rnd: dict | None, simulated: dict) -> dict[str, float]:
    """A Bayesian search's evaluations to the best as a share of random's. Means only count the seeds that found
    the best within MAX_TRIALS, so they are compared only when every seed of both did; the simulated mean is
    random's precise reference."""
    share: dict[str, float] = {}
    if rnd is not None and None not in (bayesian["evaluations_to_best_median"], rnd["evaluations_to_best_median"]):
        share["median_vs_random_searches"] = round(
            bayesian["evaluations_to_best_median"] / rnd["evaluations_to_best_median"], 3
        )
    if rnd is not None and bayesian["found_fraction"] == 1 and rnd["found_fraction"] == 1:
        share["mean_vs_random_searches"] = round(
            bayesian["evaluations_to_best_mean"] / rnd["evaluations_to_best_mean"], 3
        )
    if bayesian["evaluations_to_best_median"] is not None:
        share["median_vs_simulated_random"] = round(
            bayesian["evaluations_to_best_median"] / simulated["evaluations_to_best_median"], 3
        )
    if bayesian["found_fraction"] == 1:
        share["mean_vs_simulated_random"] = round(
            bayesian["evaluations_to_best_mean"] / simulated["evaluations_to_best_mean"], 3
        )
    return share


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=SEEDS)
    parser.add_argument("--budget", type=int, default=BUDGET, help="evaluations per search, for the success rate")
    parser.add_argument("--landscape", action="store_true", help="also print the best architectures of the space")
    parser.add_argument("--space", choices=sorted(MAX_CALLS), default="default", help="the space searched")
    parser.add_argument(
        "--algorithms",
        default=",".join(BAYESIAN),
        help=f"comma-separated Bayesian algorithms to measure (default and choices: {','.join(BAYESIAN)})",
    )
    parser.add_argument(
        "--random-seeds",
        type=int,
        help="random searches to run (default: --seeds, but 0 with --space large: the simulation is the reference)",
    )
    args = parser.parse_args()
    algorithms = [a.strip() for a in args.algorithms.split(",") if a.strip()]
    if not algorithms or set(algorithms) - set(BAYESIAN):
        parser.error(f"--algorithms: choose among {', '.join(BAYESIAN)}")
    from archon_engine.search import Infeasible
    from archon_engine.storage.store import config_hash

    started, cpu_started = time.perf_counter(), time.process_time()
    load_start = os.getloadavg()[0]
    world = World()
    dataset = world.dataset()
    with tempfile.TemporaryDirectory() as tmp:
        table, points = exhaustive(world, dataset, tmp, args.space)
        exhaustive_s = time.perf_counter() - started
        top = max(entry["value"] for entry in table.values())
        best = {digest for digest, entry in table.items() if entry["value"] >= top - 1e-9}
        (winner,) = (table[digest] for digest in best)  # the world is tuned to have one best
        levels = sorted({round(e["quality"], 9) for e in table.values()}, reverse=True)
        log(f"best: {winner['name']} (quality {winner['quality']:.3f}, {winner['calls']:g} calls)")
        random_seeds = (
            args.random_seeds if args.random_seeds is not None else (0 if args.space == "large" else args.seeds)
        )
        seeds = {**{algorithm: args.seeds for algorithm in algorithms}, "random": random_seeds}
        runs: dict[str, list[dict]] = {algorithm: [] for algorithm in seeds}
        for seed in range(max(seeds.values())):
            for algorithm, done in runs.items():
                if seed >= seeds[algorithm]:
                    continue
                run = run_search(world, dataset, table, best, algorithm, seed, args.budget, tmp, args.space)
                done.append(run)
                outcome = f"found after {run['evaluations_to_best']}" if run["found"] else "not found in"
                log(
                    f"seed {seed} {algorithm}: best {outcome} evaluations "
                    f"({run['evaluations']} in {run['trials']} trials, {run['wall_s']:.1f} s)"
                )
        probe = search(dataset, "random", 0, f"sqlite:///{tmp}/probe.db", None, args.space)
        by_point: dict[tuple, str | None] = {}
        for params in points:
            try:
                by_point[tuple(sorted(params.items()))] = config_hash(probe._checked(params))
            except Infeasible:
                by_point[tuple(sorted(params.items()))] = None
    summaries = {algorithm: summary(done) for algorithm, done in runs.items()}
    unlimited = simulated_random(probe.space, by_point, best, args.budget)
    figures: dict[str, Any] = {
        "world": {
            "generators": {model: ACCURACY[model] for model in probe.space.models[: probe.space.top_k]},
            "items": ITEMS,
            "dev_items": round(ITEMS * DEV_FRACTION),
            "fuser": FUSER,
            "critic": CRITIC,
        },
        "space": args.space,
        "space_points": len(points),
        "points_within_budget": sum(p is not None for p in by_point.values()),
        "distinct_architectures_within_budget": len(table),
        "budget_calls_per_query": MAX_CALLS[args.space],
        "objective": f"quality - {COST_WEIGHT:g} x USD per query, USD {COST_PER_CALL:g} per call",
        "best": {
            "name": winner["name"],
            "quality": round(winner["quality"], 3),
            "calls_per_query": winner["calls"],
            "points_giving_it": sum(p in best for p in by_point.values()),
            "architectures_with_its_quality": sum(abs(e["quality"] - winner["quality"]) < 1e-9 for e in table.values()),
            "next_quality": round(levels[1], 3) if len(levels) > 1 else None,
            "worst_quality": round(levels[-1], 3),
        },
        "seeds": args.seeds,
        "budget_evaluations": args.budget,
        "budget_trial_cap": default_cap(args.budget),
        "max_trials_to_the_best": MAX_TRIALS,
        **summaries,
        "random_simulated_without_trial_limit": unlimited,
        "paper": {"reduction_vs_random": 0.904, "found_fraction": 0.96},
        "score_mismatches": sum(r["mismatches"] for done in runs.values() for r in done),
        "calls_in_repeats": sum(r["calls_in_repeats"] for done in runs.values() for r in done),
    }
    for algorithm in algorithms:
        share = share_of_random(summaries[algorithm], summaries["random"], unlimited)
        ratio = share.get("mean_vs_simulated_random", share.get("median_vs_simulated_random"))  # the mean if all found
        figures[f"{algorithm}_evaluations_share_of_random"] = share
        figures[f"{algorithm}_meets"] = {
            "over_random_evaluations": ratio is not None and ratio <= TARGETS["over_random_evaluations"],
            "found_fraction": summaries[algorithm]["found_within_budget_fraction"] >= TARGETS["found_fraction"],
        }
    figures["exhaustive_s"] = round(exhaustive_s, 1)
    figures["total_s"] = round(time.perf_counter() - started, 1)
    figures["cpu_s"] = round(time.process_time() - cpu_started, 1)
    figures["load_average"] = {"start": round(load_start, 2), "end": round(os.getloadavg()[0], 2)}
    if args.landscape:
        ranked = sorted(table.values(), key=lambda e: -e["value"])
        figures["top_architectures"] = [
            {"name": e["name"], "quality": round(e["quality"], 3), "calls": e["calls"]} for e in ranked[:15]
        ]
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
