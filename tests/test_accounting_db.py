"""exitcodes db path|check|init|push|purge, and the option parser the accounting commands share."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from exitwrap.accounting.location import Queue, is_server
from exitwrap.accounting.recorder import Recorder
from exitwrap.cli.options import Option, parse
from exitwrap.errors import UsageError
from exitwrap.observe.probe import ProbeKit
from tests.accounting_helpers import batch_job, exitcodes, one_line_error, record, rows, spool_of
from tests.conftest import sqlite_only


def test_path_follows_the_environment(db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    said = [db] if not is_server(db) else [db, f"queue: {Queue(db, os.environ).directory}"]
    assert exitcodes("db", "path") == (0, "".join(f"{line}\n" for line in said), "")
    monkeypatch.setenv("EXITWRAP_DB", "off")
    assert exitcodes("db", "path") == (0, "off (EXITWRAP_DB=off)\n", "")
    monkeypatch.delenv("EXITWRAP_DB")
    monkeypatch.setenv("XDG_DATA_HOME", "/data")
    assert exitcodes("db", "path")[1] == "/data/exitwrap/accounting.db\n"


def test_check_reports_a_sound_database(db: str, kit: ProbeKit) -> None:
    status, out, _ = exitcodes("db", "check")
    assert status == 0 and ("none yet" in out or "jobs: 0 (0 recorded as running)" in out)
    batch_job(db, [[str(kit.probe), "exit", "0"]])
    status, out, _ = exitcodes("db", "check")
    assert status == 0
    assert "jobs: 1 (0 recorded as running)" in out and "steps: 2" in out
    if is_server(db):  # what this host's push sent, and as whom it is connected
        assert "pushed: 1 jobs, 2 steps (origin 0)" in out
        assert " as root (an exitwrap administrator)" in out
    else:
        assert "integrity: ok" in out and "mode: 0600" in out


def test_init_makes_the_schema_and_push_brings_what_waits_in(db: str, kit: ProbeKit) -> None:
    status, out, _ = exitcodes("db", "init")
    assert status == 0 and "schema version 3" in out  # both stores at 3: Slurm's columns
    if not is_server(db):
        assert out == f"{db}: schema version 3\n" and os.path.getsize(db) > 0
        assert exitcodes("db", "init", "--private")[0] == 2  # a file's mode says who reads
    job = record(db, [str(kit.probe), "exit", "0"]).job_id
    assert {entry.name for entry in spool_of(db).iterdir()} >= {f"{job}.job", f"{job}.end"}
    status, out, _ = exitcodes("db", "push")
    assert status == 0
    assert out == (
        f"ingested this host's spool into {db}\n"
        if not is_server(db)
        else f"pushed 1 jobs and 1 steps to {out.split(' to ', 1)[1]}"
    )
    assert not any(entry.suffix in (".job", ".end") for entry in spool_of(db).iterdir())


@sqlite_only
def test_check_finds_a_corrupt_database(db: str) -> None:
    Path(db).write_bytes(b"SQLite format 3\x00" + b"\xff" * 4000)
    status, out, _ = exitcodes("db", "check")
    assert status == 1 and "error:" in out


def test_purge_removes_ended_jobs_before_the_date_and_keeps_running_ones(
    db: str, kit: ProbeKit
) -> None:
    ended = batch_job(db, [[str(kit.probe), "exit", "0"], [str(kit.probe), "exit", "1"]])
    recorder = Recorder(db)
    running = recorder.begin_own_job(["job.sh"])
    recorder.close()
    assert exitcodes("db", "purge", "--before", "midnight")[1] == (
        f"purged 0 jobs (0 steps) that ended before {_midnight()}\n"
    )
    status, out, _ = exitcodes("db", "purge", "--before", "now+1minutes", "--dry-run")
    assert status == 0 and out.startswith("would purge 1 jobs (3 steps)")
    assert len(rows(db, "SELECT job_id FROM jobs")) == 2
    assert exitcodes("db", "purge", "--before", "now+1minutes")[1].startswith("purged 1 jobs (3")
    assert rows(db, "SELECT job_id FROM jobs") == [(running.job_id,)]
    assert rows(db, "SELECT count(*) FROM steps WHERE job_id = ?", ended) == [(0,)]
    # ids are never reused after a purge: sacct -j N keeps meaning one job
    assert record(db, [str(kit.probe), "exit", "0"]).job_id > running.job_id


def _midnight() -> str:
    import time

    from exitwrap.accounting.timespec import midnight

    return time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(midnight(time.time())))


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["vacuum"],
        ["purge"],
        ["purge", "--before"],
        ["purge", "--before", "last tuesday"],
        ["check", "--before", "now"],
        ["path", "--dry-run"],
        ["path", "check"],
        ["init", "--private", "--public"],
        ["init", "--before", "now"],
        ["push", "--private"],
        ["check", "--background"],
    ],
)
def test_db_bad_usage(db: str, args: list[str]) -> None:
    status, out, err = exitcodes("db", *args)
    assert status == 2 and out == ""
    one_line_error(err, "exitcodes db")


OPTIONS = (
    Option("-j", "--jobs", "jobs", "LIST"),
    Option("-X", "--allocations", "no steps"),
    Option("-n", "--noheader", "no header"),
    Option("", "--json", "json"),
)


@pytest.mark.parametrize(
    ("argv", "values", "operands"),
    [
        (["-j", "5", "x"], {"jobs": "5"}, ["x"]),
        (["-j5"], {"jobs": "5"}, []),
        (["--jobs=5,6"], {"jobs": "5,6"}, []),
        (["--jo", "5"], {"jobs": "5"}, []),  # an unambiguous prefix
        (["-Xn"], {"allocations": True, "noheader": True}, []),
        (["-Xj", "7"], {"allocations": True, "jobs": "7"}, []),
        (["-Xj7"], {"allocations": True, "jobs": "7"}, []),
        (["a", "--", "-X", "--json"], {}, ["a", "-X", "--json"]),
        (["-j", "-X"], {"jobs": "-X"}, []),  # a value may start with '-', as in getopt
        (["-"], {}, ["-"]),
    ],
)
def test_option_parser_reads_getopt_long_forms(
    argv: list[str], values: dict[str, object], operands: list[str]
) -> None:
    parsed = parse(argv, OPTIONS)
    assert parsed.values == values and parsed.operands == operands


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["-q"], "invalid option '-q'"),
        (["--nope"], "unrecognized option '--nope'"),
        (["--j"], "ambiguous"),
        (["--json=x"], "takes no value"),
        (["-j"], "requires a value"),
        (["--jobs"], "requires a value"),
        (["-Xq"], "invalid option '-q'"),
    ],
)
def test_option_parser_refuses_with_the_word_at_fault(argv: list[str], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        parse(argv, OPTIONS)
