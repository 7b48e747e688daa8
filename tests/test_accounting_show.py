"""exitcodes show job|step: scontrol's layout, with real recorded statuses.

Layout source: Slurm's slurm_sprint_job_info (src/api/job_info.c): several
Key=Value pairs a line, continuation lines indented three spaces,
``DerivedExitCode`` on its own line in detail mode.
"""

from __future__ import annotations

import os

import pytest

from exitwrap.observe.probe import ProbeKit
from tests.accounting_helpers import batch_job, exitcodes, one_line_error, record


def _pairs(text: str) -> dict[str, str]:
    return dict(
        word.split("=", 1) for line in text.splitlines() for word in line.split() if "=" in word
    )


def test_show_job_has_scontrols_layout_and_the_exit_codes(db: str, kit: ProbeKit) -> None:
    job = batch_job(
        db, [[str(kit.probe), "exit", "3"], [str(kit.probe), "signal", "9"]], script_status=2 << 8
    )
    status, out, err = exitcodes("show", "job", str(job))
    assert status == 0 and err == ""
    lines = out.split("\n")
    assert lines[0] == f"JobId={job} JobName=job.sh"
    assert all(line.startswith("   ") for line in lines[1:-2]) and lines[-2:] == ["", ""]
    pairs = _pairs(out)
    assert pairs["JobState"] == "FAILED" and pairs["Reason"] == "NonZeroExitCode"
    assert pairs["ExitCode"] == "2:0" and pairs["DerivedExitCode"] == "3:0"
    assert pairs["BatchFlag"] == "1" and pairs["NodeList"] == os.uname().nodename
    assert pairs["UserId"].endswith(f"({os.getuid()})")
    assert pairs["Command"] == "job.sh" and pairs["WorkDir"] == os.getcwd()


def test_show_step_reports_the_signal_death(db: str, kit: ProbeKit) -> None:
    job = batch_job(db, [[str(kit.probe), "signal", "15"]])
    status, out, _ = exitcodes("show", "step", f"{job}.0")
    assert status == 0 and out.startswith(f"StepId={job}.0 UserId={os.getuid()} ")
    pairs = _pairs(out)
    assert pairs["State"] == "CANCELLED" and pairs["ExitCode"] == "0:15"
    assert pairs["Name"] == os.path.basename(str(kit.probe))
    batch = _pairs(exitcodes("show", "step", f"{job}.batch")[1])
    assert batch["StepId"] == f"{job}.batch" and batch["ExitCode"] == "0:0"


def test_signal_death_of_a_one_step_job_names_the_signal(db: str, kit: ProbeKit) -> None:
    job = record(db, [str(kit.probe), "signal", "9"]).job_id
    pairs = _pairs(exitcodes("show", "job", str(job))[1])
    assert pairs["JobState"] == "FAILED" and pairs["Reason"] == "RaisedSignal:9(Killed)"
    assert pairs["ExitCode"] == "0:9" and pairs["DerivedExitCode"] == "0:9"


@pytest.mark.parametrize(
    ("args", "status", "words"),
    [
        (["job", "999999"], 1, "Invalid job id specified"),
        (["step", "{job}.5"], 1, "Invalid job id specified"),
        (["job", "{job}.0"], 2, "show job wants JOBID"),
        (["step", "{job}"], 2, "show step wants JOBID.STEP"),
        (["jobs", "{job}"], 2, "usage"),
        (["job"], 2, "usage"),
        (["job", "x;y"], 2, "invalid job id"),
        (["step", "{job}.1e3"], 2, "invalid job step id"),
    ],
)
def test_unknown_and_malformed_ids(
    db: str, kit: ProbeKit, args: list[str], status: int, words: str
) -> None:
    job = str(record(db, [str(kit.probe), "exit", "0"]).job_id)
    got, out, err = exitcodes("show", *(a.replace("{job}", job) for a in args))
    assert got == status and out == ""
    assert words in one_line_error(err, "exitcodes show")
