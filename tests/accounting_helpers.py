"""What the accounting tests share: real commands recorded through the recorder API, other users.

``wrap`` does around one real command exactly what exitwrap does around it
(begin, spawn with the ticket's ids exported, wait4, finish), so recorder
and query tests observe real wait statuses and real resource use.
``as_nobody`` runs Python code as the unprivileged ``nobody`` user (the
tests run as root, which file modes do not stop); ``as_member`` as one of
the two members of the group a ``group_database`` is shared with. ``exitcodes`` runs the
command line in-process; ``batch`` runs a real ``exitwrap --batch`` script.
``rows`` and ``change`` reach the store directly, on either backend (on a
server as its superuser, whom row-level security does not stop).
"""

from __future__ import annotations

import getpass
import io
import os
import pwd
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Any, Optional

import pytest

from exitwrap.accounting.backend import catch_up
from exitwrap.accounting.backlog import Backlog
from exitwrap.accounting.location import is_server, spool_database
from exitwrap.accounting.recorder import Recorder, StepTicket
from exitwrap.cli.main import main
from tests.conftest import REPO
from tests.wrap_helpers import BIN, EXITWRAP

NOBODY = "nobody"
NOBODY_UID = pwd.getpwnam(NOBODY).pw_uid
NOBODY_GID = pwd.getpwnam(NOBODY).pw_gid
SHARING_GID = 4242  # a group no account has: setpriv hands it to the members as a supplementary one
MEMBERS = (NOBODY_UID, 4243)  # nobody, and a uid no account has (its name is its number)


def setpriv(uid: int, *, groups: Sequence[int] = ()) -> tuple[str, ...]:
    """setpriv's command line that runs the rest as uid, in these supplementary groups only."""
    chosen = f"--groups={','.join(map(str, groups))}" if groups else "--clear-groups"
    return ("setpriv", f"--reuid={uid}", f"--regid={NOBODY_GID}", chosen, "--")


SETPRIV_NOBODY = setpriv(NOBODY_UID)


def begin(
    recorder: Recorder, argv: Sequence[str], **given: Any
) -> tuple[StepTicket, Optional[str]]:
    """``recorder.begin`` as exitwrap calls it, from here, for a step of no job (any of its
    keywords given instead): the ticket and the warning."""
    options: dict[str, Any] = {
        "redact": False,
        "cwd": os.getcwd(),
        "batch": False,
        "parent_job": None,
        "job_name": None,
        "account": None,
        "comment": None,
        "pid": os.getpid(),
    }
    options.update(given)
    return recorder.begin(argv=list(argv), **options)


def wrap(
    recorder: Recorder,
    argv: Sequence[str],
    *,
    parent_job: Optional[int] = None,
    env: Optional[Mapping[str, str]] = None,
) -> tuple[StepTicket, Optional[str], int]:
    """Record one real run of argv; returns the ticket, the begin warning and the wait status."""
    ticket, warning = begin(recorder, argv, parent_job=parent_job)
    child_env = dict(os.environ if env is None else env)
    child_env.update(EXITWRAP_JOB_ID=str(ticket.job_id), EXITWRAP_STEP_ID=ticket.step)
    pid = os.posix_spawnp(
        argv[0], list(argv), child_env, setsigdef=(signal.SIGPIPE, signal.SIGXFSZ)
    )
    _, status, usage = os.wait4(pid, 0)
    recorder.finish(
        ticket,
        wait_status=status,
        timed_out=False,
        rusage=(usage.ru_maxrss, usage.ru_utime, usage.ru_stime),
    )
    return ticket, warning, status


def as_superuser(database: str) -> str:
    """A test server's database as its superuser (the tests' URIs end in query parameters)."""
    return f"{database}&user={'postgres' if os.geteuid() == 0 else getpass.getuser()}"


def change(database: str, statement: str, *args: object) -> int:
    """Change the store directly (as another host or an older exitwrap would have left it);
    how many rows changed."""
    if not is_server(database):
        with sqlite3.connect(database) as db:
            return db.execute(statement, args).rowcount
    from exitwrap.accounting.server.database import Server

    with Server(as_superuser(database)) as server:
        return server.session().execute(statement, args).rowcount


