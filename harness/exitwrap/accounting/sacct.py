"""sacct: which jobs to show, and the table, parsable and JSON forms Slurm 22.05 prints.

Table: a header, a line of dashes, one space after every column (so every
line ends in a space), values aligned and cut as src/common/print_fields.c
does. ``-p`` ends every value with ``|`` (or --delimiter's string); ``-P``
only separates them. An unknown job id shows the header alone, as Slurm
does. Before a query shows a Slurm job's own record that still runs, Slurm
is asked whether it has ended (slurm_settle.py).
"""

# ruff: noqa: PLC0415  (lazy imports: only --json pays for json, the default window for dates)

from __future__ import annotations

from exitwrap.accounting import display, fields, states, users
from exitwrap.accounting.backend import open_backend
from exitwrap.accounting.field_catalog import DATE, TEXT
from exitwrap.errors import UsageError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence
    from typing import Optional, Union

    from exitwrap.accounting.display import View
    from exitwrap.accounting.fields import Field
    from exitwrap.accounting.records import JobRecord, Selection, StepRecord

    Line = tuple[JobRecord, Optional[StepRecord]]

DELIMITER = "|"  # -p and -P's, as Slurm's
LARGEST_ID = 2**63 - 1  # what an SQLite INTEGER holds: no job or step id is larger
LARGEST_UID = 2**32 - 1  # uid_t
WIDEST = 4096  # a column's width (%N): wider is no table, only memory spent on padding


def number(text: str, largest: int) -> Optional[int]:
    """A decimal number from 0 to largest, ASCII digits only; None for anything else (never
    int() of thousands of digits)."""
    if not (text.isascii() and text.isdigit()):
        return None
    digits = text.lstrip("0") or "0"
    if len(digits) > len(str(largest)) or int(digits) > largest:
        return None
    return int(digits)


class Column:
    """A field as asked for: ``State%20`` widens it, ``JobID%-20`` left-aligns it."""

    __slots__ = ("field", "width")

    def __init__(self, field: Field, width: int) -> None:
        self.field = field
        self.width = width


def parse_format(spec: str) -> list[Column]:
    """``-o JobID,State%20``: field names are case-insensitive; %N sets the width."""
    columns = []
    for entry in spec.split(","):
        name, percent, width_text = entry.strip().partition("%")
        if not name:
            continue
        field = fields.BY_NAME.get(name.lower())
        if field is None:
            raise UsageError(f"invalid field requested: {name!r} (-e lists Slurm 22.05's fields)")
        width = field.width
        if percent:
            wanted = number(width_text.removeprefix("-"), WIDEST)
            if wanted is None:
                raise UsageError(
                    f"invalid width in {entry.strip()!r}: want %N or %-N, N up to {WIDEST}"
                )
            # %0 keeps the default, as in Slurm
            width = (-wanted if width_text.startswith("-") else wanted) or width
        columns.append(Column(field, width))
    if not columns:
        raise UsageError("empty field list")
    return columns


def parse_job_id(text: str) -> int:
    """A job id: 1 up to LARGEST_ID."""
    found = number(text, LARGEST_ID)
    if not found:
        raise UsageError(f"invalid job id {text!r}")
    return found


def parse_job_step(text: str) -> tuple[int, Optional[str]]:
    """``123``, ``123.4`` or ``123.batch``: the job id and the step id (None: the job)."""
    job, dot, step = text.strip().partition(".")
    if not dot:
        return parse_job_id(job), None
    if step == "batch":
        return parse_job_id(job), step
    index = number(step, LARGEST_ID)
    if index is not None:
        return parse_job_id(job), str(index)
    raise UsageError(f"invalid job step id {text.strip()!r}")


def parse_jobs(text: str) -> dict[int, Optional[frozenset[str]]]:
    """``-j 12,13.batch,14.2``: job id -> the step ids wanted (None: the job and all its steps)."""
    whole: set[int] = set()
    parts: dict[int, set[str]] = {}
    for entry in text.split(","):
        if not entry.strip():
            raise UsageError(f"invalid job list {text!r}")
        job, step = parse_job_step(entry)
        if step is None:
            whole.add(job)
        else:
            parts.setdefault(job, set()).add(step)
    wanted: dict[int, Optional[frozenset[str]]] = {job: None for job in whole}
    wanted.update((job, frozenset(s)) for job, s in parts.items() if job not in whole)
    return wanted


def parse_states(text: str) -> frozenset[str]:
    """``-s F,CA,timeout``: Slurm's names or abbreviations, any case."""
    chosen = set()
    for entry in text.split(","):
        word = entry.strip().upper()
        name = states.ABBREVIATIONS.get(word, word)
        if name not in states.NAMES:
            raise UsageError(f"invalid job state {entry.strip()!r}")
        chosen.add(name)
    return frozenset(chosen)


