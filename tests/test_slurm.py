"""exitwrap inside a real Slurm 22.05: Slurm's record of a wrapped step is the bare command's,
and exitcodes' record of the Slurm job agrees with Slurm's own (sacct -P).

Every job is submitted at once when the module starts (the node is given 32 CPUs,
so they run side by side, the time limits' minute included) and each test
waits for its own. Each scenario runs twice, as ``srun CMD`` and as ``srun
exitwrap CMD``. What exitcodes shows differently by design (README, section
Slurm) is checked as such: an exit code of 128 or more unshifted, and 127/126
for a command that could not start where srun says its errno (2/13); with
--slurm-exitcodes every value is Slurm's.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from exitwrap.observe.probe import ProbeKit
from tests.postgres_helpers import Cluster as PostgreSQL
from tests.slurm_helpers import CLUSTER, Cluster, Shared, script
from tests.wrap_helpers import BIN

pytestmark = [pytest.mark.slurm, pytest.mark.slow]

# name -> (sbatch options, the script's lines with {W} where exitwrap goes, the srun steps)
SCENARIOS: dict[str, tuple[tuple[str, ...], str, tuple[str, ...]]] = {
    "exit-0": ((), "srun {W}sh -c 'exit 0'\n", ("0",)),
    "exit-3": ((), "srun {W}sh -c 'exit 3'\n", ("0",)),
    "exit-255": ((), "srun {W}sh -c 'exit 255'\n", ("0",)),
    "exit-256": ((), "srun {W}sh -c 'exit 256'\n", ("0",)),
    "exit-minus-1": ((), "srun {W}{probe} exit -1\n", ("0",)),
    "sigkill": ((), "srun {W}sh -c 'kill -KILL $$'\n", ("0",)),
    "sigterm": ((), "srun {W}sh -c 'kill -TERM $$'\n", ("0",)),
    "missing-command": ((), "srun {W}/nonexistent/command\n", ("0",)),
    "not-executable": ((), "srun {W}{not_executable}\n", ("0",)),
    "set-e": ((), "set -e\nsrun {W}true\nsrun {W}sh -c 'exit 4'\nsrun {W}true\n", ("0", "1")),
    "background-step": (
        ("-n", "2"),
        "srun -n1 {W}sh -c 'sleep 2; exit 5' &\nsleep 1\nsrun -n1 {W}true\nwait\n",
        ("0", "1"),
    ),
    "time-limit": (("-t", "1"), "srun {W}sleep 600\n", ("0",)),
    "scancel": ((), "srun {W}sleep 600\n", ("0",)),
}
# what exitcodes shows for the step where Slurm's sacct shows something else, and why
# (README, section Slurm): the wait status's code whole, and exitwrap's 127/126
OWN_STEP_CODES = {
    "exit-255": "255:0",  # sacct: 127:0 (it takes 128 off a code of 128 or more)
    "exit-minus-1": "255:0",  # the same: exit(-1) is 255
    "missing-command": "127:0",  # sacct: 2:0 (slurmstepd exits with execve's errno, ENOENT)
    "not-executable": "126:0",  # sacct: 13:0 (EACCES)
}
OWN_JOB_CODES = {
    "exit-255": "255:0",  # the batch script's status, restored from scontrol: sacct says 127:0
    "exit-minus-1": "255:0",
    "sigkill": "137:0",  # the batch script (sh) exited 128+9: sacct says 9:0
    "sigterm": "143:0",
}
ESSENTIALS = "ExitCode,DerivedExitCode,NodeList"
# at a time limit slurmstepd TERMs the batch shell and srun at once: the shell dies of it
# (CANCELLED 0:15), or srun exits 15 first and the shell ends with that status (FAILED 15:0).
# One run saw the bare job end FAILED 15:0 beside a wrapped one CANCELLED 0:15: no exitwrap
# in the bare job, so the race is Slurm's and the shell's.
BATCH_AT_A_TIME_LIMIT = {("CANCELLED", "0:15"), ("FAILED", "15:0")}


class Submitted:
    """The module's jobs, submitted once for the whole test run (whichever worker is first)."""

    def __init__(self, made: dict[str, Any]) -> None:
        self.db: str = made["db"]
        self.directory = Path(made["directory"])
        self.bare: dict[str, int] = made["bare"]
        self.wrapped: dict[str, int] = made["wrapped"]
        self.others: dict[str, int] = made["others"]


