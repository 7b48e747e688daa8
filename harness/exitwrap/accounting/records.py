"""Jobs and steps as a reader sees them: the stored rows, plus what only a reader can know.

Two things are decided at read time, never stored by a reader (who may not
own the database): a RUNNING job or step whose recording process is gone
(pid, boot id and start time no longer match) ended without a word and
shows NODE_FAIL, or CANCELLED when a cancel was asked for; and a job's
derived exit code, until its owner sets one, is the highest raw wait status
among its steps (the batch step excluded), so any non-zero exit outranks
any signal, as the "Derived Exit Code" section of Slurm's "Job Exit Codes" page has it.

A Slurm job's own record (kind 'slurm', slurm.py) is shown under Slurm's job
id; its end is Slurm's to say (slurm_settle.py), never a process check's.

A Slurm job recorded on several hosts of a server has a record on each: in
an SQLite file every exitwrap of a Slurm job joins one record (the spool's
binding, slurm_spool.py), but on a server exitwrap writes to its host's
queue only, so each host where exitwrap ran inside the Slurm job keeps its
own part of it, pushed under an id of that queue's origin (location.py's
``Ids``) and owned by its user, as any job. Each part notes the host's node
index in the Slurm job (``SLURM_NODEID``), and numbers its steps from that
index times STEP_BLOCK (node 0's, the batch script's: 0, 1, ...; node 1's:
1000000, 1000001, ...), so a step's id never changes as more parts arrive.
A reader joins the parts of one Slurm job (its cluster and id) into node
0's, the batch host's, whichever reached the store first: the others' steps,
the earliest submit and start, running while any part runs (``part_ids``
names them all).
"""

from __future__ import annotations

from exitwrap.accounting import states
from exitwrap.accounting.process import Identity, is_alive
from exitwrap.accounting.slurm import JOB_KIND as SLURM_KIND
from exitwrap.accounting.slurm import STEP_BLOCK
from exitwrap.accounting.spool import BATCH_STEP
from exitwrap.accounting.store import SQLiteError, explain

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from typing import Optional

    from exitwrap.accounting.session import Session

_CHUNK = 400  # ids per query (each is bound twice), under SQLite's old limit of 999

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
    "slurm_step",
    "slurm_task",
    "slurm_node",
    "alloc_cpus",
    "time_limit",
    "start_errno",
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
    "cluster",
    "slurm_job_id",
    "partition",
    "time_limit",
    "alloc_cpus",
    "node_count",
    "node_list",
    "slurm_node_index",
)
# computed per job by the query: the derived exit code (and as Slurm 22.05 derives it: from
# what its srun steps exited with, a command that could not start by its errno; 0:0 for a job
# Slurm ended itself, by its time limit or scancel, as 22.05.8's sacct showed every one), the
# steps' CPU totals, and why the job's own step could not start its command, if it could not
_LEADING_STEP = f"CASE jobs.kind WHEN 'batch' THEN {BATCH_STEP} WHEN 'single' THEN 0 END"
_JOB_TOTALS = f"""COALESCE(derived_status,
        (SELECT MAX(s.exit_status) FROM steps s WHERE s.job_id = jobs.job_id AND s.step_index >= 0),
        0),
    COALESCE(derived_status,
        CASE WHEN kind = '{SLURM_KIND}' AND state IN ('CANCELLED', 'TIMEOUT') THEN 0 END,
        (SELECT MAX(CASE WHEN s.start_errno IS NULL THEN s.exit_status
                         ELSE (s.start_errno & 255) << 8 END)
         FROM steps s WHERE s.job_id = jobs.job_id AND s.step_index >= 0
             AND (s.slurm_step IS NULL OR s.slurm_step != 'batch')),
        0),
    (SELECT SUM(s.user_cpu) FROM steps s WHERE s.job_id = jobs.job_id),
    (SELECT SUM(s.system_cpu) FROM steps s WHERE s.job_id = jobs.job_id),
    (SELECT s.start_errno FROM steps s
     WHERE s.job_id = jobs.job_id AND s.step_index = {_LEADING_STEP})"""
