"""Adaptive stopping of a generator's samples (``stop_when``): draw samples in waves, read each one's answer
with a majority-vote extractor, and stop as soon as a rule says the answer is decided.

- ``beta`` (Aggarwal et al. 2023, Adaptive-Consistency): with c1 and c2 the counts of the two most common
  answers, the leading answer's share between them is p ~ Beta(c1 + 1, c2 + 1); stop when
  P(p > 0.5) >= ``threshold``. For integer counts that probability is a binomial sum.
- ``window`` (Li et al. 2024, ESC): stop when ``window`` consecutive samples give the same answer.

The first wave is as large as the rule needs to be met at all (4 samples for ``beta`` at 0.95, ``window``
for ``window``), never below ``min_samples``; later waves add ``wave`` samples, up to the maximum. Samples
keep their seeds (sample i uses seed + i), so an adaptive run draws a prefix of the fixed run's samples:
seeded and temperature-0 runs stay repeatable. The samples of one wave run in parallel.
"""

from __future__ import annotations

import asyncio
import math
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from archon_engine.components import extractors
from archon_engine.components.base import gather_all
from archon_engine.config import AnswerReading, StopWhen
from archon_engine.state import Sampling
from archon_engine.trace import CallRecord

ASSUMED_AGREEMENT = 0.8  # for expected calls: each sample gives the leading answer with this probability


@dataclass(frozen=True)
class Decision:
    met: bool
    figure: float | None  # the Beta probability, or the longest run of equal answers
    reason: str


def beta_confidence(c1: int, c2: int) -> float:
    """P(p > 0.5) for p ~ Beta(c1 + 1, c2 + 1): the chance the answer seen c1 times is the majority against
    the one seen c2 times (1 - the regularised incomplete beta at 0.5, a binomial sum for integers)."""
    n = c1 + c2 + 1
    return sum(math.comb(n, j) for j in range(c1 + 1)) / 2**n


def decide(stop: StopWhen, answers: Sequence[str | None]) -> Decision:
    """Whether the answers read so far (in sample order; None: no answer) meet ``stop``'s rule."""
    if stop.rule == "beta":
        ranked = Counter(a for a in answers if a is not None).most_common(2)
        if not ranked:
            return Decision(False, None, "no sample had an answer")
        (leader, c1), c2 = ranked[0], ranked[1][1] if len(ranked) > 1 else 0
        p = beta_confidence(c1, c2)
        met = p >= stop.threshold
        return Decision(met, p, f"P({leader!r} is the majority) = {p:.3f} {'≥' if met else '<'} {stop.threshold:g}")
    run, answer = _longest_run(answers)
    if answer is None:
        return Decision(False, 0, "no sample had an answer")
    met = run >= stop.window
    return Decision(met, run, f"{run} samples in a row answered {answer!r} (window {stop.window})")


def _longest_run(answers: Sequence[str | None]) -> tuple[int, str | None]:
    best, best_answer, run = 0, None, 0
    for i, answer in enumerate(answers):
        run = run + 1 if answer is not None and i and answers[i - 1] == answer else int(answer is not None)
        if run > best:
            best, best_answer = run, answer
    return best, best_answer


def earliest(stop: StopWhen) -> int:
    """The fewest samples after which the rule can be met (when they all agree), never below min_samples."""
    if stop.rule == "window":
        return max(stop.min_samples, stop.window)
    agreeing = 1
    while beta_confidence(agreeing, 0) < stop.threshold:
        agreeing += 1
    return max(stop.min_samples, agreeing)


def checkpoints(stop: StopWhen, maximum: int) -> list[int]:
    """The sample counts after which the rule is checked: the end of each wave, the last one ``maximum``."""
    points = [min(maximum, max(earliest(stop), stop.wave))]
    while points[-1] < maximum:
        points.append(min(maximum, points[-1] + stop.wave))
    return points


def expected_samples(stop: StopWhen, maximum: int, agreement: float = ASSUMED_AGREEMENT) -> float:
    """The samples drawn on average if each gives the leading answer with probability ``agreement`` and
    every other answer is different (a model, not a measurement: real answer distributions vary by query)."""
    # state: (leading answers, other answers, current run of leading answers, a window was met) -> probability
    states: dict[tuple[int, int, int, bool], float] = {(0, 0, 0, False): 1.0}
    drawn, expected = 0, 0.0
    for point in checkpoints(stop, maximum):
        for _ in range(point - drawn):
            after: dict[tuple[int, int, int, bool], float] = defaultdict(float)
            for (lead, other, run, met), p in states.items():
                after[(lead + 1, other, run + 1, met or run + 1 >= stop.window)] += p * agreement
                after[(lead, other + 1, 0, met)] += p * (1 - agreement)
            states = after
        drawn = point
        going = {}
        for state, p in states.items():
            if point == maximum or _state_meets(stop, *state):
                expected += point * p
            else:
                going[state] = p
        states = going
    return expected


def _state_meets(stop: StopWhen, lead: int, other: int, run: int, met: bool) -> bool:
    if stop.rule == "window":
        return met
    return decide(stop, ["lead"] * lead + [f"other {i}" for i in range(other)]).met


def read_answers(records: Sequence[CallRecord], reading: AnswerReading) -> list[str | None]:
    """The answer each sample's reply gives (None for a failed call, no answer, or an extractor failure)."""
    answers: list[str | None] = []
    for record in records:
        try:
            answers.append(None if record.error else extractors.extract(record.raw_response or "", reading))
        except Exception:  # a failing extractor costs that sample its answer, not the run
            answers.append(None)
    return answers


async def sample_in_waves(
    stop: StopWhen, maximum: int, draw: Callable[[int], Awaitable[CallRecord]]
) -> tuple[list[CallRecord], Sampling]:
    """Draw samples (``draw(i)`` makes sample i) in waves until ``stop`` is met or ``maximum`` are drawn."""
    records: list[CallRecord] = []
    answers: list[str | None] = []
    waves: list[int] = []
    decision = Decision(False, None, "no sample drawn")
    for point in checkpoints(stop, maximum):
        wave = await gather_all(draw(i) for i in range(len(records), point))
        records += wave
        waves.append(len(wave))
        answers += await asyncio.to_thread(read_answers, wave, stop)  # extractors may block
        decision = decide(stop, answers)
        if decision.met:
            break
    drawn = len(records)
    if decision.met:
        reason = f"stopped after {drawn} of {maximum} samples: {decision.reason}"
    else:
        reason = f"drew all {maximum} samples: the rule was not met ({decision.reason})"
    sampling = Sampling(
        rule=stop.rule,
        drawn=drawn,
        maximum=maximum,
        rule_met=decision.met,
        figure=decision.figure,
        reason=reason,
        waves=waves,
        answers=answers,
    )
    return records, sampling


def problems(stop: StopWhen, samples: int) -> list[tuple[str, str]]:
    """(severity, message) findings about a generator's ``stop_when`` with ``samples`` as its maximum."""
    found = [("error", f"stop_when: {problem}") for problem in extractors.problems(stop)]
    if samples < 2:
        found.append(("warning", "stop_when with 1 sample stops nothing: raise samples (the maximum)"))
    elif earliest(stop) >= samples:
        found.append(
            (
                "warning",
                f"stop_when can stop no earlier than after {earliest(stop)} samples, and samples is {samples}: "
                "it never saves a call (raise samples, or lower the threshold, window or min_samples)",
            )
        )
    return found
