"""Jobs and steps as a reader sees them: the stored rows, plus what only a reader can know.

Two things are decided at read time, never stored by a reader (who may not
own the database): a RUNNING job or step whose recording process is gone
(pid, boot id and start time no longer match) ended without a word and
shows NODE_FAIL, or CANCELLED when a cancel was asked for; and a job's
derived exit code, until its owner sets one, is the highest raw wait status
among its steps (the batch step excluded), so any non-zero exit outranks
any signal, as the "Derived Exit Code" section of Slurm's "Job Exit Codes" page has it.
"""

from __future__ import annotations

from exitwrap.accounting import states
from exitwrap.accounting.process import Identity, is_alive
from exitwrap.accounting.spool import BATCH_STEP
from exitwrap.accounting.store import SQLiteError, explain

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from typing import Optional

    from exitwrap.accounting.session import Session

_CHUNK = 500  # ids per IN (...) list, well under SQLite's variable limit

STEP_COLUMNS = (
    "job_id",
    "step_index",
    "name",
    "command",
    "workdir",
    "start_time",
    "end_time",
    "state",
    "reason",
    "exit_status",
    "comment",
    "extra",
    "pid",
    "pgid",
    "node",
    "boot_id",
    "proc_start",
    "pid_ns",
    "cancel_uid",
    "max_rss_kib",
    "user_cpu",
    "system_cpu",
)
JOB_COLUMNS = (
    "job_id",
    "kind",
    "name",
    "uid",
    "user",
    "gid",
    "account",
    "comment",
    "command",
    "workdir",
    "submit_time",
    "start_time",
    "end_time",
    "state",
    "reason",
    "exit_status",
    "derived_status",
    "pid",
    "pgid",
    "node",
    "boot_id",
    "proc_start",
    "pid_ns",
    "cancel_uid",
)
# computed per job by the query: the derived exit code and the steps' CPU totals
_JOB_TOTALS = """COALESCE(derived_status,
        (SELECT MAX(s.exit_status) FROM steps s WHERE s.job_id = jobs.job_id AND s.step_index >= 0),
        0),
    (SELECT SUM(s.user_cpu) FROM steps s WHERE s.job_id = jobs.job_id),
    (SELECT SUM(s.system_cpu) FROM steps s WHERE s.job_id = jobs.job_id)"""


class StepRecord:
    """One step row; ``state`` is as of now (NODE_FAIL decided), ``stored_state`` as written."""

    __slots__ = (*STEP_COLUMNS, "stored_state")
    job_id: int
    step_index: int
    name: str
    command: Optional[str]
    workdir: Optional[str]
    start_time: float
    end_time: Optional[float]
    state: str
    reason: Optional[str]
    exit_status: Optional[int]
    comment: Optional[str]
    extra: Optional[str]
    pid: Optional[int]
    pgid: Optional[int]
    node: str
    boot_id: Optional[str]
    proc_start: Optional[int]
    pid_ns: Optional[int]
    cancel_uid: Optional[int]
    max_rss_kib: Optional[int]
    user_cpu: Optional[float]
    system_cpu: Optional[float]
    stored_state: str

    @property
    def step_id(self) -> str:
        return "batch" if self.step_index == BATCH_STEP else str(self.step_index)

    @property
    def full_id(self) -> str:
        return f"{self.job_id}.{self.step_id}"


class JobRecord:
    """One job row with its steps; ``derived`` is the derived exit code in force."""

    __slots__ = (*JOB_COLUMNS, "derived", "steps", "stored_state", "system_cpu", "user_cpu")
    job_id: int
    kind: str
    name: str
    uid: int
    user: str
    gid: int
    account: Optional[str]
    comment: Optional[str]
    command: str
    workdir: str
    submit_time: float
    start_time: float
    end_time: Optional[float]
    state: str
    reason: Optional[str]
    exit_status: Optional[int]
    derived_status: Optional[int]
    pid: Optional[int]
    pgid: Optional[int]
    node: str
    boot_id: Optional[str]
    proc_start: Optional[int]
    pid_ns: Optional[int]
    cancel_uid: Optional[int]
    derived: int
    user_cpu: Optional[float]
    system_cpu: Optional[float]
    steps: list[StepRecord]
    stored_state: str

    def step(self, step_id: str) -> Optional[StepRecord]:
        return next((s for s in self.steps if s.step_id == step_id), None)


def _fill(record: JobRecord | StepRecord, names: Iterable[str], row: Iterable[object]) -> None:
    for name, value in zip(names, row):
        setattr(record, name, value)
    record.stored_state = record.state


