"""exitcodes sacct against real recorded processes: Slurm 22.05's table, parsable and JSON forms.

Expected layouts come from Slurm's source (src/sacct/sacct.c field widths,
src/common/print_fields.c alignment and cutting) and the examples of Slurm's "Job Exit Codes" page;
every status shown was observed from a real child.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from exitwrap.accounting.backend import catch_up
from exitwrap.accounting.location import ID_BLOCK, is_server, spool_database
from exitwrap.accounting.recorder import Recorder
from exitwrap.observe.probe import ProbeKit
from tests.accounting_helpers import (
    RECORD_AS_USER,
    as_member,
    batch_job,
    change,
    exitcodes,
    needs_root,
    next_job_id,
    one_line_error,
    record,
    shared_database,
)

NODE = os.uname().nodename

# Slurm's "Job Exit Codes" page (its sacct example, printed in an older version's widths):
#   JobID   NNodes      State ExitCode DerivedExitCode        Comment
#   123          1  COMPLETED      0:0            49:0  out of memory
PAGE_HEADER = ["JobID", "NNodes", "State", "ExitCode", "DerivedExitCode", "Comment"]
PAGE_VALUES = ["123", "1", "COMPLETED", "0:0", "49:0", "out", "of", "memory"]


def test_the_pages_sacct_example_reproduces_in_slurm_22_05_widths(db: str, kit: ProbeKit) -> None:
    next_job_id(db, 123)
    job = batch_job(db, [[str(kit.probe), "exit", "0"]], account="lc")
    assert exitcodes("jobexitmod", "-e", "49", "-r", "out of memory", str(job))[0] == 0
    status, out, _ = exitcodes(
        "sacct", "-X", "-j", "123", "-o", "JobID,NNodes,State,ExitCode,DerivedExitcode,Comment"
    )
    assert status == 0
    assert out == (
        "JobID          NNodes      State ExitCode DerivedExitCode        Comment \n"
        "------------ -------- ---------- -------- --------------- -------------- \n"
        "123                 1  COMPLETED      0:0            49:0  out of memory \n"
    )
    header, _, values = out.splitlines()
    assert header.split() == PAGE_HEADER and values.split() == PAGE_VALUES


def test_table_aligns_cuts_and_ends_every_line_with_a_space(db: str, kit: ProbeKit) -> None:
    job = batch_job(db, [[str(kit.probe), "exit", "3"]], name="nightly-build-of-everything")
    status, out, _ = exitcodes(
        "sacct", "-j", str(job), "-o", "JobID,JobName,JobName%-30,JobName%0,Start%10,Elapsed%3"
    )
    assert status == 0
    header, dashes, job_line, batch_line, step_line = out.splitlines()
    assert all(line.endswith(" ") for line in out.splitlines())
    assert header.startswith("JobID        ") and "   JobName " in header
    assert dashes.split() == ["-" * 12, "-" * 10, "-" * 30, "-" * 10, "-" * 10, "---"]
    cells = job_line.split()
    assert cells[0] == str(job) and job_line.startswith(f"{job:<12} ")
    # print_fields_str: cut to width-1 and '+'; the %-30 column is wide enough to hold it all
    assert cells[1] == "nightly-b+" and cells[2] == "nightly-build-of-everything"
    assert cells[3] == "nightly-b+"  # %0 keeps the default width, as Slurm's atoi() does
    assert cells[4] == time.strftime("%Y-%m-%d")  # a date is cut silently, never '+'
    assert len(cells[5]) == 8  # a duration is printed whole, whatever the width
    assert batch_line.startswith(f"{job}.batch ") and step_line.startswith(f"{job}.0 ")


def test_parsable_forms(db: str, kit: ProbeKit) -> None:
    job = batch_job(db, [[str(kit.probe), "exit", "3"]], account="lc")
    spec = ["-j", str(job), "-o", "JobID,Account,ExitCode,Comment"]
    _, with_ending, _ = exitcodes("sacct", "-p", *spec)
    _, without, _ = exitcodes("sacct", "-P", *spec)
    _, bare, _ = exitcodes("sacct", "-P", "-n", *spec)
    assert with_ending.splitlines() == [
        "JobID|Account|ExitCode|Comment|",
        f"{job}|lc|0:0||",
        f"{job}.batch|lc|0:0||",
        f"{job}.0|lc|3:0||",
    ]
    assert without.splitlines() == [line[:-1] for line in with_ending.splitlines()]
    assert bare.splitlines() == without.splitlines()[1:]


def test_job_and_step_selection(db: str, kit: ProbeKit) -> None:
    job = batch_job(db, [[str(kit.probe), "exit", "1"], [str(kit.probe), "exit", "2"]])
    single = record(db, [str(kit.probe), "exit", "0"]).job_id

    def ids(*args: str) -> list[str]:
        status, out, _ = exitcodes("sacct", "-n", "-P", "-o", "JobID", *args)
        assert status == 0
        return out.split()

    assert ids("-j", str(job)) == [str(job), f"{job}.batch", f"{job}.0", f"{job}.1"]
    assert ids("-X", "-j", f"{job},{single}") == [str(job), str(single)]
    assert ids("-j", f"{job}.batch") == [f"{job}.batch"]
    assert ids("-j", f"{job}.1,{job}.0") == [f"{job}.0", f"{job}.1"]
    assert ids("-j", f"{job}.7") == []
    assert ids("-j", str(single)) == [str(single), f"{single}.0"]


def test_unknown_job_prints_the_header_alone(db: str, kit: ProbeKit) -> None:
    record(db, [str(kit.probe), "exit", "0"])
    status, out, err = exitcodes("sacct", "-j", "999999")
    assert status == 0 and err == ""
    header = ["JobID", "JobName", "Partition", "Account", "AllocCPUS", "State", "ExitCode"]
    assert out.splitlines()[0].split() == header  # Slurm's default format
    assert len(out.splitlines()) == 2


def test_nothing_recorded_yet_is_an_empty_table_and_creates_no_file(db: str) -> None:
    status, out, _ = exitcodes("sacct")
    assert status == 0 and len(out.splitlines()) == 2
    assert not os.path.exists(spool_database(db, os.environ))  # nor a queue for a server


@pytest.mark.parametrize(
    "args",
    [
        ["-o", ""],
        ["-o", ","],
        ["-o", "Foo"],
        ["-o", "Job\nID"],
        ["-o", "State%x"],
        ["-o", "State%"],
        ["-j", "1.x"],
        ["-j", ","],
        ["-j", "0"],
        ["-j", "-5"],
        ["-j", "1;rm -rf /"],
        ["-j", "$HOME"],
        ["-j", "١٢"],  # Arabic-Indic digits are not a job id
        ["-S", "yesterday"],
        ["-E", "2023-02-30"],
        ["-S", "now+'"],
        ["-s", "DONE"],
        ["-u", "no-such-user-é"],
        ["--bogus"],
        ["-Z"],
        ["--jobs"],
        ["--json=1"],
        ["--al"],  # ambiguous: --allusers, --allocations
        ["unexpected"],
    ],
)
def test_bad_input_is_one_line_and_status_2(db: str, args: list[str]) -> None:
    status, out, err = exitcodes("sacct", *args)
    assert status == 2 and out == ""
    one_line_error(err, "exitcodes sacct")


def test_unknown_field_points_to_the_list_of_fields(db: str) -> None:
    _, _, err = exitcodes("sacct", "-o", "JobID,Foo")
    line = one_line_error(err, "exitcodes sacct")
    assert "'Foo'" in line and "-e lists" in line
    listed = exitcodes("sacct", "-e")[1]
    assert listed.split()[:3] == ["Account", "AdminComment", "AllocCPUS"]
    assert len(listed.split()) == 109 and listed.splitlines()[0].endswith("AllocNodes         ")


def _at_next_second() -> float:
    """Wait until just past the next whole second, and return that second."""
    boundary = float(int(time.time()) + 1)
    time.sleep(boundary - time.time() + 0.05)
    return boundary


def test_time_window_selects_jobs_that_ran_in_it(db: str, kit: ProbeKit) -> None:
    early = record(db, [str(kit.probe), "exit", "0"]).job_id
    boundary = _at_next_second()
    late = record(db, [str(kit.probe), "exit", "0"]).job_id
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(boundary))

    def jobs(*args: str) -> list[str]:
        return exitcodes("sacct", "-X", "-n", "-P", "-o", "JobID", *args)[1].split()

    assert jobs() == [str(early), str(late)]  # since midnight, by default
    assert jobs("-S", stamp) == [str(late)]
    assert jobs("-S", "midnight", "-E", stamp) == [str(early)]
    assert jobs("-S", "now+1hours") == []


def test_state_filter_takes_names_and_abbreviations(db: str, kit: ProbeKit) -> None:
    ok = record(db, [str(kit.probe), "exit", "0"]).job_id
    failed = record(db, [str(kit.probe), "exit", "3"]).job_id
    wanted = f"{ok},{failed}"

    def jobs(states: str) -> list[str]:
        return exitcodes("sacct", "-X", "-n", "-P", "-o", "JobID", "-j", wanted, "-s", states)[
            1
        ].split()

    assert jobs("CD") == [str(ok)]
    assert jobs("failed") == [str(failed)]
    assert jobs("f,cd") == [str(ok), str(failed)]
    assert jobs("R,TO") == []


def _as_dict(out: str) -> dict[str, object]:
    loaded: dict[str, object] = json.loads(out)
    return loaded


def test_json_has_slurms_shape_and_correct_exit_codes(db: str, kit: ProbeKit) -> None:
    steps = [["exit", "0"], ["exit", "3"], ["exit", "-1"], ["signal", "9"]]
    job = batch_job(db, [[str(kit.probe), *s] for s in steps], name="js", comment="c")
    status, out, _ = exitcodes("sacct", "--json", "-j", str(job))
    assert status == 0
    document = _as_dict(out)
    assert document["errors"] == [] and isinstance(document["jobs"], list)
    (entry,) = document["jobs"]
    assert entry["job_id"] == job and entry["name"] == "js"
    assert entry["state"] == {"current": "COMPLETED", "reason": "None"}
    assert entry["comment"]["job"] == "c"
    assert entry["exit_code"] == {"status": "SUCCESS", "return_code": 0}
    assert entry["derived_exit_code"] == {"status": "ERROR", "return_code": 255}
    codes = {step["step"]["id"]: step["exit_code"] for step in entry["steps"]}
    assert codes[f"{job}.0"] == {"status": "SUCCESS", "return_code": 0}
    assert codes[f"{job}.1"] == {"status": "ERROR", "return_code": 3}
    assert codes[f"{job}.2"] == {"status": "ERROR", "return_code": 255}
    assert codes[f"{job}.3"] == {
        "status": "SIGNALED",
        "return_code": 0,
        "signal": {"id": 9, "name": "Killed"},
    }
    states = [step["state"] for step in entry["steps"]]
    assert states == ["COMPLETED", "COMPLETED", "FAILED", "FAILED", "CANCELLED"]


def test_recording_off_or_a_broken_database_is_one_line_and_status_1(
    db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EXITWRAP_DB", "off")
    status, _, err = exitcodes("sacct")
    assert status == 1 and "accounting is off" in one_line_error(err, "exitcodes sacct")

    corrupt = tmp_path / "corrupt.db"
    corrupt.write_bytes(b"\x00garbage, not SQLite\n" * 300)
    monkeypatch.setenv("EXITWRAP_DB", str(corrupt))
    status, _, err = exitcodes("sacct", "-j", "1")
    assert status == 1 and "not a database" in one_line_error(err, "exitcodes sacct")

    Recorder(db).close()
    if is_server(db):
        change(db, "UPDATE meta SET version = 42")
    else:
        change(db, "PRAGMA user_version = 42")
    monkeypatch.setenv("EXITWRAP_DB", db)
    status, _, err = exitcodes("sacct")
    assert status == 1 and "newer" in one_line_error(err, "exitcodes sacct")


SACCT_AS_USER = """
import sys
from exitwrap.cli.main import main
sys.exit(main(["sacct", "-X", "-n", "-P", "-o", "JobID,User", *sys.argv[1:]]))
"""


@needs_root
def test_users_see_their_own_jobs_by_default(
    open_dir: Path, kit: ProbeKit, monkeypatch: pytest.MonkeyPatch, db: str
) -> None:
    shared = shared_database(open_dir, db)  # a group-shared file's users are its members
    monkeypatch.setenv("EXITWRAP_DB", shared)
    mine = record(shared, [str(kit.probe), "exit", "0"]).job_id  # root records there too
    if is_server(db):
        assert catch_up(shared) is None  # pushed first: root's queue is the server's first origin
    theirs = as_member(RECORD_AS_USER, shared, database=shared)  # (a member ingests root's too)
    assert theirs.returncode == 0, theirs.stderr

    def listing(*args: str) -> list[str]:
        return exitcodes("sacct", "-X", "-n", "-P", "-o", "JobID,User", *args)[1].split()

    # nobody's id: on a server, the one its queue's origin gives the job it was first told
    (nobody_job,) = [line.split("|")[0] for line in listing("-u", "nobody")]
    assert int(nobody_job) == int(theirs.stdout) + (ID_BLOCK if is_server(db) else 0)
    assert listing() == [f"{mine}|root", f"{nobody_job}|nobody"]  # root sees everyone
    assert listing("-u", "0") == [f"{mine}|root"]
    seen = as_member(SACCT_AS_USER, database=shared)
    assert seen.returncode == 0, seen.stderr
    assert seen.stdout.split() == [f"{nobody_job}|nobody"]
    assert as_member(SACCT_AS_USER, "-a", database=shared).stdout.split() == listing()


# what a hostile job name or comment may hold to fake a column, a line, or what a terminal shows
SPOOFS = {
    "delimiter": "x|COMPLETED|0:0|extra",
    "newline": "a\nb",
    "csi": "\x9b31mred",  # C1 CSI: a color on terminals that take 8-bit controls
    "osc": "\x9d0;title\x07",  # C1 OSC: sets the window title
    "escape": "\x1b[2Jcleared",
    "override": "abc\u202egnp.exe",  # right-to-left override: shows "abcexe.png"
    "isolate": "\u2066x\u2069",
    "separator": "one\u2028two\u2029three",
}


@pytest.mark.parametrize("name", list(SPOOFS.values()), ids=list(SPOOFS))
def test_no_value_changes_the_shape_of_the_output(db: str, kit: ProbeKit, name: str) -> None:
    batch_job(db, [[str(kit.probe), "exit", "0"]], name=name, comment=name)
    fields = "JobID,JobName,Comment,State"
    for form in ("-P", "-p"):
        status, out, _ = exitcodes("sacct", form, "-n", "-X", "-o", fields)
        assert status == 0
        (line,) = out.splitlines()
        assert line.split("|")[:4:3] == ["1", "COMPLETED"], line
        assert line.count("|") == (3 if form == "-P" else 4)
        assert line.isprintable()
    status, out, _ = exitcodes("sacct", "-n", "-X", "-o", f"{fields}%30")
    assert status == 0
    (line,) = out.splitlines()
    assert line.isprintable() and len(line) == 12 + 1 + 10 + 1 + 14 + 1 + 30 + 1
    _, shown, _ = exitcodes("show", "job", "1")
    assert all(text.isprintable() for text in shown.splitlines())
    _, document, _ = exitcodes("sacct", "--json", "-X")
    assert json.loads(document)["jobs"][0]["name"] == name  # --json keeps every character
