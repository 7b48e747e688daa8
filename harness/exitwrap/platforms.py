"""Platform names as reports use them: linux, macos, windows, and wine (cmd on Linux)."""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable, Generator, Sequence

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import TypeVar

    Item = TypeVar("Item")
    Result = TypeVar("Result")

PLATFORMS = ("linux", "macos", "windows", "wine")


def host_platform() -> str:
    if sys.platform.startswith("linux"):
        return "linux"
    if sys.platform == "darwin":
        return "macos"
    if sys.platform in ("win32", "cygwin"):
        return "windows"
    return sys.platform


def threads_running() -> int:
    """Every thread of this process: Linux counts them all (a test runner's own among them);
    elsewhere only Python's are known. Forking is safe only while this is 1."""
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        return threading.active_count()


def threaded_map(
    work: Callable[[Item], Result], items: Sequence[Item], workers: int, *, retire_s: float = 1.0
) -> Generator[Result, None, None]:
    """work(item) for each item on up to ``workers`` threads, yielded in order as each is done.

    Once the caller stops taking (every item taken, an item's error re-raised here, an
    interrupt, the iterator closed), no item starts; this returns when the running ones
    end and their threads are gone from the kernel too (up to ``retire_s``), so that a
    caller may fork next.

    Plain threads, not concurrent.futures: that module and the logging it imports cost a
    start-up more than the threads save a short run.
    """
    done: dict[int, Result] = {}
    failures: list[BaseException] = []
    indexes = iter(range(len(items)))
    stopped = False
    changed = threading.Condition()

    def take() -> None:
        while True:
            with changed:
                index = None if stopped or failures else next(indexes, None)
            if index is None:
                return
            try:
                result = work(items[index])
            except BaseException as error:  # re-raised in the caller's thread
                with changed:
                    failures.append(error)
                    changed.notify_all()
                return
            with changed:
                done[index] = result
                changed.notify_all()

    before = threads_running()
    threads = [threading.Thread(target=take, daemon=True) for _ in range(min(workers, len(items)))]
    for thread in threads:
        thread.start()
    try:
        for index in range(len(items)):
            with changed:
                while index not in done and not failures:
                    changed.wait()
                if failures:
                    raise failures[0]
                result = done.pop(index)
            yield result
    finally:
        with changed:
            stopped = True
        for thread in threads:
            thread.join()
        # joined threads linger in the kernel a moment: wait for them (briefly)
        deadline = time.monotonic() + retire_s
        while threads_running() > before and time.monotonic() < deadline:
            time.sleep(0.001)
