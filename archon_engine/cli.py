"""Command line: ``python -m archon_engine run CONFIG "PROMPT"`` (and replay, validate, estimate, export, eval,
search, serve)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from archon_engine.archon_format import to_archon
from archon_engine.config import DEFAULT_MODEL, Architecture, ConfigError
from archon_engine.design.editing import replace_model
from archon_engine.estimate import estimate
from archon_engine.execution import RunResult, run
from archon_engine.loading import load_config
from archon_engine.models import keys
from archon_engine.models.client import Budget
from archon_engine.validation import ArchitectureError, validate


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1, not {text!r}")
    return int(text)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m archon_engine", description="Run and inspect Archon architectures."
    )
    commands = parser.add_subparsers(dest="command", required=True)

    run_cmd = commands.add_parser("run", help="run a prompt through an architecture")
    run_cmd.add_argument("config", help="architecture JSON (this project's or Archon's)")
    run_cmd.add_argument("prompt")
    run_cmd.add_argument("--system", help="a system prompt for the conversation")
    run_cmd.add_argument("--json", action="store_true", help="print the whole result (trace included) as JSON")
    run_cmd.add_argument("--local", action="store_true", help=f"run every component on the embedded {DEFAULT_MODEL}")
    run_cmd.add_argument("--max-calls", type=int, help="budget: stop before making more calls than this")
    run_cmd.add_argument("--max-usd", type=float, help="budget: stop before spending more than this")
    run_cmd.add_argument(
        "--stream", action="store_true", help="print the last layer's text as it is written (to stderr with --json)"
    )
    run_cmd.add_argument("--record", metavar="FILE", help="write a recording of the run (replay it with `replay`)")

    replay_cmd = commands.add_parser("replay", help="re-enact a recorded run: no model, key or network")
    replay_cmd.add_argument("recording", help="a recording made by `run --record` or downloaded from History")
    replay_cmd.add_argument("--json", action="store_true", help="print the whole result (trace included) as JSON")
    replay_cmd.add_argument("--speed", default="1", help="times faster than recorded: 1, 2, 4, ... or 0 / instant")
    replay_cmd.add_argument("--stream", action="store_true", help="print the last layer's text as it is replayed")

    for name, text in (("validate", "list errors and rule warnings"), ("estimate", "calls, critical path, max cost")):
        sub = commands.add_parser(name, help=text)
        sub.add_argument("config")
    export = commands.add_parser("export", help="print an architecture as Archon JSON")
    export.add_argument("config")

    ev = commands.add_parser("eval", help="compare an architecture with single-model baselines on a dataset")
    ev.add_argument("config")
    ev.add_argument("--dataset", required=True, help="a shipped dataset's name or a JSONL/CSV/JSON file")
    ev.add_argument("--baseline", action="append", default=[], metavar="MODEL", help="a single-model baseline")
    ev.add_argument("--scorer", help="default: the dataset kind's (numeric, choice, code, normalised, judge)")
    ev.add_argument("--judge", metavar="MODEL", help="the model that judges (judge and pairwise scorers)")
    ev.add_argument("--limit", type=int, help="only the first N items")
    ev.add_argument("--concurrency", type=int, default=32, help="model calls in flight at once")
    ev.add_argument(
        "--repeats",
        type=_positive,
        default=1,
        help="each system answers each item N times (real calls even at temperature 0); quality as mean and spread",
    )
    ev.add_argument("--local", action="store_true", help=f"run the architecture's components on {DEFAULT_MODEL}")
    ev.add_argument(
        "--out", default="evaluation", help="writes OUT.csv (the table), OUT-paired.csv, OUT.json (everything)"
    )
    ev.add_argument("--store", help="the run store (SQLite); default: <data dir>/archon.sqlite")
    ev.add_argument("--resume", metavar="ID", help="finish an interrupted evaluation from the store")
    ev.add_argument("--no-cache", action="store_true", help="call the models even for requests seen before")

    se = commands.add_parser("search", help="search architectures for the best one on a dataset (ITAS)")
    se.add_argument("--dataset", required=True, help="a shipped dataset's name or a JSONL/CSV/JSON file")
    se.add_argument("--models", required=True, help="comma-separated, best first: generators use the top k")
    se.add_argument(
        "--evaluations",
        type=int,
        help="the budget: distinct architectures to evaluate, pruned trials and repeats are free (default: 20)",
    )
    se.add_argument("--trials", type=int, help="at most this many trials of any kind (default: 10 per evaluation)")
    se.add_argument("--budget-calls", type=int, help="prune architectures making more calls per query")
    se.add_argument("--budget-usd", type=float, help="prune architectures that may cost more per query")
    se.add_argument("--objective", choices=["quality", "pareto"], default="quality")
    se.add_argument("--cost-weight", type=float, default=0.0, help="quality objective: minus this x USD per query")
    se.add_argument(
        "--algorithm",
        choices=["gp", "tpe", "nsga2", "random", "grid"],
        help="default: gp for the quality objective, tpe for pareto",
    )
    se.add_argument("--aggregations", default="fuser", help="comma-separated: fuser,majority_vote,ranker,none")
    se.add_argument("--instructions", default="default", help="comma-separated instruction variants to try")
    se.add_argument("--samples", default="1,3,5", help="comma-separated samples per model")
    se.add_argument("--scorer", help="default: the dataset kind's")
    se.add_argument("--limit", type=int, help="only the first N items (split into dev and held-out)")
    se.add_argument("--seed", type=int, default=0)
    se.add_argument("--top", type=int, default=3, help="re-evaluate this many best on the held-out split")
    se.add_argument("--storage", help="Optuna storage URL (default: SQLite in the data folder)")
    se.add_argument("--store", help="the run store that keeps every evaluation; default: <data dir>/archon.sqlite")
    se.add_argument("--study", help="study name; workers sharing storage and name share the study")
    se.add_argument("--api-base", help="an OpenAI-compatible endpoint for every model (vLLM, a local server)")
    se.add_argument("--out", default="best-architecture.json", help="writes the best architecture here")
    se.add_argument("--no-finalize", action="store_true", help="skip the held-out re-evaluation (workers)")
    sv = commands.add_parser("serve", help="serve designs as an OpenAI-compatible API (/v1/chat/completions)")
    sv.add_argument("configs", nargs="*", metavar="CONFIG_OR_DIR", help="design files, or folders of them")
    sv.add_argument("--presets", action="store_true", help="serve the built-in presets too, by slug")
    sv.add_argument("--host", default="127.0.0.1", help="another address than 127.0.0.1 needs --api-key")
    sv.add_argument("--port", type=int, default=8000)
    sv.add_argument(
        "--api-key",
        default=os.environ.get("ARCHON_SERVER_API_KEY"),
        help="clients must send 'Authorization: Bearer KEY' (default: $ARCHON_SERVER_API_KEY)",
    )
    sv.add_argument("--local", action="store_true", help=f"run every component on the embedded {DEFAULT_MODEL}")
    sv.add_argument("--store", help="the run store that keeps every served run; default: <data dir>/archon.sqlite")
    sv.add_argument("--max-concurrent", type=_positive, default=16, help="runs at once; more requests get 429")
    return parser


def _missing_keys(*archs: Architecture) -> list[str]:
    specs = [spec for arch in archs for layer in arch.layers for spec in layer]
    return sorted({keys.provider_of(s.model) for s in specs if keys.needs_key(s.model, s.api_base)})


def _no_key_message(missing: list[str]) -> str:
    return (
        f"error: no API key for {', '.join(missing)}; set it in the environment or .env, "
        "or add --local to run on the embedded model"
    )


def _summary(result: RunResult) -> str:
    lines = [f"Answer:\n{result.answer}" if result.answer is not None else f"Run {result.status}: {result.error}", ""]
    header = ("layer", "components", "calls", "failed", "tokens in", "out", "cost $", "latency s")
    lines.append("{:<6}{:<34}{:>6}{:>7}{:>10}{:>7}{:>10}{:>10}".format(*header))
    usage_by_layer = result.trace.by_layer()
    for layer in result.layers:
        specs = result.architecture.layers[layer.index]
        names = ", ".join(sorted({s.type for s in specs}))
        u = usage_by_layer.get(layer.index)
        if u is None:
            continue
        cost = f"{u.cost_usd:.5f}" if u.cost_known else "unknown"
        lines.append(
            f"{layer.index:<6}{names[:33]:<34}{u.calls:>6}{u.failed_calls:>7}{u.prompt_tokens:>10}"
            f"{u.completion_tokens:>7}{cost:>10}{u.latency_s:>10.2f}"
        )
        lines.extend(f"      ! {error}" for error in layer.errors)
    total = result.usage
    total_cost = f"${total.cost_usd:.5f}" if total.cost_known else "unknown"
    lines.append(
        f"total: {total.calls} calls, {total.prompt_tokens + total.completion_tokens} tokens, "
        f"{total_cost}, {total.latency_s:.2f} s"
    )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "search":
        return _search(args)
    if args.command == "serve":
        return _serve(args)
    if args.command == "replay":
        return _replay(args)
    try:
        arch = load_config(args.config)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.command == "validate":
        findings = validate(arch)
        print("\n".join(map(str, findings)) or "no findings")
        return 1 if any(f.severity == "error" for f in findings) else 0
    if args.command == "estimate":
        print(estimate(arch).model_dump_json(indent=2))
        return 0
    if args.command == "export":
        print(json.dumps(to_archon(arch), indent=4))
        return 0

    if args.local:
        arch = replace_model(arch, DEFAULT_MODEL)
    if args.command == "eval":
        return _evaluate(arch, args)
    missing = _missing_keys(arch)
    if missing:
        print(_no_key_message(missing), file=sys.stderr)
        return 2
    try:
        result = run(
            arch,
            args.prompt,
            system=args.system,
            budget=Budget(max_calls=args.max_calls, max_usd=args.max_usd),
            on_event=_printer(arch, args),
        )
    except ArchitectureError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(result.to_json(indent=2) if args.json else _summary(result))
    if args.record and not _record(result, args.record):
        return 2
    return 0 if result.status == "completed" else 1


def _printer(arch: Architecture, args: argparse.Namespace):
    """With ``--stream``, the listener that prints the last layer's text as it comes (else None)."""
    if not args.stream:
        return None
    from archon_engine.stream_print import LastLayerPrinter

    return LastLayerPrinter(len(arch.layers) - 1, sys.stderr if args.json else sys.stdout)


