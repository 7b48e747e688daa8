"""The accounting end to end: real ``exitwrap --batch`` scripts whose steps use ``exitwrap``.

Every state and derived rule of Slurm's "Job Exit Codes" page and sacct(1),
observed through the commands users run: exit codes, signals, ``set -e``,
a background step with ``wait``, ``exit $?`` after a failed step, timeouts,
cancel, a crashed exitwrap (NODE_FAIL), parallel steps in one job, and
recording failures that must never change a status.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from pathlib import Path

import pytest

from exitwrap.accounting.location import is_server
from exitwrap.accounting.recorder import Recorder
from exitwrap.accounting.records import JobRecord, Selection
from exitwrap.accounting.sacct import query
from exitwrap.observe.probe import ProbeKit
from tests.accounting_helpers import (
    MEMBERS,
    SHARING_GID,
    as_member,
    as_nobody,
    batch,
    change,
    exitcodes,
    group_database,
    member_copy,
    needs_root,
    one_line_error,
    record,
    rows,
    run_as_nobody,
    setpriv,
    wrapped_env,
)
from tests.conftest import sqlite_only
from tests.wrap_helpers import EXITWRAP, process_gone, read_line, wait_until


def job(path: str, job_id: int) -> JobRecord:
    (found,) = query(path, Selection(jobs={job_id: None}))
    return found


def summary(path: str, job_id: int) -> list[tuple[str, str, str]]:
    """(JobID, State, ExitCode) of the job and each step, as sacct -P prints them."""
    _, out, _ = exitcodes(
        "sacct", "-n", "-P", "-j", str(job_id), "-o", "JobID,State%30,ExitCode,DerivedExitCode"
    )
    return [tuple(line.split("|")[:3]) for line in out.splitlines()]  # type: ignore[misc]


def derived(path: str, job_id: int) -> str:
    _, out, _ = exitcodes("sacct", "-X", "-n", "-P", "-j", str(job_id), "-o", "DerivedExitCode")
    return out.strip()


def test_failing_steps_set_the_derived_code_never_the_jobs_state(
    db: str, kit: ProbeKit, tmp_path: Path
) -> None:
    body = f"P={kit.probe}\nexitwrap $P exit 3\nexitwrap $P signal 9\nexitwrap $P exit 0\n"
    done, n = batch(tmp_path, body, path=db)
    assert done.returncode == 0
    assert summary(db, n) == [
        (str(n), "COMPLETED", "0:0"),
        (f"{n}.batch", "COMPLETED", "0:0"),
        (f"{n}.0", "FAILED", "3:0"),
        (f"{n}.1", "CANCELLED", "0:9"),
        (f"{n}.2", "COMPLETED", "0:0"),
    ]
    assert derived(db, n) == "3:0"  # any non-zero exit outranks any signal


def test_signals_alone_derive_the_highest_signal(db: str, kit: ProbeKit, tmp_path: Path) -> None:
    body = f"exitwrap {kit.probe} signal 9\nexitwrap {kit.probe} signal 15\ntrue\n"
    _, n = batch(tmp_path, body, path=db)
    assert derived(db, n) == "0:15"


def test_set_e_ends_the_job_with_the_failing_steps_code(
    db: str, kit: ProbeKit, tmp_path: Path
) -> None:
    body = f"set -e\nexitwrap {kit.probe} exit 4\nexitwrap {kit.probe} exit 0\n"
    done, n = batch(tmp_path, body, path=db)
    assert done.returncode == 4
    assert summary(db, n) == [
        (str(n), "FAILED", "4:0"),
        (f"{n}.batch", "FAILED", "4:0"),
        (f"{n}.0", "FAILED", "4:0"),
    ]
    assert job(db, n).steps[0].reason is None
    _, out, _ = exitcodes("sacct", "-X", "-n", "-P", "-j", str(n), "-o", "Reason")
    assert out.strip() == "NonZeroExitCode"


def test_background_step_and_wait(db: str, kit: ProbeKit, tmp_path: Path) -> None:
    body = (
        f"exitwrap {kit.probe} exit 5 &\nbg=$!\nexitwrap {kit.probe} exit 0\n"
        "wait $bg\necho waited=$?\n"
    )
    done, n = batch(tmp_path, body, path=db)
    assert done.returncode == 0 and "waited=5" in done.stdout
    steps = {s.step_id: s.exit_status for s in job(db, n).steps}
    assert sorted(steps) == ["0", "1", "batch"]
    assert {steps["0"], steps["1"]} == {0, 5 << 8}
    assert derived(db, n) == "5:0"


def test_exit_dollar_question_after_a_failed_step(db: str, kit: ProbeKit, tmp_path: Path) -> None:
    done, n = batch(tmp_path, f"exitwrap {kit.probe} exit 7\nexit $?\n", path=db)
    assert done.returncode == 7
    assert summary(db, n)[0] == (str(n), "FAILED", "7:0")


def test_script_killed_by_a_signal_raises_that_signal(
    db: str, kit: ProbeKit, tmp_path: Path
) -> None:
    done, n = batch(tmp_path, "kill -KILL $$\n", path=db)
    assert done.returncode == 128 + 9
    _, out, _ = exitcodes("sacct", "-X", "-n", "-P", "-j", str(n), "-o", "State,ExitCode,Reason")
    assert out.strip() == "FAILED|0:9|RaisedSignal:9(Killed)"


def test_batch_timeout_is_timeout(db: str, kit: ProbeKit, tmp_path: Path) -> None:
    done, n = batch(tmp_path, f"exec {kit.probe} sleep 60\n", "--timeout", "1", path=db)
    assert done.returncode == 124
    _, out, _ = exitcodes("sacct", "-n", "-P", "-j", str(n), "-o", "JobID,State,ExitCode,Reason")
    assert out.splitlines()[0] == f"{n}|TIMEOUT|0:15|TimeLimit"


def test_a_steps_own_timeout_leaves_the_job_completed(
    db: str, kit: ProbeKit, tmp_path: Path
) -> None:
    body = f"exitwrap --timeout 1 {kit.probe} sleep 60\necho step=$?\n"
    done, n = batch(tmp_path, body, path=db)
    assert done.returncode == 0 and "step=124" in done.stdout
    assert summary(db, n)[0] == (str(n), "COMPLETED", "0:0")
    assert summary(db, n)[2] == (f"{n}.0", "TIMEOUT", "0:15")


def _start_batch(tmp_path: Path, body: str, path: str) -> tuple[subprocess.Popen[str], int]:
    script = tmp_path / "long.sh"
    script.write_text("#!/bin/sh\n" + body)
    script.chmod(0o755)
    process = subprocess.Popen(
        [*EXITWRAP, "--batch", str(script)],
        env=wrapped_env(path),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
    )
    line = read_line(process, "Submitted batch job ", stream="stderr")
    return process, int(line.split()[-1])


def _running_steps(path: str, job_id: int) -> int:
    return sum(s.state == "RUNNING" for s in job(path, job_id).steps if s.step_id != "batch")


CANCEL_AS_USER = """
import sys
from exitwrap.cli.main import main
sys.exit(main(["cancel", sys.argv[1]]))
"""


def test_cancel_marks_then_terminates(db: str, kit: ProbeKit, tmp_path: Path) -> None:
    process, n = _start_batch(tmp_path, f"exitwrap {kit.probe} sleep 60\necho after\n", db)
    try:
        assert wait_until(lambda: _running_steps(db, n) == 1)
        if is_server(db):  # another user may ask: the server refuses (a file's: below)
            refused = as_nobody(CANCEL_AS_USER, str(n), database=db)
            assert refused.returncode == 1
            line = one_line_error(refused.stderr, "exitcodes cancel")
            assert line.endswith(f"Kill job error on job id {n}: Access/permission denied")
            assert job(db, n).state == "RUNNING"
        status, _, err = exitcodes("cancel", str(n))
        assert (status, err) == (0, "")
        out, _ = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=60)
    assert process.returncode == 128 + signal.SIGTERM and "after" not in out
    found = job(db, n)
    assert found.state == "CANCELLED" and found.cancel_uid == 0
    assert [s.state for s in found.steps] == ["CANCELLED", "CANCELLED"]
    assert all(s.pid is not None and process_gone(s.pid) for s in found.steps)
    _, table, _ = exitcodes("sacct", "-n", "-j", str(n), "-o", "JobID,State")
    _, wide, _ = exitcodes("sacct", "-n", "-P", "-X", "-j", str(n), "-o", "State")
    again = exitcodes("cancel", str(n), f"{n}.0", "424242")
    assert table.splitlines()[0].split() == [str(n), "CANCELLED+"]  # cut to width, as sacct does
    assert wide.strip() == "CANCELLED by 0"
    assert again[0] == 1 and again[2].splitlines() == [
        f"exitcodes cancel: Kill job error on job id {n}: Job/step already completing or completed",
        f"exitcodes cancel: Kill job error on job id {n}.0: Job/step already completing or "
        "completed",
        "exitcodes cancel: Kill job error on job id 424242: Invalid job id specified",
    ]


SACCT_STATE = """
import sys
from exitwrap.cli.main import main
sys.exit(main(["sacct", "-n", "-P", "-X", "-j", sys.argv[1], "-o", "State"]))
"""


def _state_as_member(shared: str, job_id: int) -> str:
    """The job's state as a member reads it (root never ingests a group-shared spool)."""
    return as_member(SACCT_STATE, str(job_id), database=shared).stdout.strip()


