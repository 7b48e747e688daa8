"""Mapping a function over many cells at once: forked worker processes, or threads.

CPython holds the GIL through ``os.posix_spawn`` (the parent waits in vfork
until the shell has exec'd), so cells on threads barely overlap their
spawns: measured here, two threads spawning ``/bin/true`` ran 1.1x-1.4x as
fast as one, two processes 1.8x. Workers are forked from the caller, so the
function and the items need no pickling (shells, scenarios, the probe kit,
held sessions are simply there); only each result travels back, pickled,
on the worker's own pipe. The pool is a few pipes and ``fork``, not
``multiprocessing``, whose import (sockets, its context machinery) cost a
short matrix run more than its cells.

A short run goes on threads all the same: forking the workers, and their
first touches of the parent's pages, cost more than threads lose on a
shell's cell (its run, not its spawn, is most of it). Measured on 2 cores:
10 to 60 cells ran 15-30% faster on threads, 180 as fast, 250 5% slower.

fork copies only the calling thread: a caller running other threads (a test
runner's, an application's) could hand a worker a lock that one of them held
and will never release there, so such a caller gets threads instead.
"""

from __future__ import annotations

import os
import select
import signal
import struct
import sys
from collections.abc import Callable, Iterator, Sequence

from exitwrap.errors import HarnessFailure
from exitwrap.platforms import threaded_map, threads_running

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import TypeVar

    Item = TypeVar("Item")
    Result = TypeVar("Result")

CHUNKS_PER_WORKER = 8
FORK_FROM = 64  # items per worker: below, threads (see the module's note)
_SPAN = struct.Struct("=qq")  # a chunk handed to a worker: items [start, stop)
_SIZE = struct.Struct("=Q")  # the length of a pickled answer that follows


def ordered_map(
    work: Callable[[Item], Result], items: Sequence[Item], workers: int
) -> Iterator[Result]:
    """work(item) for each item, in order, on up to ``workers`` processes (else threads)."""
    if workers <= 1 or len(items) <= 1:
        yield from map(work, items)
    elif len(items) >= FORK_FROM * workers and hasattr(os, "fork") and threads_running() == 1:
        yield from _forked(work, items, min(workers, len(items)))
    else:
        yield from threaded_map(work, items, workers)


def _read_exactly(fd: int, size: int) -> bytes:
    """size bytes from fd, or fewer only at end of file."""
    parts: list[bytes] = []
    while size:
        part = os.read(fd, size)
        if not part:
            break
        parts.append(part)
        size -= len(part)
    return b"".join(parts)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _serve(work: Callable[[Item], Result], items: Sequence[Item], tasks: int, answers: int) -> None:
    """A worker's life: run each chunk it is handed, answer with its results (or the error)."""
    import pickle  # noqa: PLC0415  (forked workers only: a short run maps on threads)

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the caller's to handle
    while True:
        span = _read_exactly(tasks, _SPAN.size)
        if len(span) < _SPAN.size:
            return
        start, stop = _SPAN.unpack(span)
        try:
            answer: tuple[bool, object] = (True, [work(items[n]) for n in range(start, stop)])
            data = pickle.dumps(answer)
        except Exception as error:  # it goes to the caller, which raises it
            try:
                data = pickle.dumps((False, error))
            except Exception:  # one that cannot travel: told in words
                data = pickle.dumps((False, HarnessFailure(f"a worker failed: {error!r}")))
        _write_all(answers, _SIZE.pack(len(data)) + data)


class _Worker:
    """One forked worker and its two pipes, from the caller's side."""

    def __init__(
        self, work: Callable[[Item], Result], items: Sequence[Item], others: Sequence[_Worker]
    ) -> None:
        """Fork it; ``others``: the workers forked before, whose pipes it must not hold open
        (a task pipe a sibling keeps open would never tell its worker to stop)."""
        task_read, self.tasks = os.pipe()
        self.answers, answer_write = os.pipe()
        sys.stdout.flush()
        sys.stderr.flush()
        self.pid = os.fork()
        if self.pid == 0:  # the worker: never returns into the caller's code
            status = 1
            try:
                for fd in (self.tasks, self.answers, *(f for o in others for f in o.fds)):
                    os.close(fd)
                _serve(work, items, task_read, answer_write)
                status = 0
            finally:
                os._exit(status)
        os.close(task_read)
        os.close(answer_write)
        self.chunk: int | None = None  # the chunk it is working on

    @property
    def fds(self) -> tuple[int, int]:
        return self.tasks, self.answers

    def hand(self, chunk: int, span: tuple[int, int]) -> None:
        self.chunk = chunk
        _write_all(self.tasks, _SPAN.pack(*span))

    def answer(self) -> tuple[int, list[object]]:
        """Its chunk and the chunk's results; its error raised; HarnessFailure if it died."""
        size = _read_exactly(self.answers, _SIZE.size)
        data = (
            _read_exactly(self.answers, _SIZE.unpack(size)[0]) if len(size) == _SIZE.size else b""
        )
        if not data:
            raise HarnessFailure(f"a matrix worker (pid {self.pid}) died: {self._end()}")
        import pickle  # noqa: PLC0415  (forked workers only, as in _serve)

        ok, value = pickle.loads(data)  # our own forked child wrote it
        chunk, self.chunk = self.chunk, None
        if not ok:
            raise value
        assert chunk is not None, "an answer to no question"
        return chunk, value

    def _end(self) -> str:
        _, status = os.waitpid(self.pid, 0)
        self.pid = 0
        return f"signal {os.WTERMSIG(status)}" if os.WIFSIGNALED(status) else "it exited"

    def stop(self, *, kill: bool) -> None:
        """Close its pipes and reap it; ``kill`` for a run that is being abandoned."""
        os.close(self.tasks)
        os.close(self.answers)
        if self.pid:
            if kill:
                os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)


def _forked(
    work: Callable[[Item], Result], items: Sequence[Item], workers: int
) -> Iterator[Result]:
    # a task's round trip costs about as much as a cell: hand them out in chunks, enough
    # of them (eight a worker) that a slow one at the end does not idle the others long
    size = max(1, len(items) // (workers * CHUNKS_PER_WORKER))
    spans = [(start, min(start + size, len(items))) for start in range(0, len(items), size)]
    pool: list[_Worker] = []
    finished = False
    try:
        for _ in range(workers):
            pool.append(_Worker(work, items, pool))
        done: dict[int, list[object]] = {}
        handed = 0
        for worker in pool[: len(spans)]:
            worker.hand(handed, spans[handed])
            handed += 1
        for chunk in range(len(spans)):
            while chunk not in done:
                busy = {w.answers: w for w in pool if w.chunk is not None}
                ready, _, _ = select.select(list(busy), [], [])
                for fd in ready:
                    worker = busy[fd]
                    answered, results = worker.answer()
                    done[answered] = results
                    if handed < len(spans):
                        worker.hand(handed, spans[handed])
                        handed += 1
            yield from done.pop(chunk)  # type: ignore[misc]  # each a Result, pickled
        finished = True
    finally:
        for worker in pool:
            worker.stop(kill=not finished)
