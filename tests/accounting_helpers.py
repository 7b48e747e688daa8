"""What the accounting tests share: real commands recorded through the recorder API, other users.

``wrap`` does around one real command exactly what exitwrap does around it
(begin, spawn with the ticket's ids exported, wait4, finish), so recorder
and query tests observe real wait statuses and real resource use.
``as_nobody`` runs Python code as the unprivileged ``nobody`` user (the
tests run as root, which file modes do not stop).
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Optional

import pytest

from harness.accounting.recorder import Recorder, StepTicket
from tests.conftest import REPO

NOBODY = "nobody"
NOBODY_GID = pwd.getpwnam(NOBODY).pw_gid
SETPRIV_NOBODY = ("setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY_GID}", "--clear-groups", "--")


def wrap(
    recorder: Recorder,
    argv: Sequence[str],
    *,
    batch: bool = False,
    parent_job: Optional[int] = None,
    job_name: Optional[str] = None,
    account: Optional[str] = None,
    comment: Optional[str] = None,
    env: Optional[Mapping[str, str]] = None,
) -> tuple[StepTicket, Optional[str], int]:
    """Record one real run of argv; returns the ticket, the begin warning and the wait status."""
    ticket, warning = recorder.begin(
        argv=list(argv),
        redact=False,
        cwd=os.getcwd(),
        batch=batch,
        parent_job=parent_job,
        job_name=job_name,
        account=account,
        comment=comment,
        pid=os.getpid(),
    )
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


def rows(path: str, query: str, *args: object) -> list[tuple[object, ...]]:
    """Read the database directly, to check what was stored (not how it is shown)."""
    with sqlite3.connect(path) as db:
        return list(db.execute(query, args))


def as_nobody(code: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run ``python -c code args...`` as nobody, from the repository."""
    return subprocess.run(
        [*SETPRIV_NOBODY, sys.executable, "-c", code, *args],
        cwd=REPO,
        env={**os.environ, "HOME": "/nonexistent"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


needs_root = pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("setpriv") is None,
    reason="dropping to another user needs root and setpriv",
)


@pytest.fixture
def open_dir() -> Iterator[Path]:
    """A fresh directory every user may enter and write (tmp_path is private to root)."""
    path = Path(tempfile.mkdtemp(prefix="exitwrap-shared-"))
    path.chmod(0o777)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)