@needs_root
def test_only_the_owner_or_root_may_cancel(
    open_dir: Path, kit: ProbeKit, monkeypatch: pytest.MonkeyPatch
) -> None:
    shared = group_database(open_dir)
    monkeypatch.setenv("EXITWRAP_DB", shared)
    probe = member_copy(kit.probe, open_dir)
    process = subprocess.Popen(
        [*setpriv(MEMBERS[0], groups=[SHARING_GID]), *EXITWRAP, str(probe), "sleep", "60"],
        env=wrapped_env(shared),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        cwd=open_dir,
    )
    try:
        assert wait_until(lambda: _state_as_member(shared, 1) == "RUNNING")
        refused = as_member(CANCEL_AS_USER, "1", database=shared, member=1)
        assert refused.returncode == 1
        line = one_line_error(refused.stderr, "exitcodes cancel")
        assert line.endswith("Kill job error on job id 1: Access/permission denied")
        assert exitcodes("cancel", "1") == (0, "", "")  # root: what members have ingested
        _, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=60)
    assert process.returncode == 128 + signal.SIGTERM, err
    assert _state_as_member(shared, 1) == "CANCELLED by 0"


def test_cancel_one_step_leaves_the_job_running(db: str, kit: ProbeKit, tmp_path: Path) -> None:
    body = f"exitwrap {kit.probe} sleep 60\necho step=$?\nexitwrap {kit.probe} exit 0\n"
    process, n = _start_batch(tmp_path, body, db)
    try:
        assert wait_until(lambda: _running_steps(db, n) == 1)
        assert exitcodes("cancel", f"{n}.0") == (0, "", "")
        out, _ = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=60)
    assert process.returncode == 0 and f"step={128 + signal.SIGTERM}" in out
    assert summary(db, n) == [
        (str(n), "COMPLETED", "0:0"),
        (f"{n}.batch", "COMPLETED", "0:0"),
        (f"{n}.0", "CANCELLED by 0", "0:15"),
        (f"{n}.1", "COMPLETED", "0:0"),
    ]


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(c) for c in (task / "children").read_text().split()]
    return found


