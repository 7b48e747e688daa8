"""sacct, scontrol show, sjobexitmod and scancel as a Slurm user types them, on records of real
runs (no cluster needed: tests/test_slurm.py compares with a real Slurm 22.05).

Expected forms come from 22.05.8 itself (observations: its --helpformat, -b and -l lists,
SLURM_TIME_FORMAT's forms from src/common/parse_time.c, a running job's ExitCode 0:0).
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from exitwrap.accounting.cancel import parse_signal
from exitwrap.accounting.field_catalog import BRIEF, CATALOG, LONG
from exitwrap.accounting.recorder import Recorder
from exitwrap.errors import UsageError
from exitwrap.observe.probe import ProbeKit
from tests.accounting_helpers import (
    batch_job,
    begin,
    change,
    exitcodes,
    one_line_error,
    record,
    rows,
    spool_of,
    wrap,
)
from tests.accounting_helpers import wrapped_env as env_for
from tests.conftest import sqlite_only
from tests.wrap_helpers import BIN, EXITWRAP, exitwrap, wait_until

EVERY = ",".join(name for name, _, _ in CATALOG)


def _parsable(*args: str) -> list[dict[str, str]]:
    status, out, err = exitcodes("sacct", "-P", *args)
    assert (status, err) == (0, ""), err
    header, *rows = out.splitlines()
    return [dict(zip(header.split("|"), row.split("|"))) for row in rows]


def test_every_field_of_22_05_is_taken_from_format_and_sacct_format(
    db: str, kit: ProbeKit, monkeypatch: pytest.MonkeyPatch
) -> None:
    job = batch_job(db, [[str(kit.probe), "exit", "3"]], name="nightly", account="lab")
    rows = _parsable("-j", str(job), "-o", EVERY)
    assert [list(row) for row in rows] == [EVERY.split(",")] * 3
    line, _, step = rows
    assert (line["JobName"], line["Account"], line["Group"]) == ("nightly", "lab", "root")
    assert line["Timelimit"] == "UNLIMITED" and line["Partition"] == line["Cluster"] == ""
    assert line["AllocCPUS"] == str(len(os.sched_getaffinity(0)))
    cpu_time = int(line["ElapsedRaw"]) * int(line["AllocCPUS"])  # sacct(1): Elapsed * CPUs
    assert line["CPUTimeRAW"] == str(cpu_time)
    assert step["ExitCode"] == "3:0" and step["MaxRSS"] and step["NTasks"] == "1"
    assert step["User"] == step["Partition"] == step["Timelimit"] == step["WorkDir"] == ""
    unset = ("AllocTRES", "QOS", "ConsumedEnergy", "ReqMem", "Reservation", "AveCPU", "Flags")
    assert all(line[name] == step[name] == "" for name in unset)
    monkeypatch.setenv("SACCT_FORMAT", "JobID,JobName,Partition,Account,AllocCPUS,State,ExitCode")
    status, out, _ = exitcodes("sacct", "-j", str(job))
    assert status == 0
    header, dashes, *_ = out.splitlines()
    assert header.split() == ["JobID", "JobName", "Partition", "Account", "AllocCPUS", "State",
                              "ExitCode"]  # fmt: skip
    assert dashes.split() == ["-" * 12, "-" * 10, "-" * 10, "-" * 10, "-" * 10, "-" * 10, "-" * 8]
    # a site's SACCT_FORMAT gives way to -b and -l, which -o precedes
    assert list(_parsable("-j", str(job), "-b")[0]) == BRIEF.split(",")
    assert list(_parsable("-j", str(job), "-l")[0]) == LONG.split(",")
    both = _parsable("-j", str(job), "-b", "-o", "JobName")[0]
    assert list(both) == ["JobName", "JobID", "State", "ExitCode"]


def test_helpformat_is_22_05s_own_layout() -> None:
    status, out, _ = exitcodes("sacct", "-e")
    assert status == 0
    lines = out.splitlines()
    assert (
        lines[0]
        == "Account             AdminComment        AllocCPUS           AllocNodes         "
    )
    assert lines[-1] == "WorkDir            " and len(lines) == 28


def test_delimiter_name_and_the_options_with_nothing_to_do(db: str, kit: ProbeKit) -> None:
    first = batch_job(db, [[str(kit.probe), "exit", "0"]], name="alpha")
    batch_job(db, [[str(kit.probe), "exit", "0"]], name="beta")
    status, out, _ = exitcodes("sacct", "-X", "-p", "--delimiter=::", "--name", "alpha",
                               "-o", "JobID,JobName", "-D", "-L")  # fmt: skip
    assert (status, out) == (0, f"JobID::JobName::\n{first}::alpha::\n")
    status, out, _ = exitcodes("sacct", "-X", "-P", "--delimiter=", "-n", "--name=beta",
                               "-o", "JobName,State")  # fmt: skip
    assert out == "betaCOMPLETED\n"
    assert _parsable("-X", "-M", "some-cluster", "-o", "JobID") == []  # none ran in a cluster
    assert len(_parsable("-X", "-M", "none", "-o", "JobID")) == 2


def test_truncate_cuts_start_and_end_to_the_window(
    db: str, kit: ProbeKit, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SLURM_TIME_FORMAT", "%s")
    job = record(db, [str(kit.probe), "sleep", "3"])
    fields = ("-X", "-j", str(job.job_id), "-o", "Start,End,ElapsedRaw")
    (whole,) = _parsable(*fields)
    start, end = int(whole["Start"]), int(whole["End"])
    assert end - start >= 2
    low, high = (
        time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(start + 1)),
        time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(end - 1)),
    )
    (cut,) = _parsable(*fields, "-T", "-S", low, "-E", high)
    assert (int(cut["Start"]), int(cut["End"])) == (start + 1, end - 1)
    assert int(cut["ElapsedRaw"]) == end - start - 2
    (uncut,) = _parsable(*fields, "-S", low, "-E", high)
    assert uncut == whole


def test_slurm_time_format_as_slurm_make_time_str(
    db: str, kit: ProbeKit, monkeypatch: pytest.MonkeyPatch
) -> None:
    job = record(db, [str(kit.probe), "exit", "0"])
    (standard,) = _parsable("-X", "-j", str(job.job_id), "-o", "Start")
    monkeypatch.setenv("SLURM_TIME_FORMAT", "relative")
    (today,) = _parsable("-X", "-j", str(job.job_id), "-o", "Start")
    assert today["Start"] == standard["Start"].split("T")[1]  # today: %H:%M:%S
    monkeypatch.setenv("SLURM_TIME_FORMAT", "%s")
    (epoch,) = _parsable("-X", "-j", str(job.job_id), "-o", "Start")
    assert abs(int(epoch["Start"]) - time.time()) < 600
    monkeypatch.setenv("SLURM_TIME_FORMAT", "bogus")
    status, out, err = exitcodes("sacct", "-X", "-P", "-j", str(job.job_id), "-o", "Start")
    assert status == 0
    assert err == "exitcodes sacct: warning: invalid SLURM_TIME_FORMAT = 'bogus'\n"
    assert out.splitlines()[1] == standard["Start"]


def test_a_running_job_and_step_show_exit_code_0_0(db: str, kit: ProbeKit) -> None:
    recorder = Recorder(db)
    try:
        ticket = recorder.begin_own_job(["job.sh"])  # alive: this test
        step, _ = begin(recorder, ["sleep"], parent_job=ticket.job_id, time_limit=90.0)
        rows = _parsable("-j", str(ticket.job_id), "-o", "JobID,State,ExitCode,DerivedExitCode")
        assert [(r["State"], r["ExitCode"]) for r in rows] == [("RUNNING", "0:0")] * 3
        status, shown, _ = exitcodes("show", "step", f"{ticket.job_id}.{step.step}")
        assert status == 0 and "TimeLimit=00:01:30" in shown and "ExitCode=0:0" in shown
        recorder.finish(step, wait_status=0, timed_out=False, rusage=None)
        recorder.finish(ticket, wait_status=0, timed_out=False, rusage=None)
    finally:
        recorder.close()


def test_timelimit_is_the_timeout_of_a_job_exitwrap_ran(db: str, kit: ProbeKit) -> None:
    done = exitwrap("--timeout", "90", str(kit.probe), "exit", "0", env=env_for(db))
    assert done.returncode == 0
    (row,) = _parsable("-X", "-o", "Timelimit,TimelimitRaw")
    assert (row["Timelimit"], row["TimelimitRaw"]) == ("00:01:30", "2")
    status, shown, _ = exitcodes("show", "job", "1")
    assert status == 0 and "TimeLimit=00:01:30" in shown


def test_slurm_exitcodes_prints_what_22_05_prints(db: str, kit: ProbeKit) -> None:
    exitwrap(str(kit.probe), "exit", "137", env=env_for(db))
    exitwrap("/nonexistent/command", env=env_for(db))
    exitwrap(str(kit.file("not-executable")), env=env_for(db))
    fields = ("-o", "JobID,ExitCode,DerivedExitCode")
    assert [(r["ExitCode"], r["DerivedExitCode"]) for r in _parsable("-X", *fields)] == [
        ("137:0", "137:0"), ("127:0", "127:0"), ("126:0", "126:0")]  # fmt: skip
    assert [(r["ExitCode"], r["DerivedExitCode"]) for r in _parsable("-X", "--slurm-exitcodes",
                                                                     *fields)] == [
        ("9:0", "137:0"), ("2:0", "2:0"), ("13:0", "13:0")]  # fmt: skip
    status, shown, _ = exitcodes("show", "job", "2", "--slurm-exitcodes")
    assert status == 0 and "ExitCode=2:0" in shown


def test_jobexitmod_list_of_an_unknown_job_prints_the_header_as_its_help_says() -> None:
    status, out, err = exitcodes("jobexitmod", "-l", "424242")
    names = ["JobID", "Account", "NNodes", "NodeList", "State", "ExitCode", "DerivedExitCode",
             "Comment"]  # fmt: skip
    dashes = ["-" * n for n in (12, 10, 8, 15, 10, 8, 15, 14)]
    assert (status, err) == (0, "") and out.split() == [*names, *dashes]
    status, helped, _ = exitcodes("jobexitmod", "--help")
    assert "-l of an unknown job prints the header alone" in " ".join(helped.split())


def _running_job(
    db: str, tmp_path: Path, name: str, command: str
) -> tuple[subprocess.Popen[str], int]:
    """A batch job whose one step runs command, once that step shows RUNNING."""
    script = tmp_path / f"{name}.sh"
    script.write_text(f"#!/bin/sh\nexitwrap {command}\n")
    process = subprocess.Popen(
        [*EXITWRAP, "--batch", "-J", name, str(script)],
        env=env_for(db), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert process.stderr is not None
    job_id = int(process.stderr.readline().split()[-1])

    def step_runs() -> bool:
        rows = _parsable("-j", str(job_id), "-o", "State")
        return len(rows) == 3 and rows[2]["State"] == "RUNNING"

    assert wait_until(step_runs)
    return process, job_id


def _ended(process: subprocess.Popen[str]) -> None:
    try:
        process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_cancel_signal_only_signals_as_scancel_s(db: str, kit: ProbeKit, tmp_path: Path) -> None:
    usr1 = int(signal.SIGUSR1)
    process, job_id = _running_job(db, tmp_path, "signalled", f"{kit.probe} catch {usr1} 300")
    try:
        status, _, err = exitcodes("cancel", "-s", "KILL", str(job_id))
        assert status == 2 and "not one exitwrap passes on" in one_line_error(
            err, "exitcodes cancel"
        )
        assert exitcodes("cancel", "-s", "SIGUSR1", str(job_id)) == (0, "", "")
        assert process.stdout is not None
        assert process.stdout.readline().startswith("READY")
        assert process.stdout.readline() == f"CAUGHT {usr1} 1\n"  # passed on, once
    finally:
        _ended(process)
    rows = _parsable("-j", str(job_id), "-o", "State,ExitCode")
    # the probe died of the signal (its step CANCELLED, no one said to have cancelled it) and
    # the script ended as its shell reported that: 128+10
    shell = f"{128 + usr1}:0"
    assert [(r["State"], r["ExitCode"]) for r in rows] == [
        ("FAILED", shell), ("FAILED", shell), ("CANCELLED", f"0:{usr1}")]  # fmt: skip


def test_cancel_signal_takes_every_signal_exitwrap_passes_on() -> None:
    """exitwrap forwards every signal it can catch but CHLD (wrap/signals.py): -s takes any of
    those, by name or number, and refuses the three it cannot pass on."""
    assert parse_signal("ALRM") == parse_signal("sigalrm") == parse_signal("14") == signal.SIGALRM
    assert parse_signal("PWR") == signal.SIGPWR and parse_signal("TSTP") == signal.SIGTSTP
    for refused in ("KILL", "SIGSTOP", "CHLD", "9"):
        with pytest.raises(UsageError, match="not one exitwrap passes on"):
            parse_signal(refused)
    for invalid in ("NOSUCH", "99", "9" * 5000, "-1", ""):
        with pytest.raises(UsageError, match="invalid signal"):
            parse_signal(invalid)


def test_cancel_by_name_and_user_as_scancel(db: str, kit: ProbeKit, tmp_path: Path) -> None:
    process, job_id = _running_job(db, tmp_path, "sleeper", f"{kit.probe} sleep 60")
    try:
        assert exitcodes("cancel", "-n", "nosuch") == (0, "", "")  # no running job of that name
        assert exitcodes("cancel", "-u", "nobody", str(job_id)) == (0, "", "")  # not nobody's
        assert exitcodes("cancel", "-n", "sleeper", "-u", "root") == (0, "", "")
        process.communicate(timeout=60)
    finally:
        _ended(process)
    (row,) = _parsable("-X", "-j", str(job_id), "-o", "State")
    assert row["State"] == "CANCELLED by 0"
    status, _, err = exitcodes("cancel")
    assert status == 2 and "no job id given (nor -n or -u)" in err


def test_job_name_names_the_step_and_wrap_counts_cpus(db: str, kit: ProbeKit) -> None:
    recorder = Recorder(db)
    try:
        ticket, _, _ = wrap(recorder, [str(kit.probe), "exit", "0"])
    finally:
        recorder.close()
    (row, step) = _parsable("-j", str(ticket.job_id), "-o", "JobID,NCPUS,AllocNodes,NodeList")
    assert row["NCPUS"] == step["NCPUS"] == str(len(os.sched_getaffinity(0)))
    assert row["AllocNodes"] == "1" and row["NodeList"] == os.uname().nodename


def test_inside_a_slurm_job_its_steps_are_the_slurm_jobs_and_signal_deaths_are_raised_again(
    db: str, kit: ProbeKit, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What a batch script's plain exitwrap calls see (SLURM_JOB_ID without SLURM_STEP_ID):
    no cluster answers here, so the job's own record stays as recorded."""
    monkeypatch.setenv("SLURM_CONF", "/nonexistent/slurm.conf")  # this machine's sacct: no answer
    slurm = {**env_for(db), "SLURM_JOB_ID": "77", "SLURM_CLUSTER_NAME": "lab",
             "SLURMD_NODENAME": "node7", "SLURM_CONF": "/nonexistent/slurm.conf"}  # fmt: skip
    kill = (str(kit.probe), "signal", str(int(signal.SIGKILL)))
    assert exitwrap(*kill, env=slurm).returncode == -signal.SIGKILL  # re-raised by default
    assert exitwrap("--signal-style=shell", *kill, env=slurm).returncode == 128 + signal.SIGKILL
    assert exitwrap("-J", "prep", str(kit.probe), "exit", "3", env=slurm).returncode == 3
    fields = ("-o", "JobID,JobName,State,ExitCode,NodeList,Cluster")
    rows = [tuple(r.values()) for r in _parsable("-j", "77", *fields)]
    probe = Path(kit.probe).name
    assert rows == [
        ("77", probe, "RUNNING", "0:0", "node7", "lab"),  # Slurm's to end: sacct says when
        ("77.0", probe, "CANCELLED", "0:9", "node7", "lab"),
        ("77.1", probe, "CANCELLED", "0:9", "node7", "lab"),
        ("77.2", "prep", "FAILED", "3:0", "node7", "lab"),
    ]
    assert _parsable("-j", "77", "-M", "none", *fields) == []  # exitwrap's own jobs only
    assert len(_parsable("-j", "77", "-M", "lab", *fields)) == 4


