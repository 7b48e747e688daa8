"""exitwrap's side of the accounting: one record call before the start, one after the reap.

The accounting's own end-to-end rules (states, derived codes, cancel, NODE_FAIL, corrupt
and read-only databases) are in tests/test_accounting_exitwrap.py; these are the wrapper's:
what the child is told, what turns recording off, what a run that never started records,
and that a record never costs a status.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from pathlib import Path

import pytest

from exitwrap.accounting.records import JobRecord, Selection
from exitwrap.accounting.sacct import query
from exitwrap.observe.probe import ProbeKit
from tests.wrap_helpers import EXITWRAP, exitwrap, wait_until


@pytest.fixture
def database(tmp_path: Path) -> str:
    return str(tmp_path / "accounting.db")


def _env(database: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EXITWRAP_")}
    return {**env, "EXITWRAP_DB": database, **extra}


def _jobs(database: str) -> list[JobRecord]:
    return query(database, Selection())


def _child_environment(stdout: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in stdout.splitlines() if line.startswith("EXITWRAP_"))


def test_a_one_step_job_tells_the_child_its_ids(database: str) -> None:
    done = exitwrap("env", env=_env(database))
    assert done.returncode == 0 and done.stderr == ""
    (job,) = _jobs(database)
    told = _child_environment(done.stdout)
    assert told == {"EXITWRAP_DB": database, "EXITWRAP_JOB_ID": str(job.job_id),
                    "EXITWRAP_STEP_ID": "0"}  # fmt: skip
    assert [s.step_id for s in job.steps] == ["0"]


def test_a_batch_job_says_its_id_and_its_steps_join_it(
    database: str, kit: ProbeKit, tmp_path: Path
) -> None:
    script = tmp_path / "job.sh"
    script.write_text(f"#!/bin/sh\nenv\n{' '.join(EXITWRAP)} {kit.probe} exit 3\nexit 0\n")
    script.chmod(0o755)
    done = exitwrap("--batch", str(script), env=_env(database))
    assert done.returncode == 0
    (job,) = _jobs(database)
    assert done.stderr == f"Submitted batch job {job.job_id}\n"
    assert _child_environment(done.stdout)["EXITWRAP_JOB_ID"] == str(job.job_id)
    assert "EXITWRAP_STEP_ID" not in _child_environment(done.stdout)  # the batch step: no step id
    steps = {s.step_id: s.exit_status for s in job.steps}
    assert steps == {"batch": 0, "0": 3 << 8}


def test_quiet_batch_says_nothing(database: str, tmp_path: Path) -> None:
    script = tmp_path / "job.sh"
    script.write_text("#!/bin/sh\nexit 4\n")
    script.chmod(0o755)
    done = exitwrap("--batch", "-q", str(script), env=_env(database))
    assert (done.returncode, done.stderr) == (4, "")
    assert len(_jobs(database)) == 1


@pytest.mark.parametrize(
    ("args", "extra"),
    [
        (["--no-record"], {}),
        ([], {"EXITWRAP_DB": "off"}),
        (["--batch", "-q"], {"EXITWRAP_DB": "off"}),
    ],
    ids=["--no-record", "EXITWRAP_DB=off", "batch-off"],
)  # fmt: skip
def test_recording_off_records_nothing_and_tells_the_child_nothing(
    database: str, args: list[str], extra: dict[str, str]
) -> None:
    env = shutil.which("env")  # --batch takes a path, as sbatch does: no PATH lookup
    assert env is not None
    done = exitwrap(*args, env, env=_env(database, **extra))
    assert done.returncode == 0 and done.stderr == ""
    assert "EXITWRAP_JOB_ID" not in _child_environment(done.stdout)
    assert not Path(database).exists()


def test_a_command_that_never_started_is_recorded_with_its_status(database: str) -> None:
    done = exitwrap("exitwrap-no-such-command", env=_env(database))
    assert done.returncode == 127
    (job,) = _jobs(database)
    assert job.exit_status == 127 << 8 and job.steps[0].exit_status == 127 << 8


def test_resource_use_from_wait4_is_recorded(database: str, kit: ProbeKit) -> None:
    assert exitwrap(str(kit.probe), "exit", "0", env=_env(database)).returncode == 0
    (step,) = _jobs(database)[0].steps
    assert step.max_rss_kib is not None and step.max_rss_kib > 0
    assert step.user_cpu is not None and step.system_cpu is not None


def test_a_malformed_job_id_warns_once_and_starts_a_new_job(database: str, kit: ProbeKit) -> None:
    env = _env(database, EXITWRAP_JOB_ID="12; rm -rf /")
    done = exitwrap(str(kit.probe), "exit", "6", env=env)
    assert done.returncode == 6
    assert done.stderr.splitlines() == [
        "exitwrap: warning: EXITWRAP_JOB_ID='12; rm -rf /' is not a job id; recording a new job"
    ]
    assert len(_jobs(database)) == 1


@pytest.mark.parametrize("style", ["shell", "reraise"])
def test_an_unusable_database_warns_once_and_keeps_the_status(
    tmp_path: Path, kit: ProbeKit, style: str
) -> None:
    # a directory where the database file should be: no user can write that, root included
    unusable = tmp_path / "dir.db"
    unusable.mkdir()
    done = exitwrap(f"--signal-style={style}", str(kit.probe), "signal", "15",
                    env=_env(str(unusable)))  # fmt: skip
    assert done.returncode == (143 if style == "shell" else -15)
    (line,) = done.stderr.splitlines()
    assert line.startswith(f"exitwrap: warning: not recorded: {unusable}")


def _blocked(pid: int, number: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    bits = int(status.split("SigBlk:\t")[1].split()[0], 16)
    return bool(bits >> (number - 1) & 1)


def test_a_termination_request_before_the_start_cancels_the_command(
    database: str, tmp_path: Path
) -> None:
    marker = tmp_path / "ran"
    assert exitwrap("true", env=_env(database)).returncode == 0  # the spool exists
    lock = os.open(database + ".spool/lock", os.O_RDWR)
    os.lockf(lock, os.F_LOCK, 0)  # exitwrap's begin must wait for the spool's lock
    try:
        process = subprocess.Popen([*EXITWRAP, "touch", str(marker)], env=_env(database),
                                   stderr=subprocess.PIPE, text=True)  # fmt: skip
        assert wait_until(lambda: _blocked(process.pid, signal.SIGTERM))
        process.send_signal(signal.SIGTERM)  # queued: the command has not started
    finally:
        os.close(lock)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 143, err
    assert not marker.exists()
    cancelled = [j for j in _jobs(database) if j.command.startswith("touch")]
    assert all(j.exit_status == signal.SIGTERM for j in cancelled)