def _record(result: RunResult, path: str) -> bool:
    from archon_engine.recording import write

    try:
        recording = write(result, path)
    except OSError as exc:
        print(f"error: the recording could not be written to {path}: {exc.strerror or exc}", file=sys.stderr)
        return False
    print(f"recorded {len(recording.calls)} calls to {path}", file=sys.stderr)
    return True


def _replay(args: argparse.Namespace) -> int:
    from archon_engine.recording import load_recording, parse_speed, replay

    try:
        speed = parse_speed(args.speed)
        recording = load_recording(args.recording)
        result = replay(recording, speed=speed, on_event=_printer(recording.architecture, args))
    except ValueError as exc:  # a RecordingError, or a bad --speed
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(result.to_json(indent=2) if args.json else _summary(result))
    return 0 if result.status == "completed" else 1


def _evaluate(arch: Architecture, args: argparse.Namespace) -> int:
    from archon_engine.evaluation.datasets import DatasetError, get_dataset
    from archon_engine.evaluation.records import EvaluationSpec, System, baseline
    from archon_engine.evaluation.runner import evaluate
    from archon_engine.evaluation.scorers.registry import DEFAULT_FOR_KIND
    from archon_engine.models.cache import ResponseCache
    from archon_engine.models.client import Limits
    from archon_engine.storage.sqlite import data_dir
    from archon_engine.storage.store import Store, StoreError

    try:
        dataset = get_dataset(args.dataset)
        if args.limit:
            dataset = dataset.head(args.limit)
        scorer = args.scorer or DEFAULT_FOR_KIND[dataset.kind]
        systems = [System.of(arch), *(baseline(model) for model in args.baseline)]
        spec = EvaluationSpec(
            name=f"{arch.name} on {dataset.name}",
            systems=systems,
            dataset=dataset,
            scorer=scorer,
            scorer_options={"model": args.judge} if args.judge else {},
            baseline_system=args.baseline[0] if args.baseline and scorer == "pairwise" else None,
            repeats=args.repeats,
        )
        store = Store(args.store)
    except (DatasetError, ValueError, StoreError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    judges = [baseline(args.judge).architecture] if args.judge and scorer in ("judge", "pairwise") else []
    missing = _missing_keys(*(s.architecture for s in systems), *judges)
    if missing:
        print(_no_key_message(missing), file=sys.stderr)
        return 2
    cache = None if args.no_cache else ResponseCache(data_dir() / "cache.sqlite")
    if args.resume:
        try:
            store.evaluation_spec(args.resume)
        except StoreError as exc:
            print(f"error: {exc} in {store.path}", file=sys.stderr)
            return 2
    evaluation_id = args.resume or store.create_evaluation(spec)  # known from the start, so that it can be resumed
    resume_hint = f"if it stops, finish it with --resume {evaluation_id}"
    print(f"evaluation {evaluation_id} (store: {store.path}); {resume_hint}", file=sys.stderr, flush=True)

    def progress(p) -> None:
        print(f"\r{p.done}/{p.total} answers scored", end="", file=sys.stderr, flush=True)

    try:
        evaluation = evaluate(
            spec,
            limits=Limits(concurrency=args.concurrency),
            cache=cache,
            store=store,
            resume=evaluation_id,
            on_progress=progress,
        )
    except ArchitectureError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(file=sys.stderr)
    table = evaluation.table()
    print(table.to_string(index=False, float_format=lambda x: f"{x:.4g}"))
    print(
        f"\nlatency: what one query takes run alone; the evaluation took {evaluation.wall_s:.1f} s wall time, "
        f"{evaluation.throughput_qps or 0:.3g} queries/s ({evaluation.ran} run at concurrency {args.concurrency})"
    )
    if spec.repeats > 1:
        print(f"\nquality over {spec.repeats} repeats (mean ± standard deviation of each repeat's quality):")
        for summary in evaluation.summaries():
            print(f"  {summary.system}: {summary.quality.mean:.3f} ± {summary.quality_spread or 0:.3f}")
    print(_paired_lines(evaluation))
    print(f"best single model: {evaluation.best_single_model() or '(no baseline)'}")
    print(f"Pareto frontier (quality vs cost): {', '.join(evaluation.pareto('cost'))}")
    print(f"evaluation id: {evaluation.id} (store: {store.path})")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    paired_csv = out.with_name(f"{out.with_suffix('').name}-paired.csv")
    table.to_csv(out.with_suffix(".csv"), index=False)
    evaluation.paired_table().to_csv(paired_csv, index=False)
    out.with_suffix(".json").write_text(evaluation.export_json(), encoding="utf-8")
    print(f"wrote {out.with_suffix('.csv')}, {paired_csv} and {out.with_suffix('.json')}")
    return 0


def _paired_lines(evaluation) -> str:
    """Every system against each baseline, item by item: wins, losses, ties, the mean difference, the verdict."""
    comparisons = evaluation.paired()
    if not comparisons:
        return "\npaired: no baseline to compare with (add --baseline MODEL)"
    repeats = evaluation.spec.repeats
    per_item = f"; an item's score is its mean over {repeats} repeats" if repeats > 1 else ""
    lines = [f"\npaired, item by item (difference: system minus baseline, 95 % bootstrap over items{per_item}):"]
    for baseline in dict.fromkeys(p.baseline for p in comparisons):
        lines.append(f"  against {baseline}:")
        for p in (p for p in comparisons if p.baseline == baseline):
            d = p.difference
            errored = f", {p.errored} with an error (scored 0)" if p.errored else ""
            lines.append(
                f"    {p.system}: {p.wins} wins, {p.losses} losses, {p.ties} ties{errored}; "
                f"mean difference {d.mean:+.3f} [{d.low:+.3f}, {d.high:+.3f}]; {p.verdict}"
            )
    return "\n".join(lines)


def _search(args: argparse.Namespace) -> int:
    from archon_engine.evaluation.datasets import DatasetError, get_dataset
    from archon_engine.evaluation.scorers.registry import DEFAULT_FOR_KIND
    from archon_engine.models.cache import ResponseCache
    from archon_engine.search import Search, SearchBudget, SearchSpace
    from archon_engine.storage.sqlite import data_dir
    from archon_engine.storage.store import Store, StoreError

    def listed(text: str, kind=str) -> list:
        return [kind(part.strip()) for part in text.split(",") if part.strip()]

    try:
        dataset = get_dataset(args.dataset)
        if args.limit:
            dataset = dataset.head(args.limit)
        space = SearchSpace(
            models=listed(args.models),
            aggregations=listed(args.aggregations),
            instructions=listed(args.instructions),
            samples=listed(args.samples, int),
            api_base=args.api_base,
        )
        search = Search(
            space,
            dataset=dataset,
            scorer=args.scorer or DEFAULT_FOR_KIND[dataset.kind],
            budget=SearchBudget(max_calls=args.budget_calls, max_usd=args.budget_usd),
            objective=args.objective,
            cost_weight=args.cost_weight,
            algorithm=args.algorithm,
            seed=args.seed,
            storage=args.storage,
            study=args.study,
            cache=ResponseCache(data_dir() / "cache.sqlite"),
            store=Store(args.store),
        )
    except (DatasetError, ValueError, StoreError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    missing = sorted({keys.provider_of(m) for m in space.models if keys.needs_key(m, args.api_base)})
    if missing:
        print(f"error: no API key for {', '.join(missing)}; set it in the environment or .env", file=sys.stderr)
        return 2

    def progress(trial) -> None:
        figures = f"quality {trial.quality:.3f}" if trial.quality is not None else trial.reason or ""
        if trial.evaluation_id:
            figures += f"  (evaluation {trial.evaluation_id})"
        print(f"trial {trial.number} {trial.state.lower()}: {trial.name}  {figures}", file=sys.stderr, flush=True)

    evaluations = args.evaluations
    if evaluations is None:  # --trials alone keeps its meaning: that many trials (so at most that many evaluations)
        evaluations = 20 if args.trials is None else args.trials
    result = search.run(evaluations, max_trials=args.trials, on_trial=progress)
    if not args.no_finalize:
        result = search.finalize(args.top)
    if not result.best:
        print("no trial completed: every architecture was pruned (see the reasons above)", file=sys.stderr)
        return 1
    print(f"study {result.study} ({result.storage}): {len(result.trials)} trials, {search.evaluations} evaluated here")
    print(f"evaluations kept in the run store {search.store.path}")
    print("best on the dev split:" if args.objective == "quality" else "Pareto front (quality, cost, latency):")
    for trial in result.best[:10]:
        cost = f"${trial.cost_per_query:.5f}" if trial.cost_per_query is not None else "?"
        figures = f"quality {trial.quality:.3f}  {cost}/query  {trial.latency_s:.2f} s"
        print(f"  trial {trial.number:>3}  {figures}  {trial.name}")
    for held in result.held_out:
        print(
            f"held-out: trial {held.trial:>3}  quality {held.quality:.3f} [{held.quality_low:.3f}, "
            f"{held.quality_high:.3f}]  ${held.cost_per_query:.5f}/query  {held.name}"
        )
    winner = result.held_out[0].architecture if result.held_out else result.best[0].architecture
    Path(args.out).write_text(json.dumps(winner.to_dict(), indent=2), encoding="utf-8")
    print(f"wrote the best architecture to {args.out}")
    return 0


def _serve(args: argparse.Namespace) -> int:
    from archon_engine.serve import DesignCatalog, ServerLimits, serve
    from archon_engine.serve.security import check_bind
    from archon_engine.storage.store import Store, StoreError

    try:
        check_bind(args.host, args.api_key)
        catalog = DesignCatalog.load(args.configs, presets=args.presets, local=args.local)
        limits = ServerLimits(max_concurrent_runs=args.max_concurrent)
        store = Store(args.store)
    except (ValueError, StoreError) as exc:  # InsecureBind and ConfigError are ValueErrors
        print(f"error: {exc}", file=sys.stderr)
        return 2
    missing = _missing_keys(*catalog.architectures())
    if missing:
        print(_no_key_message(missing), file=sys.stderr)
        return 2
    print(
        f"serving {', '.join(catalog.ids)} at http://{args.host}:{args.port}/v1 (runs kept in {store.path})",
        file=sys.stderr,
        flush=True,
    )
    serve(catalog, host=args.host, port=args.port, api_key=args.api_key, store=store, limits=limits)
    return 0
