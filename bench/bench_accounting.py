"""The accounting at scale: ``sacct -j`` on a 100k-job / 1M-step database, and writers at once.

Rows, each against a floor measured in the same run:
- ``exitcodes sacct -j ID`` end to end against the bare interpreter of the
  same virtual environment (goal, issue 4: at most 2.0x; Slurm's own
  ``sacct -j`` is measured against the same floor by bench_slurm.py);
- the in-process query and table of one 10-step job (goal: at most 30 ms);
- steps recorded per second by 8 concurrent writers, against one writer
  (exitwrap's path: begin and end records in the spool, no SQLite);
- steps ingested per second from the spool into SQLite by the next reader
  (one transaction), after which the ids are checked dense.
The database is synthetic, built with executemany in one transaction (the
build time is shown). Byte-code caching is allowed, as for any installed
command.
"""

from __future__ import annotations

import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from bench.common import VENV_PYTHON, Row, interleaved_medians_ms
from exitwrap.accounting.display import View
from exitwrap.accounting.ingest import catch_up
from exitwrap.accounting.recorder import Recorder
from exitwrap.accounting.records import Selection
from exitwrap.accounting.sacct import lines, parse_format, query, table
from exitwrap.accounting.spool import BATCH_STEP
from exitwrap.accounting.store import open_for_writing

GROUP = "accounting"
FLOOR = "python -c pass"
STEPS_PER_JOB = 10  # the batch step and steps 0-8
# raw wait statuses the synthetic steps cycle through: exits 0, 1, 2, 255; SIGKILL, SIGTERM
STATUSES = (0, 0, 0, 1 << 8, 2 << 8, 255 << 8, 9, 15)
STATES = {0: "COMPLETED", 9: "CANCELLED", 15: "CANCELLED"}

WRITER = """
import os, sys
from exitwrap.accounting.recorder import Recorder
path, job, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
recorder = Recorder(path)
print("ready", flush=True)
sys.stdin.readline()
for _ in range(count):
    ticket, _ = recorder.begin(argv=["step"], redact=False, cwd="/", batch=False,
        parent_job=job, job_name=None, account=None, comment=None, pid=os.getpid())
    recorder.finish(ticket, wait_status=0, timed_out=False, rusage=(1024, 0.01, 0.0))
recorder.close()
"""


def _status(job_id: int, index: int) -> int:
    return STATUSES[(job_id + index) % len(STATUSES)]


def _job_rows(jobs: int, now: float) -> Iterator[tuple[object, ...]]:
    for job_id in range(1, jobs + 1):
        start = now - (jobs - job_id) * 60.0
        status = 0 if job_id % 5 else _status(job_id, 0)  # one job in five did not end well
        state = "COMPLETED" if status == 0 else "FAILED"
        yield (job_id, f"job{job_id}", start - 5, start, start + 30, state, status)


def _step_rows(jobs: int, now: float) -> Iterator[tuple[object, ...]]:
    for job_id in range(1, jobs + 1):
        start = now - (jobs - job_id) * 60.0
        yield (job_id, BATCH_STEP, "batch", start, start + 30, "COMPLETED", 0)
        for index in range(STEPS_PER_JOB - 1):
            status = _status(job_id, index)
            state = STATES.get(status, "FAILED")
            yield (job_id, index, "step", start + index, start + index + 3, state, status)


def build(path: str, jobs: int) -> float:
    """Create the schema, then fill it with executemany in one transaction; returns seconds."""
    open_for_writing(path).close()
    started = time.perf_counter()
    now = time.time()
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA synchronous = OFF")  # a bulk load: its durability is not what is measured
    db.execute("BEGIN")
    db.executemany(
        "INSERT INTO jobs (job_id, name, submit_time, start_time, end_time, state, exit_status, "
        "kind, uid, user, gid, account, command, workdir, next_step, node) VALUES "
        "(?, ?, ?, ?, ?, ?, ?, 'batch', 1000, 'alice', 1000, 'lc', 'job.sh', '/home/alice', 9, "
        "'node1')",
        _job_rows(jobs, now),
    )
    db.executemany(
        "INSERT INTO steps (job_id, step_index, name, start_time, end_time, state, exit_status, "
        "command, workdir, node, pid, max_rss_kib, user_cpu, system_cpu) VALUES "
        "(?, ?, ?, ?, ?, ?, ?, 'step', '/home/alice', 'node1', 4242, 2048, 0.5, 0.1)",
        _step_rows(jobs, now),
    )
    db.execute("COMMIT")
    db.close()
    return time.perf_counter() - started