_TOTALS = ("derived", "derived_as_slurm", "user_cpu", "system_cpu", "start_errno")


class StepRecord:
    """One step row; ``state`` is as of now (NODE_FAIL decided), ``stored_state`` as written."""

    __slots__ = (*STEP_COLUMNS, "index_base", "shown_job", "stored_state")
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
    slurm_step: Optional[str]
    slurm_task: Optional[int]
    slurm_node: Optional[str]
    alloc_cpus: Optional[int]
    time_limit: Optional[float]
    start_errno: Optional[int]
    stored_state: str
    shown_job: int  # its job's id as shown (Slurm's, for a Slurm job's record)
    index_base: int  # what its step id adds to its index (a part of a Slurm job)

    @property
    def step_id(self) -> str:
        return "batch" if self.step_index == BATCH_STEP else str(self.index_base + self.step_index)

    @property
    def full_id(self) -> str:
        return f"{self.shown_job}.{self.step_id}"


class JobRecord:
    """One job row with its steps; ``derived`` is the derived exit code in force."""

    __slots__ = (*JOB_COLUMNS, *_TOTALS, "part_ids", "steps", "stored_state")
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
    cluster: Optional[str]
    slurm_job_id: Optional[int]
    partition: Optional[str]
    time_limit: Optional[float]
    alloc_cpus: Optional[int]
    node_count: Optional[int]
    node_list: Optional[str]
    slurm_node_index: Optional[int]
    derived: int
    derived_as_slurm: int
    start_errno: Optional[int]
    user_cpu: Optional[float]
    system_cpu: Optional[float]
    steps: list[StepRecord]
    stored_state: str
    part_ids: tuple[int, ...]  # its rows: several for a Slurm job recorded on several hosts

    @property
    def slurm(self) -> bool:
        """A Slurm job's own record: its id and its end are Slurm's."""
        return self.kind == SLURM_KIND

    @property
    def awaits_slurm(self) -> bool:
        """A Slurm job's record that still runs: only Slurm can say whether it has ended."""
        return self.slurm and self.stored_state == states.RUNNING

    @property
    def shown_id(self) -> int:
        """The id sacct shows and -j takes: Slurm's for a Slurm job's record."""
        return self.slurm_job_id if self.slurm and self.slurm_job_id is not None else self.job_id

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
    """A RUNNING record whose process is gone ended without a word (a Slurm job's own record
    has no process of exitwrap's: Slurm says when it ends)."""
    if isinstance(record, JobRecord) and record.slurm:
        return
    record.state = settled_state(record.state, identity_of(record), cancel_uid)


class Selection:
    """Which jobs a query wants. ``jobs`` maps a job id as shown (Slurm's, for a Slurm job's
    record) to the step ids wanted (None: all); ``clusters`` holds Slurm cluster names, None
    standing for exitwrap's own jobs outside any cluster."""

    __slots__ = ("clusters", "end", "jobs", "names", "start", "states", "uids", "with_steps")

    def __init__(
        self,
        *,
        jobs: Optional[Mapping[int, Optional[frozenset[str]]]] = None,
        uids: Optional[frozenset[int]] = None,
        states: Optional[frozenset[str]] = None,
        start: Optional[float] = None,
        end: Optional[float] = None,
        with_steps: bool = True,
        names: Optional[frozenset[str]] = None,
        clusters: Optional[frozenset[Optional[str]]] = None,
    ) -> None:
        self.jobs = jobs
        self.uids = uids
        self.states = states
        self.start = start
        self.end = end
        self.with_steps = with_steps
        self.names = names
        self.clusters = clusters

    def wants(self, job: JobRecord) -> bool:
        """The state filter (the time window is applied by the query)."""
        return self.states is None or job.state in self.states


