"""The accounting on a PostgreSQL server: what only a server does, against a real one.

The rest of the accounting suite runs on both stores (the ``db`` fixture);
here: rights the server enforces itself (each user connects as themselves
and tries, with psycopg directly, to change what is not theirs), the queue
exitwrap spools into while the server is away (nothing lost, the status
unchanged, one warning), pushes that can be repeated or fail half-way,
ids that were handed out before a queue had its origin, the schema's set-up
and versions. Multi-host runs are in tests/test_accounting_hosts.py.
"""

from __future__ import annotations

import os
import pwd
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import psycopg
import pytest

from exitwrap.accounting.backend import catch_up
from exitwrap.accounting.background import push_running
from exitwrap.accounting.location import ID_BLOCK, Queue
from exitwrap.accounting.recorder import Recorder
from exitwrap.accounting.records import Selection
from exitwrap.accounting.sacct import query
from exitwrap.accounting.server import database as server_database
from exitwrap.accounting.server import push as pushing
from exitwrap.accounting.server import schema
from exitwrap.accounting.server.schema import JOB_FIELDS, VERSION
from exitwrap.accounting.store import DatabaseError
from exitwrap.observe.probe import ProbeKit
from tests.accounting_helpers import (
    batch,
    batch_job,
    change,
    exitcodes,
    one_line_error,
    record,
    rows,
    spool_of,
    wrap,
    wrapped_env,
)
from tests.postgres_helpers import Cluster, free_port
from tests.wrap_helpers import EXITWRAP, wait_until

pytestmark = pytest.mark.postgresql


