"""exitwrap's start-up stays lean: a structural guard, not a timing (bench/ measures time).

Each module named here costs a large part of a bare interpreter start (measured with
``python -X importtime``): ``typing`` and ``dataclasses`` (re, inspect), ``re``,
``subprocess``, ``argparse``, ``enum`` (and ``signal``, which builds enums), ``json``,
``contextlib``. A wrapped command must not pay for them, recording on or off. Nor, when
it records, for SQLite (``_sqlite3`` alone costs about a third of a bare start; the
``sqlite3`` package more): exitwrap writes to the spool, and readers ingest it; nor, with a
server configured, for its driver (psycopg: about 140 ms): a push takes the spool there.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from exitwrap.accounting.records import Selection
from exitwrap.accounting.sacct import query
from tests.postgres_helpers import free_port
from tests.startup_helpers import imported_modules
from tests.wrap_helpers import EXITWRAP

HEAVY = {"typing", "dataclasses", "re", "subprocess", "argparse", "enum", "signal", "json",
         "contextlib", "inspect", "shutil", "selectors"}  # fmt: skip
# SQLite, and what of the accounting imports it or serves only its readers (and batch writers)
DATABASE = {"_sqlite3", "sqlite3", "exitwrap.accounting.store", "exitwrap.accounting.ingest",
            "exitwrap.accounting.backlog", "exitwrap.accounting.users", "pwd", "grp",
            "exitwrap.accounting.spool_batch"}  # fmt: skip


def _imported(*args: str, env: dict[str, str] | None = None) -> set[str]:
    """What one real exitwrap run imports beyond the interpreter's own start-up.

    A virtual environment's .pth files (virtualenv's on Python 3.9) may import typing or
    re before exitwrap starts: every program there pays for them, so they do not count.
    """
    launcher = EXITWRAP if EXITWRAP[0].endswith("exitwrap") else EXITWRAP[1:]
    return imported_modules(*launcher, *args, env=env) - imported_modules("-c", "pass", env=env)


@pytest.mark.parametrize("record", [True, False], ids=["recording", "no-record"])
def test_a_wrapped_command_imports_nothing_heavy(record: bool) -> None:
    args = [] if record else ["--no-record"]
    imported = _imported(*args, "--", "/bin/true")
    assert "exitwrap.wrap.run" in imported
    assert imported & HEAVY == set()


def test_recording_imports_no_database(tmp_path: Path) -> None:
    env = {**os.environ, "EXITWRAP_DB": str(tmp_path / "accounting.db")}
    for run in ("the first, which creates the database and its spool", "a later one"):
        imported = _imported("--", "/bin/true", env=env)
        assert "exitwrap.accounting.recorder" in imported, run
        assert imported & DATABASE == set(), run
    # a batch job whose step joins it: both exitwraps report their imports
    step = {**env, "PYTHONPROFILEIMPORTTIME": "1"}
    job = _imported("--batch", "-q", "--", "/bin/sh", "-c", 'exec "$0" -- /bin/true',
                    EXITWRAP[0], env=step)  # fmt: skip
    assert "exitwrap.accounting.recorder" in job and job & DATABASE == set()
    assert len(query(env["EXITWRAP_DB"], Selection())) == 3  # all recorded: a job and its step


# a server's driver, and what of the accounting imports it: exitwrap spools, a push sends
DRIVER = {"psycopg", "psycopg_binary", "exitwrap.accounting.server",
          "exitwrap.accounting.server.push", "exitwrap.accounting.server.connection"}  # fmt: skip


def test_recording_for_a_server_imports_no_driver(tmp_path: Path) -> None:
    unreachable = f"postgresql://nobody@127.0.0.1:{free_port()}/none"
    env = {**os.environ, "EXITWRAP_DB": unreachable, "XDG_STATE_HOME": str(tmp_path)}
    imported = _imported("--", "/bin/true", env=env)
    # the end of the job starts a push in the background: this process does not wait for it
    assert {"exitwrap.accounting.recorder", "exitwrap.accounting.background"} <= imported
    assert imported & (DATABASE | DRIVER) == set()


def test_rare_paths_import_what_they_need_only_when_asked() -> None:
    imported = _imported("--no-record", "--", "/bin/true")
    lazy = {"exitwrap.wrap.group", "exitwrap.wrap.shell", "exitwrap.wrap.report",
            "exitwrap.wrap.duration", "exitwrap.shells.shell", "ctypes"}  # fmt: skip
    assert imported & lazy == set()
