"""Sharing a file-based database, and what another user can (not) do through its spool.

A database is private (0600) or shared with a group (0660, a setgid spool
of the group's files); one every user may write is refused, and nothing in
a spool is trusted for whose it is or what it is: harness/exitwrap/accounting/files.py.
The members here are nobody and a second uid, both given the group by
setpriv, under umask 077, and root; each test plays what a hostile member
or a careless administrator did.
"""

from __future__ import annotations

import os
import shutil
import signal
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from exitwrap.accounting.files import SERVER_HINT
from exitwrap.accounting.spool import decode
from exitwrap.observe.probe import ProbeKit
from tests.accounting_helpers import (
    EXITWRAP_TIGHT,
    INGEST_AS_USER,
    MEMBERS,
    RECORD_AS_USER,
    SHARING_GID,
    as_member,
    exitcodes,
    group_database,
    member_copy,
    member_rows,
    needs_root,
    one_line_error,
    record,
    run_as_nobody,
    setpriv,
    spool_of,
    wrapped_env,
)
from tests.conftest import sqlite_only
from tests.wrap_helpers import EXITWRAP, wait_until

SACCT_ALL = """
import sys
from exitwrap.cli.main import main
sys.exit(main(["sacct", "-a", "-X", "-n", "-P", "-o", "JobID,User,State,ExitCode"]))
"""
DB_CHECK = """
import sys
from exitwrap.cli.main import main
sys.exit(main(["db", "check"]))
"""
# writes sys.argv[2] (a spool record's fields, as Python literals) into the spool file argv[1],
# for the group to read
FORGE = """
import ast, os, sys
from exitwrap.accounting.spool import encode
with open(sys.argv[1], "xb") as out:
    out.write(encode(ast.literal_eval(sys.argv[2])))
os.chmod(sys.argv[1], 0o660)
"""
PLANT_LINK = """
import os, sys
os.symlink(sys.argv[2], sys.argv[1])
"""


def _spool_modes(shared: str) -> set[tuple[str, int, int]]:
    """(name, mode, group) of the spool and each file in it."""
    spool = Path(shared + ".spool")
    found = {(".", stat.S_IMODE(spool.stat().st_mode), spool.stat().st_gid)}
    for path in spool.iterdir():
        info = path.stat()
        found.add((path.name, stat.S_IMODE(info.st_mode), info.st_gid))
    return found


@needs_root
@pytest.mark.parametrize("setgid_parent", [True, False], ids=["setgid-parent", "plain-parent"])
def test_a_group_shared_database_works_for_every_member(
    open_dir: Path, *, setgid_parent: bool
) -> None:
    shared = group_database(open_dir)
    if not setgid_parent:  # the spool must take the database's group all the same
        os.chmod(Path(shared).parent, 0o770)
    first = as_member(RECORD_AS_USER, shared, database=shared)
    who = setpriv(MEMBERS[1], groups=[SHARING_GID])
    second = run_as_nobody([*EXITWRAP_TIGHT, "true"], shared, who=who)  # exitwrap itself
    assert (first.returncode, first.stderr, second.returncode, second.stderr) == (0, "", 0, "")
    files = {".": 0o2770, "lock": 0o660, "next": 0o660}  # 1.job, 1.end, ... ingested already
    assert _spool_modes(shared) >= {(name, mode, SHARING_GID) for name, mode in files.items()}
    for member in (0, 1):
        seen = as_member(SACCT_ALL, database=shared, member=member)
        assert seen.returncode == 0 and seen.stderr == ""
        assert seen.stdout.split() == ["1|nobody|COMPLETED|0:0", f"2|{MEMBERS[1]}|COMPLETED|0:0"]
    assert stat.S_IMODE(os.stat(shared).st_mode) == 0o660


@needs_root
def test_a_deleted_lock_is_made_again_with_the_spools_mode(open_dir: Path) -> None:
    shared = group_database(open_dir)
    assert as_member(RECORD_AS_USER, shared, database=shared).returncode == 0
    os.unlink(shared + ".spool/lock")  # as the other member may
    again = as_member(RECORD_AS_USER, shared, database=shared)  # under umask 077
    assert (again.returncode, again.stderr) == (0, "")
    other = as_member(RECORD_AS_USER, shared, database=shared, member=1)
    assert (other.returncode, other.stderr) == (0, "")
    lock = os.stat(shared + ".spool/lock")
    assert (stat.S_IMODE(lock.st_mode), lock.st_gid) == (0o660, SHARING_GID)