# Slurm's controller may end a job before it has taken in its last step's end, and then its
# DerivedExitCode misses that step (observations.md, finding 4); a second before the script
# ends (its status kept: an EXIT trap does not change it) lets the step's end arrive first
SETTLE_STEPS = "trap 'sleep 1' EXIT\n"


def _body(lines: str, kit: ProbeKit, *, wrapped: bool) -> str:
    exitwrap = f"{BIN / 'exitwrap'} " if wrapped else ""
    return SETTLE_STEPS + lines.format(
        W=exitwrap, probe=kit.probe, not_executable=kit.file("not-executable")
    )


BATCH_DIRECTIVES = """#SBATCH -J directives -A exitwrap
#SBATCH -t 0:05 -N 1
#SBATCH -o out-%j-%x.txt
#SBATCH --error=err-%j.txt
echo to stdout
echo to stderr >&2
exit 3
"""
PLAIN_CALLS = "exitwrap -J prep true\nexitwrap sh -c 'exit 3'\nsrun exitwrap true\n"


def _submit_all(slurm: Cluster, kit: ProbeKit, directory: Path) -> dict[str, Any]:
    """Every job of the module at once (the time limits' minute overlaps the rest), then the
    scancel scenario's jobs cancelled once their step runs."""
    directory.mkdir(mode=0o755)
    db = str(directory / "accounting.db")
    made: dict[str, Any] = {"db": db, "directory": str(directory), "bare": {}, "wrapped": {}}
    for name, (options, lines, _) in SCENARIOS.items():
        for wrapped in (False, True):
            kind = "wrapped" if wrapped else "bare"
            path = script(directory, f"{name}-{kind}", _body(lines, kit, wrapped=wrapped))
            made[kind][name] = slurm.sbatch(path, "-J", name, "-o", "/dev/null", *options, db=db)
    timed = directory / "timed"
    timed.mkdir(mode=0o755)
    limited = script(timed, "limited", "#SBATCH -t 1\nsleep 600\n")
    # exitwrap --batch runs the same script as sbatch does, here, in the background (the
    # run's end kills it should it still run: its environment names the cluster)
    with (timed / "batch.err").open("w") as errors:
        subprocess.Popen(
            ["sh", "-c", f"{BIN / 'exitwrap'} --batch {limited.name}; echo $? >batch.rc"],
            cwd=timed, env={**slurm.env, "EXITWRAP_DB": db}, stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=errors, start_new_session=True,
        )  # fmt: skip
    sleeper = script(directory, "sleeper", f"srun {BIN / 'exitwrap'} sleep 600\n")
    shell_style = _body(
        f"srun {BIN / 'exitwrap'} --signal-style=shell sh -c 'kill -KILL $$'\n", kit, wrapped=False
    )
    made["others"] = {
        "shell-style": slurm.sbatch(
            script(directory, "shell-style", shell_style), "-o", "/dev/null", db=db
        ),
        "sbatch-timeout": slurm.sbatch(limited, "-o", "/dev/null", db=db),
        "plain": slurm.sbatch(script(directory, "plain", PLAIN_CALLS), "-o", "/dev/null", db=db),
        "cancel-by-exitcodes": slurm.sbatch(sleeper, "-o", "/dev/null", db=db),
        # exit-3 again, for the test that changes its derived exit code: the others compare theirs
        "jobexitmod": slurm.sbatch(
            script(directory, "jobexitmod", _body(SCENARIOS["exit-3"][1], kit, wrapped=True)),
            *("-J", "exit-3", "-o", "/dev/null"),
            db=db,
        ),
    }
    for job_id in (made["bare"]["scancel"], made["wrapped"]["scancel"]):
        slurm.wait_running(job_id, "0")
        time.sleep(1.0)  # the command itself started, past exitwrap's own start
        slurm.run("scancel", str(job_id))
    return made


