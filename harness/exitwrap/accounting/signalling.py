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


LEADER_GRACE_S = 2.0  # how long the steps wait for their job's own exitwrap to end


def _signal_each(
    processes: Iterable[Identity],
    number: int,
    job_owner: int,
    uid: int,
    *,
    elsewhere: list[str],
    signalled: set[int],
) -> list[Identity]:
    """Signal each process still running here that is the job owner's and not yet in
    signalled (pids); note where the others run in elsewhere (once each). The ones signalled."""
    sent: list[Identity] = []
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
        sent.append(process)
    return sent


def terminate(
    processes: Iterable[Identity],
    number: int = signal.SIGTERM,
    *,
    job_owner: int,
    uid: int,
    leaders: Iterable[Identity] = (),
) -> list[str]:
    """Send TERM (or that signal) to each process still running here that is the job owner's
    (uid is who asks); returns where the others run (``where``), once each.

    The leaders (jobs' own exitwraps) are signalled first and the processes once those have
    ended, waiting at most LEADER_GRACE_S: a batch script's exitwrap passes the TERM on to the
    script, and signalled at once a step could end and the script run its next command
    before that TERM reached it.
    """
    elsewhere: list[str] = []
    signalled: set[int] = set()
    deadline = time.monotonic() + LEADER_GRACE_S
    sent = _signal_each(leaders, number, job_owner, uid, elsewhere=elsewhere, signalled=signalled)
    for leader in sent:
        while is_alive(leader) is True and time.monotonic() < deadline:
            time.sleep(0.005)
    _signal_each(processes, number, job_owner, uid, elsewhere=elsewhere, signalled=signalled)
    return elsewhere
