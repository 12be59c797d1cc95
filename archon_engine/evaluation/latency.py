"""What one query takes run alone: a run's call records rolled up along the architecture's critical path.

In an evaluation, items share one throttle, so a run's wall time includes the time its calls waited
behind other items. ``alone_latency`` rebuilds the run as if it had the setup to itself, from the
trace only:

- Each call counts its own ``service_s``: from its slot (or, for the embedded model, its llama.cpp
  instance) to its reply, retries and their back-off included; a cached call counts the service
  time of the live call it replays.
- Layers run one after another: a layer starts when the previous one has finished.
- Inside a layer, every call starts at once unless it ``follows`` another: the client records, per
  call, the call the same component made just before it in the same task (a verifier's reasoning
  before its verdict, a structured reply before its parse retry). Calls a component gathers (samples,
  one verdict chain per candidate) follow nothing inside the layer and run side by side.
- Calls run at once only as far as their provider allows: ``capacity(model)`` calls (the throttle's
  slots, and for the embedded model at most its pool's instances, ``ARCHON_LOCAL_POOL_SIZE``). The
  others wait in a first-come queue, in the order the calls were made (their ids): a layer of 5
  calls on a pool of 2 takes 3 service times.
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from collections.abc import Callable

from archon_engine.models import keys, local
from archon_engine.models.client import Limits, Throttle
from archon_engine.trace import CallRecord

Capacity = Callable[[str], int | None]  # model -> calls it may serve at once (None: no limit)


def capacity_of(limits: Limits | None = None, pool_size: int | None = None) -> Capacity:
    """Calls at once per model, as a run alone gets them: its provider's throttle slots, and for the
    embedded model at most ``pool_size`` (default: the pool's, ``ARCHON_LOCAL_POOL_SIZE``)."""
    throttle = Throttle(limits)
    instances = pool_size or local.default_pool_size()

    def capacity(model: str) -> int:
        slots = throttle.size(model)
        return min(slots, instances) if keys.provider_of(model) == "local" else slots

    return capacity


def alone_latency(calls: list[CallRecord], capacity: Capacity | None = None) -> float:
    """Seconds the run of ``calls`` takes alone: its layers' critical paths, one after another."""
    capacity = capacity or capacity_of()
    by_layer: dict[int, list[CallRecord]] = defaultdict(list)
    for call in calls:
        by_layer[call.layer].append(call)
    return sum(_layer_span(layer_calls, capacity) for _, layer_calls in sorted(by_layer.items()))


def _order(call: CallRecord) -> tuple[int, str]:
    """The order calls were made in: their ids count up (``call-7``)."""
    number = call.id.rpartition("-")[2]
    return (int(number), call.id) if number.isdigit() else (0, call.id)


def _layer_span(calls: list[CallRecord], capacity: Capacity) -> float:
    """One layer, from its start (0) to its last reply: a first-come queue per provider."""
    ids = {c.id for c in calls}
    after: dict[str, list[CallRecord]] = defaultdict(list)
    ready: list[tuple[float, tuple[int, str], CallRecord]] = []
    for call in calls:
        if call.follows in ids:
            after[call.follows].append(call)
        else:
            ready.append((0.0, _order(call), call))
    heapq.heapify(ready)
    busy: dict[str, list[float]] = defaultdict(list)  # provider -> when each call in service ends
    span = 0.0
    while ready:
        ready_at, _, call = heapq.heappop(ready)
        running = busy[keys.provider_of(call.model)]
        while running and running[0] <= ready_at:
            heapq.heappop(running)
        limit = capacity(call.model)
        start = ready_at if limit is None or len(running) < limit else heapq.heappop(running)
        end = start + max(call.service_s, 0.0)
        heapq.heappush(running, end)
        span = max(span, end)
        for successor in after[call.id]:
            heapq.heappush(ready, (end, _order(successor), successor))
    return span
