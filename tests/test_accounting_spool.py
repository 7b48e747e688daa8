"""The spool exitwrap records to, and the ingest every reader runs first: ids, crashes, faults.

What is checked is what the design promises (harness/exitwrap/accounting/spool.py and
ingest.py): ids dense and unique whatever a crash left behind, counters never
below the database's highest ids, ingests that can run at once and remove
records only after their commit, readers who may not write, records this
exitwrap cannot read kept and reported, every byte of a command carried.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from exitwrap.accounting.backend import catch_up
from exitwrap.accounting.backlog import Backlog
from exitwrap.accounting.cancel import cancel
from exitwrap.accounting.ingest import write
from exitwrap.accounting.location import spool_database
from exitwrap.accounting.recorder import Recorder
from exitwrap.accounting.spool import decode, encode
from exitwrap.accounting.spool_batch import BATCH_HEADER, BATCH_STEPS, encode_batch, step_record
from exitwrap.observe.probe import ProbeKit
from tests.accounting_helpers import (
    NOBODY_UID,
    SHARING_GID,
    batch,
    batch_job,
    begin,
    exitcodes,
    member_copy,
    needs_root,
    one_line_error,
    record,
    rows,
    run_as_nobody,
    setpriv,
    spool_of,
    wrap,
    wrapped_env,
)
from tests.conftest import REPO, sqlite_only
from tests.hostile import HOSTILE
from tests.wrap_helpers import EXITWRAP

any_value = st.none() | st.integers() | st.floats(allow_nan=False) | st.text()


@settings(deadline=None)
@given(st.dictionaries(st.from_regex(r"[a-z_.]{1,12}", fullmatch=True), any_value))
def test_a_record_file_carries_any_text_and_number_as_it_was(
    fields: dict[str, str | int | float | None],
) -> None:
    decoded = decode(encode(fields))
    assert decoded == {key: value for key, value in fields.items() if value is not None}


def test_bytes_that_are_not_utf8_come_back_as_escapes_sqlite_can_store() -> None:
    assert decode(encode({"command": "a\udcffb\\n\n"})) == {"command": "a\\xffb\\n\n"}


@pytest.mark.parametrize(
    "damaged",
    [b"", b"exitwrap-spool 1\nname=sx", b"exitwrap-spool 2\n", b"exitwrap-spool 1\nname\n"],
    ids=["empty", "cut-short", "newer-format", "no-value"],
)
def test_a_damaged_or_newer_record_is_refused(damaged: bytes) -> None:
    with pytest.raises(ValueError):
        decode(damaged)


def test_a_batch_file_gives_each_step_its_own_record_and_none_to_a_step_it_lacks() -> None:
    records = [encode({"step.name": f"cell {i}\n@{i + 5}"}) for i in range(3)]  # @ in a value
    batch = encode_batch([5, 6, 7], records)
    assert batch.startswith(BATCH_HEADER)
    assert [decode(step_record(batch, index)) for index in (5, 6, 7)] == [
        {"step.name": f"cell {i}\n@{i + 5}"} for i in range(3)
    ]
    assert step_record(records[0], 9) == records[0]  # a record of its own is the whole file
    for missing in (4, 8, 55):
        with pytest.raises(ValueError):
            step_record(batch, missing)


def _cell(index: int) -> dict[str, str | int | float]:
    """A step recorded after the fact, as a matrix cell is."""
    return {
        "name": f"sh/cell/{index}",
        "start_time": 1.0,
        "end_time": 2.0,
        "state": "FAILED" if index % 3 else "COMPLETED",
        "exit_status": index % 3 << 8,
        "comment": "conforms",
    }


def _steps_spooled(db: str, job_id: int) -> list[Path]:
    return [
        path
        for path in spool_of(db).iterdir()
        if path.name.startswith(f"{job_id}.") and path.name.split(".")[1].isdigit()
    ]


def test_steps_recorded_after_the_fact_share_a_file_a_batch_and_each_is_ingested(db: str) -> None:
    recorder = Recorder(db)
    lead = recorder.begin_own_job(["matrix"], "matrix")
    count = 2 * BATCH_STEPS + 5
    tickets = recorder.add_finished(lead.job_id, [_cell(i) for i in range(count)])
    spooled = _steps_spooled(db, lead.job_id)
    assert len(spooled) == count
    assert len({path.stat().st_ino for path in spooled}) == 3  # files created: one a batch
    assert (spool_of(db) / f"{lead.job_id}.next").read_text() == f"{count}\n"  # moved on once
    recorder.finish(lead, wait_status=0, timed_out=False, rusage=None)
    recorder.close()
    assert [t.step for t in tickets] == [str(i) for i in range(count)]
    query = "SELECT step_index, name, state, exit_status FROM steps WHERE job_id = ? ORDER BY 1"
    expected = [
        (i, c["name"], c["state"], c["exit_status"]) for i, c in enumerate(map(_cell, range(count)))
    ]
    assert rows(db, query, lead.job_id)[1:] == expected  # after the batch step, -1
    assert _steps_spooled(db, lead.job_id) == []


def test_a_batch_takes_the_free_ids_around_a_claim_its_counter_missed(db: str) -> None:
    recorder = Recorder(db)
    lead = recorder.begin_own_job(["matrix"], "matrix")
    recorder.add_finished(lead.job_id, [_cell(0)])  # a file of its own, step 0
    spool = spool_of(db)
    # a claim the step counter does not know of (a writer that crashed before moving it on)
    os.link(spool / f"{lead.job_id}.0", spool / f"{lead.job_id}.2")
    tickets = recorder.add_finished(lead.job_id, [_cell(i) for i in (3, 4, 5)])
    recorder.finish(lead, wait_status=0, timed_out=False, rusage=None)
    recorder.close()
    assert [t.step for t in tickets] == ["1", "3", "4"]
    query = "SELECT step_index, name FROM steps WHERE job_id = ? AND step_index >= 0 ORDER BY 1"
    assert rows(db, query, lead.job_id) == [
        (0, "sh/cell/0"), (1, "sh/cell/3"), (2, "sh/cell/0"), (3, "sh/cell/4"), (4, "sh/cell/5")
    ]  # fmt: skip


def test_a_batch_whose_claim_finds_a_name_taken_after_all_publishes_the_rest_again(
    db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    recorder = Recorder(db)
    lead = recorder.begin_own_job(["matrix"], "matrix")
    recorder.add_finished(lead.job_id, [_cell(0)])
    spool = spool_of(db)
    os.link(spool / f"{lead.job_id}.0", spool / f"{lead.job_id}.5")
    taken = str(spool / f"{lead.job_id}.5")
    exists = os.path.lexists
    with monkeypatch.context() as patched:  # an NFS client's stale cache: looks free, is not
        patched.setattr(os.path, "lexists", lambda path: path != taken and exists(path))
        tickets = recorder.add_finished(lead.job_id, [_cell(i) for i in range(1, 9)])
    recorder.finish(lead, wait_status=0, timed_out=False, rusage=None)
    recorder.close()
    assert [t.step for t in tickets] == ["1", "2", "3", "4", "6", "7", "8", "9"]
    query = "SELECT step_index, name FROM steps WHERE job_id = ? AND step_index >= 0 ORDER BY 1"
    names = [f"sh/cell/{i}" for i in (0, 1, 2, 3, 4, 0, 5, 6, 7, 8)]
    assert rows(db, query, lead.job_id) == list(enumerate(names))


@pytest.mark.parametrize("steps", [1, 3], ids=["one-step", "a-batch"])
def test_a_link_planted_where_the_next_id_goes_is_passed_over(db: str, steps: int) -> None:
    recorder = Recorder(db)
    lead = recorder.begin_own_job(["matrix"], "matrix")
    (spool_of(db) / f"{lead.job_id}.0").symlink_to("/nonexistent")
    tickets = recorder.add_finished(lead.job_id, [_cell(i) for i in range(steps)])
    recorder.finish(lead, wait_status=0, timed_out=False, rusage=None)
    recorder.close()
    assert [t.step for t in tickets] == [str(i + 1) for i in range(steps)]
    query = "SELECT step_index FROM steps WHERE job_id = ? AND step_index >= 0 ORDER BY 1"
    assert rows(db, query, lead.job_id) == [(i + 1,) for i in range(steps)]


def test_a_batch_file_under_a_name_it_has_no_record_for_is_kept_and_reported(db: str) -> None:
    recorder = Recorder(db)
    lead = recorder.begin_own_job(["matrix"], "matrix")
    recorder.add_finished(lead.job_id, [_cell(0), _cell(1)])
    os.link(spool_of(db) / f"{lead.job_id}.0", spool_of(db) / f"{lead.job_id}.7")
    recorder.finish(lead, wait_status=0, timed_out=False, rusage=None)
    recorder.close()
    query = "SELECT step_index FROM steps WHERE job_id = ? AND step_index >= 0 ORDER BY 1"
    assert rows(db, query, lead.job_id) == [(0,), (1,)]
    assert _spooled(db) == {f"{lead.job_id}.7"}
    status, out, _ = exitcodes("db", "check")
    assert status == 1
    assert "spool: 1 records this exitwrap cannot read" in out


def test_every_byte_of_a_hostile_command_line_is_recorded(db: str) -> None:
    done = subprocess.run(
        [*EXITWRAP, "/bin/true", *HOSTILE], env=wrapped_env(db), check=False, timeout=300
    )
    assert done.returncode == 0
    expected = "\0".join(["/bin/true", *HOSTILE]).replace("\udcff", "\\xff")
    assert rows(db, "SELECT command FROM steps") == [(expected,)]


def _spooled(path: str) -> set[str]:
    return {found.name for found in Backlog(spool_database(path, os.environ)).entries()}


def test_a_counter_left_behind_by_a_crash_hands_out_no_id_twice(db: str, kit: ProbeKit) -> None:
    probe = str(kit.probe)
    recorder = Recorder(db)
    lead = recorder.begin_own_job(["job.sh"])  # alive: this test
    first = [wrap(recorder, [probe, "exit", "0"], parent_job=lead.job_id)[0] for _ in range(3)]
    others = [record(db, [probe, "exit", "0"]) for _ in range(2)]
    # a crash after the claims, before the counters moved on: they point back at taken ids
    (spool_of(db) / "next").write_text(f"{lead.job_id}\n")
    (spool_of(db) / f"{lead.job_id}.next").write_text("0\n")
    step = wrap(recorder, [probe, "exit", "0"], parent_job=lead.job_id)[0]
    job = record(db, [probe, "exit", "0"])
    recorder.finish(lead, wait_status=0, timed_out=False, rusage=None)
    recorder.close()
    assert [t.step for t in [*first, step]] == ["0", "1", "2", "3"]
    assert job.job_id == others[-1].job_id + 1
    assert rows(db, "SELECT job_id FROM jobs ORDER BY job_id") == [
        (lead.job_id,), *((t.job_id,) for t in others), (job.job_id,)
    ]  # fmt: skip


def test_counters_never_go_below_the_databases_highest_ids(db: str, kit: ProbeKit) -> None:
    probe = str(kit.probe)
    recorder = Recorder(db)
    lead = recorder.begin_own_job(["job.sh"])
    for _ in range(3):
        wrap(recorder, [probe, "exit", "0"], parent_job=lead.job_id)
    ended = [record(db, [probe, "exit", "0"]).job_id for _ in range(3)]
    assert rows(db, "SELECT count(*) FROM jobs") == [(4,)]  # ingested: the claims are gone
    spool = spool_of(db)
    (spool / "next").unlink()  # lost
    (spool / f"{lead.job_id}.next").write_bytes(b"\x00garbage")  # damaged
    step = wrap(recorder, [probe, "exit", "0"], parent_job=lead.job_id)[0]
    job = record(db, [probe, "exit", "0"])
    recorder.finish(lead, wait_status=0, timed_out=False, rusage=None)
    recorder.close()
    assert step.step == "3" and job.job_id == ended[-1] + 1  # past what the database holds
    assert rows(db, "SELECT count(*), count(DISTINCT job_id) FROM jobs") == [(5, 5)]
    assert rows(db, "SELECT step_index FROM steps WHERE job_id = ? ORDER BY 1", lead.job_id) == [
        (n,) for n in (-1, 0, 1, 2, 3)
    ]


def test_a_database_older_than_its_spool_gets_ids_past_its_own(db: str, kit: ProbeKit) -> None:
    before = [record(db, [str(kit.probe), "exit", "0"]).job_id for _ in range(3)]
    assert rows(db, "SELECT count(*) FROM jobs") == [(3,)]
    shutil.rmtree(spool_of(db))  # as if recorded by an exitwrap from before the spool
    assert record(db, [str(kit.probe), "exit", "0"]).job_id == before[-1] + 1


INGEST = """
import sys
from exitwrap.accounting.backend import catch_up
sys.stdin.readline()
print(catch_up(sys.argv[1]))
"""


def test_ingesters_at_once_do_no_harm(db: str, kit: ProbeKit) -> None:
    jobs = [record(db, [str(kit.probe), "exit", str(n % 4)]).job_id for n in range(60)]
    assert len(_spooled(db)) == 120  # a begin and an end each
    readers = [
        subprocess.Popen([sys.executable, "-c", INGEST, db], cwd=REPO, text=True,
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(4)
    ]  # fmt: skip
    for reader in readers:  # all of them go at once
        assert reader.stdin is not None
        reader.stdin.write("go\n")
        reader.stdin.flush()
    results = [reader.communicate(timeout=120) for reader in readers]
    assert [(r.returncode, out, err) for r, (out, err) in zip(readers, results)] == [
        (0, "None\n", "")
    ] * 4
    assert _spooled(db) == set()
    assert rows(db, "SELECT job_id, exit_status FROM jobs ORDER BY job_id") == [
        (job, (n % 4) << 8) for n, job in enumerate(jobs)
    ]
    assert rows(db, "SELECT count(*) FROM steps") == [(60,)]


@sqlite_only
def test_records_leave_the_spool_only_after_their_transaction_commits(
    db: str, kit: ProbeKit
) -> None:
    record(db, [str(kit.probe), "exit", "0"])
    assert rows(db, "SELECT count(*) FROM jobs") == [(1,)]
    job = record(db, [str(kit.probe), "exit", "3"]).job_id
    waiting = _spooled(db)

    def fails(_: object) -> None:
        raise RuntimeError("the transaction fails after the ingest")

    with pytest.raises(RuntimeError):
        write(db, fails)
    assert _spooled(db) == waiting == {f"{job}.job", f"{job}.end"}
    assert rows(db, "SELECT job_id FROM jobs WHERE job_id = ?", job) == [(job,)]  # next reader


SACCT_AS_USER = """
import sys
from exitwrap.cli.main import main
sys.exit(main(["sacct", "-a", "-X", "-n", "-P", "-o", "JobID,State"]))
"""


@sqlite_only
@needs_root
def test_a_reader_who_may_not_write_reads_what_is_ingested_and_says_what_waits(
    open_dir: Path, kit: ProbeKit, db: str
) -> None:
    readable = str(open_dir / "readable.db")
    ingested = record(readable, [str(kit.probe), "exit", "0"]).job_id
    assert rows(readable, "SELECT count(*) FROM jobs") == [(1,)]
    waiting = record(readable, [str(kit.probe), "exit", "0"]).job_id
    os.chmod(readable, 0o644)  # others may read the database, not write it
    os.chmod(readable + ".spool", 0o755)
    for path in Path(readable + ".spool").iterdir():
        path.chmod(0o644)
    seen = run_as_nobody([sys.executable, "-c", SACCT_AS_USER], readable)
    assert seen.returncode == 0 and seen.stdout == f"{ingested}|COMPLETED\n"
    line = one_line_error(seen.stderr, "exitcodes sacct")
    assert line.startswith("exitcodes sacct: warning: 2 spooled records not ingested (")
    assert "read-only for this user" in line
    assert _spooled(readable) == {f"{waiting}.job", f"{waiting}.end"}  # still there, for root
    assert [j for (j,) in rows(readable, "SELECT job_id FROM jobs")] == [ingested, waiting]


@sqlite_only
@needs_root
def test_a_spool_this_user_may_not_write_never_changes_the_status(
    open_dir: Path, kit: ProbeKit, db: str
) -> None:
    shared = str(open_dir / "shared.db")
    record(shared, [str(kit.probe), "exit", "0"])  # a private spool, made by root
    os.chown(shared, 0, SHARING_GID)  # then the database, and not its spool, was shared
    os.chmod(shared, 0o660)
    probe = member_copy(kit.probe, open_dir)
    who = setpriv(NOBODY_UID, groups=[SHARING_GID])
    done = run_as_nobody([*EXITWRAP, str(probe), "exit", "9"], shared, who=who)
    assert done.returncode == 9
    assert done.stderr == f"exitwrap: warning: not recorded: {shared}.spool: Permission denied\n"


def test_a_record_this_exitwrap_cannot_read_is_kept_and_reported(db: str, kit: ProbeKit) -> None:
    job = record(db, [str(kit.probe), "exit", "0"]).job_id
    spool = spool_of(db)
    (spool / f"{job}.7.end").write_bytes(b"exitwrap-spool 9\nfrom=sa newer exitwrap\n")
    (spool / f"{job}.8").write_bytes(b"exitwrap-spool 1\ncut sh")  # a writer that crashed
    (spool / f"{job}.9").write_bytes(b"exitwrap-spool 1\nstep.command=sx\n")  # no name, no start
    later = record(db, [str(kit.probe), "exit", "0"]).job_id
    assert rows(db, "SELECT job_id FROM jobs ORDER BY job_id") == [(job,), (later,)]  # the rest
    assert _spooled(db) == {f"{job}.7.end", f"{job}.8", f"{job}.9"}
    status, out, _ = exitcodes("db", "check")
    assert status == 1
    assert "spool: 2 records this exitwrap cannot read" in out
    assert rows(db, "SELECT count(*) FROM steps WHERE job_id = ?", job) == [(1,)]


def test_a_step_cannot_join_a_job_being_cancelled(db: str, kit: ProbeKit) -> None:
    leader = subprocess.Popen([str(kit.probe), "sleep", "60"])
    try:
        recorder = Recorder(db)
        job, _ = begin(recorder, ["job.sh"], batch=True, pid=leader.pid)
        assert wrap(recorder, [str(kit.probe), "exit", "0"], parent_job=job.job_id)[1] is None
        assert cancel(db, job.job_id, None, os.getuid()) == []
        assert leader.wait(timeout=60) == -15  # its leader got TERM
        _, warning, _ = wrap(recorder, [str(kit.probe), "exit", "0"], parent_job=job.job_id)
        recorder.close()
    finally:
        leader.kill()
        leader.wait(timeout=60)
    assert warning is not None and f"job {job.job_id} " in warning


def test_temporary_files_a_crashed_writer_left_are_swept(db: str, kit: ProbeKit) -> None:
    record(db, [str(kit.probe), "exit", "0"])
    spool = spool_of(db)
    old, fresh = spool / ".tmp.node.1.1", spool / ".tmp.node.2.1"
    old.write_bytes(b"half a record")
    fresh.write_bytes(b"being written")
    two_days_ago = time.time() - 2 * 86400
    os.utime(old, (two_days_ago, two_days_ago))
    assert catch_up(db) is None
    assert not old.exists() and fresh.exists()


def test_a_batch_jobs_files_stay_while_it_runs_and_go_when_it_has_ended(
    db: str, kit: ProbeKit
) -> None:
    recorder = Recorder(db)
    lead = recorder.begin_own_job(["job.sh"])
    wrap(recorder, [str(kit.probe), "exit", "0"], parent_job=lead.job_id)
    assert catch_up(db) is None
    assert _spooled(db) == {f"{lead.job_id}.job"}  # exitwrap finds its parent job there
    recorder.finish(lead, wait_status=0, timed_out=False, rusage=None)
    recorder.close()
    assert catch_up(db) is None
    assert _spooled(db) == set()
    assert sorted(p.name for p in spool_of(db).iterdir()) == ["lock", "next"]
    assert batch_job(db, [[str(kit.probe), "exit", "0"]]) == lead.job_id + 1


def _sacct(*fields: str) -> list[list[str]]:
    status, out, err = exitcodes("sacct", "-a", "-n", "-P", "-j", "1,2", "-o", ",".join(fields))
    assert (status, err) == (0, "")
    return [line.split("|") for line in out.splitlines()]


def test_a_rewound_job_counter_keeps_both_runs_and_db_check_says_so(db: str, kit: ProbeKit) -> None:
    record(db, [str(kit.probe), "exit", "3"])
    assert rows(db, "SELECT count(*) FROM jobs") == [(1,)]  # ingested: its files are gone
    (spool_of(db) / "next").write_text("1\n")  # rewound by hand (a server: run 1 is pushed)
    done = subprocess.run([*EXITWRAP, "sh", "-c", "exit 77"], env=wrapped_env(db),
                          capture_output=True, text=True, timeout=60, check=False)  # fmt: skip
    assert (done.returncode, done.stderr) == (77, "")
    assert _sacct("JobID", "ExitCode", "SubmitLine") == [
        ["1", "3:0", f"{kit.probe} exit 3"],
        ["1.0", "3:0", f"{kit.probe} exit 3"],
        ["2", "77:0", "sh -c 'exit 77'"],
        ["2.0", "77:0", "sh -c 'exit 77'"],
    ]
    status, out, _ = exitcodes("db", "check")
    assert status == 1
    assert "ids: 1 runs were spooled under an id already taken" in out
    assert "kept as 2 (spooled as 1)" in out


def test_a_step_counter_lost_mid_job_keeps_both_steps(db: str, tmp_path: Path) -> None:
    body = (
        "exitwrap true\n"
        "exitcodes sacct >/dev/null\n"  # ingested: step 0's files are gone
        f'rm "{spool_of(db)}/$EXITWRAP_JOB_ID.next"\n'
        "exitwrap sh -c 'exit 5'\n"
        "exit 0\n"
    )
    done, n = batch(tmp_path, body, path=db)
    assert done.returncode == 0, done.stderr
    steps = [row for row in _sacct("JobID", "ExitCode", "SubmitLine") if row[0].startswith(f"{n}.")]
    assert steps == [
        [f"{n}.batch", "0:0", str(tmp_path / "job.sh")],
        [f"{n}.0", "0:0", "true"],
        [f"{n}.1", "5:0", "sh -c 'exit 5'"],
    ]
    status, out, _ = exitcodes("db", "check")
    assert status == 1 and f"kept as {n}.1 (spooled as {n}.0)" in out


FILL_THE_DISK = """
set -eu
mount -t tmpfs -o size=512k tmpfs "$1"
export EXITWRAP_DB="$1/db"
exitwrap true && exitcodes sacct >/dev/null
for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
    exitwrap -J "$(head -c 3000 /dev/zero | tr '\\0' x)" true
done
dd if=/dev/zero of="$1/filler" bs=1k 2>/dev/null || true
status=0
exitcodes sacct -a >/dev/null || status=$?
echo "ends spooled: $(ls "$1/db.spool" | grep -c '[.]end$')"
exit "$status"
"""


@needs_root
@pytest.mark.skipif(shutil.which("unshare") is None, reason="needs unshare (util-linux)")
def test_a_full_disk_during_an_ingest_says_so_and_keeps_the_spool(tmp_path: Path) -> None:
    disk = tmp_path / "disk"
    disk.mkdir()
    done = subprocess.run(
        ["unshare", "--mount", "sh", "-c", FILL_THE_DISK, "-", str(disk)],
        env=wrapped_env(str(disk / "db")),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1 and done.stdout == "ends spooled: 20\n"  # none lost
    line = one_line_error(done.stderr, "exitcodes sacct")
    assert line.endswith("the disk is full (database or disk is full)")
