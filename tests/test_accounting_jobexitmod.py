"""exitcodes jobexitmod: sjobexitmod's documented examples, the owner-only rule, bad input.

Source: Slurm's "Job Exit Codes" page (The sjobexitmod command) and the
sjobexitmod script itself, which lists with ``sacct -X -j ID -o
JobID,Account,NNodes,NodeList,State,ExitCode,DerivedExitCode,Comment`` and
prints a blank line and `` Modification of job N was successful.`` on success.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from exitwrap.accounting.backend import catch_up
from exitwrap.accounting.recorder import Recorder
from exitwrap.observe.probe import ProbeKit
from tests.accounting_helpers import (
    RECORD_AS_USER,
    as_member,
    as_nobody,
    batch_job,
    exitcodes,
    group_database,
    member_rows,
    needs_root,
    next_job_id,
    one_line_error,
    rows,
)
from tests.conftest import server_only

NODE = os.uname().nodename
LIST_HEADER = (
    "JobID           Account   NNodes        NodeList      State ExitCode DerivedExitCode"
    "        Comment \n"
    "------------ ---------- -------- --------------- ---------- -------- --------------- "
    "-------------- \n"
)


def _listed(derived: str, comment: str) -> str:
    return LIST_HEADER + (
        f"123                  lc        1 {NODE:>15}  COMPLETED      0:0 {derived:>15} "
        f"{comment:>14} \n"
    )


def test_sjobexitmod_examples_of_the_job_exit_codes_page(db: str, kit: ProbeKit) -> None:
    next_job_id(db, 123)
    batch_job(db, [[str(kit.probe), "exit", "0"]], account="lc")
    # > sjobexitmod -l 123
    assert exitcodes("jobexitmod", "-l", "123") == (0, _listed("0:0", ""), "")
    # > sjobexitmod -e 49 -r "out of memory" 123
    assert exitcodes("jobexitmod", "-e", "49", "-r", "out of memory", "123") == (
        0,
        "\n Modification of job 123 was successful.\n\n",
        "",
    )
    assert exitcodes("jobexitmod", "-l", "123") == (0, _listed("49:0", "out of memory"), "")
    # stored as sjobexitmod does it: a wait status, 256 * code
    assert rows(db, "SELECT derived_status, comment FROM jobs") == [(49 << 8, "out of memory")]


def test_exit_code_zero_can_be_set_and_either_field_alone(db: str, kit: ProbeKit) -> None:
    job = str(batch_job(db, [[str(kit.probe), "exit", "3"]], comment="before"))
    assert exitcodes("jobexitmod", "-e", "0", job)[0] == 0  # the perl script's `if ($code)` lost 0
    assert rows(db, "SELECT derived_status, comment FROM jobs") == [(0, "before")]
    hostile = 'it\'s $HOME; `rm -rf /` "quoted" ünïcödé\nsecond line'
    assert exitcodes("jobexitmod", "-r", hostile, job)[0] == 0
    assert rows(db, "SELECT derived_status, comment FROM jobs") == [(0, hostile)]
    _, out, _ = exitcodes("sacct", "-X", "-n", "-P", "-j", job, "-o", "Comment")
    assert out == hostile.replace("\n", "?") + "\n"  # a newline never breaks a line of output


def test_a_running_job_cannot_be_modified(db: str) -> None:
    recorder = Recorder(db)
    ticket = recorder.begin_own_job(["job.sh"])  # alive: this test
    status, _, err = exitcodes("jobexitmod", "-e", "1", str(ticket.job_id))
    recorder.close()
    assert status == 1 and "still running" in one_line_error(err, "exitcodes jobexitmod")


@pytest.mark.parametrize(
    ("args", "status", "words"),
    [
        (["-e", "256", "{job}"], 1, "out of range"),
        (["-e", "-1", "{job}"], 1, "out of range"),
        (["-e", "1", "999999"], 1, "Invalid job id specified"),
        (["-e", "x", "{job}"], 2, "invalid exit code"),
        (["-e", "4\n2", "{job}"], 2, "invalid exit code"),
        (["{job}"], 2, "either a reason string"),
        (["-e", "1"], 2, "a job id is needed"),
        (["-e", "1", "{job}", "{job}"], 2, "exactly one job id"),
        (["-l", "-e", "1", "{job}"], 2, "-l lists only"),
        (["-e", "1", "12a"], 2, "invalid job id"),
        (["-q", "{job}"], 2, "invalid option"),
    ],
)
def test_errors_are_one_line_with_the_documented_status(
    db: str, kit: ProbeKit, args: list[str], status: int, words: str
) -> None:
    job = str(batch_job(db, [[str(kit.probe), "exit", "0"]]))
    got, out, err = exitcodes("jobexitmod", *(a.replace("{job}", job) for a in args))
    assert got == status and out == ""
    assert words in one_line_error(err, "exitcodes jobexitmod")
    assert rows(db, "SELECT derived_status, comment FROM jobs") == [(None, None)]


MODIFY_AS_USER = """
import sys
from exitwrap.cli.main import main
sys.exit(main(["jobexitmod", "-e", "7", "-r", "not mine", sys.argv[1]]))
"""


@needs_root
def test_only_the_owner_or_root_may_modify(open_dir: Path) -> None:
    shared = group_database(open_dir)  # both may write it: the refusal is the accounting's
    recorded = as_member(RECORD_AS_USER, shared, database=shared)
    job = recorded.stdout.strip()
    refused = as_member(MODIFY_AS_USER, job, database=shared, member=1)
    assert refused.returncode == 1 and refused.stdout == ""
    line = one_line_error(refused.stderr, "exitcodes jobexitmod")
    assert "belongs to nobody (uid 65534)" in line and "only its owner or root" in line
    assert member_rows(shared, "SELECT derived_status, comment FROM jobs") == [(None, None)]


@server_only
@needs_root
def test_only_the_owner_or_an_administrator_may_modify_on_a_server(kit: ProbeKit, db: str) -> None:
    # the server takes everyone's pushes: the refusal is the server's own (no check in this
    # process)
    job = str(batch_job(db, [[str(kit.probe), "exit", "0"]]))
    assert catch_up(db) is None  # pushed, as exitwrap's push does when a job ends
    refused = as_nobody(MODIFY_AS_USER, job, database=db)
    assert refused.returncode == 1 and refused.stdout == ""
    line = one_line_error(refused.stderr, "exitcodes jobexitmod")
    assert "belongs to root (uid 0)" in line and "only its owner or" in line
    assert rows(db, "SELECT derived_status, comment FROM jobs") == [(None, None)]


@needs_root
def test_a_database_this_user_may_not_write_is_a_clear_error(open_dir: Path) -> None:
    shared = group_database(open_dir)
    recorded = as_member(RECORD_AS_USER, shared, database=shared)
    assert recorded.returncode == 0, recorded.stderr
    os.chmod(shared, 0o640)  # the administrator takes write access away again
    refused = as_member(MODIFY_AS_USER, recorded.stdout.strip(), database=shared)
    assert refused.returncode == 1
    assert "read-only" in one_line_error(refused.stderr, "exitcodes jobexitmod")