def test_sigkill_of_exitwrap_mid_step_shows_node_fail(db: str, kit: ProbeKit) -> None:
    process = subprocess.Popen(
        [*EXITWRAP, str(kit.probe), "sleep", "60"],
        env=wrapped_env(db),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        assert wait_until(lambda: bool(query(db, Selection())) and bool(_children(process.pid)))
        (n,) = [found.job_id for found in query(db, Selection())]
        assert job(db, n).state == "RUNNING"
        orphans = _children(process.pid)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=60)
    finally:
        for pid in _children(process.pid) if process.poll() is None else []:
            os.kill(pid, signal.SIGKILL)
    for pid in orphans:  # exitwrap died without passing anything on: clean up its child
        os.kill(pid, signal.SIGKILL)
    crashed = job(db, n)
    # in a file nothing rewrote the record: readers judge it; a server stores what the push
    # from the node that saw the process gone said
    assert crashed.stored_state == ("NODE_FAIL" if is_server(db) else "RUNNING")
    assert crashed.state == "NODE_FAIL" and crashed.steps[0].state == "NODE_FAIL"
    _, out, _ = exitcodes("show", "job", str(n))
    assert "JobState=NODE_FAIL Reason=NodeDown" in out
    status, _, err = exitcodes("cancel", str(n))
    assert status == 1 and "already completing or completed" in err