@pytest.fixture(scope="module")
def jobs(slurm: Cluster, shared_slurm: Shared, kit: ProbeKit) -> Submitted:
    directory = shared_slurm.root / "jobs"
    return Submitted(
        shared_slurm.once("jobs", lambda: _submit_all(slurm, kit, directory.resolve()))
    )


def _by_step(rows: list[dict[str, str]]) -> dict[str, dict[str, str]]:
    """Slurm's rows by step id ("" for the job's)."""
    return {row["JobID"].partition(".")[2]: row for row in rows}


def _settled(slurm: Cluster, job_id: int, name: str) -> dict[str, dict[str, str]]:
    steps = ("batch", *SCENARIOS[name][2])
    return _by_step(slurm.settled(job_id, steps, ESSENTIALS))


def _essentials(rows: dict[str, dict[str, str]], name: str) -> dict[str, tuple[str, str]]:
    """Each step's state and exit code; a time limit's batch step only as one of Slurm's two
    outcomes (BATCH_AT_A_TIME_LIMIT)."""
    essentials = {step: (row["State"], row["ExitCode"]) for step, row in rows.items()}
    if name == "time-limit":
        assert essentials.pop("batch") in BATCH_AT_A_TIME_LIMIT, rows
    return essentials


def _derived_lost(rows: dict[str, dict[str, str]]) -> bool:
    """Slurm's own race (observations.md, finding 4): the job's DerivedExitCode stays 0:0
    although an srun step of it failed."""
    failed = any(row["ExitCode"] != "0:0" for step, row in rows.items() if step.isdigit())
    return rows[""]["DerivedExitCode"] == "0:0" and failed


def _same_derived(ours: str, theirs: dict[str, dict[str, str]]) -> None:
    """The derived exit codes agree, unless Slurm's lost its own (then that is said)."""
    if ours != theirs[""]["DerivedExitCode"] and _derived_lost(theirs):
        pytest.xfail(f"Slurm's DerivedExitCode reads 0:0 though a step failed: {theirs}")
    assert ours == theirs[""]["DerivedExitCode"]


NAMES = [
    pytest.param(name, marks=pytest.mark.after_a_minute) if name == "time-limit" else name
    for name in SCENARIOS
]


@pytest.mark.parametrize("name", NAMES)
def test_slurm_records_a_wrapped_step_as_the_bare_command(
    slurm: Cluster, jobs: Submitted, name: str
) -> None:
    bare = _settled(slurm, jobs.bare[name], name)
    wrapped = _settled(slurm, jobs.wrapped[name], name)
    assert _essentials(wrapped, name) == _essentials(bare, name)
    if _derived_lost(wrapped):
        _same_derived(bare[""]["DerivedExitCode"], wrapped)
    else:
        _same_derived(wrapped[""]["DerivedExitCode"], bare)


@pytest.mark.parametrize("name", NAMES)
def test_exitcodes_shows_the_slurm_job_as_slurm_does(
    slurm: Cluster, jobs: Submitted, name: str
) -> None:
    job_id = jobs.wrapped[name]
    theirs = _settled(slurm, job_id, name)
    ours = slurm.ours(job_id, jobs.db)
    assert ours["job_id"] == job_id and ours["cluster"] == "exitwrap"
    exact = _by_step(slurm_rows_of_ours(slurm, job_id, jobs.db, "--slurm-exitcodes"))
    own = _by_step(slurm_rows_of_ours(slurm, job_id, jobs.db))
    # the job's record: Slurm's own state and codes (--slurm-exitcodes: exactly sacct's)
    for key in ("State", "ExitCode"):
        assert exact[""][key] == theirs[""][key], key
    assert own[""]["ExitCode"] == OWN_JOB_CODES.get(name, theirs[""]["ExitCode"])
    # each step exitwrap wrapped is the Slurm step it ran in
    slurm_steps = {step["step"]["id"].partition(".")[2]: step["slurm"] for step in ours["steps"]}
    assert sorted(s["step"] for s in slurm_steps.values()) == list(SCENARIOS[name][2])
    for step_id, where in slurm_steps.items():
        slurm_row = theirs[where["step"]]
        assert exact[step_id]["State"] == slurm_row["State"]
        assert exact[step_id]["ExitCode"] == slurm_row["ExitCode"]
        assert where["task"] == 0 and where["node"] == theirs[""]["NodeList"]
    if len(slurm_steps) == 1:
        (step_id,) = slurm_steps
        expected = OWN_STEP_CODES.get(name, theirs[SCENARIOS[name][2][0]]["ExitCode"])
        assert own[step_id]["ExitCode"] == expected
    _same_derived(exact[""]["DerivedExitCode"], theirs)