def _among(column: str, values: Iterable[object], args: list[object]) -> str:
    chosen = sorted(values, key=str)
    args += chosen
    return f"{column} IN ({','.join('?' * len(chosen))})"


def _where(selection: Selection, job_ids: Optional[list[int]]) -> tuple[str, list[object]]:
    clauses: list[str] = ["TRUE"]
    args: list[object] = []
    if job_ids is not None:
        own = _among("job_id", job_ids, args)
        slurm = _among("slurm_job_id", job_ids, args)
        kind = f"kind = '{SLURM_KIND}'"
        clauses.append(f"((NOT {kind} AND {own}) OR ({kind} AND {slurm}))")
    if selection.uids is not None:
        clauses.append(_among("uid", selection.uids, args))
    if selection.names is not None:
        clauses.append(_among("name", selection.names, args))
    if selection.clusters is not None:
        named = {cluster for cluster in selection.clusters if cluster is not None}
        chosen = [_among("cluster", named, args)] if named else []
        chosen += ["cluster IS NULL"] if None in selection.clusters else []
        clauses.append(f"({' OR '.join(chosen)})")
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
                _fill(job, (*JOB_COLUMNS, *_TOTALS), row)
                job.steps = []
                job.part_ids = (job.job_id,)
                jobs.append(job)
        if selection.with_steps:
            _attach_steps(db, jobs)
    except SQLiteError as error:
        raise explain(error, path) from None
    for job in jobs:
        _settle(job, job.cancel_uid)
        for step in job.steps:
            _settle(step, step.cancel_uid if step.cancel_uid is not None else job.cancel_uid)
    return [job for job in join_parts(jobs) if selection.wants(job)]


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
            job = by_id[step.job_id]
            step.shown_job = job.shown_id
            step.index_base = (job.slurm_node_index or 0) * STEP_BLOCK if job.slurm else 0
            job.steps.append(step)


def _total(values: Iterable[Optional[float]]) -> Optional[float]:
    known = [value for value in values if value is not None]
    return sum(known) if known else None


def _join(parts: list[JobRecord]) -> JobRecord:
    """Make one part of a Slurm job the whole of it: node 0's, the batch host's (its node,
    name and exit code are the job's), whichever host's push reached the store first."""
    parts = sorted(parts, key=lambda part: (part.slurm_node_index or 0, part.job_id))
    job = parts[0]
    job.part_ids = tuple(part.job_id for part in parts)
    steps = (step for part in parts for step in part.steps)
    job.steps = sorted(steps, key=lambda step: step.index_base + step.step_index)
    job.submit_time = min(part.submit_time for part in parts)
    job.start_time = min(part.start_time for part in parts)
    job.user_cpu = _total(part.user_cpu for part in parts)
    job.system_cpu = _total(part.system_cpu for part in parts)
    set_by_owner = [part for part in parts if part.derived_status is not None]
    job.derived = max(part.derived for part in set_by_owner or parts)
    job.derived_as_slurm = max(part.derived_as_slurm for part in set_by_owner or parts)
    if any(part.stored_state == states.RUNNING for part in parts):
        job.stored_state = job.state = states.RUNNING
        job.end_time = None
    else:
        job.end_time = max(part.end_time or 0.0 for part in parts) or None
    return job


def join_parts(jobs: list[JobRecord]) -> list[JobRecord]:
    """The jobs, the parts of each Slurm job recorded on several hosts joined into one, shown
    where its first part was."""
    shown: list[JobRecord] = []
    parts: dict[tuple[str, int], list[JobRecord]] = {}
    place: dict[tuple[str, int], int] = {}
    for job in jobs:
        if job.slurm and job.slurm_node_index is not None and job.slurm_job_id is not None:
            key = (job.cluster or "", job.slurm_job_id)
            if key in parts:
                parts[key].append(job)
                continue
            parts[key] = [job]
            place[key] = len(shown)
        shown.append(job)
    for key, group in parts.items():
        if len(group) > 1:
            shown[place[key]] = _join(group)
    return shown
