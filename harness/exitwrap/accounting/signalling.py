"""Sending TERM (or cancel -s's signal) to the recording exitwraps of a job or step.

A process is signalled only when its pid, boot id and start time all
still match what was recorded (process.py), so a reused pid is never hit,
and only when the kernel (/proc) says it belongs to the job's owner, so a
record that names someone else's process (written into a shared spool by
hand) gets nobody signalled. One on another host, or in another PID
namespace of this one, cannot be told from here: where it runs is named
instead.
"""

from __future__ import annotations

import os
import signal
import time

from exitwrap.accounting.process import is_alive, owner, where
from exitwrap.accounting.users import ROOT

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable

    from exitwrap.accounting.process import Identity


def _owned(process: Identity, job_owner: int, uid: int) -> bool:
    """Whether the kernel says the process belongs to the job's owner. Without /proc, only a
    job's owner signals, and the kernel's own check stops a signal to anyone else's."""
    found = owner(process.pid)
    return found == job_owner if found is not None else uid == job_owner != ROOT


def terminate(
    processes: Iterable[Identity], number: int = signal.SIGTERM, *, job_owner: int, uid: int
) -> list[str]:
    """Send TERM (or that signal) to each process still running here that is the job owner's
    (uid is who asks); returns where the others run (``where``), once each."""
    elsewhere: list[str] = []
    signalled: set[int] = set()
    for process in processes:
        alive = is_alive(process)
        if alive is None and where(process) not in elsewhere:
            elsewhere.append(where(process))
        if process.pid in signalled or alive is not True or not _owned(process, job_owner, uid):
            continue
        try:
            os.kill(process.pid, number)
        except ProcessLookupError:
            continue
        signalled.add(process.pid)
    return elsewhere


def wait_ended(process: Identity, timeout_s: float) -> None:
    """Wait, at most timeout_s, until a process signalled here has ended (not at all for one
    that runs elsewhere or has ended already)."""
    deadline = time.monotonic() + timeout_s
    while is_alive(process) is True and time.monotonic() < deadline:
        time.sleep(0.005)
