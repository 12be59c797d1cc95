"""Several processes opening the same new SQLite file at once all get a working connection."""

import multiprocessing

import pytest

from archon_engine.models.cache import ResponseCache
from archon_engine.storage.store import Store

PROCESSES = 8


def _open(opener, path, barrier, failures):
    barrier.wait()
    try:
        opener(path)
    except Exception as exc:
        failures.put(repr(exc))


@pytest.mark.parametrize("opener", [ResponseCache, Store], ids=["cache", "store"])
def test_processes_opening_a_new_file_together_do_not_see_database_is_locked(tmp_path, opener):
    context = multiprocessing.get_context("fork")
    failures = context.Queue()
    for attempt in range(20):
        path = tmp_path / f"shared-{attempt}.sqlite"
        barrier = context.Barrier(PROCESSES)
        workers = [context.Process(target=_open, args=(opener, path, barrier, failures)) for _ in range(PROCESSES)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(60)
        assert [worker.exitcode for worker in workers] == [0] * PROCESSES
    assert failures.empty(), failures.get()