def rows(path: str, query: str, *args: object) -> list[tuple[object, ...]]:
    """Read the store directly, to check what was stored (not how it is shown), once what
    waits on this host is in, as every reader does first."""
    assert catch_up(path) is None
    if not is_server(path):
        with sqlite3.connect(path) as db:
            return list(db.execute(query, args))
    from exitwrap.accounting.server.database import Server

    with Server(as_superuser(path)) as server:
        return [tuple(row) for row in server.session().execute(query, args)]


def spool_of(database: str) -> Path:
    """The spool exitwrap writes for this store (beside the file; in this host's queue)."""
    return Path(spool_database(database, os.environ) + ".spool")


INGEST_AS_USER = """
from exitwrap.accounting.ingest import catch_up
import sys
assert catch_up(sys.argv[1]) is None
"""


def member_rows(path: str, query: str, *args: object) -> list[tuple[object, ...]]:
    """``rows`` for a group-shared database, which root reads but never ingests: a member
    ingests first."""
    ingested = as_member(INGEST_AS_USER, path, database=path)
    assert ingested.returncode == 0, ingested.stderr
    with sqlite3.connect(path) as db:
        return list(db.execute(query, args))


def run_as_nobody(
    argv: Sequence[str], database: Optional[str] = None, *, who: Sequence[str] = SETPRIV_NOBODY
) -> subprocess.CompletedProcess[str]:
    """Run argv as nobody (or as who says), from the repository (EXITWRAP_DB=database when
    given), with a state directory of its own (where a server's queue goes)."""
    state = tempfile.mkdtemp(prefix="exitwrap-nobody-")
    os.chmod(state, 0o777)
    env = {**os.environ, "HOME": "/nonexistent", "XDG_STATE_HOME": state}
    if database is not None:
        env["EXITWRAP_DB"] = database
    try:
        return subprocess.run(
            [*who, *argv],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    finally:
        shutil.rmtree(state, ignore_errors=True)


def as_nobody(
    code: str, *args: str, database: Optional[str] = None
) -> subprocess.CompletedProcess[str]:
    """Run ``python -c code args...`` as nobody."""
    return run_as_nobody([sys.executable, "-c", code, *args], database)


TIGHT_UMASK = "import os; os.umask(0o077)\n"  # takes everything from the group and others
# exitwrap as its console script starts it, under that umask
EXITWRAP_TIGHT = [
    sys.executable,
    "-c",
    TIGHT_UMASK + "import sys\nfrom exitwrap.wrap.cli import main\nsys.exit(main())",
]


def as_member(
    code: str, *args: str, database: str, member: int = 0
) -> subprocess.CompletedProcess[str]:
    """Run ``python -c code args...`` as a member of the sharing group (0: nobody, 1: the
    other one) under umask 077: what the accounting shares, it shares whatever the umask."""
    who = setpriv(MEMBERS[member], groups=[SHARING_GID])
    return run_as_nobody([sys.executable, "-c", TIGHT_UMASK + code, *args], database, who=who)


def group_database(directory: Path) -> str:
    """A database an administrator shared with a group, before anything is recorded: a setgid
    directory of that group (02770) and the file in it, 0660."""
    shared = directory / "group"
    shared.mkdir()
    path = shared / "shared.db"
    path.touch()
    for made, mode in ((shared, 0o2770), (path, 0o660)):
        os.chown(made, 0, SHARING_GID)
        made.chmod(mode)
    return str(path)


def member_copy(program: str, directory: Path) -> Path:
    """A copy of program the members may run (the probe kit lives in root's private cache)."""
    copy = directory / Path(program).name
    shutil.copy2(program, copy)
    copy.chmod(0o755)
    return copy


def _nobody_can_run_the_tools() -> bool:
    """Root with setpriv, and nobody may run this interpreter and the exitwrap launcher
    (tox, for one, keeps its environments in a directory only root may enter)."""
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        return False
    checks = ([sys.executable, "-c", "pass"], [*EXITWRAP, "--version"])
    return all(
        subprocess.run(
            [*SETPRIV_NOBODY, *argv], capture_output=True, check=False, timeout=300
        ).returncode
        == 0
        for argv in checks
    )


needs_root = pytest.mark.skipif(
    not _nobody_can_run_the_tools(),
    reason="needs root, setpriv, and an interpreter and exitwrap launcher nobody may run",
)


def exitcodes(*args: str) -> tuple[int, str, str]:
    """``exitcodes ARGS`` in-process: (status, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        status = main(list(args))
    return status, out.getvalue(), err.getvalue()


def one_line_error(stderr: str, prog: str) -> str:
    """A failure's stderr: exactly one line, naming the command, no traceback."""
    lines = stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"{prog}: "), stderr
    assert "Traceback" not in stderr
    return lines[0]


