"""Both commands under hostile conditions: closed or full standard streams, huge durations and
ids, bytes that are not UTF-8, and a fuzz of all of it (hypothesis).

The promises: exitwrap returns the command's status or one of its own documented ones
(124-127), or dies of the command's signal with --signal-style=reraise; exitcodes returns 0,
1 or 2; neither prints a traceback, and a message that cannot be written is dropped, never a
reason to change a status or to skip the command.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Optional

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from exitwrap.accounting.recorder import Recorder
from exitwrap.observe.probe import ProbeKit
from tests.accounting_helpers import (
    NOBODY_UID,
    exitcodes,
    needs_root,
    one_line_error,
    record,
    run_as_nobody,
    setpriv,
    wrapped_env,
)
from tests.hostile import HOSTILE
from tests.wrap_helpers import EXITWRAP, with_default_signals

EXITCODES = [sys.executable, "-m", "exitwrap"]
# how a standard stream reaches the command: as it is, closed, or a device where writes fail
STREAMS = {"open": "", "closed": "{fd}>&-", "full": "{fd}>/dev/full"}


def _run(
    argv: Sequence[str],
    *,
    env: dict[str, str],
    stdout: str = "open",
    stderr: str = "open",
    cwd: Optional[Path] = None,
) -> subprocess.CompletedProcess[str]:
    """argv run with its stdout and stderr as said (through sh's redirections); what is
    written to an open one is captured."""
    redirections = " ".join(
        STREAMS[how].format(fd=fd) for fd, how in ((1, stdout), (2, stderr)) if how != "open"
    )
    return subprocess.run(
        with_default_signals(["sh", "-c", f'exec "$@" {redirections}', "-", *argv]),
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=cwd,
    )


def _no_traceback(done: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr, done.stderr


# -- 1: a closed stderr or stdout changes no status and skips no command


@pytest.mark.parametrize("stream", ["closed", "full"])
@pytest.mark.parametrize(
    ("args", "status"),
    [
        (["sh", "-c", "touch ran; exit 5"], 5),  # with the unusable database below
        (["--batch", "job.sh"], 5),  # a script path, as sbatch takes
        (["exitwrap-no-such-command"], 127),
        (["."], 126),
        (["--bogus", "sh", "-c", "touch ran"], 125),
    ],
    ids=["unusable-database", "batch", "not-found", "directory", "bad-option"],
)
def test_a_closed_or_full_stderr_changes_no_status(
    tmp_path: Path, args: list[str], status: int, stream: str
) -> None:
    env = {**wrapped_env("/etc/hostname/x"), "EXITWRAP_JOB_ID": "not-a-job"}
    (tmp_path / "job.sh").write_text("touch ran; exit 5\n")
    done = _run([*EXITWRAP, *args], env=env, stderr=stream, cwd=tmp_path)
    assert done.returncode == status
    assert (tmp_path / "ran").exists() == (status == 5)
    _no_traceback(done)


@pytest.mark.parametrize("closed", ["stdout", "stderr"])
def test_reraise_with_a_closed_stream_still_dies_of_the_signal(tmp_path: Path, closed: str) -> None:
    argv = [*EXITWRAP, "--signal-style=reraise", "sh", "-c", "kill -TERM $$"]
    state = {name: "closed" if name == closed else "open" for name in ("stdout", "stderr")}
    env = wrapped_env(str(tmp_path / "db"))
    done = _run(argv, env=env, stdout=state["stdout"], stderr=state["stderr"])
    assert done.returncode == -signal.SIGTERM
    _no_traceback(done)


@pytest.mark.parametrize("stream", ["closed", "full"])
@pytest.mark.parametrize("option", ["--help", "--version"])
def test_help_that_cannot_be_written_is_125_and_one_line(option: str, stream: str) -> None:
    done = _run([*EXITWRAP, option], env=wrapped_env("off"), stdout=stream)
    assert done.returncode == 125
    assert one_line_error(done.stderr, "exitwrap").startswith("exitwrap: write error: ")


@pytest.mark.parametrize("stream", ["closed", "full"])
def test_exitcodes_output_that_cannot_be_written_is_1_and_one_line(stream: str) -> None:
    for argv, prog in ((["--version"], "exitcodes"), (["sacct", "-e"], "exitcodes sacct")):
        done = _run([*EXITCODES, *argv], env=wrapped_env("off"), stdout=stream)
        assert done.returncode == 1, argv
        assert one_line_error(done.stderr, prog)


def test_the_command_finds_its_closed_descriptors_closed(tmp_path: Path) -> None:
    argv = [*EXITWRAP, "sh", "-c", "ls /proc/$$/fd > fds; echo x >&2 || exit 3"]
    done = _run(argv, env=wrapped_env(str(tmp_path / "db")), stderr="closed", cwd=tmp_path)
    assert done.returncode == 3  # its own write to stderr failed: exitwrap held nothing there
    assert "2" not in (tmp_path / "fds").read_text().split()


# -- 2: a huge duration is clamped before the command starts


@pytest.mark.parametrize(
    "args",
    [
        ["--timeout", "9223372037s"],
        ["--timeout", "99999999999-00"],
        ["--timeout", "1" * 5000],
        ["-t", "99999999999999999999:00"],
        ["--timeout", "0.5", "-k", "99999999999999999999"],
    ],
    ids=["seconds", "days", "thousands-of-digits", "minutes", "kill-after"],
)
def test_a_huge_duration_is_clamped_and_the_status_kept(args: list[str]) -> None:
    trap = "trap '' TERM; " if "-k" in args else ""  # a child that ignores the timeout's TERM
    argv = [*EXITWRAP, *args, "sh", "-c", f"{trap}sleep 1; exit 4"]
    done = _run(argv, env=wrapped_env("off"))
    assert (done.returncode, done.stderr) == (124 if trap else 4, "")


# -- 3: --json with bytes that are not UTF-8, atomically, and to standard output


def test_json_keeps_every_byte_of_the_arguments(tmp_path: Path) -> None:
    report = tmp_path / "x.json"
    hostile = [a for a in HOSTILE if a]
    done = _run([*EXITWRAP, "--json", str(report), "true", *hostile], env=wrapped_env("off"))
    assert (done.returncode, done.stderr) == (0, "")
    document = json.loads(report.read_text(encoding="ascii"))
    assert [os.fsencode(a) for a in document["argv"]] == [
        os.fsencode(a) for a in ["true", *hostile]
    ]
    assert [p.name for p in tmp_path.iterdir()] == ["x.json"]  # no temporary file left


def test_json_dash_is_standard_output(tmp_path: Path) -> None:
    done = _run(
        [*EXITWRAP, "--json", "-", "sh", "-c", "exit 3"], env=wrapped_env("off"), cwd=tmp_path
    )
    assert done.returncode == 3
    assert json.loads(done.stdout)["exit_status"] == 3
    assert list(tmp_path.iterdir()) == []


def test_json_is_replaced_whole_or_not_at_all(tmp_path: Path) -> None:
    report = tmp_path / "x.json"
    report.write_text("the last run's\n")
    report.chmod(0o640)
    done = _run([*EXITWRAP, "--json", str(report), "sh", "-c", "exit 6"], env=wrapped_env("off"))
    assert done.returncode == 6
    assert json.loads(report.read_text())["exit_status"] == 6
    assert report.stat().st_mode & 0o777 == 0o640


# -- 11: tracebacks


@pytest.mark.parametrize(
    "args",
    [
        ["sacct", "-j", "99999999999999999999"],
        ["sacct", "-u", "99999999999999999999"],
        ["sacct", "-u", "\udcff"],
        ["jobexitmod", "-e", "1", "99999999999999999999"],
        ["cancel", "99999999999999999999"],
        ["show", "job", "99999999999999999999"],
        ["sacct", "-o", "JobID%99999999999999999999"],
        ["sacct", "-o", "JobID%999999999"],
        ["db", "purge", "--before", "now+99999999999999999999"],
        ["sacct", "-j", "9" * 5000],
    ],
)
def test_out_of_range_input_is_a_usage_error(db: str, kit: ProbeKit, args: list[str]) -> None:
    record(db, [str(kit.probe), "exit", "0"])
    status, out, err = exitcodes(*args)
    assert (status, out) == (2, "")
    one_line_error(err, f"exitcodes {args[0]}")


def test_a_comment_in_any_bytes_is_kept_as_escapes(db: str, kit: ProbeKit) -> None:
    job = record(db, [str(kit.probe), "exit", "0"]).job_id
    assert exitcodes("jobexitmod", "-r", "caf\udce9 \udcff", str(job))[0] == 0
    status, out, _ = exitcodes("sacct", "-X", "-n", "-P", "-o", "Comment")
    assert (status, out) == (0, "caf\\xe9 \\xff\n")


@needs_root
def test_db_check_on_a_database_this_user_cannot_see_is_a_problem(tmp_path: Path) -> None:
    private = tmp_path / "private"  # root's 0700 directory: nobody cannot look inside
    private.mkdir(mode=0o700)
    path = str(private / "accounting.db")
    Recorder(path).close()
    check = [sys.executable, "-m", "exitwrap", "db", "check"]
    done = run_as_nobody(check, path, who=setpriv(NOBODY_UID))
    assert done.returncode == 1
    assert "database: Permission denied (for this user)" in done.stdout
    assert "none yet" not in done.stdout


# -- the fuzz: whatever the words, a documented status and no traceback

BYTES = st.binary(max_size=12).filter(lambda b: b"\0" not in b).map(os.fsdecode)
NUMBERS = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.from_regex(r"\A[0-9]{1,30}(\.([0-9]{1,30}|batch))?\Z"),
    st.sampled_from(["0", "-1", "1", "1.batch", "1.0", "9" * 5000]),
)
DURATIONS = st.one_of(
    st.sampled_from(["0", "90", "1.5s", "2m", "1d", "05:00", "1:30:00", "2-12", "UNLIMITED"]),
    st.integers(min_value=1000, max_value=10**30).map(str),
    st.from_regex(r"\A[0-9]{1,25}(\.[0-9]{0,5})?[smhd]?\Z"),
    st.from_regex(r"\A[0-9]{1,22}-[0-9]{1,3}(:[0-9]{1,3}){0,2}\Z"),
)
VALUES = st.one_of(NUMBERS, DURATIONS, st.sampled_from(HOSTILE), BYTES)


def _words(
    flags: list[str], valued: list[str], values: st.SearchStrategy[str]
) -> st.SearchStrategy[list[str]]:
    """Command lines of flags, options with a value each, and stray words, in any order."""
    group = st.one_of(
        st.tuples(st.sampled_from(flags)),
        st.tuples(st.sampled_from(valued), values),
        st.tuples(VALUES),
    )
    return st.lists(group, max_size=5).map(lambda groups: [w for g in groups for w in g])


EXITWRAP_WORDS = _words(
    ["--batch", "-q", "--redact", "--no-record", "--group", "--", "-", "--bogus", "-x", "-tx",
     "--timeout=", "--signal-style=reraise"],
    ["--timeout", "-t", "--time", "-k", "--kill-after", "--signal-style", "--json", "-J",
     "--job-name", "-A", "--account", "--comment", "--shell"],
    st.one_of(DURATIONS, VALUES),
)  # fmt: skip
CHILD_STATUS = 42
COMMANDS = st.sampled_from(
    [["sh", "-c", f"exit {CHILD_STATUS}"], ["exitwrap-no-such-command"], ["/"], []]
)
STREAM_STATES = st.sampled_from(list(STREAMS))
SLOW = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@SLOW
@given(words=EXITWRAP_WORDS, command=COMMANDS, stdout=STREAM_STATES, stderr=STREAM_STATES)
def test_fuzz_exitwrap_returns_only_documented_statuses(
    tmp_path: Path, words: list[str], command: list[str], stdout: str, stderr: str
) -> None:
    env = {**wrapped_env(str(tmp_path / "db")), "EXITWRAP_JOB_ID": words[0] if words else "1"}
    argv = [*EXITWRAP, *words, "--", *command] if command else [*EXITWRAP, *words]
    # each example in a directory of its own: a file one writes (--json 0) is no script that
    # another runs (--batch 0)
    cwd = Path(tempfile.mkdtemp(dir=tmp_path))
    done = _run(argv, env=env, stdout=stdout, stderr=stderr, cwd=cwd)
    assert done.returncode in (CHILD_STATUS, 124, 125, 126, 127), (argv, done.stderr)
    _no_traceback(done)
    if stderr == "open":
        ours = [line for line in done.stderr.splitlines() if not line.startswith("exitwrap: ")]
        assert all(line.startswith("Submitted batch job ") for line in ours), done.stderr


SUBCOMMANDS = ["sacct", "jobexitmod", "show", "cancel", "db", "explain", "--help", "--version"]
EXITCODES_WORDS = _words(
    ["-X", "-P", "-p", "-n", "-a", "--json", "-l", "-e", "job", "step", "path", "check",
     "purge", "--dry-run", "--", "-h"],
    ["-j", "-u", "-o", "-S", "-E", "-s", "-e", "-r", "--before", "--shell", "--platform"],
    st.one_of(
        VALUES,
        st.sampled_from(["JobID%-20,State%0", "Comment%99999", "JobID%" + "9" * 30, "now-1days",
                         "now+99999999999999999999", "2024-02-30", "CD,F,R", "0x89", "0:9"]),
    ),
)  # fmt: skip


@SLOW
@given(
    subcommand=st.sampled_from(SUBCOMMANDS),
    words=EXITCODES_WORDS,
    stdout=STREAM_STATES,
    stderr=STREAM_STATES,
)
def test_fuzz_exitcodes_returns_only_0_1_or_2(
    tmp_path: Path, subcommand: str, words: list[str], stdout: str, stderr: str
) -> None:
    path = str(tmp_path / "db")
    if not os.path.exists(path):
        record(path, ["true"])
    argv = [*EXITCODES, subcommand, *words]
    done = _run(argv, env=wrapped_env(path), stdout=stdout, stderr=stderr)
    assert done.returncode in (0, 1, 2), (argv, done.stderr)
    _no_traceback(done)
    if stderr == "open":
        assert all(line.startswith("exitcodes") for line in done.stderr.splitlines()), done.stderr