def slurm_rows_of_ours(slurm: Cluster, job_id: int, db: str, *flags: str) -> list[dict[str, str]]:
    out = slurm.exitcodes("sacct", "-M", CLUSTER, "-P", "-j", str(job_id), "-o",
                          f"JobID,JobName,State,{ESSENTIALS},NodeList", *flags, db=db)  # fmt: skip
    header, *rows = out.splitlines()
    return [dict(zip(header.split("|"), row.split("|"))) for row in rows]


def test_plain_calls_in_a_batch_script_are_steps_of_the_slurm_job(
    slurm: Cluster, jobs: Submitted
) -> None:
    job_id = jobs.others["plain"]
    theirs = _by_step(slurm.settled(job_id, ("batch", "0"), ESSENTIALS))
    ours = slurm.ours(job_id, jobs.db)
    steps = [(s["step"]["id"], s["step"]["name"], s["slurm"]["step"]) for s in ours["steps"]]
    assert steps == [
        (f"{job_id}.0", "prep", "batch"),  # -J names the step, as srun -J does
        (f"{job_id}.1", "sh", "batch"),
        (f"{job_id}.2", "true", "0"),
    ]
    rows = _by_step(slurm_rows_of_ours(slurm, job_id, jobs.db))
    assert rows["1"]["ExitCode"] == "3:0" and rows[""]["State"] == theirs[""]["State"]
    # exitwrap's derived code counts every step it recorded; Slurm's only its srun steps
    assert rows[""]["DerivedExitCode"] == "3:0"
    exact = _by_step(slurm_rows_of_ours(slurm, job_id, jobs.db, "--slurm-exitcodes"))
    _same_derived(exact[""]["DerivedExitCode"], theirs)


def test_signal_style_shell_under_srun_is_an_exit_of_128_plus_n_to_slurm(
    slurm: Cluster, jobs: Submitted
) -> None:
    """The default (reraise) overridden: Slurm then records what the issue first saw."""
    rows = _by_step(slurm.settled(jobs.others["shell-style"], ("batch", "0"), ESSENTIALS))
    assert (rows["0"]["State"], rows["0"]["ExitCode"]) == ("FAILED", "9:0")  # 137, less 128
    if not _derived_lost(rows):
        assert rows[""]["DerivedExitCode"] == "137:0"


@pytest.mark.postgresql
def test_a_slurm_job_recorded_on_a_postgresql_server(
    slurm: Cluster, pg_cluster: PostgreSQL, tmp_path: Path
) -> None:
    """The same plain calls with the accounting on a server: this host's queue pushes the
    Slurm job's record, under Slurm's id, and Slurm's end of it (asked of sacct) with it."""
    tmp_path.chmod(0o755)
    name = pg_cluster.new_database()
    database = pg_cluster.uri(name)
    queue = {"XDG_STATE_HOME": str(tmp_path / "state")}
    job_id = slurm.sbatch(script(tmp_path, "plain", PLAIN_CALLS), "-o", "/dev/null", db=database,
                          env=queue)  # fmt: skip
    theirs = _by_step(slurm.settled(job_id, ("batch", "0"), ESSENTIALS))
    ours = slurm.ours(job_id, database, env=queue)
    assert [s["step"]["id"] for s in ours["steps"]] == [f"{job_id}.{k}" for k in range(3)]
    out = slurm.exitcodes("sacct", "-M", CLUSTER, "-X", "-P", "-n", "-j", str(job_id),
                          "-o", "State,Partition", "--slurm-exitcodes",
                          db=database, env=queue)  # fmt: skip
    assert out.split() == [f"{theirs['']['State']}|debug"]
    # stored on the server by the push, not only shown: its row there has ended
    with pg_cluster.admin(name) as admin:
        stored = admin.execute(
            "SELECT state, partition FROM exitwrap.jobs WHERE slurm_job_id = %s", (job_id,)
        ).fetchall()
    assert stored == [(theirs[""]["State"], "debug")]