def record(path: str, argv: Sequence[str], parent_job: Optional[int] = None) -> StepTicket:
    """One real command recorded as a one-step job (or as a step of parent_job)."""
    recorder = Recorder(path)
    try:
        return wrap(recorder, argv, parent_job=parent_job)[0]
    finally:
        recorder.close()


def batch_job(
    path: str,
    steps: Sequence[Sequence[str]],
    script_status: int = 0,
    *,
    name: Optional[str] = None,
    account: Optional[str] = None,
    comment: Optional[str] = None,
) -> int:
    """A batch job whose script 'ran' here and ran each of steps for real, in order."""
    recorder = Recorder(path)
    try:
        ticket, _ = begin(
            recorder, ["job.sh"], batch=True, job_name=name, account=account, comment=comment
        )
        for argv in steps:
            wrap(recorder, argv, parent_job=ticket.job_id)
        recorder.finish(ticket, wait_status=script_status, timed_out=False, rusage=None)
        return ticket.job_id
    finally:
        recorder.close()


def wrapped_env(path: str) -> dict[str, str]:
    """The environment for real exitwrap runs: the venv's exitwrap first on PATH, this database."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("EXITWRAP_")}
    env.update(PATH=f"{BIN}{os.pathsep}{env.get('PATH', os.defpath)}", EXITWRAP_DB=path)
    return env


def batch(
    tmp_path: Path, body: str, *options: str, path: str, timeout: float = 120
) -> tuple[subprocess.CompletedProcess[str], int]:
    """Run ``exitwrap --batch OPTIONS script`` for real; returns the run and the job id."""
    script = tmp_path / "job.sh"
    script.write_text("#!/bin/sh\n" + body)
    script.chmod(0o755)
    done = subprocess.run(
        [*EXITWRAP, "--batch", *options, str(script)],
        env=wrapped_env(path),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        cwd=tmp_path,
    )
    submitted = [
        line for line in done.stderr.splitlines() if line.startswith("Submitted batch job ")
    ]
    assert submitted, done.stderr
    return done, int(submitted[0].rsplit(" ", 1)[1])


def next_job_id(path: str, job_id: int) -> None:
    """Make the next recorded job get this id (the spool allocates job ids; on a server the
    first queue's ids are everyone's)."""
    Recorder(path).close()
    Backlog(spool_database(path, os.environ)).raise_job_counter(job_id)


def shared_database(directory: Path, database: str) -> str:
    """A store several users record into: a file an administrator shared with a group
    (``group_database``: its members are ``as_member``'s), or the server, shared already."""
    return database if is_server(database) else group_database(directory)


# one job recorded, then pushed as exitwrap's push would when a job ends (ingested, for a file)
RECORD_AS_USER = """
import os, sys
from exitwrap.accounting.backend import catch_up
from exitwrap.accounting.recorder import Recorder
recorder = Recorder(sys.argv[1])
ticket, _ = recorder.begin(argv=["true"], redact=False, cwd="/", batch=False, parent_job=None,
    job_name=None, account=None, comment=None, pid=os.getpid())
recorder.finish(ticket, wait_status=0, timed_out=False, rusage=None)
print(ticket.job_id)
sys.exit(catch_up(sys.argv[1]))
"""