class Site:
    """One test's database on the worker's server, and who is acting on it."""

    def __init__(
        self, cluster: Cluster, name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        self.cluster = cluster
        self.name = name
        self.tmp_path = tmp_path
        self.monkeypatch = monkeypatch
        monkeypatch.setenv("PGPASSFILE", str(cluster.passfile(tmp_path)))

    def act_as(self, user: str) -> str:
        """Record and read as this role (over TCP with its password; root over the socket),
        with a state directory, so a queue, of its own: its EXITWRAP_DB."""
        database = (
            self.cluster.uri(self.name) if user == "root" else self.cluster.tcp_uri(self.name, user)
        )
        self.monkeypatch.setenv("EXITWRAP_DB", database)
        self.monkeypatch.setenv("XDG_STATE_HOME", str(self.tmp_path / f"state-{user}"))
        return database

    def connect(self, user: str) -> psycopg.Connection[Any]:
        """A psycopg connection as this role, straight to the server (no exitwrap code)."""
        connection = psycopg.connect(self.cluster.tcp_uri(self.name, user), autocommit=True)
        connection.execute("SET search_path TO exitwrap")
        return connection


@pytest.fixture
def site(pg_cluster: Cluster, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Site:
    return Site(pg_cluster, pg_cluster.new_database(), tmp_path, monkeypatch)


def _ended_job(site: Site, user: str, kit: ProbeKit) -> int:
    """A job of this user's, pushed: its id as everyone sees it (once its queue has an origin,
    which a queue gets at its first push)."""
    database = site.act_as(user)
    told = batch_job(database, [[str(kit.probe), "exit", "3"]])
    assert catch_up(database) is None
    return Queue(database, os.environ).ids().aliases(told)[-1]


WATCHED = "job_id, state, exit_status, end_time, derived_status, cancel_uid, comment"


def _refused(connection: psycopg.Connection[Any], statement: str, *args: object) -> str:
    """The server's refusal of a statement: its SQLSTATE."""
    with pytest.raises(psycopg.Error) as refusal:
        connection.execute(statement, args or None)
    return str(refusal.value.sqlstate)


def test_the_server_refuses_every_change_to_another_users_job(site: Site, kit: ProbeKit) -> None:
    alices = _ended_job(site, "alice", kit)
    bobs = _ended_job(site, "bob", kit)
    assert alices != bobs and rows(site.act_as("root"), "SELECT count(*) FROM jobs") == [(2,)]
    before = rows(site.act_as("root"), f"SELECT {WATCHED} FROM jobs ORDER BY job_id")
    with site.connect("bob") as bob:
        # another's rows: row-level security touches none of them, and says nothing
        for statement in (
            "UPDATE jobs SET comment = 'bob was here' WHERE job_id = %s",
            "UPDATE jobs SET derived_status = 0 WHERE job_id = %s",
            "UPDATE jobs SET cancel_uid = 0 WHERE job_id = %s",
            "UPDATE steps SET cancel_uid = 0 WHERE job_id = %s",
        ):
            assert bob.execute(statement, (alices,)).rowcount == 0, statement
        # columns that are no user's to change, rows no user may add or delete: refused
        assert _refused(bob, "UPDATE jobs SET state = 'FAILED' WHERE job_id = %s", bobs) == "42501"
        assert _refused(bob, "UPDATE jobs SET exit_status = 0 WHERE job_id = %s", bobs) == "42501"
        assert (
            _refused(bob, "UPDATE jobs SET \"user\" = 'bob' WHERE job_id = %s", alices) == "42501"
        )
        assert _refused(bob, "DELETE FROM jobs WHERE job_id = %s", alices) == "42501"
        assert _refused(bob, "DELETE FROM steps") == "42501"
        assert (
            _refused(bob, "INSERT INTO jobs (job_id, kind, name, uid, \"user\", gid, command, "
                     "workdir, submit_time, start_time, state, node) VALUES (%s, 'single', 'x', "
                     "0, 'alice', 0, 'x', '/', 0, 0, 'RUNNING', 'n')", 7)
            == "42501"
        )  # fmt: skip
        # the record functions write the caller's rows only, under the caller's origins
        ending = [alices, "batch", "x", 0, 0, None, None, b"x", "/", 0.0, 0.0, 1.0, "COMPLETED"]
        ending += [None, 0, 9, 1, 1, "n", None, None, None]
        ending += [None] * (len(JOB_FIELDS) - len(ending))  # what a Slurm job keeps
        call = f"SELECT record_job({', '.join(['%s'] * len(JOB_FIELDS))})"
        assert _refused(bob, call, *ending) == "42501"
        # an ended job, even one's own, never changes but for its derived code and comment
        bob.execute(call, [bobs, *ending[1:]])
        assert bob.execute("UPDATE jobs SET comment = 'mine' WHERE job_id = %s", (bobs,)).rowcount
        assert _refused(bob, "UPDATE jobs SET cancel_uid = 0 WHERE job_id = %s", bobs) == "23514"
    after = rows(site.act_as("root"), f"SELECT {WATCHED} FROM jobs ORDER BY job_id")
    assert after[0] == before[0]  # alice's job: untouched
    assert after[1] == (*before[1][:-1], "mine")  # bob's: his comment, nothing else


def test_jobexitmod_of_another_users_job_is_refused_by_the_server(
    site: Site, kit: ProbeKit
) -> None:
    alices = _ended_job(site, "alice", kit)
    site.act_as("bob")
    status, out, err = exitcodes("jobexitmod", "-e", "7", "-r", "not mine", str(alices))
    assert status == 1 and out == ""
    line = one_line_error(err, "exitcodes jobexitmod")
    assert f"job {alices} belongs to alice" in line and "the server refused" in line
    status, _, err = exitcodes("cancel", str(alices))
    assert status == 1 and "already completing or completed" in err
    site.act_as("alice")
    assert exitcodes("jobexitmod", "-e", "7", "-r", "mine", str(alices))[0] == 0
    site.act_as("root")  # an exitwrap administrator may change anyone's
    assert exitcodes("jobexitmod", "-r", "checked by root", str(alices))[0] == 0
    assert rows(site.act_as("root"), "SELECT derived_status, comment FROM jobs") == [
        (7 << 8, "checked by root")
    ]


def test_private_jobs_are_read_by_their_owners_and_administrators(
    site: Site, kit: ProbeKit
) -> None:
    bobs = _ended_job(site, "bob", kit)  # first: bob's ids are his queue's own
    alices = _ended_job(site, "alice", kit)

    def seen(user: str) -> list[str]:
        site.act_as(user)
        return exitcodes("sacct", "-a", "-X", "-n", "-P", "-o", "JobID,User")[1].split()

    everyone = [f"{bobs}|bob", f"{alices}|alice"]
    assert seen("bob") == everyone  # Slurm's default: every user reads every job
    assert exitcodes("db", "init", "--private")[0] == 1  # bob may not set the site up
    site.act_as("root")  # an exitwrap administrator may
    status, out, _ = exitcodes("db", "init", "--private")
    assert status == 0 and "jobs readable by owners and administrators" in out
    assert seen("bob") == [f"{bobs}|bob"] and seen("alice") == [f"{alices}|alice"]
    assert seen("root") == everyone
    site.act_as("bob")
    status, _, err = exitcodes("show", "job", str(alices))
    assert status == 1 and "Invalid job id specified" in err


def _run(argv: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60, check=False)


def _wait_for_pushes(queue: Queue) -> None:
    """Until no push runs for this queue and none is asked for (bounded)."""
    assert wait_until(
        lambda: not push_running(queue) and not os.path.exists(queue.file("again")), 60
    )


def test_a_server_away_loses_nothing_and_warns_once(
    site: Site, kit: ProbeKit, tmp_path: Path
) -> None:
    database = site.act_as("root")
    queue = Queue(database, os.environ)
    site.cluster.halt()
    try:
        runs = []
        for code in (3, 0, 5):
            argv = [*EXITWRAP, str(kit.probe), "exit", str(code)]
            runs.append(_run(argv, wrapped_env(database)))
            _wait_for_pushes(queue)  # each run's push has failed before the next run
        _wait_for_pushes(queue)
        # the statuses are the commands'; one warning, at the first run after a push failed
        assert [run.returncode for run in runs] == [3, 0, 5]
        warned = [run.stderr for run in runs if run.stderr]
        assert len(warned) == 1 and runs[0].stderr == "", [run.stderr for run in runs]
        line = one_line_error(warned[0], "exitwrap")
        assert line.startswith("exitwrap: warning: not pushed since ")
        assert "records wait in this host's queue" in line
        assert len({e.name for e in spool_of(database).iterdir() if e.suffix == ".job"}) == 3
        status, _, err = exitcodes("sacct")
        assert status == 1 and one_line_error(err, "exitcodes sacct")
    finally:
        site.cluster.start()
    status, out, _ = exitcodes("db", "push")
    assert status == 0 and out.startswith("pushed 3 jobs and 3 steps to ")
    assert rows(database, "SELECT job_id, exit_status FROM jobs ORDER BY job_id") == [
        (1, 3 << 8), (2, 0), (3, 5 << 8)
    ]  # fmt: skip
    assert not os.path.exists(queue.file("failed")) and not os.path.exists(queue.file("warned"))


NOTING = """
import sys, time
from exitwrap.accounting.location import Queue
from exitwrap.accounting.server.push import note_failure
queue, stop_at = Queue(sys.argv[1], {"XDG_STATE_HOME": sys.argv[2]}), time.monotonic() + 1.0
while time.monotonic() < stop_at:
    note_failure(queue, "the server is away")
"""


def test_the_outage_note_is_taken_whole_or_not_at_all(tmp_path: Path) -> None:
    # a push notes why it failed while exitwraps take the note to warn once: a note taken
    # while it was being written warned with an empty reason (about a quarter of the takes)
    database = "postgresql://nobody@127.0.0.1/none"
    queue = Queue(database, {"XDG_STATE_HOME": str(tmp_path)})
    os.makedirs(queue.directory)
    noting = subprocess.Popen([sys.executable, "-c", NOTING, database, str(tmp_path)])
    taken = []
    while noting.poll() is None:
        reason = queue.take_failure()
        if reason is not None:
            taken.append(reason)
            os.unlink(queue.file("warned"))  # the next outage's note may come
    assert noting.returncode == 0 and taken
    whole = [r for r in taken if r.startswith("not pushed since ") and "the server is away;" in r]
    assert whole == taken, [r for r in taken if r not in whole][:3]


def test_a_push_repeated_or_failing_half_way_leaves_each_record_once(
    site: Site, kit: ProbeKit, monkeypatch: pytest.MonkeyPatch
) -> None:
    database = site.act_as("root")
    job = batch_job(database, [[str(kit.probe), "exit", "1"], [str(kit.probe), "signal", "9"]])
    waiting = {e.name for e in spool_of(database).iterdir() if not e.name.startswith(".")}
    # the server refuses the transaction half-way: nothing committed, nothing leaves the queue
    with monkeypatch.context() as patched:
        patched.setattr(pushing._STEPS, "function", "no_such_function")
        with pytest.raises(DatabaseError, match="no_such_function"):
            catch_up(database)
    assert _on_server(site) == 0
    # a crash once the server has committed, before the queue forgot what it sent
    sent = pushing.send

    def crash_after(*args: Any) -> pushing.Pushed:
        sent(*args)
        raise RuntimeError("crashed")

    with monkeypatch.context() as patched:
        patched.setattr(pushing, "send", crash_after)
        with pytest.raises(RuntimeError):
            catch_up(database)
    assert _on_server(site) == 1
    assert {e.name for e in spool_of(database).iterdir() if not e.name.startswith(".")} >= (waiting)
    first = rows(database, "SELECT * FROM steps ORDER BY step_index")  # sent again: no harm
    assert [row[:2] for row in first] == [(job, -1), (job, 0), (job, 1)]
    assert catch_up(database) is None
    assert rows(database, "SELECT * FROM steps ORDER BY step_index") == first
    assert rows(database, "SELECT count(*) FROM jobs") == [(1,)]


def test_a_queue_is_private_to_its_user(site: Site, kit: ProbeKit) -> None:
    database = site.act_as("root")
    record(database, [str(kit.probe), "exit", "0"])
    assert catch_up(database) is None
    queue = Queue(database, os.environ)
    assert stat.S_IMODE(os.stat(queue.directory).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(spool_of(database)).st_mode) == 0o700
    for path in Path(queue.directory).rglob("*"):
        if path.is_file():
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    assert database not in str(list(Path(queue.directory).parents))  # no password in a path


def test_an_id_told_before_the_first_push_names_its_job_here(
    site: Site, kit: ProbeKit, tmp_path: Path
) -> None:
    first = site.act_as("alice")  # the server's first queue: origin 0, ids as they are
    assert batch_job(first, [[str(kit.probe), "exit", "0"]]) == 1
    assert catch_up(first) is None
    database = site.act_as("bob")
    done, told = batch(tmp_path, f"exitwrap {kit.probe} exit 4\ntrue\n", path=database)
    assert done.returncode == 0 and told == 1  # no origin yet: the queue's own id
    assert catch_up(database) is None
    became = ID_BLOCK + told  # bob's queue: origin 1
    _, out, _ = exitcodes("sacct", "-n", "-P", "-j", str(told), "-o", "JobID,User,ExitCode")
    assert out.split() == [
        "1|alice|0:0", "1.batch||0:0", "1.0||0:0",
        f"{became}|bob|0:0", f"{became}.batch||0:0", f"{became}.0||4:0",
    ]  # fmt: skip
    status, _, err = exitcodes("show", "job", str(told))
    assert status == 1 and "ambiguous" in one_line_error(err, "exitcodes show")
    assert exitcodes("show", "job", str(became))[0] == 0
    _, again = batch(tmp_path, "true\n", path=database)
    assert again == ID_BLOCK + 2  # the origin known: the id everyone sees, from the start


def _bare_database(cluster: Cluster, prefix: str) -> str:
    """A database with no accounting in it yet: its name."""
    name = f"{prefix}_{os.getpid()}_{free_port()}"
    with cluster.admin() as admin:
        admin.execute(f"CREATE DATABASE {name}")
    return name


def test_a_server_without_the_schema_says_who_sets_it_up(
    pg_cluster: Cluster, kit: ProbeKit, monkeypatch: pytest.MonkeyPatch
) -> None:
    name = _bare_database(pg_cluster, "bare")
    database = pg_cluster.uri(name)
    monkeypatch.setenv("EXITWRAP_DB", database)
    record(database, [str(kit.probe), "exit", "0"])  # exitwrap records all the same
    status, _, err = exitcodes("sacct")
    line = one_line_error(err, "exitcodes sacct")
    assert status == 1 and "exitcodes db init" in line  # root is no superuser there
    superuser = pg_cluster.uri(name, pg_cluster.superuser)
    monkeypatch.setenv("EXITWRAP_DB", superuser)
    status, out, _ = exitcodes("db", "init")
    assert status == 0 and f"schema version {VERSION}" in out
    monkeypatch.setenv("EXITWRAP_DB", database)
    assert [job.job_id for job in query(database, Selection())] == [1]
    change(database, f"UPDATE meta SET version = {VERSION + 1}")
    status, _, err = exitcodes("sacct")
    assert status == 1 and "newer than this exitwrap reads" in err


def test_a_newer_exitwrap_migrates_the_server_when_a_privileged_role_first_uses_it(
    site: Site, kit: ProbeKit, monkeypatch: pytest.MonkeyPatch
) -> None:
    database = site.act_as("root")
    record(database, [str(kit.probe), "exit", "3"])
    upgrade = ("CREATE INDEX steps_by_state ON steps (state)",)  # what the next one adds
    monkeypatch.setattr(server_database, "MIGRATIONS", (*schema.MIGRATIONS, upgrade))
    monkeypatch.setattr(server_database, "VERSION", VERSION + 1)
    status, _, err = exitcodes("sacct")  # an administrator, no superuser: may not migrate
    assert status == 1 and "exitcodes db init" in one_line_error(err, "exitcodes sacct")
    superuser = site.cluster.uri(site.name, site.cluster.superuser)
    assert query(superuser, Selection()) == []  # migrated on first use; nothing of its own
    assert rows(database, "SELECT version FROM meta") == [(VERSION + 1,)]
    assert rows(database, "SELECT exit_status FROM jobs") == [(3 << 8,)]  # kept waiting


def test_a_push_sends_only_what_its_user_wrote_into_the_queue(site: Site, kit: ProbeKit) -> None:
    database = site.act_as("root")
    recorder = Recorder(database)
    wrap(recorder, [str(kit.probe), "exit", "0"])
    recorder.close()
    planted = [path for path in spool_of(database).iterdir() if path.suffix in (".job", ".end")]
    assert len(planted) == 2
    for path in planted:  # as if another user had written them there
        os.chown(path, pwd.getpwnam("nobody").pw_uid, -1)
    assert catch_up(database) is None
    assert _on_server(site) == 0  # a record belongs to its file's owner: not root's to push
    status, out, _ = exitcodes("db", "check")
    assert status == 1 and "spool: 2 records not written by their job's owner" in out
    assert sorted(path.name for path in spool_of(database).iterdir() if path in planted) == [
        path.name for path in sorted(planted)
    ]  # kept where they are


OLD_JOB = 7 * ID_BLOCK + 1  # pushed by an older exitwrap (under an origin of its own)


@pytest.mark.parametrize("old", range(1, VERSION), ids=lambda v: f"schema-{v}")
def test_an_older_server_is_migrated_keeping_its_jobs_and_then_keeps_what_is_new(
    pg_cluster: Cluster, kit: ProbeKit, monkeypatch: pytest.MonkeyPatch, old: int
) -> None:
    """Every released schema (1: the first server's; 2: the PID namespace) moves to this
    one: the jobs kept, the namespace and Slurm's columns there for new ones."""
    name = _bare_database(pg_cluster, f"old{old}")
    superuser = pg_cluster.uri(name, pg_cluster.superuser)
    with monkeypatch.context() as older:
        older.setattr(server_database, "MIGRATIONS", schema.MIGRATIONS[:old])
        older.setattr(server_database, "VERSION", old)
        with server_database.Server(superuser) as server:
            assert server.migrate() == old
    with pg_cluster.admin(name) as admin:
        assert admin.execute("SELECT version FROM exitwrap.meta").fetchone() == (old,)
        admin.execute(
            'INSERT INTO exitwrap.jobs (job_id, kind, name, uid, "user", gid, command, workdir,'
            " submit_time, start_time, end_time, state, exit_status, node) VALUES"
            " (%s, 'single', 'old', 0, 'root', 0, 'true', '/', 1, 1, 2, 'COMPLETED', 0, 'n')",
            (OLD_JOB,),
        )
    monkeypatch.setenv("EXITWRAP_DB", superuser)
    status, out, _ = exitcodes("db", "init")
    assert status == 0 and f"schema version {VERSION}" in out
    database = pg_cluster.uri(name)
    monkeypatch.setenv("EXITWRAP_DB", database)
    new = record(database, [str(kit.probe), "exit", "0"]).job_id
    here = os.stat("/proc/self/ns/pid").st_ino
    assert rows(database, "SELECT job_id, pid_ns, cluster FROM jobs ORDER BY job_id") == [
        (new, here, None),  # outside Slurm: no cluster
        (OLD_JOB, None, None),  # from before: its namespace unknown, judged as before
    ]
    assert [job.state for job in query(database, Selection())] == ["COMPLETED", "COMPLETED"]


def test_recording_to_a_server_imports_no_driver_and_warns_nothing_the_first_time(
    tmp_path: Path,
) -> None:
    unreachable = f"postgresql://nobody@127.0.0.1:{free_port()}/none"
    env = {**wrapped_env(unreachable), "XDG_STATE_HOME": str(tmp_path)}
    done = subprocess.run(
        [*EXITWRAP, "/bin/sh", "-c", "exit 7"], env=env, capture_output=True, text=True,
        timeout=60, check=False,
    )  # fmt: skip
    assert (done.returncode, done.stderr) == (7, "")
    queue = Queue(unreachable, env)
    _wait_for_pushes(queue)
    assert wait_until(lambda: os.path.exists(queue.file("failed")), 60)


HOLD_THE_LOCK = """
import os, sys
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)
os.lockf(fd, os.F_LOCK, 0)
print("holding", flush=True)
sys.stdin.read()
"""


def test_a_push_in_the_background_joins_one_that_runs(site: Site, kit: ProbeKit) -> None:
    database = site.act_as("root")
    queue = Queue(database, os.environ)
    recorder = Recorder(database)
    wrap(recorder, [str(kit.probe), "exit", "0"])
    holder = subprocess.Popen(  # a push is running: another process holds its lock
        [sys.executable, "-c", HOLD_THE_LOCK, queue.file("push")],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "holding\n"
        assert recorder.push_in_background() is None  # asks it for one more round...
        assert os.path.exists(queue.file("again"))
        assert exitcodes("db", "push", "--background") == (0, "", "")  # ...and starts none
        assert _on_server(site) == 0
    finally:
        holder.communicate("", timeout=60)
        recorder.close()
    assert exitcodes("db", "push", "--background") == (0, "", "")  # that round, done here
    assert _on_server(site) == 1 and not os.path.exists(queue.file("again"))


def _on_server(site: Site) -> int:
    """How many jobs the server holds, read without pushing anything first."""
    with site.cluster.admin(site.name) as admin:
        row = admin.execute("SELECT count(*) FROM exitwrap.jobs").fetchone()
    assert row is not None
    return int(row[0])