def test_sjobexitmod_as_sacctmgr_modify_job_and_as_exitcodes_jobexitmod(
    slurm: Cluster, jobs: Submitted
) -> None:
    job_id = jobs.others["jobexitmod"]
    _settled(slurm, job_id, "exit-3")
    slurm.ours(job_id, jobs.db)
    # Slurm's sjobexitmod -e 49 -r "out of memory" (not packaged in Debian) is this: the code
    # as a wait status, 49 * 256 (its own source: $code = 256 * ($code & 0xFF))
    slurm.run("sacctmgr", "-i", "modify", "job", "where", f"jobid={job_id}", "set",
              f"DerivedExitCode={49 * 256}", "Comment=out of memory")  # fmt: skip
    said = slurm.exitcodes("jobexitmod", "-c", CLUSTER, "-e", "49", "-r", "out of memory",
                           str(job_id), db=jobs.db)  # fmt: skip
    assert said == f"\n Modification of job {job_id} was successful.\n\n"
    fields = "JobID,State,ExitCode,DerivedExitCode,Comment"
    deadline = time.monotonic() + 30
    while (theirs := slurm.sacct(job_id, fields, "-X"))[0]["Comment"] != "out of memory":
        assert time.monotonic() < deadline, theirs
        time.sleep(0.3)
    ours = slurm.exitcodes("sacct", "-M", CLUSTER, "-X", "-P", "-j", str(job_id), "-o", fields,
                           db=jobs.db)  # fmt: skip
    assert ours.splitlines()[1].split("|") == list(theirs[0].values())
    assert theirs[0]["DerivedExitCode"] == "49:0"


def test_a_site_sacct_format_of_every_field_works(slurm: Cluster, jobs: Submitted) -> None:
    from exitwrap.accounting.field_catalog import CATALOG

    job_id = jobs.wrapped["exit-3"]
    _settled(slurm, job_id, "exit-3")
    every = ",".join(name for name, _, _ in CATALOG)
    theirs = slurm.sacct(job_id, every, "-X")[0]
    out = slurm.run(str(BIN / "exitcodes"), "sacct", "-M", CLUSTER, "-X", "-P", "-j", str(job_id),
                    env={"EXITWRAP_DB": jobs.db, "SACCT_FORMAT": every})  # fmt: skip
    header, row = out.splitlines()
    ours = dict(zip(header.split("|"), row.split("|")))
    assert list(ours) == list(theirs)  # every 22.05 field, in the site's order
    known = ("JobID", "JobIDRaw", "JobName", "Partition", "Account", "AllocCPUS", "NCPUS",
             "NNodes", "AllocNodes", "NodeList", "Timelimit", "TimelimitRaw", "Cluster",
             "Group", "GID", "User", "UID", "State", "ExitCode", "Submit", "Eligible", "Start",
             "End", "Elapsed", "ElapsedRaw", "CPUTime", "CPUTimeRAW", "WorkDir", "Reason",
             "SubmitLine")  # fmt: skip
    assert {k: ours[k] for k in known} == {k: theirs[k] for k in known}
    unset = [k for k in ours if ours[k] == ""]
    assert "AllocTRES" in unset and "QOS" in unset  # what exitwrap has no value for
    show = slurm.exitcodes("show", "job", str(job_id), db=jobs.db)
    assert f"JobId={job_id} JobName=exit-3" in show and f"TimeLimit={theirs['Timelimit']}" in show
    assert "Partition=debug" in show and "ExitCode=3:0" in show


