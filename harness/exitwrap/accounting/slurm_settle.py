"""A Slurm job's own record ends when Slurm's accounting says it has: asked of sacct.

exitwrap records the steps it wraps inside a Slurm job under that job's
record (kind 'slurm'); how the job itself ends (its batch script's exit, a
time limit, scancel) only Slurm knows. So a reader about to show such a
record that still runs asks Slurm's own sacct (one call for all of them,
``-M`` their clusters), and once sacct holds the job's final record (a
terminal state, and no longer the placeholder whose Partition is empty)
stores it: state (``CANCELLED by UID`` as who cancelled), exit code, times,
time limit, partition, nodes, CPUs, reason, work directory and submit line.
Steps still running in it then ended with it: CANCELLED at its end, as
Slurm shows what its end killed. Its binding in the spool goes.

sacct shows an exit code of 128 or more less 128 (its PRINT_EXITCODE), so
where scontrol still holds the job (MinJobAge) the exit code is taken from
it when it is sacct's plus 128 and the submit times match (the same job).
A reader that may not write the database applies what it learnt to what it
shows, and stores nothing; so does a reader of a server, where each host that
recorded a part of the job stores Slurm's end in its queue before it pushes
it (``settle_queue``). Without Slurm's commands (another machine), the
record shows as it was stored, as it does where $SLURM_CONF names a missing file.
"""

# ruff: noqa: PLC0415  (lazy imports: only readers of running Slurm jobs pay for subprocess
# and for the ingest)

from __future__ import annotations

import os
import time

from exitwrap.accounting import states
from exitwrap.accounting.records import Selection, load
from exitwrap.accounting.slurm_spool import SlurmSpool, binding_name
from exitwrap.errors import HarnessFailure
from exitwrap.path_search import which

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence
    from sqlite3 import Connection
    from typing import Optional

    from exitwrap.accounting.records import JobRecord

SEPARATOR = "\x1f"  # sacct --delimiter: a character no value holds
FIELDS = (
    "Cluster",
    "JobIDRaw",
    "State",
    "ExitCode",
    "Submit",
    "Start",
    "End",
    "TimelimitRaw",
    "Partition",
    "NodeList",
    "NNodes",
    "AllocCPUS",
    "Reason",
    "WorkDir",
    "SubmitLine",
)
UNFINISHED = frozenset({"PENDING", "RUNNING", "SUSPENDED", "REQUEUED", "RESIZING", "COMPLETING"})
PLACEHOLDER_S = 300.0  # a final state still without its partition this long after: final anyway
COMMAND_TIMEOUT_S = 20.0
_CANCELLED_BY = states.CANCELLED + " by "


def _program(name: str) -> Optional[str]:
    """The program's path on PATH, as a shell would find it; None where it is not installed,
    or where $SLURM_CONF names a file that is not there (Slurm's commands would wait a
    minute for it to appear)."""
    configuration = os.environ.get("SLURM_CONF")
    if configuration is not None and not os.path.exists(configuration):
        return None
    return which(name)


