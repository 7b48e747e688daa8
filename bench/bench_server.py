"""The accounting on a PostgreSQL server: exitwrap's start-up, the push, and sacct -j at scale.

Rows, each against a floor measured in the same run:
- ``exitwrap -- /bin/true`` with ``EXITWRAP_DB=postgresql://...`` against the
  bare interpreter, beside the same with SQLite (goal, issue 14: the same
  as SQLite, at most 1.5x). Each run with the server starts a push in the
  background as it ends; the bench lets it finish after each round,
  untimed: its cost is the push's (below), not the wrapped command's;
- steps pushed per second: one job's steps spooled as exitwrap spools them
  (a begin and an end each), then one push (the spool into this host's
  queue file, then the server, in one transaction), in process;
- ``exitcodes sacct -j ID`` on 100k jobs / 1M steps on the server, beside
  SQLite's on the same synthetic records, against the bare interpreter.
The server is a throwaway cluster on this machine (scripts/postgres.sh: its
Unix socket, peer authentication, fsync off), the same one the tests use.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

from bench.bench_accounting import STEPS_PER_JOB, _count, _job_rows, _step_rows, build
from bench.common import VENV_PYTHON, Row, interleaved_medians_ms
from exitwrap.accounting.background import push_running
from exitwrap.accounting.location import Queue
from exitwrap.accounting.recorder import Recorder
from exitwrap.accounting.server.backend import ServerBackend
from tests.postgres_helpers import MISSING, Cluster

GROUP = "server"
FLOOR = "python -c pass"
TRUE = "/bin/true"
EXITWRAP = "exitwrap -- /bin/true"


def _settled(queue: Queue) -> None:
    """Wait (bounded) for the background push a run started, and any round it asked for."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and (
        push_running(queue) or os.path.exists(queue.file("again"))
    ):
        time.sleep(0.005)


def _fill(cluster: Cluster, name: str, jobs: int) -> float:
    """The synthetic records of bench_accounting, copied into the server; returns seconds."""
    started = time.perf_counter()
    now = time.time()
    with cluster.admin(name) as admin, admin.cursor() as cursor:
        with cursor.copy(
            "COPY exitwrap.jobs (job_id, name, submit_time, start_time, end_time, state, "
            'exit_status, kind, uid, "user", gid, account, command, workdir, next_step, node) '
            "FROM STDIN"
        ) as copy:
            job = ("batch", 1000, "alice", 1000, "lc", b"job.sh", "/home/alice", 9, "node1")
            for row in _job_rows(jobs, now):
                copy.write_row((*row, *job))
        with cursor.copy(
            "COPY exitwrap.steps (job_id, step_index, name, start_time, end_time, state, "
            'exit_status, "user", command, workdir, node, pid, max_rss_kib, user_cpu, '
            "system_cpu) FROM STDIN"
        ) as copy:
            step = ("alice", b"step", "/home/alice", "node1", 4242, 2048, 0.5, 0.1)
            for row in _step_rows(jobs, now):
                copy.write_row((*row, *step))
        cursor.execute("ANALYZE exitwrap.jobs, exitwrap.steps")
    return time.perf_counter() - started


def _push_rate(database: str, steps: int) -> float:
    """Steps per second one push takes from the spool to the server (checked all there)."""
    recorder = Recorder(database)
    job = recorder.begin_own_job(["bench"])
    for _ in range(steps):
        step, _ = recorder.begin(
            argv=[TRUE], redact=False, cwd="/", batch=False, parent_job=job.job_id,
            job_name=None, account=None, comment=None, pid=os.getpid(),
        )  # fmt: skip
        recorder.finish(step, wait_status=0, timed_out=False, rusage=(1024, 0.01, 0.0))
    recorder.finish(job, wait_status=0, timed_out=False, rusage=None)
    recorder.close()
    with ServerBackend(database) as backend:
        assert backend.server.where  # connected (psycopg imported) before the clock starts
        started = time.perf_counter()
        pushed = backend.push()
        elapsed = time.perf_counter() - started
    if pushed.steps != steps + 1:
        raise SystemExit(f"bench: pushed {pushed.steps} steps, not {steps + 1}")
    return steps / elapsed


def rows(*, quick: bool) -> list[Row]:
    if MISSING is not None:
        return [Row(GROUP, "skipped", 0.0, "", note=MISSING)]
    jobs = 10_000 if quick else 100_000
    scale = f"{_count(jobs)} jobs, {_count(jobs * STEPS_PER_JOB)} steps"
    bin_dir = Path(VENV_PYTHON).parent
    cluster = Cluster()
    state = os.environ.get("XDG_STATE_HOME")
    try:
        cluster.start()
        cluster.set_up()
        with tempfile.TemporaryDirectory(prefix="bench-server-") as scratch:
            env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
            env["XDG_STATE_HOME"] = scratch
            os.environ["XDG_STATE_HOME"] = scratch  # the queues, for the push in process
            database = cluster.uri(cluster.new_database())
            queue = Queue(database, env)
            exitwrap = [str(bin_dir / "exitwrap"), "--", TRUE]
            stores = {"SQLite": str(Path(scratch) / "a.db"), "server": database}
            startup = interleaved_medians_ms(
                {
                    FLOOR: [VENV_PYTHON, "-c", "pass"],
                    **{f"{EXITWRAP} ({store})": exitwrap for store in stores},
                },
                runs=15 if quick else 100,
                env=env,
                envs={f"{EXITWRAP} ({s})": {**env, "EXITWRAP_DB": d} for s, d in stores.items()},
                between=lambda: _settled(queue),
            )
            pushed = _push_rate(cluster.uri(cluster.new_database()), 400 if quick else 2000)
            big = cluster.new_database()
            filled = _fill(cluster, big, jobs)
            sqlite = str(Path(scratch) / "big.db")
            built = build(sqlite, jobs)
            middle = str(jobs // 2)
            sacct = [str(bin_dir / "exitcodes"), "sacct", "-j", middle]
            stores = {"SQLite": sqlite, "server": cluster.uri(big)}
            reads = interleaved_medians_ms(
                {FLOOR: [VENV_PYTHON, "-c", "pass"], **{f"sacct ({s})": sacct for s in stores}},
                runs=15 if quick else 60,
                env=env,
                envs={f"sacct ({s})": {**env, "EXITWRAP_DB": d} for s, d in stores.items()},
            )
    finally:
        cluster.stop()
        if state is None:
            os.environ.pop("XDG_STATE_HOME", None)
        else:
            os.environ["XDG_STATE_HOME"] = state
    floor, read_floor = startup[FLOOR], reads[FLOOR]
    result = [Row(GROUP, FLOOR, floor, "ms")]
    for name in (f"{EXITWRAP} (SQLite)", f"{EXITWRAP} (server)"):
        value = startup[name]
        note = "a push started in the background" if "server" in name else ""
        result.append(
            Row(GROUP, name, value, "ms", floor=FLOOR, ratio=value / floor, goal="<= 1.5x",
                note=note)
        )  # fmt: skip
    result.append(Row(GROUP, "push: steps from the spool to the server", pushed, "steps/s",
                      note="one transaction, in process, connected"))  # fmt: skip
    result.append(Row(GROUP, f"copy {scale} into the server", filled, "s"))
    result.append(Row(GROUP, f"build {scale} in SQLite", built, "s"))
    for store in ("SQLite", "server"):
        value = reads[f"sacct ({store})"]
        result.append(
            Row(GROUP, f"exitcodes sacct -j ID ({scale}, {store})", value, "ms",
                floor=FLOOR, ratio=value / read_floor)
        )  # fmt: skip
    return result