@sqlite_only  # a server's queue is its user's own, 0700
@pytest.mark.parametrize("what", ["database", "spool"])
def test_what_every_user_may_write_is_refused_and_nothing_migrated(
    db: str, kit: ProbeKit, tmp_path: Path, what: str
) -> None:
    record(db, [str(kit.probe), "exit", "0"])
    shared = db if what == "database" else db + ".spool"
    os.chmod(shared, 0o666 if what == "database" else 0o777)
    files = [Path(db), Path(db + ".spool"), *Path(db + ".spool").iterdir()]
    before = {path: path.stat().st_mode for path in files}
    marker = tmp_path / "ran"
    done = subprocess.run(
        [*EXITWRAP, "sh", "-c", f"touch {marker}; exit 7"],
        env=wrapped_env(db),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 7 and marker.exists()
    warning = one_line_error(done.stderr, "exitwrap")
    assert "every user may write it" in warning and warning.endswith(SERVER_HINT)
    status, out, err = exitcodes("sacct", "-j", "1")
    assert status == 1 and out == ""
    line = one_line_error(err, "exitcodes sacct")
    assert f"{shared}: every user may write it" in line and line.endswith(SERVER_HINT)
    assert {path: path.stat().st_mode for path in files} == before


def _member_record(shared: str, name: str, fields: dict[str, object], member: int) -> None:
    done = as_member(FORGE, f"{shared}.spool/{name}", repr(fields), database=shared, member=member)
    assert done.returncode == 0, done.stderr


@needs_root
def test_another_member_cannot_rewrite_or_claim_a_record(open_dir: Path) -> None:
    shared = group_database(open_dir)
    probe = member_copy("/bin/false", open_dir)
    failed = run_as_nobody(
        [*EXITWRAP, str(probe)], shared, who=setpriv(MEMBERS[0], groups=[SHARING_GID])
    )
    assert failed.returncode == 1, failed.stderr
    assert as_member(INGEST_AS_USER, shared, database=shared).returncode == 0
    (job,) = member_rows(shared, "SELECT uid, start_time, node, pid, pgid FROM jobs")
    assert job[0] == MEMBERS[0]
    # the other member writes an end saying that job 1 succeeded, word for word its own
    uid, start, node, pid, pgid = job
    assert isinstance(start, float)
    identity = {"job.start_time": start, "job.node": node, "job.pid": pid, "job.pgid": pgid}
    forged = {
        "job.kind": "single",
        "job.name": "false",
        "job.uid": uid,  # what the record says does not count
        "job.gid": 0,
        "job.command": str(probe),
        "job.workdir": "/",
        "job.submit_time": start,
        **identity,
        "job.end_time": start + 1,
        "job.exit_status": 0,
        "step_index": 0,
        "step.name": "false",
        "step.start_time": start,
        "step.node": node,
        "step.pid": pid,
        "step.end_time": start + 1,
        "step.exit_status": 0,
    }
    _member_record(shared, "1.end", forged, member=1)
    seen = as_member(SACCT_ALL, database=shared)
    assert seen.stdout.split() == ["1|nobody|FAILED|1:0"]  # not rewritten
    checked = as_member(DB_CHECK, database=shared)
    assert checked.returncode == 1
    assert "1 records not written by their job's owner (not ingested)" in checked.stdout
    # a record naming someone else as its owner is its writer's all the same
    _member_record(shared, "9.job", {**forged, "job.end_time": None}, member=1)
    assert member_rows(shared, "SELECT job_id, uid FROM jobs ORDER BY job_id") == [
        (1, MEMBERS[0]),
        (9, MEMBERS[1]),
    ]


FORGED_RUNNING = """
import os, sys
from exitwrap.accounting.process import identify
from exitwrap.accounting.spool import encode
victim = identify(int(sys.argv[2]))
fields = {"job.kind": "single", "job.name": "mine", "job.gid": 0, "job.command": "mine",
    "job.workdir": "/", "job.submit_time": 1.0, "job.start_time": 1.0, "job.pid": victim.pid,
    "job.pgid": victim.pgid, "job.node": victim.node, "job.boot_id": victim.boot_id,
    "job.proc_start": victim.start_ticks, "job.pid_ns": victim.pid_ns, "step_index": 0,
    "step.name": "mine", "step.start_time": 1.0, "step.node": victim.node}
with open(sys.argv[1], "xb") as out:
    out.write(encode(fields))
os.chmod(sys.argv[1], 0o660)
"""


@needs_root
def test_roots_cancel_signals_only_the_processes_of_the_jobs_owner(
    open_dir: Path, kit: ProbeKit, monkeypatch: pytest.MonkeyPatch
) -> None:
    shared = group_database(open_dir)
    monkeypatch.setenv("EXITWRAP_DB", shared)
    assert as_member(RECORD_AS_USER, shared, database=shared).returncode == 0  # the spool
    victim = subprocess.Popen([str(kit.probe), "sleep", "60"])  # root's
    try:
        forged = as_member(
            FORGED_RUNNING, f"{shared}.spool/5.job", str(victim.pid), database=shared, member=1
        )
        assert forged.returncode == 0, forged.stderr
        assert member_rows(shared, "SELECT job_id, uid FROM jobs WHERE job_id = 5") == [
            (5, MEMBERS[1])
        ]
        assert exitcodes("cancel", "5") == (0, "", "")  # recorded: root may cancel any job
        assert not wait_until(lambda: victim.poll() is not None, seconds=1.0)
    finally:
        victim.kill()
        victim.wait(timeout=60)
    assert victim.returncode == -signal.SIGKILL  # killed here, by the test, not by the cancel


@needs_root
def test_a_planted_link_is_never_followed(
    open_dir: Path, kit: ProbeKit, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shared = group_database(open_dir)
    monkeypatch.setenv("EXITWRAP_DB", shared)
    assert as_member(RECORD_AS_USER, shared, database=shared).returncode == 0
    # another user's private record, linked into the shared spool for root to ingest
    private = str(tmp_path / "private.db")
    record(private, [str(kit.probe), "exit", "0", "secret-argument"])
    (secret,) = [p for p in Path(private + ".spool").iterdir() if p.name.endswith(".job")]
    shutil.copy2(secret, tmp_path / "kept")  # what ingest of the private database leaves
    os.chmod(tmp_path, 0o755)
    os.chmod(private + ".spool", 0o755)
    os.chmod(secret, 0o644)
    planted = as_member(PLANT_LINK, f"{shared}.spool/7.job", str(secret), database=shared)
    target = open_dir / "created-by-root"
    os.unlink(shared + ".spool/lock")
    lock = as_member(PLANT_LINK, f"{shared}.spool/lock", str(target), database=shared)
    assert planted.returncode == lock.returncode == 0
    marker = tmp_path / "ran"
    done = subprocess.run(
        [*EXITWRAP, "sh", "-c", f"touch {marker}; exit 3"],
        env=wrapped_env(shared),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 3 and marker.exists()
    warning = one_line_error(done.stderr, "exitwrap")
    assert "lock: a symbolic link, not a regular file" in warning
    assert not target.exists()
    os.unlink(shared + ".spool/lock")  # the administrator removes it; the record link stays
    _, _, err = exitcodes("sacct", "-a", "-n", "-X", "-o", "JobID")  # root: nothing ingested
    assert "root does not use what another user owns or may replace" in err
    assert member_rows(shared, "SELECT count(*) FROM jobs WHERE command LIKE '%secret%'") == [(0,)]
    checked = as_member(DB_CHECK, database=shared)
    assert "1 files that are no regular files" in checked.stdout
    assert decode(secret.read_bytes()) == decode((tmp_path / "kept").read_bytes())


def test_a_fifo_or_a_directory_in_the_spool_hangs_and_breaks_nothing(
    db: str, kit: ProbeKit, tmp_path: Path
) -> None:
    record(db, [str(kit.probe), "exit", "0"])
    spool = spool_of(db)  # a server's queue is read by the same rules
    os.mkfifo(spool / "601.job")  # a running job's record, as a parent job would be looked up
    (spool / "602.end").mkdir()
    env = {**wrapped_env(db), "EXITWRAP_JOB_ID": "601"}
    done = subprocess.run(
        [*EXITWRAP, str(kit.probe), "exit", "4"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 4
    assert "job 601 (EXITWRAP_JOB_ID) is not a running job of this user" in done.stderr
    status, out, err = exitcodes("sacct", "-n", "-X", "-o", "JobID,ExitCode")
    assert status == 0 and err == "" and out.split() == ["1", "0:0", "2", "4:0"]
    status, out, _ = exitcodes("db", "check")
    assert status == 1
    assert "spool: 2 files that are no regular files (a FIFO, a directory, a link)" in out


def test_a_fifo_where_the_database_should_be_hangs_nothing(tmp_path: Path) -> None:
    fifo = tmp_path / "db"
    os.mkfifo(fifo)
    done = subprocess.run(
        [*EXITWRAP, "sh", "-c", "exit 6"],
        env=wrapped_env(str(fifo)),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 6
    assert one_line_error(done.stderr, "exitwrap") == (
        f"exitwrap: warning: not recorded: {fifo}: a FIFO, not a regular file"
    )
    reader = subprocess.run(
        [sys.executable, "-m", "exitwrap", "sacct"],
        env=wrapped_env(str(fifo)),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert reader.returncode == 1
    assert one_line_error(reader.stderr, "exitcodes sacct").endswith("a FIFO, not a database file")