@sqlite_only
def test_a_slurm_jobs_record_whose_times_slurm_changed_keeps_its_id(
    db: str, kit: ProbeKit, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Slurm's end of a Slurm job's record (slurm_settle.py) brings Slurm's times while the
    record's begin still waits in the spool: the next ingest knows it by its Slurm job, not
    by its start time, so nothing is renumbered, and the begin then leaves the spool."""
    monkeypatch.setenv("SLURM_CONF", "/nonexistent/slurm.conf")  # no cluster answers here
    slurm = {**env_for(db), "SLURM_JOB_ID": "77", "SLURM_CLUSTER_NAME": "lab",
             "SLURM_CONF": "/nonexistent/slurm.conf"}  # fmt: skip
    assert exitwrap(str(kit.probe), "exit", "0", env=slurm).returncode == 0
    assert rows(db, "SELECT job_id, state FROM jobs") == [(1, "RUNNING")]
    assert [path.name for path in spool_of(db).iterdir() if path.suffix == ".job"] == ["1.job"]
    stored = change(db, "UPDATE jobs SET start_time = start_time - 60, end_time = start_time,"
                        " state = 'COMPLETED' WHERE slurm_job_id = 77")  # fmt: skip
    assert stored == 1  # as slurm_settle.py stores Slurm's end
    assert rows(db, "SELECT job_id, state FROM jobs") == [(1, "COMPLETED")]
    assert rows(db, "SELECT count(*) FROM renumbered") == [(0,)]
    assert [path.name for path in spool_of(db).iterdir() if path.suffix == ".job"] == []


@pytest.mark.parametrize("backend", ["postgresql"])
def test_a_slurm_job_recorded_on_two_hosts_of_a_server_shows_as_one_job(
    db: str, kit: ProbeKit, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two hosts (each its own queue, so its own origin) ran exitwrap inside Slurm job 77: one
    job under Slurm's id, node 1's steps numbered from 1000000, and the job's node the batch
    host's (node 0) though node 1's part reached the server first."""
    monkeypatch.setenv("SLURM_CONF", "/nonexistent/slurm.conf")  # no cluster answers here
    slurm = {"SLURM_JOB_ID": "77", "SLURM_CLUSTER_NAME": "lab", "SLURM_CONF": "/nonexistent"}
    hosts = {
        node: {**env_for(db), **slurm, "SLURM_NODEID": str(node), "SLURMD_NODENAME": f"n{node}",
               "XDG_STATE_HOME": str(tmp_path / f"host{node}")}
        for node in (0, 1)
    }  # fmt: skip
    for node, codes in ((1, (5,)), (0, (0, 3))):
        for code in codes:
            done = exitwrap(str(kit.probe), "exit", str(code), env=hosts[node])
            assert done.returncode == code
        # the host's part reaches the server at its push (each step's end started one in the
        # background already): node 1's first
        done = subprocess.run([str(BIN / "exitcodes"), "db", "push"], env=hosts[node],
                              capture_output=True, text=True, timeout=60, check=False)  # fmt: skip
        assert done.returncode == 0, done.stderr
    fields = ("-o", "JobID,State,ExitCode,NodeList")
    rows = [tuple(r.values()) for r in _parsable("-j", "77", *fields)]
    assert rows == [
        ("77", "RUNNING", "0:0", "n0"),  # Slurm's to end
        ("77.0", "COMPLETED", "0:0", "n0"),
        ("77.1", "FAILED", "3:0", "n0"),
        ("77.1000000", "FAILED", "5:0", "n1"),
    ]
    status, shown, _ = exitcodes("show", "step", "77.1000000")
    assert status == 0 and "ExitCode=5:0" in shown
    (row,) = _parsable("-X", "-j", "77", "-o", "JobID,DerivedExitCode")
    assert row["DerivedExitCode"] == "5:0"  # over both parts


def test_exitwraps_own_job_and_a_slurm_job_of_the_same_id(
    db: str, kit: ProbeKit, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SLURM_CONF", "/nonexistent/slurm.conf")  # no cluster answers here
    slurm = {**env_for(db), "SLURM_JOB_ID": "2", "SLURM_CLUSTER_NAME": "lab",
             "SLURM_CONF": "/nonexistent/slurm.conf"}  # fmt: skip
    assert exitwrap(str(kit.probe), "exit", "0", env=slurm).returncode == 0  # Slurm's job 2
    assert exitwrap(str(kit.probe), "exit", "4", env=env_for(db)).returncode == 4  # exitwrap's 2
    fields = ("-o", "JobID,Cluster,ExitCode")
    both = [tuple(r.values()) for r in _parsable("-X", "-j", "2", *fields)]
    assert both == [("2", "lab", "0:0"), ("2", "", "4:0")]  # the Cluster field tells them apart
    own = [tuple(r.values()) for r in _parsable("-X", "-j", "2", "-M", "none", *fields)]
    assert own == [("2", "", "4:0")]
    status, shown, _ = exitcodes("show", "job", "2")
    assert status == 0 and shown.count("JobId=2 ") == 2  # each, as scontrol -M shows each
    status, _, err = exitcodes("cancel", "2")
    assert status == 1 and "(clusters: lab, none): give -M CLUSTER" in err
    status, _, err = exitcodes("jobexitmod", "-e", "1", "2")
    assert status == 1 and "(clusters: lab, none): give -c CLUSTER" in err
    assert exitcodes("jobexitmod", "-c", "none", "-e", "1", "2")[0] == 0