def _run(argv: list[str]) -> Optional[str]:
    """A Slurm command's stdout, dates as seconds since the epoch; None when it failed."""
    import subprocess

    environ = {**os.environ, "SLURM_TIME_FORMAT": "%s"}
    try:
        done = subprocess.run(
            argv,
            env=environ,
            capture_output=True,
            text=True,
            errors="surrogateescape",
            timeout=COMMAND_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout if done.returncode == 0 else None


def _number(text: str) -> Optional[int]:
    return int(text) if text.isascii() and text.isdigit() else None


def _status(text: str) -> Optional[int]:
    """``code:signal`` back to a raw wait status."""
    code, colon, signal = text.partition(":")
    code_value, signal_value = _number(code), _number(signal)
    if not colon or code_value is None or signal_value is None:
        return None
    return (code_value & 0xFF) << 8 | signal_value & 0x7F


class SlurmEnd:
    """A job as sacct has it: whether it has ended, and the fields a record takes from it."""

    __slots__ = ("cancel_uid", "ended", "values")

    def __init__(self, row: dict[str, str], now: float) -> None:
        state = row["State"]
        self.cancel_uid: Optional[int] = None
        if state.startswith(_CANCELLED_BY):
            self.cancel_uid = _number(state[len(_CANCELLED_BY) :])
            state = states.CANCELLED
        end = _number(row["End"])
        placeholder = not row["Partition"] and (end is None or now - end < PLACEHOLDER_S)
        self.ended = state not in UNFINISHED and end is not None and not placeholder
        limit = _number(row["TimelimitRaw"])
        self.values: dict[str, object] = {
            "state": state,
            "exit_status": _status(row["ExitCode"]),
            "submit_time": _number(row["Submit"]),
            "start_time": _number(row["Start"]),
            "end_time": end,
            "time_limit": None if limit is None else limit * 60.0,
            "partition": row["Partition"] or None,
            "node_list": row["NodeList"] or None,
            "node_count": _number(row["NNodes"]),
            "alloc_cpus": _number(row["AllocCPUS"]),
            "reason": row["Reason"] or None,
            "workdir": row["WorkDir"] or None,
            "command": "\0".join(row["SubmitLine"].split(" ")) or None,  # sacct joins by spaces
            "cancel_uid": self.cancel_uid,
        }


def ask_sacct(jobs: Sequence[JobRecord]) -> dict[tuple[str, int], SlurmEnd]:
    """What Slurm's accounting has of these Slurm jobs, by (cluster, Slurm job id)."""
    sacct = _program("sacct")
    clusters = sorted({job.cluster for job in jobs if job.cluster})
    ids = sorted({str(job.slurm_job_id) for job in jobs if job.cluster})
    if sacct is None or not clusters:
        return {}
    argv = [sacct, "-M", ",".join(clusters), "-X", "-P", "-n", "-j", ",".join(ids)]
    argv += ["-o", ",".join(FIELDS), f"--delimiter={SEPARATOR}"]
    out = _run(argv)
    if out is None:
        return {}
    now = time.time()
    found: dict[tuple[str, int], SlurmEnd] = {}
    for line in out.splitlines():
        values = line.split(SEPARATOR)
        job_id = _number(values[1]) if len(values) == len(FIELDS) else None
        if job_id is not None:
            found[(values[0], job_id)] = SlurmEnd(dict(zip(FIELDS, values)), now)
    return found


def _controller_status(job_id: int, submitted: Optional[int]) -> Optional[int]:
    """The job's exit status as the controller holds it (unshifted), when it still holds that
    very job (its submit time the same)."""
    scontrol = _program("scontrol")
    out = None if scontrol is None else _run([scontrol, "-o", "show", "job", str(job_id)])
    if out is None:
        return None
    pairs = dict(word.partition("=")[::2] for word in out.split())
    if _number(pairs.get("SubmitTime", "")) != submitted:
        return None
    return _status(pairs.get("ExitCode", ""))


def _restore_exit_code(job_id: int, end: SlurmEnd) -> None:
    """Put back the 128 that sacct's ExitCode takes off, where the controller says so."""
    status = end.values["exit_status"]
    if not isinstance(status, int) or status & 0x7F or status >> 8 >= 128:
        return
    submitted = end.values["submit_time"]
    true = _controller_status(job_id, submitted if isinstance(submitted, int) else None)
    if true is not None and true == status + (128 << 8):
        end.values["exit_status"] = true


def _store(db: Connection, job: JobRecord, end: SlurmEnd) -> None:
    values = {key: value for key, value in end.values.items() if value is not None}
    assignments = ", ".join(f"{key} = :{key}" for key in values)
    db.execute(
        f"UPDATE jobs SET {assignments} WHERE job_id = :job AND end_time IS NULL",
        {**values, "job": job.job_id},
    )
    db.execute(
        "UPDATE steps SET state = :state, end_time = :end WHERE job_id = :job AND end_time IS NULL",
        {"state": states.CANCELLED, "end": end.values["end_time"], "job": job.job_id},
    )


def _apply(job: JobRecord, end: SlurmEnd) -> None:
    """What a reader that cannot store shows."""
    for key, value in end.values.items():
        if value is not None or key == "cancel_uid":
            setattr(job, key, value)
    for step in job.steps:
        if step.end_time is None:
            step.state = states.CANCELLED
            step.end_time = job.end_time


def _ended(jobs: Iterable[JobRecord]) -> list[tuple[JobRecord, SlurmEnd]]:
    """The Slurm jobs' records among jobs that still run and Slurm's ends of those that have
    ended (a running one takes its time limit from Slurm meanwhile)."""
    running = [job for job in jobs if job.awaits_slurm]
    if not running:
        return []
    found = ask_sacct(running)
    ended: list[tuple[JobRecord, SlurmEnd]] = []
    for job in running:
        end = found.get((job.cluster or "", job.slurm_job_id or 0))
        if end is None:
            continue
        if not end.ended:
            limit = end.values["time_limit"]
            job.time_limit = limit if isinstance(limit, float) else job.time_limit
            continue
        _restore_exit_code(job.shown_id, end)
        ended.append((job, end))
    return ended


def _unbind(path: str, jobs: Iterable[JobRecord]) -> None:
    """The ended jobs' bindings leave the spool (the next Slurm job of an id replaces one that
    could not go)."""
    spool = SlurmSpool(path)
    for job in jobs:
        try:
            spool.unbind(binding_name(job.cluster or "", job.shown_id), job.job_id)
        except HarnessFailure:
            continue


def settle(path: str, jobs: Iterable[JobRecord]) -> bool:
    """Ask Slurm about the Slurm jobs among jobs whose records still run, and store the ends
    it has in the SQLite file (else apply them to jobs). Returns whether anything was stored:
    then read again."""
    ended = _ended(jobs)
    if not ended:
        return False
    from exitwrap.accounting.ingest import write  # readers seldom get here

    def store(db: Connection) -> None:
        for job, end in ended:
            _store(db, job, end)

    try:
        write(path, store)
    except HarnessFailure:  # not this user's to write: show what Slurm said
        for job, end in ended:
            _apply(job, end)
        return False
    _unbind(path, (job for job, _ in ended))
    return True


def show_slurm_ends(jobs: Iterable[JobRecord]) -> None:
    """Ask Slurm about the Slurm jobs whose records still run, and show the ends it has in jobs
    (a reader of a server: the hosts that recorded them store them, settle_queue)."""
    for job, end in _ended(jobs):
        _apply(job, end)


def settle_queue(local: Connection, path: str) -> None:
    """Store Slurm's ends of the Slurm jobs' records a host's queue (path) holds, before it is
    pushed to a server (in the caller's transaction; the queue's own job ids)."""
    ended = _ended(load(local, Selection(with_steps=False), path))
    for job, end in ended:
        _store(local, job, end)
    _unbind(path, (job for job, _ in ended))
