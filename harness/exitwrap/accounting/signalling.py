"""Sending TERM (or cancel -s's signal) to the recording exitwraps of a job or step.

A process is signalled only when its pid, boot id and start time all
still match what was recorded (process.py), so a reused pid is never hit;
one on another host cannot be told from here, and is named instead.
"""

from __future__ import annotations

import os
import signal

from exitwrap.accounting.process import is_alive

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable

    from exitwrap.accounting.process import Identity


def terminate(processes: Iterable[Identity], number: int = signal.SIGTERM) -> list[str]:
    """Send TERM (or that signal) to each process still running here; returns the other hosts
    that run some."""
    elsewhere: list[str] = []
    signalled: set[int] = set()
    for process in processes:
        alive = is_alive(process)
        if alive is None and process.node not in elsewhere:
            elsewhere.append(process.node)
        if process.pid in signalled or alive is not True:
            continue
        try:
            os.kill(process.pid, number)
        except ProcessLookupError:
            continue
        signalled.add(process.pid)
    return elsewhere