def query_ms(path: str, job_id: int, runs: int) -> float:
    """Median in-process time to open, load one 10-step job and render sacct's table."""
    columns = parse_format("JobID,JobName,Account,State,ExitCode")
    selection = Selection(jobs={job_id: None})
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        jobs = query(path, selection)
        text = table(lines(jobs, selection), columns, View())
        samples.append(time.perf_counter() - started)
        if len(text.splitlines()) != 2 + 1 + STEPS_PER_JOB:
            raise SystemExit(f"bench: job {job_id} did not come back whole")
    return statistics.median(samples) * 1000


def writers_rate(path: str, writers: int, per_writer: int, env: dict[str, str]) -> float:
    """Steps recorded per second by this many processes at once into one job."""
    recorder = Recorder(path)
    ticket = recorder.begin_own_job(["bench"])
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, path, str(ticket.job_id), str(per_writer)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        for _ in range(writers)
    ]
    for proc in procs:  # every writer has started and opened the database
        assert proc.stdout is not None
        if proc.stdout.readline() != "ready\n":
            raise SystemExit("bench: a writer did not start")
    started = time.perf_counter()
    for proc in procs:
        assert proc.stdin is not None
        proc.stdin.write("go\n")
        proc.stdin.flush()
    failed = [proc for proc in procs if proc.wait() != 0]
    elapsed = time.perf_counter() - started
    recorder.finish(ticket, wait_status=0, timed_out=False, rusage=None)
    recorder.close()
    if failed:
        raise SystemExit(f"bench: {len(failed)} writers failed")
    return writers * per_writer / elapsed


def ingest_rate(path: str, steps: int) -> float:
    """Steps per second the next reader ingests from the spool; checks none is lost."""
    started = time.perf_counter()
    notice = catch_up(path)
    elapsed = time.perf_counter() - started
    db = sqlite3.connect(path)
    indexes = [i for (i,) in db.execute("SELECT step_index FROM steps WHERE step_index >= 0")]
    db.close()
    if notice is not None or sorted(indexes) != list(range(steps)):
        raise SystemExit(f"bench: the spool did not come in whole ({notice})")
    return steps / elapsed


def _count(n: int) -> str:
    return f"{n // 1_000_000}M" if n % 1_000_000 == 0 else f"{n // 1000}k"


def rows(*, quick: bool) -> list[Row]:
    jobs = 10_000 if quick else 100_000
    scale = f"{_count(jobs)} jobs, {_count(jobs * STEPS_PER_JOB)} steps"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    with tempfile.TemporaryDirectory(prefix="bench-accounting-") as scratch:
        path = str(Path(scratch) / "accounting.db")
        built = build(path, jobs)
        env["EXITWRAP_DB"] = path
        exitcodes = str(Path(VENV_PYTHON).parent / "exitcodes")
        middle = str(jobs // 2)
        sacct = f"exitcodes sacct -j ID ({scale})"
        medians = interleaved_medians_ms(
            {FLOOR: [VENV_PYTHON, "-c", "pass"], sacct: [exitcodes, "sacct", "-j", middle]},
            runs=15 if quick else 100,
            env=env,
        )
        in_process = query_ms(path, jobs // 2, runs=20 if quick else 200)
        per_writer = 50 if quick else 400
        one = writers_rate(str(Path(scratch) / "one.db"), 1, per_writer * 2, env)
        eight_path = str(Path(scratch) / "eight.db")
        eight = writers_rate(eight_path, 8, per_writer, env)
        ingested = ingest_rate(eight_path, 8 * per_writer)
    return [
        Row(GROUP, f"build {scale} (executemany, one transaction)", built, "s"),
        Row(GROUP, FLOOR, medians[FLOOR], "ms"),
        Row(
            GROUP,
            sacct,
            medians[sacct],
            "ms",
            floor=FLOOR,
            ratio=medians[sacct] / medians[FLOOR],
            goal="<= 2.0x",
        ),
        Row(GROUP, "query + table of a 10-step job, in process", in_process, "ms", goal="<= 30 ms"),
        Row(GROUP, "1 writer: steps recorded", one, "steps/s"),
        Row(
            GROUP,
            "8 concurrent writers: steps recorded",
            eight,
            "steps/s",
            floor="1 writer: steps recorded",
            ratio=eight / one,
            note="one job",
        ),
        Row(
            GROUP,
            f"ingest the {8 * per_writer} spooled steps (one transaction)",
            ingested,
            "steps/s",
            note="ids checked dense",
        ),
    ]
