"""The recorder exitwrap calls: ids, states, privacy, concurrency and faults, with real processes.

Expected states follow Slurm's "Job Exit Codes" page and sacct(1)
as harness/exitwrap/accounting/states.py cites them; observed statuses always come
from running the probe child.
"""

from __future__ import annotations

import os
import resource
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from exitwrap.accounting import files, schema, store
from exitwrap.accounting.backlog import Backlog
from exitwrap.accounting.ingest import catch_up
from exitwrap.accounting.location import database_path, spool_database
from exitwrap.accounting.recorder import Recorder, RecordingError, StepTicket
from exitwrap.accounting.records import Selection
from exitwrap.accounting.sacct import query
from exitwrap.accounting.store import DatabaseError
from exitwrap.observe.probe import ProbeKit
from tests.accounting_helpers import as_nobody, begin, needs_root, record, rows, spool_of, wrap
from tests.conftest import REPO, sqlite_only
from tests.wrap_helpers import read_line


@pytest.fixture
def db(db: str, backend: str, tmp_path: Path) -> str:
    """This test's store: an SQLite file in a directory not made yet, or a server."""
    return str(tmp_path / "acct" / "accounting.db") if backend == "sqlite" else db


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({"EXITWRAP_DB": "off"}, None),
        ({"EXITWRAP_DB": "OFF", "HOME": "/h"}, None),
        ({"EXITWRAP_DB": "/data/shared.db", "HOME": "/h"}, "/data/shared.db"),
        ({"HOME": "/h"}, "/h/.local/share/exitwrap/accounting.db"),
        ({"HOME": "/h", "XDG_DATA_HOME": "/x"}, "/x/exitwrap/accounting.db"),
        # the XDG spec: a relative XDG_DATA_HOME is invalid and ignored
        ({"HOME": "/h", "XDG_DATA_HOME": "rel"}, "/h/.local/share/exitwrap/accounting.db"),
    ],
)
def test_database_path(environ: dict[str, str], expected: str | None) -> None:
    assert database_path(environ) == expected


# (probe arguments, raw wait status, job state, step state): "Job Exit Codes" and sacct(1)
OUTCOMES = [
    (["exit", "0"], 0, "COMPLETED", "COMPLETED"),
    (["exit", "3"], 3 << 8, "FAILED", "FAILED"),
    (["exit", "-1"], 255 << 8, "FAILED", "FAILED"),  # shown unsigned: 255:0
    (["signal", "9"], 9, "FAILED", "CANCELLED"),
    (["signal", "15"], 15, "FAILED", "CANCELLED"),
]


@pytest.mark.parametrize(("args", "status", "job_state", "step_state"), OUTCOMES)
def test_one_step_job_takes_its_steps_status(
    db: str, kit: ProbeKit, args: list[str], status: int, job_state: str, step_state: str
) -> None:
    recorder = Recorder(db)
    ticket, warning, observed = wrap(recorder, [str(kit.probe), *args])
    recorder.close()
    assert warning is None and ticket == StepTicket(ticket.job_id, "0")
    assert observed == status
    assert rows(db, "SELECT state, exit_status, kind FROM jobs") == [(job_state, status, "single")]
    step = rows(db, "SELECT step_index, state, exit_status, end_time >= start_time FROM steps")
    assert step == [(0, step_state, status, 1)]


def test_batch_job_gets_dense_steps_and_only_its_script_decides_its_state(
    db: str, kit: ProbeKit
) -> None:
    recorder = Recorder(db)
    batch, _ = begin(
        recorder, ["job.sh"], batch=True, job_name="nightly", account="lc", comment="first run"
    )
    steps = [
        wrap(recorder, [str(kit.probe), *args], parent_job=batch.job_id)[0]
        for args in (["exit", "1"], ["signal", "9"], ["exit", "0"])
    ]
    recorder.finish(batch, wait_status=0, timed_out=False, rusage=None)
    recorder.close()
    assert batch.step == "batch" and [s.step for s in steps] == ["0", "1", "2"]
    assert {s.job_id for s in steps} == {batch.job_id}
    # failing steps never change the job's state or exit code
    assert rows(db, "SELECT name, account, comment, state, exit_status FROM jobs") == [
        ("nightly", "lc", "first run", "COMPLETED", 0)
    ]
    assert rows(db, "SELECT step_index, state FROM steps ORDER BY step_index") == [
        (-1, "COMPLETED"),
        (0, "FAILED"),
        (1, "CANCELLED"),
        (2, "COMPLETED"),
    ]