def identity_of(record: JobRecord | StepRecord) -> Identity:
    """The recording process of a job or step."""
    return Identity(
        record.pid or 0,
        record.pgid,
        record.node,
        record.boot_id,
        record.proc_start,
        record.pid_ns,
    )


def settled_state(state: str, process: Identity, cancel_uid: Optional[int]) -> str:
    """A RUNNING record whose process is gone ended without a word: NODE_FAIL, or CANCELLED
    when a cancel was asked for. Only a process on the process's own host, in its PID
    namespace, can tell (is_alive)."""
    if state != states.RUNNING or is_alive(process) is not False:
        return state
    return states.CANCELLED if cancel_uid is not None else states.NODE_FAIL


def _settle(record: JobRecord | StepRecord, cancel_uid: Optional[int]) -> None:
    record.state = settled_state(record.state, identity_of(record), cancel_uid)


class Selection:
    """Which jobs a query wants. ``jobs`` maps a job id to the step ids wanted (None: all)."""

    __slots__ = ("end", "jobs", "start", "states", "uids", "with_steps")

    def __init__(
        self,
        *,
        jobs: Optional[Mapping[int, Optional[frozenset[str]]]] = None,
        uids: Optional[frozenset[int]] = None,
        states: Optional[frozenset[str]] = None,
        start: Optional[float] = None,
        end: Optional[float] = None,
        with_steps: bool = True,
    ) -> None:
        self.jobs = jobs
        self.uids = uids
        self.states = states
        self.start = start
        self.end = end
        self.with_steps = with_steps

    def wants(self, job: JobRecord) -> bool:
        """The state filter (the time window is applied by the query)."""
        return self.states is None or job.state in self.states


def _where(selection: Selection, job_ids: Optional[list[int]]) -> tuple[str, list[object]]:
    clauses: list[str] = ["TRUE"]
    args: list[object] = []
    if job_ids is not None:
        clauses.append(f"job_id IN ({','.join('?' * len(job_ids))})")
        args += job_ids
    if selection.uids is not None:
        clauses.append(f"uid IN ({','.join('?' * len(selection.uids))})")
        args += sorted(selection.uids)
    if selection.end is not None:
        clauses.append("start_time <= ?")
        args.append(selection.end)
    if selection.start is not None:
        clauses.append("(end_time IS NULL OR end_time >= ?)")
        args.append(selection.start)
    return " AND ".join(clauses), args


def _chunks(ids: Optional[list[int]]) -> list[Optional[list[int]]]:
    if ids is None:
        return [None]
    return [ids[i : i + _CHUNK] for i in range(0, len(ids), _CHUNK)]


def _listed(columns: Iterable[str]) -> str:
    """Column names quoted: ``user`` unquoted is PostgreSQL's current_user."""
    return ", ".join(f'"{column}"' for column in columns)


def load(db: Session, selection: Selection, path: str) -> list[JobRecord]:
    """The selected jobs in id order, each with its steps (unless ``with_steps`` is off)."""
    wanted = sorted(selection.jobs) if selection.jobs is not None else None
    jobs: list[JobRecord] = []
    try:
        for ids in _chunks(wanted):
            where, args = _where(selection, ids)
            query = f"SELECT {_listed(JOB_COLUMNS)}, {_JOB_TOTALS} FROM jobs WHERE {where} "
            for row in db.execute(query + "ORDER BY job_id", args):
                job = JobRecord()
                _fill(job, (*JOB_COLUMNS, "derived", "user_cpu", "system_cpu"), row)
                job.steps = []
                jobs.append(job)
        if selection.with_steps:
            _attach_steps(db, jobs)
    except SQLiteError as error:
        raise explain(error, path) from None
    for job in jobs:
        _settle(job, job.cancel_uid)
        for step in job.steps:
            _settle(step, step.cancel_uid if step.cancel_uid is not None else job.cancel_uid)
    return [job for job in jobs if selection.wants(job)]


def _attach_steps(db: Session, jobs: list[JobRecord]) -> None:
    by_id = {job.job_id: job for job in jobs}
    for ids in _chunks(list(by_id)):
        assert ids is not None
        query = (
            f"SELECT {_listed(STEP_COLUMNS)} FROM steps "
            f"WHERE job_id IN ({','.join('?' * len(ids))}) ORDER BY job_id, step_index"
        )
        for row in db.execute(query, ids):
            step = StepRecord()
            _fill(step, STEP_COLUMNS, row)
            by_id[step.job_id].steps.append(step)