def parse_names(text: str) -> frozenset[str]:
    """``--name a,b``: job names, exactly."""
    names = frozenset(entry.strip() for entry in text.split(","))
    if "" in names:
        raise UsageError(f"invalid job name list {text!r}")
    return names


OWN_CLUSTER = "none"  # in -M: exitwrap's own jobs, which ran in no Slurm cluster


def parse_clusters(text: str) -> Optional[frozenset[Optional[str]]]:
    """``-M a,b``: Slurm cluster names (``all``: every one; ``none``: exitwrap's own jobs)."""
    names = [entry.strip() for entry in text.split(",")]
    if "" in names:
        raise UsageError(f"invalid cluster list {text!r}")
    if "all" in names:
        return None
    return frozenset(None if name == OWN_CLUSTER else name for name in names)


def parse_users(text: str) -> frozenset[int]:
    """``-u alice,1001``: names or numeric uids."""
    uids = set()
    for entry in (e.strip() for e in text.split(",")):
        uid = number(entry, LARGEST_UID)
        if uid is not None:
            uids.add(uid)
            continue
        try:
            uids.add(users.uid_of(entry))
        except (KeyError, ValueError):  # ValueError: what no user name can hold (NUL, bytes)
            raise UsageError(f"invalid user {entry!r}") from None
    return frozenset(uids)


def window(
    *, by_job: bool, by_state: bool, start: Optional[float], end: Optional[float], now: float
) -> tuple[float, float]:
    """sacct(1), DEFAULT TIME WINDOW: from midnight to now, or from the epoch with -j; with -s
    and no -j the window is the instant -S (default: now), as Slurm shows only what runs then."""
    given_start = start is not None
    if start is None and not (by_job or by_state):
        from exitwrap.accounting.timespec import midnight

        start = midnight(now)
    if start is None:
        start = 0.0 if by_job else now
    if end is None:
        end = start if by_state and (given_start or not by_job) else now
    return start, end


def _gone_unseen(jobs: Iterable[JobRecord]) -> bool:
    """Whether a record read as running has lost its process (NODE_FAIL, or CANCELLED)."""
    records: list[Union[JobRecord, StepRecord]] = []
    for job in jobs:
        records += [job, *job.steps]
    return any(record.stored_state == states.RUNNING != record.state for record in records)


def query(
    database: str, selection: Selection, notices: Optional[list[str]] = None
) -> list[JobRecord]:
    """The selected jobs, once what waits on this host is in; none when nothing was recorded.

    Why it could not be brought in goes to notices. A recording process that
    ended between the catching up and the read has left its end in the
    spool: then it is caught up and the jobs read again, not shown NODE_FAIL.
    A job id that is provisional on this host selects the job it became too
    (the selection is widened in place, for ``lines``). A Slurm job's record that
    still runs is asked of Slurm (slurm_settle.py), and read again when its end was stored.
    """
    with open_backend(database) as backend:
        if selection.jobs is not None:
            selection.jobs = {
                alias: steps
                for job_id, steps in selection.jobs.items()
                for alias in backend.aliases(job_id)
            }
        notice = backend.catch_up()
        jobs = backend.read(selection)
        if notice is None and _gone_unseen(jobs):
            notice = backend.catch_up()
            jobs = backend.read(selection)
        if backend.settle_slurm(jobs):
            jobs = backend.read(selection)
    if notice is not None and notices is not None:
        notices.append(notice)
    return jobs


def lines(jobs: Iterable[JobRecord], selection: Selection) -> list[Line]:
    """Each job's line followed by its steps' (only the asked-for steps with ``-j N.S``)."""
    out: list[Line] = []
    for job in jobs:
        wanted = selection.jobs.get(job.shown_id) if selection.jobs is not None else None
        if wanted is None:
            out.append((job, None))
        out += [(job, step) for step in job.steps if wanted is None or step.step_id in wanted]
    return out


def _aligned(text: str, width: int) -> str:
    return text.ljust(-width) if width < 0 else text.rjust(width)


def _cell(column: Column, value: Optional[str]) -> str:
    """print_fields.c's forms: text cut to width-1 and '+', a date cut silently (22.05.8
    prints ``Start%10`` as ``2026-12-05``), the rest whole."""
    width = abs(column.width)
    kind = column.field.kind
    if value is None:
        value = " "
    value = display.printable(value)
    if kind == TEXT and len(value) > width:
        value = value[: width - 1] + "+"
    elif kind == DATE:
        value = value[:width]
    return _aligned(value, column.width) + " "


def table(
    rows: Sequence[Line], columns: Sequence[Column], view: View, *, header: bool = True
) -> str:
    out = []
    if header:
        out.append("".join(_aligned(c.field.name[: abs(c.width)], c.width) + " " for c in columns))
        out.append("".join("-" * abs(c.width) + " " for c in columns))
    out += ["".join(_cell(c, c.field.read(job, step, view)) for c in columns) for job, step in rows]
    return "".join(line + "\n" for line in out)


