"""The matrix feeds the accounting: a run is a job, each cell a step named ``<shell>/<scenario>``.

So conformance runs are queried with the same tools as wrapped commands:
``exitcodes sacct -j N -o JobID,JobName%30,State,ExitCode,Comment`` reads as
the matrix, and the job's derived exit code names the worst child outcome.

A cell's exit code is the child's outcome as the shell reported it,
decoded through that shell's documented convention (``decode_reported``:
bash's 137 and ksh93's 265 are both ``0:9``, rc's ``sigkill`` too, a plain
3 is ``3:0``); an outer-layer cell's is how the shell itself ended. The
shell's raw text, the outer status and the verdict stay in the step's
record, and the verdict is its comment. An ``error`` cell (the harness
got no observation) is a FAILED step with reason Error and no exit code; a
cell that ran nothing (``n/a``, ``absent``: the scenario does not apply,
the shell is not installed) is no step at all: nothing failed there.

The running matrix process is the job's batch step, so ``exitcodes cancel``
stops it and a killed run shows NODE_FAIL. The cells go to the spool like
every record; a run of more steps than one batch file holds ingests them
when it ends, a shorter one leaves them to the next reader (to a server,
every run pushes them when it ends: ``finish_recording``).
"""

from __future__ import annotations

import json
import signal
import time
from collections.abc import Iterable, Sequence

from exitwrap.accounting import states
from exitwrap.accounting.backend import catch_up
from exitwrap.accounting.location import is_server
from exitwrap.accounting.recorder import Recorder, RecordingError, StepTicket
from exitwrap.accounting.spool_batch import BATCH_STEPS
from exitwrap.errors import HarnessFailure
from exitwrap.matrix.run import CellResult
from exitwrap.scenarios.catalog import OUTER
from exitwrap.shells import status_words
from exitwrap.shells.dialects import PLAN9_RC, RC
from exitwrap.shells.spec import ShellSpec
from exitwrap.status import parse_int
from exitwrap.verdicts import ABSENT, ERROR, NOT_APPLICABLE

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Callable, Optional

    from exitwrap.accounting.spool import Value

JOB_NAME = "matrix"
UNDECODED = "UndecodedStatus"  # the shell printed a status its convention does not explain
_REASONS = {ERROR: "Error"}
_NOT_RUN = (NOT_APPLICABLE, ABSENT)  # cells that ran nothing: not steps


# FinishedStep's attributes and the step columns they fill
_FINISHED = (
    ("name", "name"),
    ("command", "command"),
    ("workdir", "workdir"),
    ("start", "start_time"),
    ("end", "end_time"),
    ("state", "state"),
    ("reason", "reason"),
    ("wait_status", "exit_status"),
    ("comment", "comment"),
    ("extra", "extra"),
)


class FinishedStep:
    """A step recorded after the fact, with no process of its own (a matrix cell)."""

    __slots__ = tuple(attribute for attribute, _ in _FINISHED)

    def __init__(
        self,
        *,
        name: str,
        command: Optional[str],
        workdir: Optional[str],
        start: float,
        end: float,
        state: str,
        reason: Optional[str],
        wait_status: Optional[int],
        comment: Optional[str],
        extra: Optional[str],  # JSON
    ) -> None:
        self.name, self.command, self.workdir = name, command, workdir
        self.start, self.end, self.state, self.reason = start, end, state, reason
        self.wait_status, self.comment, self.extra = wait_status, comment, extra

    def columns(self) -> dict[str, Value]:
        """Its step row's columns, as the recorder takes them."""
        return {column: getattr(self, attribute) for attribute, column in _FINISHED}


def _decode_number(spec: ShellSpec, value: int) -> int:
    number = value - spec.signal_base
    if 0 < number < signal.NSIG:
        return number  # signal_base + N: a death by signal N
    return (value & 0xFF) << 8


def decode_reported(spec: ShellSpec, text: Optional[str]) -> Optional[int]:
    """The raw wait status a shell's reported status stands for, under its convention.

    A number above the shell's documented signal base (128, ksh93's 256,
    yash's 384) by a valid signal number is that signal's death; any other
    number is an exit code, wrapped to 8 bits as a wait status holds it.
    Words, which only the rc dialect's shells print, are read as they mean
    them (exitwrap/shells/status_words.py): rc's ``sigkill`` and
    ``sigsegv+core``, Plan 9 rc's ``signal: sys: kill`` and its null string
    (success). A list
    (rc reports a pipeline as ``0 1``, Plan 9 rc as ``|1``) stands for its
    worst member, by the derived exit code's rule. None: nothing reported,
    or not decodable.
    """
    if text is None:
        return None
    value = parse_int(text)
    if value is not None:
        return _decode_number(spec, value)
    words = status_words.read(text) if spec.dialect in (RC, PLAN9_RC) else None
    if words is None:
        return None
    numbers = status_words.host_numbers()
    decoded = [word.wait_status(numbers) for word in words]
    if None in decoded:
        return None
    return max(status for status in decoded if status is not None)


def _observed_status(cell: CellResult) -> Optional[int]:
    obs = cell.observation
    if obs is None:
        return None
    outer = obs.outer
    if cell.scenario.layer == OUTER or obs.inner is None:
        # how the shell itself ended: what an outer cell measures, and all there is
        # when the shell died before reporting (fish dies of the SIGINT its child got)
        return outer.wait_status if outer is not None else None
    return decode_reported(cell.shell.spec, obs.inner)