def test_exitcodes_cancel_of_a_slurm_job_is_scancel(slurm: Cluster, jobs: Submitted) -> None:
    job_id = jobs.others["cancel-by-exitcodes"]
    slurm.wait_running(job_id, "0")
    assert slurm.ours(job_id, jobs.db, ended=False)["state"]["current"] == "RUNNING"
    time.sleep(1.0)  # the command itself started, past exitwrap's own start
    assert slurm.exitcodes("cancel", str(job_id), db=jobs.db) == ""
    theirs = _by_step(slurm.settled(job_id, ("batch", "0"), ESSENTIALS))
    assert theirs[""]["State"] == "CANCELLED by 0"
    ours = _by_step(slurm_rows_of_ours(slurm, job_id, jobs.db, "--slurm-exitcodes"))
    assert ours[""]["State"] == "CANCELLED by 0" and ours["0"]["State"] == "CANCELLED"
    assert ours["0"]["ExitCode"] == theirs["0"]["ExitCode"] == "0:15"


def test_exitwrap_batch_reads_sbatch_directives_as_sbatch_does(
    slurm: Cluster, jobs: Submitted, tmp_path: Path
) -> None:
    tmp_path.chmod(0o755)
    path = script(tmp_path, "directives", BATCH_DIRECTIVES)  # 0644: no execute bit
    sbatch_id = slurm.sbatch(path, db=jobs.db)
    done = subprocess.run([str(BIN / "exitwrap"), "--batch", path.name], cwd=tmp_path,
                          env={**slurm.env, "EXITWRAP_DB": jobs.db}, capture_output=True,
                          text=True, timeout=60, check=False)  # fmt: skip
    assert done.returncode == 3
    ours_id = int(done.stderr.split("Submitted batch job ")[1].split()[0])
    assert "#SBATCH options exitwrap does not take: -N" in done.stderr
    fields = "JobName,Account,Timelimit,State,ExitCode"
    theirs = slurm.settled(sbatch_id, ("batch",), fields)[0]
    # exitwrap's own job ids and Slurm's may coincide: -M none names exitwrap's own
    ours = slurm.exitcodes("sacct", "-X", "-P", "-n", "-M", "none", "-j", str(ours_id), "-o",
                           fields, db=jobs.db)  # fmt: skip
    assert ours.strip().split("|") == [theirs[k] for k in fields.split(",")]
    assert theirs["Timelimit"] == "00:01:00" and theirs["JobName"] == "directives"
    for job_id in (sbatch_id, ours_id):
        assert (tmp_path / f"out-{job_id}-directives.txt").read_text() == "to stdout\n"
        assert (tmp_path / f"err-{job_id}.txt").read_text() == "to stderr\n"


@pytest.mark.after_a_minute
def test_a_slurm_time_limit_and_exitwrap_batch_s_end_alike(slurm: Cluster, jobs: Submitted) -> None:
    timed = jobs.directory / "timed"
    theirs = slurm.settled(jobs.others["sbatch-timeout"], ("batch",), "Timelimit")[0]
    deadline = time.monotonic() + 150
    while not (timed / "batch.rc").exists() or not (timed / "batch.rc").read_text():
        assert time.monotonic() < deadline, "exitwrap --batch outlived its time limit"
        time.sleep(0.5)
    assert (timed / "batch.rc").read_text().strip() == "124"
    ours_id = (timed / "batch.err").read_text().split("Submitted batch job ")[1].split()[0]
    fields = "State,Timelimit,ExitCode"
    ours = slurm.exitcodes("sacct", "-X", "-P", "-n", "-M", "none", "-j", ours_id, "-o", fields,
                           db=jobs.db)  # fmt: skip
    state, limit, _ = ours.strip().split("|")
    assert (state, limit) == (theirs["State"], theirs["Timelimit"]) == ("TIMEOUT", "00:01:00")
