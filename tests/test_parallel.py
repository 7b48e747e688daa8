"""ordered_map: results in order, from forked workers when the caller runs no other thread
and the run is long enough, from threads otherwise, errors passed on, a dead worker reported,
none left behind."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

import pytest

from exitwrap.observe.parallel import ordered_map
from exitwrap.platforms import threaded_map
from tests.conftest import REPO

# run in a fresh interpreter: a test runner's own threads (pytest-xdist's) would rule out fork
_IN_A_SINGLE_THREADED_PROCESS = """
import json, os, threading
from exitwrap.errors import HarnessFailure
from exitwrap.observe.parallel import FORK_FROM, ordered_map
from tests.test_parallel import _dies_on_five, _fails_on_three, _tagged
results = list(ordered_map(_tagged, list(range(200)), workers=2))
short = list(ordered_map(_tagged, list(range(FORK_FROM * 2 - 1)), workers=2))
try:
    list(ordered_map(_fails_on_three, list(range(200)), workers=2))
    error = None
except ValueError as raised:
    error = str(raised)
try:
    list(ordered_map(_dies_on_five, list(range(200)), workers=2))
    died = None
except HarnessFailure as raised:
    died = str(raised)
partial = ordered_map(_tagged, list(range(400)), workers=2)
first = [next(partial) for _ in range(3)]
partial.close()
children = open(  # every worker reaped
    f"/proc/{os.getpid()}/task/{os.getpid()}/children").read().split()
print(json.dumps({"parent": os.getpid(), "results": results, "short": short, "error": error,
                  "died": died, "thread": threading.get_ident(),
                  "first": [value for value, _, _ in first], "children": children}))
"""


def _tagged(item: int) -> tuple[int, int, int]:
    return item * item, os.getpid(), threading.get_ident()


@pytest.fixture
def another_thread() -> Iterator[None]:
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def test_a_single_threaded_caller_gets_forked_workers_and_their_errors() -> None:
    done = subprocess.run(
        [sys.executable, "-c", _IN_A_SINGLE_THREADED_PROCESS],
        cwd=REPO, capture_output=True, text=True, check=True, timeout=300,
    )  # fmt: skip
    run = json.loads(done.stdout)
    assert [value for value, _, _ in run["results"]] == [n * n for n in range(200)]
    assert run["parent"] not in {pid for _, pid, _ in run["results"]}  # which worker: varies
    # a short run: threads of this process (forking would cost it more than they lose)
    assert [value for value, _, _ in run["short"]] == [n * n for n in range(len(run["short"]))]
    assert {pid for _, pid, _ in run["short"]} == {run["parent"]}
    assert run["thread"] not in {thread for _, _, thread in run["short"]}
    assert run["error"] == "three"
    assert run["died"].startswith("a matrix worker (pid ") and run["died"].endswith("signal 9")
    assert run["first"] == [0, 1, 4]
    assert run["children"] == []


@pytest.mark.usefixtures("another_thread")
def test_a_caller_running_threads_gets_threads() -> None:
    results = list(ordered_map(_tagged, list(range(200)), workers=2))
    assert [value for value, _, _ in results] == [n * n for n in range(200)]
    assert {pid for _, pid, _ in results} == {os.getpid()}
    assert threading.get_ident() not in {thread for _, _, thread in results}


def test_one_worker_runs_in_this_thread() -> None:
    here = (os.getpid(), threading.get_ident())
    results = list(ordered_map(_tagged, [1, 2, 3], workers=1))
    assert results == [(1, *here), (4, *here), (9, *here)]


def _dies_on_five(item: int) -> int:
    if item == 5:
        os.kill(os.getpid(), signal.SIGKILL)
    return item


def _fails_on_three(item: int) -> int:
    if item == 3:
        raise ValueError("three")
    return item


@pytest.mark.usefixtures("another_thread")
def test_an_error_on_a_thread_reaches_the_caller() -> None:
    with pytest.raises(ValueError, match="three"):
        list(ordered_map(_fails_on_three, list(range(10)), workers=2))


def test_threads_yield_each_result_in_order_as_soon_as_it_is_done() -> None:
    """A run's progress moves with its cells: nothing waits for the slowest to finish."""
    last_may_finish = threading.Event()

    def work(item: int) -> int:
        if item == 5:
            assert last_may_finish.wait(60)
        return item

    results = threaded_map(work, list(range(6)), 2)
    assert [next(results) for _ in range(5)] == [0, 1, 2, 3, 4]  # item 5 still running
    last_may_finish.set()
    assert list(results) == [5]


def test_a_caller_that_stops_taking_stops_the_threads_starting_items() -> None:
    """Closed early (as by Ctrl-C or a failure in the caller), no further item starts."""
    started: list[int] = []

    def work(item: int) -> int:
        started.append(item)
        if item:  # the first comes back at once; the others keep their threads busy
            time.sleep(0.5)
        return item

    results = threaded_map(work, list(range(100)), 2)
    assert next(results) == 0
    results.close()
    assert sorted(started) == [0, 1, 2]  # the first, and what each thread had begun


_A_LONG_MATRIX_RUN = """
import json
from exitwrap.matrix.run import run_matrix
from exitwrap.observe.parallel import FORK_FROM
from exitwrap.record import replace
from exitwrap.scenarios.catalog import select
from exitwrap.shells.shell import parse_selection, resolve_all
shells = resolve_all(parse_selection("dash,bash,mksh,yash"))
scenarios = select("exit/*,shell-exit/*,signal/*")
forked, alone = run_matrix(shells, scenarios, 2), run_matrix(shells, scenarios, 1)
def seen(cell):  # all but the timings
    obs = cell.observation and replace(cell.observation, duration_s=0.0, stderr="")  # pids
    return cell.shell, cell.scenario, cell.command, obs, cell.check, cell.verdict
print(json.dumps({"cells": len(forked.cells), "fork_from": FORK_FROM * 2,
                  "same": list(map(seen, forked.cells)) == list(map(seen, alone.cells)),
                  "verdicts": sorted({c.verdict for c in forked.cells})}))
"""


def test_a_long_run_s_cells_come_back_from_forked_workers_whole() -> None:
    """Past FORK_FROM cells a worker, cells cross from the workers pickled: each comes back
    equal to the same cell run in this process (shell, scenario, observation, checks)."""
    done = subprocess.run(
        [sys.executable, "-c", _A_LONG_MATRIX_RUN],
        cwd=REPO, capture_output=True, text=True, check=True, timeout=300,
    )  # fmt: skip
    run = json.loads(done.stdout)
    assert run["cells"] >= run["fork_from"]
    assert run["same"] is True
    assert "error" not in run["verdicts"]
