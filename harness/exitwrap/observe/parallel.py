"""Mapping a function over many cells at once: forked worker processes, or threads.

CPython holds the GIL through ``os.posix_spawn`` (the parent waits in vfork
until the shell has exec'd), so cells on threads barely overlap their
spawns: measured here, two threads spawning ``/bin/true`` ran 1.1x-1.4x as
fast as one, two processes 1.8x. Workers are forked from the caller, so the
function and the items need no pickling (shells, scenarios, the probe kit,
held sessions are simply there); only each result travels back.

fork copies only the calling thread: a caller running other threads (a test
runner's, an application's) could hand a worker a lock that one of them held
and will never release there, so such a caller gets threads instead.
"""

from __future__ import annotations

import multiprocessing
import signal
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Optional, TypeVar

from exitwrap.platforms import threads_running

Item = TypeVar("Item")
Result = TypeVar("Result")

CHUNKS_PER_WORKER = 8

# the work being mapped, set just before the workers are forked from it
_WORK: Optional[tuple[Callable[[Any], Any], Sequence[Any]]] = None


def _nth(n: int) -> Any:
    assert _WORK is not None, "a worker forked outside ordered_map"
    work, items = _WORK
    return work(items[n])


def _quiet_worker() -> None:
    """Ctrl-C is the caller's to handle (it stops the pool): workers print nothing."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _may_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods() and threads_running() == 1


def ordered_map(
    work: Callable[[Item], Result], items: Sequence[Item], workers: int
) -> Iterator[Result]:
    """work(item) for each item, in order, on up to ``workers`` processes (else threads)."""
    global _WORK  # noqa: PLW0603  (forked workers find the work here)
    if workers <= 1 or len(items) <= 1:
        yield from map(work, items)
        return
    if not _may_fork():
        with ThreadPoolExecutor(max_workers=workers) as threads:
            yield from threads.map(work, items)
        return
    _WORK = (work, items)
    # a task's round trip costs about as much as a cell: hand them out in chunks, enough
    # of them (eight a worker) that a slow one at the end does not idle the others long
    chunk = max(1, len(items) // (workers * CHUNKS_PER_WORKER))
    try:
        with multiprocessing.get_context("fork").Pool(workers, _quiet_worker) as pool:
            yield from pool.imap(_nth, range(len(items)), chunksize=chunk)
    finally:
        _WORK = None
