"""Job and step states, as Slurm 22.05 names and decides them.

Source: sacct(1), JOB STATE CODES, and Slurm's "Job Exit Codes" page: a
job whose script exits non-zero is FAILED with reason NonZeroExitCode; a
signal death is FAILED with ``RaisedSignal:N(Description)``; a step killed
by a signal shows CANCELLED. Failing steps never change the job's state.

On exitwrap's start-up path: no imports.
"""

from __future__ import annotations

RUNNING = "RUNNING"
COMPLETED = "COMPLETED"
FAILED = "FAILED"
CANCELLED = "CANCELLED"
TIMEOUT = "TIMEOUT"
NODE_FAIL = "NODE_FAIL"

# sacct(1), JOB STATE CODES: the short form beside each name (-s takes either)
ABBREVIATIONS: dict[str, str] = {
    "BF": "BOOT_FAIL",
    "CA": CANCELLED,
    "CD": COMPLETED,
    "DL": "DEADLINE",
    "F": FAILED,
    "NF": NODE_FAIL,
    "OOM": "OUT_OF_MEMORY",
    "PD": "PENDING",
    "PR": "PREEMPTED",
    "R": RUNNING,
    "RQ": "REQUEUED",
    "RS": "RESIZING",
    "RV": "REVOKED",
    "S": "SUSPENDED",
    "TO": TIMEOUT,
}
NAMES = frozenset(ABBREVIATIONS.values())

# reasons Slurm's job_reason_string() gives these endings
REASON_NONE = "None"
REASON_NON_ZERO = "NonZeroExitCode"
REASON_TIME_LIMIT = "TimeLimit"
REASON_NODE_DOWN = "NodeDown"

_SIGNAL_MASK = 0x7F


def is_signaled(wait_status: int) -> bool:
    return bool(wait_status & _SIGNAL_MASK)


def job_state(wait_status: int, *, timed_out: bool, cancelled: bool) -> str:
    """The state of a job whose batch script (or only step) ended with wait_status."""
    if cancelled:
        return CANCELLED
    if timed_out:
        return TIMEOUT
    return COMPLETED if wait_status == 0 else FAILED


def step_state(wait_status: int, *, timed_out: bool, cancelled: bool) -> str:
    """A step's state: as a job's, except that a signal death shows CANCELLED."""
    if not (cancelled or timed_out) and is_signaled(wait_status):
        return CANCELLED
    return job_state(wait_status, timed_out=timed_out, cancelled=cancelled)