def step_for(cell: CellResult, end: float) -> Optional[FinishedStep]:
    """The step a cell becomes (None for an ``n/a`` or ``absent`` cell, which ran nothing)."""
    verdict = cell.verdict
    if verdict in _NOT_RUN:
        return None
    obs = cell.observation
    outer = obs.outer if obs is not None else None
    extra = {
        "shell": cell.shell.label,
        "scenario": cell.scenario.id,
        "layer": cell.scenario.layer,
        "verdict": verdict,
        "result": cell.result,
        "inner": obs.inner if obs is not None else None,
        "outer": outer.to_json() if outer is not None else None,
        "dword": obs.dword if obs is not None else None,
        "note": cell.check.note or None,
    }
    reason = _REASONS.get(verdict)
    status = None if reason is not None else _observed_status(cell)
    if reason is None and status is None:
        reason = UNDECODED
    state = (
        states.FAILED
        if status is None
        else states.step_state(status, timed_out=False, cancelled=False)
    )
    duration = obs.duration_s if obs is not None else 0.0
    command = "\0".join(cell.command) if cell.command else None
    return FinishedStep(
        name=f"{cell.shell.label}/{cell.scenario.id}",
        command=command,
        workdir=None,
        start=end - duration,
        end=end,
        state=state,
        reason=reason,
        wait_status=status,
        comment=verdict,
        extra=json.dumps(extra, sort_keys=True),
    )


def steps_of(cells: Iterable[CellResult]) -> list[FinishedStep]:
    """The steps cells become, all ending now (n/a and absent cells become none)."""
    now = time.time()
    return [step for step in (step_for(cell, now) for cell in cells) if step is not None]


class MatrixRun:
    """A matrix run being recorded: ``start`` it, add its steps, ``finish`` (what
    ``finish_recording`` does).

    Another process adds cells to the same job through ``MatrixRun(Recorder(path), job_id,
    None).add(cells)``.
    """

    def __init__(self, recorder: Recorder, job_id: int, ticket: Optional[StepTicket]) -> None:
        self.recorder = recorder
        self.job_id = job_id
        self._ticket = ticket  # the batch step: only the process that started the run has it

    @classmethod
    def start(
        cls,
        path: str,
        argv: Sequence[str],
        name: str = JOB_NAME,
        warn: Optional[Callable[[str], None]] = None,
    ) -> MatrixRun:
        """Begin the run's job; ``warn`` hears what the start has to say (a server's failed
        push, once per outage, as exitwrap says it)."""
        recorder = Recorder(path)
        ticket = recorder.begin_own_job(argv, name, warn=warn)
        return cls(recorder, ticket.job_id, ticket)

    def add(self, cells: Iterable[CellResult], *, durable: bool = True) -> list[StepTicket]:
        """Record finished cells as steps; returns their ids (n/a and absent cells get none).

        ``durable=False``: see ``Recorder.add_finished``.
        """
        return self.add_steps(steps_of(cells), durable=durable)

    def add_steps(self, steps: Sequence[FinishedStep], *, durable: bool) -> list[StepTicket]:
        if not steps:
            return []
        return self.recorder.add_finished(
            self.job_id, [s.columns() for s in steps], durable=durable
        )

    def finish(self, exit_code: int) -> None:
        """End the job with the matrix command's exit code (and close)."""
        try:
            if self._ticket is not None:
                self.recorder.finish(
                    self._ticket, wait_status=(exit_code & 0xFF) << 8, timed_out=False, rusage=None
                )
        finally:
            self.recorder.close()

    def close(self) -> None:
        self.recorder.close()


def start_recording(
    path: str, argv: Sequence[str], warn: Callable[[str], None]
) -> Optional[MatrixRun]:
    """Begin recording a run into the store path names; a failure only warns."""
    try:
        return MatrixRun.start(path, argv, warn=warn)
    except RecordingError as error:
        warn(f"not recorded: {error}")
        return None


def finish_recording(
    run: Optional[MatrixRun],
    cells: Iterable[CellResult],
    exit_code: int,
    warn: Callable[[str], None],
) -> None:
    """Record the cells and end the job; a failure only warns, the run's status stands.

    Into a database file, a run of no more steps than one batch file holds
    leaves them in the spool, fsynced, as exitwrap leaves its records, for the
    next reader to ingest: importing SQLite's module and the ingest's commit
    cost such a run more than its cells (6-9 ms of a 50 ms run of 8 cells),
    and like exitwrap it then never opens the database. A longer run ingests
    its steps at once, so the next reader need not: that commit makes them
    durable, and only what it left in the spool is fsynced a file at a time
    (a cell's fsync was most of what recording added to it). To a server,
    every run pushes before it returns: a CI job's runner may be gone before
    a push in the background would be done, and a push that fails is said here.
    """
    if run is None:
        return
    steps = steps_of(cells)
    ingest = len(steps) > BATCH_STEPS or is_server(run.recorder.path)
    try:
        tickets = run.add_steps(steps, durable=not ingest)
    except RecordingError as error:
        warn(f"not recorded: {error}")
        run.close()
        return
    notice: Optional[str]
    try:
        run.finish(exit_code)
    except RecordingError as error:
        notice = f"not recorded: {error}"
    else:
        notice = _catch_up(run.recorder.path) if ingest else None
    if notice is not None:
        warn(notice)
    if not ingest:
        return
    try:
        run.recorder.make_durable(tickets)
    except RecordingError as error:
        warn(f"recorded, but not yet on disk: {error}")


def _catch_up(database: str) -> Optional[str]:
    """Ingest this host's spool (or push its queue to a server) now; a notice when not."""
    try:
        return catch_up(database)
    except HarnessFailure as error:
        return f"recorded in the spool, not yet in the database: {error}"