def test_unknown_or_finished_parent_job_starts_a_new_job_with_a_warning(
    db: str, kit: ProbeKit
) -> None:
    recorder = Recorder(db)
    finished, _, _ = wrap(recorder, [str(kit.probe), "exit", "0"])
    for stale in (finished.job_id, 4242):
        ticket, warning, _ = wrap(recorder, [str(kit.probe), "exit", "0"], parent_job=stale)
        assert ticket.job_id not in (finished.job_id, stale) and ticket.step == "0"
        assert warning is not None and f"job {stale}" in warning
    recorder.close()


def test_parent_job_whose_process_is_gone_is_stale(db: str, kit: ProbeKit) -> None:
    gone = subprocess.Popen([str(kit.probe), "exit", "0"])
    gone.wait(timeout=60)
    recorder = Recorder(db)
    # a batch job whose leader has exited without a word: its steps cannot belong to it
    orphan, _ = begin(recorder, ["job.sh"], batch=True, pid=gone.pid)
    ticket, warning, _ = wrap(recorder, [str(kit.probe), "exit", "0"], parent_job=orphan.job_id)
    recorder.close()
    assert ticket.job_id != orphan.job_id and warning is not None


def test_redacted_command_keeps_only_argv0(db: str) -> None:
    recorder = Recorder(db)
    begin(recorder, ["deploy", "--token", "s3cret"], redact=True, cwd="/srv")
    recorder.close()
    assert rows(db, "SELECT command, workdir FROM jobs") == [("deploy", "/srv")]
    assert rows(db, "SELECT command FROM steps") == [("deploy",)]


INSERT_ANY_JOB = """INSERT INTO jobs (kind, name, uid, user, gid, command, workdir, submit_time,
    start_time, state, node) VALUES ('single', 'x', 0, 'root', 0, 'x', '/', 0, 0, 'RUNNING', 'n')"""


def _modes(spool: Path) -> set[tuple[str, int]]:
    """(name, mode) of the spool's files, temporaries' names shortened to their prefix."""
    return {
        (path.name if path.name.endswith((".job", ".end", "next", "lock")) else path.suffix,
         stat.S_IMODE(path.stat().st_mode))
        for path in spool.iterdir()
    }  # fmt: skip


@sqlite_only
def test_new_database_its_spool_and_its_journal_are_private(db: str) -> None:
    record(db, ["true"])
    assert stat.S_IMODE(os.stat(db).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(os.path.dirname(db)).st_mode) == 0o700
    spool = Path(db + ".spool")
    assert stat.S_IMODE(spool.stat().st_mode) == 0o700
    assert _modes(spool) == {(n, 0o600) for n in ("lock", "next", "1.job", "1.end")}
    assert rows(db, "SELECT count(*) FROM jobs") == [(1,)]  # ingested: only the lock and
    assert {name for name, _ in _modes(spool)} <= {"lock", "next"}  # the counter stay
    with sqlite3.connect(db, isolation_level=None) as writer:
        writer.execute("BEGIN IMMEDIATE")
        writer.execute(INSERT_ANY_JOB)  # a write makes SQLite create the rollback journal
        journal = os.stat(db + "-journal")
        writer.execute("ROLLBACK")
    assert stat.S_IMODE(journal.st_mode) == 0o600
    assert not os.path.exists(db + "-wal")


WORKER = """
import os, sys
from exitwrap.accounting.recorder import Recorder
path, job, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
recorder = Recorder(path)
for _ in range(count):
    ticket, warning = recorder.begin(argv=["step"], redact=False, cwd="/", batch=False,
        parent_job=job, job_name=None, account=None, comment=None, pid=os.getpid())
    assert warning is None and ticket.job_id == job, (ticket, warning)
    recorder.finish(ticket, wait_status=0, timed_out=False, rusage=None)
recorder.close()
"""


@pytest.mark.slow
def test_sixteen_writers_lose_no_step_and_ids_stay_dense(db: str) -> None:
    writers, per_writer = 16, 500
    recorder = Recorder(db)
    batch = recorder.begin_own_job(["job.sh"])
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, db, str(batch.job_id), str(per_writer)],
            cwd=REPO,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(writers)
    ]
    failures = [p.communicate(timeout=300)[1] for p in procs if p.wait(timeout=300) != 0]
    recorder.finish(batch, wait_status=0, timed_out=False, rusage=None)
    recorder.close()
    assert failures == []
    indexes = rows(db, "SELECT step_index FROM steps WHERE step_index >= 0 ORDER BY step_index")
    assert indexes == [(n,) for n in range(writers * per_writer)]
    assert rows(db, "SELECT count(*) FROM steps WHERE state != 'COMPLETED'") == [(0,)]
    assert rows(db, "SELECT next_step FROM jobs") == [(writers * per_writer,)]