def _delimited(value: Optional[str], delimiter: str) -> str:
    """A value between delimiters: one holding the delimiter shows it as '?', as it does a
    control character, so that no value adds a column."""
    shown = display.printable(value or "")
    return shown.replace(delimiter, "?") if delimiter else shown


def parsable(
    rows: Sequence[Line],
    columns: Sequence[Column],
    view: View,
    *,
    trailing: bool,
    header: bool,
    delimiter: str = DELIMITER,
) -> str:
    """-p (every value ends in the delimiter, trailing) or -P (values joined by it)."""
    records = [[c.field.name for c in columns]] if header else []
    records += [
        [_delimited(c.field.read(job, step, view), delimiter) for c in columns]
        for job, step in rows
    ]
    ending = delimiter if trailing else ""
    return "".join(delimiter.join(values) + ending + "\n" for values in records)


def _exit_code_json(wait_status: Optional[int]) -> dict[str, object]:
    """dbv0.0.38's exit code object, with the values 22.05 got wrong (every exit showed
    SUCCESS with return_code 0) given correctly."""
    if wait_status is None:
        return {"status": "PENDING", "return_code": None}
    if not states.is_signaled(wait_status):
        code = wait_status >> 8 & 0xFF
        return {"status": "SUCCESS" if code == 0 else "ERROR", "return_code": code}
    from exitwrap.signal_names import description

    number = wait_status & 0x7F
    return {
        "status": "SIGNALED",
        "return_code": 0,
        "signal": {"id": number, "name": description(number)},
    }


def _times(record: Union[JobRecord, StepRecord]) -> dict[str, object]:
    def split(seconds: Optional[float]) -> dict[str, int]:
        whole = int(seconds or 0)
        return {"seconds": whole, "microseconds": round(((seconds or 0) - whole) * 1e6)}

    running = record.state == states.RUNNING
    total = (record.user_cpu or 0.0) + (record.system_cpu or 0.0)
    return {
        "elapsed": display.elapsed(record.start_time, record.end_time, running=running) or 0,
        "start": int(record.start_time),
        "end": int(record.end_time or 0),
        "suspended": 0,
        "system": split(record.system_cpu),
        "user": split(record.user_cpu),
        "total": split(total),
    }


def _step_json(job: JobRecord, step: StepRecord) -> dict[str, object]:
    import json

    cancel_uid = step.cancel_uid if step.cancel_uid is not None else job.cancel_uid
    slurm = None
    if step.slurm_step is not None:
        slurm = {"step": step.slurm_step, "task": step.slurm_task, "node": step.slurm_node}
    return {
        "step": {"job_id": job.shown_id, "id": step.full_id, "name": step.name},
        "state": step.state,
        "exit_code": _exit_code_json(step.exit_status),
        "nodes": {"count": 1, "range": step.slurm_node or step.node},
        "pid": None if step.pid is None else str(step.pid),
        "kill_request_user": None if step.state != states.CANCELLED else cancel_uid,
        "time": {**_times(step), "limit": step.time_limit},
        "comment": step.comment,
        "slurm": slurm,  # the Slurm step and task the command ran in, if in one
        "exitwrap": json.loads(step.extra) if step.extra else None,
    }


def job_json(job: JobRecord) -> dict[str, object]:
    """One job in the shape of Slurm 22.05's ``sacct --json`` (data parser dbv0.0.38)."""
    times = _times(job)
    limit = None if job.time_limit is None else -(-int(job.time_limit) // 60)  # minutes
    times.update(submission=int(job.submit_time), eligible=int(job.submit_time), limit=limit)
    return {
        "job_id": job.shown_id,
        "cluster": job.cluster,
        "partition": job.partition,
        "name": job.name,
        "user": job.user,
        "account": job.account,
        "nodes": job.node_list or job.node,
        "allocation_nodes": job.node_count or 1,
        "working_directory": job.workdir,
        "comment": {"administrator": None, "job": job.comment, "system": None},
        "state": {
            "current": job.state,
            "reason": display.reason(job.state, job.exit_status, job.reason),
        },
        "exit_code": _exit_code_json(job.exit_status),
        "derived_exit_code": _exit_code_json(job.derived),
        "kill_request_user": job.cancel_uid if job.state == states.CANCELLED else None,
        "time": times,
        "steps": [_step_json(job, step) for step in job.steps],
    }


def json_document(jobs: Iterable[JobRecord]) -> str:
    import json

    from exitwrap import __version__

    meta = {"plugin": {"type": "exitwrap", "name": "accounting"}, "exitwrap": __version__}
    document = {"meta": meta, "errors": [], "warnings": [], "jobs": [job_json(j) for j in jobs]}
    return json.dumps(document, indent=2) + "\n"
