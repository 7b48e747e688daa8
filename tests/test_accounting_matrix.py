"""The matrix feeds the accounting: cells become steps decoded through each shell's convention.

Expected decodings cite each shell's manual as the shell catalog does:
bash(1) EXIT STATUS (128+n), ksh93(1) (256+n), the yash manual (384+n),
rc(1) (``$status`` holds a signal's name, with ``+core`` after a core dump,
and one entry per pipeline element). Observed values come from running the
shells.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Optional

import pytest

from exitwrap.accounting.backend import open_backend
from exitwrap.accounting.location import Queue, spool_database
from exitwrap.accounting.recorder import Recorder
from exitwrap.accounting.records import Selection
from exitwrap.accounting.sacct import query
from exitwrap.accounting.spool_batch import BATCH_STEPS
from exitwrap.matrix.feed import MatrixRun, decode_reported, finish_recording, step_for
from exitwrap.matrix.run import CellResult, cell_environment, run_cell
from exitwrap.observe.probe import ProbeKit
from exitwrap.observe.runner import DEFAULT_LIMITS
from exitwrap.scenarios.catalog import select
from exitwrap.shells.catalog import BY_NAME
from exitwrap.shells.shell import parse_selection, resolve
from tests.accounting_helpers import exitcodes, spool_of
from tests.conftest import SHELLS, server_only, sqlite_only
from tests.wrap_helpers import BIN

KILL, TERM, SEGV, CORE = 9, 15, 11, 0x80


@pytest.mark.parametrize(
    ("shell", "text", "status"),
    [
        ("bash", "137", KILL),  # 128 + 9
        ("bash", "3", 3 << 8),
        ("bash", "128", 128 << 8),  # 128 + 0 is no signal
        ("bash", "192", 64),  # 128 + SIGRTMAX
        ("bash", "255", 255 << 8),  # beyond any signal: an exit code
        ("ksh93", "265", KILL),  # 256 + 9
        ("ksh93", "137", 137 << 8),  # under ksh93's base, 137 is a plain exit code
        ("yash", "393", KILL),  # 384 + 9
        ("rc", "sigkill", KILL),
        ("rc", "sigsegv+core", SEGV | CORE),
        ("rc", "0 1", 1 << 8),  # a pipeline: its worst element
        ("rc", "sigterm 0", TERM),
        ("fish", "-1", 255 << 8),
        ("bash", None, None),
        ("bash", "", None),
        ("bash", "nonsense", None),
        ("rc", "signope", None),
        ("rc", "0 what", None),
        ("plan9rc", "", 0),  # Plan 9 rc's null string: success
        ("plan9rc", "3", 3 << 8),
        ("plan9rc", "signal: sys: kill", KILL),
        ("plan9rc", "signal: sys: segmentation violation (core dumped)", SEGV | CORE),
        ("plan9rc", "|1", 1 << 8),  # a pipeline: '' (success) then 1
        ("plan9rc", "signal: nonsense", None),
    ],
)
def test_decode_reported_follows_each_shells_documented_convention(
    shell: str, text: Optional[str], status: Optional[int]
) -> None:
    assert decode_reported(BY_NAME[shell], text) == status


def _cell(selection: str, scenario: str, kit: ProbeKit, tmp_path: Path) -> CellResult:
    shell = resolve(parse_selection(selection)[0])
    return run_cell(
        shell, select(scenario)[0], kit, cell_environment(str(tmp_path)), DEFAULT_LIMITS
    )


@pytest.mark.parametrize("shell", ["bash", "ksh93", "yash", "rc"])
def test_a_sigkill_cell_is_0_9_whatever_number_the_shell_printed(
    shell: str, kit: ProbeKit, tmp_path: Path
) -> None:
    if not SHELLS[shell].present:
        pytest.skip(f"{shell} absent: {SHELLS[shell].absent_reason}")
    cell = _cell(shell, "signal/9", kit, tmp_path)
    step = step_for(cell, 0.0)
    assert step is not None and step.wait_status == KILL and step.state == "CANCELLED"
    extra = json.loads(step.extra or "{}")
    assert cell.observation is not None and extra["inner"] == cell.observation.inner
    assert extra["verdict"] == step.comment == cell.verdict
    assert extra["outer"] == {"kind": "exited", "value": 0, "core": False}


def test_an_error_cell_is_a_failed_step_and_a_cell_that_ran_nothing_is_none(
    kit: ProbeKit, tmp_path: Path
) -> None:
    broken = tmp_path / "broken-shell"
    broken.write_text("#!/nonexistent/interpreter\n")
    broken.chmod(0o755)
    error = step_for(_cell(f"bash={broken}", "exit/42", kit, tmp_path), 0.0)
    assert error is not None and (error.state, error.reason, error.wait_status) == (
        "FAILED",
        "Error",
        None,
    )
    assert error.comment == "error"
    absent = _cell("bash=/nonexistent/bash", "exit/42", kit, tmp_path)
    inapplicable = _cell("dash", "pipeline/pipefail", kit, tmp_path)
    assert (absent.verdict, inapplicable.verdict) == ("absent", "n/a")
    assert step_for(absent, 0.0) is None and step_for(inapplicable, 0.0) is None


def test_attached_writers_share_one_jobs_dense_steps(
    db: str, kit: ProbeKit, tmp_path: Path
) -> None:
    cells = [_cell("bash", scenario, kit, tmp_path) for scenario in ("exit/42", "signal/15")]
    run = MatrixRun.start(db, ["pytest", "-n", "2"], name="plugin")
    worker_a, worker_b = (MatrixRun(Recorder(db), run.job_id, None) for _ in range(2))
    first = worker_a.add(cells)
    second = worker_b.add(cells[:1])
    worker_a.close()
    worker_b.close()
    run.finish(1)
    assert [t.step for t in first + second] == ["0", "1", "2"]
    (job,) = query(db, Selection(jobs={run.job_id: None}))
    assert (job.name, job.state, job.exit_status) == ("plugin", "FAILED", 1 << 8)
    assert job.derived == 42 << 8  # the worst child outcome: any exit outranks a signal
    assert [s.name for s in job.steps] == [
        "batch",
        "bash/exit/42",
        "bash/signal/15",
        "bash/exit/42",
    ]


@sqlite_only
def test_cells_added_for_an_ingest_are_fsynced_only_where_it_left_them(
    db: str, kit: ProbeKit, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cells = [_cell("bash", scenario, kit, tmp_path) for scenario in ("exit/42", "signal/15")]
    run = MatrixRun.start(db, ["exitcodes", "matrix"])
    tickets = run.add(cells, durable=False)
    taken, left = (spool_of(db) / f"{run.job_id}.{ticket.step}" for ticket in tickets)
    taken.unlink()  # as an ingester does once its commit holds the record
    synced: list[int] = []
    fsync = os.fsync

    def watched_fsync(fd: int) -> None:
        synced.append(os.fstat(fd).st_ino)
        fsync(fd)

    monkeypatch.setattr(os, "fsync", watched_fsync)
    run.recorder.make_durable(tickets)
    assert synced == [left.stat().st_ino]
    run.finish(0)


def _finished(db: str, cells: list[CellResult]) -> MatrixRun:
    run = MatrixRun.start(db, ["exitcodes", "matrix"])
    warnings: list[str] = []
    finish_recording(run, cells, 1, warnings.append)
    assert warnings == []
    return run


@sqlite_only
def test_a_short_run_leaves_its_steps_to_the_next_reader_and_a_long_one_ingests_them(
    db: str, kit: ProbeKit, tmp_path: Path
) -> None:
    cells = [_cell("bash", scenario, kit, tmp_path) for scenario in ("exit/42", "signal/15")]
    short = _finished(db, cells)  # 2 steps: one batch file
    left = {p.name for p in spool_of(db).glob(f"{short.job_id}.*")}
    assert left == {f"{short.job_id}.{name}" for name in ("job", "end", "0", "1")}
    (job,) = query(db, Selection())  # the reader ingests them
    assert list(spool_of(db).glob("*.*")) == []
    assert (len(job.steps), job.derived) == (1 + 2, 42 << 8)  # the batch step and the cells
    long = _finished(db, cells * (BATCH_STEPS // 2 + 1))  # a step more than a batch holds
    assert list(spool_of(db).glob("*.*")) == []  # in the database already
    steps = {job.job_id: len(job.steps) for job in query(db, Selection())}
    assert steps == {short.job_id: 1 + 2, long.job_id: 1 + BATCH_STEPS + 2}


@server_only
def test_a_run_is_on_the_server_when_it_returns_and_says_a_push_failed_before(
    db: str, kit: ProbeKit, tmp_path: Path
) -> None:
    Recorder(db).close()  # this host's queue, where a failed push leaves its note
    failed = Queue(db, os.environ).file("failed")
    Path(failed).write_text("not pushed since 01:02 (connection refused)\n")
    warnings: list[str] = []
    run = MatrixRun.start(db, ["exitcodes", "matrix"], warn=warnings.append)
    finish_recording(run, [_cell("bash", "exit/42", kit, tmp_path)], 1, warnings.append)
    (warning,) = warnings  # once, as exitwrap says it; the push at the end then succeeded
    assert warning.startswith("not pushed since 01:02 (connection refused); records wait in ")
    with open_backend(db) as backend:  # reads the server as it is: pushes nothing
        (job,) = backend.read(Selection())
    assert (len(job.steps), job.exit_status, job.derived) == (2, 1 << 8, 42 << 8)


MATRIX = [str(BIN / "exitcodes"), "matrix", "--shells", "bash,ksh93,rc,pwsh"]
MATRIX += ["--scenarios", "signal/9,exit/42"]


def _matrix(db_value: str, tmp_path: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*MATRIX, "--format", "json", "-o", str(tmp_path / "m.json"), *extra],
        env={
            **cell_environment(str(tmp_path)),
            "EXITWRAP_DB": db_value,
            "XDG_STATE_HOME": os.environ["XDG_STATE_HOME"],
        },
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_exitcodes_matrix_records_a_run_that_sacct_reads_as_a_matrix(
    db: str, tmp_path: Path
) -> None:
    done = _matrix(db, tmp_path)
    assert done.returncode == 0
    assert done.stderr.startswith("exitcodes matrix: 8 cells: ") and done.stderr.count("\n") == 1
    status, out, _ = exitcodes(
        "sacct", "-P", "-n", "-j", "1", "-o", "JobID,JobName,State,ExitCode,DerivedExitCode,Comment"
    )
    assert status == 0
    table = [line.split("|") for line in out.splitlines()]
    assert table[0] == ["1", "matrix", "COMPLETED", "0:0", "42:0", ""]
    assert table[1][:4] == ["1.batch", "batch", "COMPLETED", "0:0"]
    by_name = {row[1]: row for row in table[2:]}
    for shell in ("bash", "ksh93", "rc"):
        if SHELLS[shell].present:
            assert by_name[f"{shell}/signal/9"][2:4] == ["CANCELLED", "0:9"]
            assert by_name[f"{shell}/exit/42"][2:4] == ["FAILED", "42:0"]
    assert "pwsh/exit/42" not in by_name  # absent: nothing ran, nothing failed
    records = json.loads((tmp_path / "m.json").read_text())["records"]
    assert len(table) - 2 == sum(1 for r in records if r["verdict"] not in ("n/a", "absent"))


def test_matrix_recording_can_be_turned_off(db: str, tmp_path: Path) -> None:
    assert _matrix(db, tmp_path, "--no-record").returncode == 0
    assert _matrix("off", tmp_path).returncode == 0
    assert not Path(spool_database(db, os.environ)).exists()  # nor a queue for a server


@sqlite_only
def test_matrix_recording_into_a_broken_file_never_changes_the_status(
    db: str, tmp_path: Path
) -> None:
    Path(db).write_bytes(b"no database here\n" * 100)
    done = _matrix(db, tmp_path)
    assert done.returncode == 0
    warning, summary = done.stderr.splitlines()
    assert warning.startswith("exitcodes matrix: warning: not recorded: ")
    assert summary.startswith("exitcodes matrix: 8 cells: ")
    assert Path(db).read_bytes() == b"no database here\n" * 100