@sqlite_only
def test_corrupt_database_is_a_recording_error(db: str) -> None:
    os.makedirs(os.path.dirname(db))
    Path(db).write_bytes(b"this is not an SQLite database, just some bytes\n" * 100)
    with pytest.raises(RecordingError, match="not a database"):
        Recorder(db)


@sqlite_only
def test_database_from_a_newer_exitwrap_keeps_what_is_spooled_until_an_upgrade(
    db: str, kit: ProbeKit, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.open_for_writing(db).close()
    with sqlite3.connect(db) as raw:
        raw.execute(f"PRAGMA user_version = {schema.VERSION + 1}")
    record(db, [str(kit.probe), "exit", "4"])  # exitwrap records without reading the schema
    with pytest.raises(DatabaseError, match=f"schema version {schema.VERSION + 1} is newer"):
        catch_up(db)
    assert len(Backlog(db).entries()) == 2  # begin and end wait in the spool
    upgrade = ("CREATE INDEX steps_by_state ON steps (state)",)  # what the newer one added
    monkeypatch.setattr(store, "MIGRATIONS", (*schema.MIGRATIONS, upgrade))
    monkeypatch.setattr(store, "VERSION", schema.VERSION + 1)
    assert rows(db, "SELECT exit_status FROM jobs") == [(4 << 8,)]
    assert Backlog(db).entries() == []


HOLD_THE_LOCK = """
import os, sys
fd = os.open(sys.argv[1], os.O_RDWR)
os.lockf(fd, os.F_LOCK, 0)
print("holding", flush=True)
sys.stdin.read()
"""


def test_a_spool_lock_held_too_long_fails_within_the_bounded_wait(
    db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(files, "BUSY_TIMEOUT_S", 0.2)
    recorder = Recorder(db)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_THE_LOCK, str(spool_of(db) / "lock")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert read_line(holder, "holding") == "holding"
    try:
        with pytest.raises(RecordingError, match=r"spool locked for more than 0\.2 s"):
            begin(recorder, ["x"])
    finally:
        holder.communicate("", timeout=60)
    recorder.close()


@sqlite_only
def test_a_database_lock_held_too_long_leaves_the_spool_for_the_next_reader(
    db: str, kit: ProbeKit, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(files, "BUSY_TIMEOUT_S", 0.2)
    store.open_for_writing(db).close()
    job = record(db, [str(kit.probe), "exit", "0"]).job_id
    with sqlite3.connect(db, isolation_level=None) as holder:
        holder.execute("BEGIN IMMEDIATE")
        notice = catch_up(db)  # a reader shows what is ingested rather than fail
        holder.execute("ROLLBACK")
    assert notice is not None and notice.startswith("2 spooled records not ingested (")
    assert "locked for more than 0.2 s" in notice
    assert rows(db, "SELECT job_id FROM jobs") == [(job,)]  # nothing lost: the next one did


FULL_DISK = """
import os, resource, sys
from exitwrap.accounting.recorder import Recorder, RecordingError
recorder = Recorder(sys.argv[1])
resource.setrlimit(resource.RLIMIT_FSIZE, (os.path.getsize(sys.argv[2]), resource.RLIM_INFINITY))
try:
    for n in range(10000):
        recorder.begin(argv=["x" * 4000], redact=False, cwd="/", batch=False, parent_job=None,
            job_name=None, account=None, comment=None, pid=os.getpid())
except RecordingError as error:
    print(error)
"""


def test_a_full_disk_is_a_recording_error(db: str) -> None:
    Recorder(db).close()
    # RLIMIT_FSIZE makes the file system refuse to grow the database, as a full disk would
    beside = spool_database(db, os.environ)  # the file the spool is beside
    result = subprocess.run(
        [sys.executable, "-c", FULL_DISK, db, beside],
        cwd=REPO, capture_output=True, text=True, check=False, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"{spool_of(db)}: File too large")
    assert len(result.stdout.splitlines()) == 1
    assert resource.getrlimit(resource.RLIMIT_FSIZE)[0] == resource.RLIM_INFINITY


OPEN_AS_USER = """
import os, sys
from exitwrap.accounting.recorder import Recorder, RecordingError
try:
    recorder = Recorder(sys.argv[1])
    recorder.begin(argv=["x"], redact=False, cwd="/", batch=False, parent_job=None,
        job_name=None, account=None, comment=None, pid=os.getpid())
except RecordingError as error:
    print("RecordingError:", error)
"""


@sqlite_only
@needs_root
def test_unwritable_directory_and_database_are_recording_errors(open_dir: Path, db: str) -> None:
    private = open_dir / "private"
    private.mkdir(mode=0o755)  # root's: others may enter, not create
    missing = as_nobody(OPEN_AS_USER, str(private / "new.db"))
    assert missing.stdout.startswith(f"RecordingError: {private / 'new.db'}: "), missing.stderr
    assert "ermission denied" in missing.stdout

    readonly = str(open_dir / "readonly.db")
    Recorder(readonly).close()
    os.chmod(readonly, 0o644)
    refused = as_nobody(OPEN_AS_USER, readonly)
    assert refused.stdout.startswith(f"RecordingError: {readonly}: "), refused.stderr
    assert "read-only" in refused.stdout


@sqlite_only
def test_an_older_database_is_migrated_forward_keeping_its_records(
    db: str, kit: ProbeKit, monkeypatch: pytest.MonkeyPatch
) -> None:
    kept = record(db, [str(kit.probe), "exit", "3"])
    assert rows(db, "SELECT count(*) FROM jobs") == [(1,)]
    # the next exitwrap's schema: one more migration on top of today's
    upgrade = ("CREATE INDEX steps_by_state ON steps (state)",)
    monkeypatch.setattr(store, "MIGRATIONS", (*schema.MIGRATIONS, upgrade))
    monkeypatch.setattr(store, "VERSION", schema.VERSION + 1)
    record(db, [str(kit.probe), "exit", "5"])  # the next reader migrates as it ingests
    assert rows(db, "PRAGMA user_version") == [(schema.VERSION + 1,)]
    assert rows(db, "SELECT name FROM sqlite_master WHERE name = 'steps_by_state'") == [
        ("steps_by_state",)
    ]
    assert rows(db, "SELECT job_id, exit_status FROM jobs") == [
        (kept.job_id, 3 << 8),
        (kept.job_id + 1, 5 << 8),
    ]


@sqlite_only
@pytest.mark.parametrize("old", range(1, schema.VERSION), ids=lambda v: f"schema-{v}")
def test_a_database_of_each_older_schema_is_migrated_keeping_its_records(
    db: str, kit: ProbeKit, old: int
) -> None:
    """Every released schema (1: the first; 2: the PID namespace) moves to this one: its
    jobs kept, the namespace and Slurm's columns there for new ones."""
    os.makedirs(os.path.dirname(db), exist_ok=True)
    with sqlite3.connect(db) as raw:
        for migration in schema.MIGRATIONS[:old]:
            for statement in migration:
                raw.execute(statement)
        raw.execute(f"PRAGMA user_version = {old}")
        raw.execute(
            "INSERT INTO jobs (kind, name, uid, user, gid, command, workdir, submit_time,"
            " start_time, end_time, state, exit_status, node) VALUES ('single', 'old', ?,"
            " 'someone', ?, 'true', '/', 1, 1, 2, 'COMPLETED', 0, 'n')",
            (os.getuid(), os.getgid()),
        )
    raw.close()
    os.chmod(db, 0o600)
    new = record(db, [str(kit.probe), "exit", "5"])  # the next reader migrates as it ingests
    assert rows(db, "PRAGMA user_version") == [(schema.VERSION,)]
    pid_ns = os.stat("/proc/self/ns/pid").st_ino
    assert rows(db, "SELECT job_id, exit_status, pid_ns, cluster FROM jobs ORDER BY job_id") == [
        (1, 0, None, None),  # from before: its namespace unknown, outside Slurm
        (new.job_id, 5 << 8, pid_ns, None),
    ]
    assert [job.state for job in query(db, Selection())] == ["COMPLETED", "FAILED"]


@sqlite_only
def test_an_empty_file_becomes_a_database_and_reads_as_nothing_recorded(
    db: str, kit: ProbeKit
) -> None:
    os.makedirs(os.path.dirname(db))
    Path(db).touch()
    assert store.open_for_reading(db) is None
    assert query(db, Selection()) == []
    recorded = record(db, [str(kit.probe), "exit", "0"])
    assert [job.job_id for job in query(db, Selection())] == [recorded.job_id]
    assert rows(db, "PRAGMA user_version") == [(schema.VERSION,)]