def test_parallel_exitwraps_in_one_job_get_dense_unique_steps(
    db: str, kit: ProbeKit, tmp_path: Path
) -> None:
    count = 24
    body = (
        f"i=0\nwhile [ $i -lt {count} ]; do exitwrap {kit.probe} exit 0 & i=$((i+1)); done\nwait\n"
    )
    done, n = batch(tmp_path, body, path=db, timeout=240)
    assert done.returncode == 0, done.stderr
    ids = sorted(int(s.step_id) for s in job(db, n).steps if s.step_id != "batch")
    assert ids == list(range(count))
    assert {s.state for s in job(db, n).steps} == {"COMPLETED"}
    assert "warning" not in done.stderr


def test_one_step_job_and_a_stale_job_id(db: str, kit: ProbeKit) -> None:
    env = {**wrapped_env(db), "EXITWRAP_JOB_ID": "999999"}
    done = subprocess.run(
        [*EXITWRAP, str(kit.probe), "exit", "3"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert done.returncode == 3
    warnings = [line for line in done.stderr.splitlines() if "job 999999" in line]
    assert len(warnings) == 1 and warnings[0].startswith("exitwrap: warning: ")
    (only,) = query(db, Selection())
    assert summary(db, only.job_id) == [
        (str(only.job_id), "FAILED", "3:0"),
        (f"{only.job_id}.0", "FAILED", "3:0"),
    ]


def test_job_options_and_a_redacted_step(db: str, kit: ProbeKit, tmp_path: Path) -> None:
    body = f"exitwrap --redact {kit.probe} args --token s3cret\n"
    options = ("-J", "nightly", "-A", "lc", "--comment", "first try")
    _, n = batch(tmp_path, body, *options, path=db)
    _, out, _ = exitcodes(
        "sacct", "-n", "-P", "-j", str(n), "-o", "JobID,JobName,Account,Comment,SubmitLine%60"
    )
    lines = out.splitlines()
    assert lines[0].startswith(f"{n}|nightly|lc|first try|")
    assert lines[2] == f"{n}.0|probe|lc||{kit.probe}"  # no argument of a redacted step is kept
    assert "s3cret" not in out


@sqlite_only
def test_a_corrupt_database_never_changes_the_status(db: str, kit: ProbeKit) -> None:
    Path(db).write_bytes(b"definitely not SQLite\n" * 200)
    done = subprocess.run(
        [*EXITWRAP, str(kit.probe), "exit", "3"],
        check=False,
        env=wrapped_env(db),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 3
    assert done.stderr.startswith("exitwrap: warning: not recorded: ")
    assert len(done.stderr.splitlines()) == 1 and "not a database" in done.stderr


@needs_root
def test_an_unwritable_database_never_changes_the_status(open_dir: Path, kit: ProbeKit) -> None:
    readonly = str(open_dir / "readonly.db")
    record(readonly, [str(kit.probe), "exit", "0"])
    os.chmod(readonly, 0o644)
    probe = open_dir / "probe"  # the kit lives in root's private cache
    shutil.copy2(kit.probe, probe)
    done = run_as_nobody([*EXITWRAP, str(probe), "signal", "15"], database=readonly)
    assert done.returncode == 128 + 15
    assert done.stderr.startswith("exitwrap: warning: not recorded: ")
    assert len(done.stderr.splitlines()) == 1 and "read-only" in done.stderr


@sqlite_only  # a server's: tests/test_accounting_hosts.py, with real hosts
def test_cancel_of_a_job_on_another_host_records_it_and_says_so(db: str) -> None:
    recorder = Recorder(db)
    ticket = recorder.begin_own_job(["job.sh"])  # led by this test process...
    recorder.close()
    assert rows(db, "SELECT node FROM jobs") == [(os.uname().nodename,)]  # (ingested)
    # ...as if on a node sharing the file over NFS
    change(db, "UPDATE jobs SET node = 'node7'")
    change(db, "UPDATE steps SET node = 'node7'")
    status, out, err = exitcodes("cancel", str(ticket.job_id))
    assert status == 0 and out == ""
    line = one_line_error(err, "exitcodes cancel")
    assert f"job {ticket.job_id} runs on node7: recorded as cancelled" in line
    assert "not signalled" in line and "run exitcodes cancel on node7" in line
    assert job(db, ticket.job_id).cancel_uid == os.getuid()  # the request is on record


def _batch_in_a_pid_namespace(db: str, tmp_path: Path, body: str) -> subprocess.Popen[str]:
    """``exitwrap --batch`` of a script, as the init of a PID namespace of its own."""
    script = tmp_path / "job.sh"
    script.write_text("#!/bin/sh\n" + body)
    script.chmod(0o755)
    return subprocess.Popen(
        ["unshare", "--fork", "--pid", "--mount-proc", *EXITWRAP, "--batch", str(script)],
        env=wrapped_env(db),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
    )


@needs_root
@pytest.mark.skipif(shutil.which("unshare") is None, reason="needs unshare (util-linux)")
def test_a_job_in_another_pid_namespace_runs_on_as_the_host_reads_it(
    db: str, kit: ProbeKit, tmp_path: Path
) -> None:
    go = tmp_path / "go"
    body = (
        f"exitwrap {kit.probe} exit 0\n"
        "echo STEP0\n"
        f'i=0; while [ ! -e {go} ] && [ "$i" -lt 1200 ]; do sleep 0.05; i=$((i+1)); done\n'
        f"exitwrap {kit.probe} exit 3\n"
        "exit 0\n"
    )
    process = _batch_in_a_pid_namespace(db, tmp_path, body)
    try:
        assert read_line(process, "STEP0") == "STEP0"
        running = job(db, 1)  # read (and ingested) from the host, where its pid 1 is init
        assert (running.pid, running.state) == (1, "RUNNING")
        assert [s.state for s in running.steps] == ["RUNNING", "COMPLETED"]
        go.touch()
        _, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=60)
    assert process.returncode == 0, err
    assert summary(db, 1) == [
        ("1", "COMPLETED", "0:0"),
        ("1.batch", "COMPLETED", "0:0"),
        ("1.0", "COMPLETED", "0:0"),
        ("1.1", "FAILED", "3:0"),  # the same job's next step, not a job of its own
    ]


@needs_root
@pytest.mark.skipif(shutil.which("unshare") is None, reason="needs unshare (util-linux)")
def test_a_cancel_from_outside_a_jobs_pid_namespace_records_it_and_says_so(
    db: str, kit: ProbeKit, tmp_path: Path
) -> None:
    process = _batch_in_a_pid_namespace(
        db, tmp_path, f"echo STARTED\nexitwrap {kit.probe} sleep 60\n"
    )
    try:
        assert read_line(process, "STARTED") == "STARTED"
        assert wait_until(lambda: _running_steps(db, 1) == 1)
        status, out, err = exitcodes("cancel", "1")
        assert (status, out) == (0, "")
        line = one_line_error(err, "exitcodes cancel")
        assert "job 1 runs in another PID namespace on this host: recorded as cancelled" in line
        if is_server(db):
            assert "the next push from that namespace signals its processes" in line
        else:
            assert "not signalled (run exitcodes cancel in its PID namespace)" in line
        assert job(db, 1).cancel_uid == 0  # the request is on record...
        assert process.poll() is None  # ...and nothing outside the namespace was signalled
    finally:
        for inside in _children(process.pid):  # the namespace's init: all of it goes with it
            os.kill(inside, signal.SIGKILL)
        process.wait(timeout=60)
