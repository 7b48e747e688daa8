"""A real Slurm for the tests: started by scripts/slurm.sh, stopped by PID, and read by sacct.

``Cluster.up`` starts a private single-node cluster (munged, MariaDB,
slurmdbd, slurmctld, slurmd) in a fresh directory under /tmp, on ports of
its own (scripts/slurm.sh picks free ones), and waits until sinfo shows the
node idle; ``down`` stops exactly the daemons it started, by PID. The xdist
workers of a test run share one (``Shared``): the run's main process names
its directory (``EXITWRAP_TEST_SLURM``, which the workers inherit), under a
file lock the first worker that needs it starts it, and what is done once
for all of them (submitting the jobs) is done under the same lock. The main
process stops it when the run ends (``Shared.finish``, from
pytest_unconfigure), whatever the tests did: failed, interrupted, a worker
crashed; and first stops what a run that was killed outright left behind
(``Shared.sweep``). (pytest-xdist's ``--dist loadgroup`` would have kept the
tests in one worker, but it no longer groups anything under pytest 9.2:
pytest-xdist issue 1386.) ``unavailable`` says why the tests cannot run
here: they skip with that reason. sacct lags behind the controller by up to
a few seconds and first shows a placeholder row (JobName ``allocation``, no
Partition), so ``Cluster.settled`` polls until the job's record is final.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any, Callable, Optional

from tests.wrap_helpers import BIN

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "slurm.sh"
PACKAGES = "slurm-wlm slurmdbd munge mariadb-server slurm-client"
# the cluster's name (scripts/slurm.sh's default): -M names its jobs alone in exitcodes sacct, as
# exitwrap's own job ids may coincide with Slurm's in one database
CLUSTER = "exitwrap"
COMMANDS = ("munged", "mariadbd", "slurmdbd", "slurmctld", "slurmd", "sbatch", "srun", "sacct",
            "scontrol", "scancel", "sacctmgr", "sinfo", "setpriv")  # fmt: skip
FINAL = ("COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL", "OUT_OF_MEMORY")
# how long a job may take to reach its final record in sacct: a one-minute time limit is
# enforced by the controller's check every 30 s, so up to 90 s, and sacct lags behind
SETTLE_S = 150.0
POLL_S = 0.3
STABLE_S = 0.7
LOCK_WAIT_S = 300.0  # another worker may be starting the cluster meanwhile
CPUS = "32"  # the node's CPUs: every job of the tests runs at once


def unavailable() -> Optional[str]:
    """Why a private Slurm cannot run here, or None when it can."""
    if not sys.platform.startswith("linux"):
        return "Slurm's daemons run on Linux only"
    if os.geteuid() != 0:
        return "starting Slurm's daemons needs root (they drop privileges themselves)"
    path = f"{os.environ.get('PATH', '')}:/usr/sbin:/sbin"
    missing = [c for c in COMMANDS if shutil.which(c, path=path) is None]
    if missing:
        return f"Slurm's packages are not installed ({PACKAGES}): no {', '.join(missing)}"
    return None


class Cluster:
    """A running private cluster: its directory and the environment its clients need."""

    def __init__(self, state: Path) -> None:
        self.state = state
        self._settled: dict[tuple[int, tuple[str, ...], str], list[dict[str, str]]] = {}
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("EXITWRAP_", "SLURM"))}
        self.env.update(
            SLURM_CONF=str(state / "etc" / "slurm.conf"),
            PATH=f"{BIN}{os.pathsep}{self.env.get('PATH', os.defpath)}:/usr/sbin",
        )

    @classmethod
    def up(cls, state: Path) -> Cluster:
        done = subprocess.run(["sh", str(SCRIPT), "up", str(state)], capture_output=True,
                              env={**os.environ, "SLURM_CPUS": CPUS}, text=True, timeout=240,
                              check=False)  # fmt: skip
        cluster = cls(state)
        if done.returncode != 0:
            cluster.down()
            raise RuntimeError(f"scripts/slurm.sh up failed:\n{done.stdout}{done.stderr}")
        return cluster

    def down(self) -> None:
        done = subprocess.run(["sh", str(SCRIPT), "down", str(self.state)], capture_output=True,
                              text=True, timeout=240, check=False)  # fmt: skip
        if done.returncode != 0:
            raise RuntimeError(f"scripts/slurm.sh down left daemons:\n{done.stdout}{done.stderr}")

    def run(self, *argv: str, env: Optional[dict[str, str]] = None, **kwargs: Any) -> str:
        """A client command's stdout; it must succeed."""
        done = subprocess.run(list(argv), env={**self.env, **(env or {})}, capture_output=True,
                              text=True, timeout=120, check=False, **kwargs)  # fmt: skip
        assert done.returncode == 0, f"{argv}: {done.stderr}"
        out: str = done.stdout
        return out

    def sbatch(
        self, script: Path, *options: str, db: str, env: Optional[dict[str, str]] = None
    ) -> int:
        """Submit the script, its jobs' exitwraps recording to db (env: more for them)."""
        out = self.run("sbatch", "--parsable", *options, str(script),
                       env={"EXITWRAP_DB": db, **(env or {})}, cwd=script.parent)  # fmt: skip
        return int(out.strip().split(";")[0])

    def sacct(self, job_id: int, fields: str, *options: str) -> list[dict[str, str]]:
        """Slurm's record of the job, one dict a line (job, then steps)."""
        out = self.run("sacct", "-P", "-j", str(job_id), "-o", fields, *options)
        header, *rows = out.splitlines()
        return [dict(zip(header.split("|"), row.split("|"))) for row in rows]

    def settled(self, job_id: int, steps: Sequence[str], fields: str) -> list[dict[str, str]]:
        """Slurm's final record: the job's state final and no placeholder, those steps
        (``batch``, ``0``, ...) all there and ended, and the same when read again STABLE_S
        later (a cancelled step is CANCELLED 0:0 until its own end arrives)."""
        key = (job_id, tuple(steps), fields)
        if key in self._settled:  # a final record stays final
            return self._settled[key]
        wanted = {f"{job_id}.{step}" for step in steps}
        fields = f"JobID,JobName,State,Partition,{fields}"
        deadline = time.monotonic() + SETTLE_S
        seen: Optional[list[dict[str, str]]] = None
        while True:
            rows = self.sacct(job_id, fields)
            final = {r["JobID"] for r in rows if r["State"].split(" ")[0] in FINAL}
            job = rows[0] if rows else None
            if job and job["JobID"] in final and job["Partition"] and wanted <= final:
                if rows == seen:
                    self._settled[key] = rows
                    return rows
                seen = rows
                time.sleep(STABLE_S)
                continue
            assert time.monotonic() < deadline, f"job {job_id} did not settle: {rows}"
            time.sleep(POLL_S)

    def wait_running(self, job_id: int, step: str) -> None:
        """Until the step runs (scontrol knows it)."""
        deadline = time.monotonic() + SETTLE_S
        while True:
            done = subprocess.run(["scontrol", "show", "step", f"{job_id}.{step}"], env=self.env,
                                  capture_output=True, text=True, check=False)  # fmt: skip
            if "State=RUNNING" in done.stdout:
                return
            assert time.monotonic() < deadline, f"step {job_id}.{step} never ran"
            time.sleep(POLL_S)

    def exitcodes(self, *args: str, db: str, env: Optional[dict[str, str]] = None) -> str:
        return self.run(str(BIN / "exitcodes"), *args, env={"EXITWRAP_DB": db, **(env or {})})

    def ours(
        self, job_id: int, db: str, *, ended: bool = True, env: Optional[dict[str, str]] = None
    ) -> dict[str, Any]:
        """exitcodes' record of the Slurm job (its --json), once it shows the job ended."""
        deadline = time.monotonic() + SETTLE_S
        while True:
            out = self.exitcodes(
                "sacct", "-M", CLUSTER, "-j", str(job_id), "--json", db=db, env=env
            )
            jobs = json.loads(out)["jobs"]
            if jobs and (not ended or jobs[0]["state"]["current"] != "RUNNING"):
                assert len(jobs) == 1, jobs
                found: dict[str, Any] = jobs[0]
                return found
            assert time.monotonic() < deadline, f"exitcodes never showed job {job_id} ended"
            time.sleep(POLL_S)


ROOT_ENV = "EXITWRAP_TEST_SLURM"  # the shared cluster's directory, named by the main process
ROOT_PREFIX = "/tmp/ew-slurm-"


def _alive(pid: int) -> bool:
    """Whether the process runs (a zombie does not: some container inits never reap)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0] != "Z"
    except OSError:
        return False


def _kill_leftovers(configuration: str) -> None:
    """Every process whose environment names this cluster's slurm.conf (its jobs' tasks, an
    exitwrap --batch a test started beside them): what stopping the cluster left running."""
    wanted = f"SLURM_CONF={configuration}".encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            environ = (entry / "environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if wanted in environ:
            with suppress(ProcessLookupError):
                os.kill(int(entry.name), signal.SIGKILL)


class Shared:
    """The one cluster of a test run, shared by its xdist workers under a file lock."""

    def __init__(self, root: Optional[Path] = None) -> None:
        self.root = root or Path(os.environ.get(ROOT_ENV) or f"{ROOT_PREFIX}{os.getpid()}")
        self.lock_path = Path(f"{self.root}.lock")

    @classmethod
    def name_for_this_run(cls) -> Shared:
        """The main process's: it names the directory its workers will share."""
        os.environ[ROOT_ENV] = f"{ROOT_PREFIX}{os.getpid()}"
        return cls()

    @contextmanager
    def locked(self) -> Iterator[None]:
        with self.lock_path.open("a") as lock:
            deadline = time.monotonic() + LOCK_WAIT_S
            while True:
                try:
                    fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    assert time.monotonic() < deadline, f"{self.lock_path} held too long"
                    time.sleep(POLL_S)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def join(self) -> tuple[Optional[Cluster], Optional[str]]:
        """The running cluster (started by the first to ask), or why there is none."""
        with self.locked():
            self.root.mkdir(mode=0o755, exist_ok=True)
            skip = self.root / "unavailable"
            state = self.root / "cluster"
            if skip.exists():
                return None, skip.read_text()
            if not state.exists():
                reason = unavailable()
                if reason is not None:
                    skip.write_text(reason)
                    return None, reason
                state.mkdir(mode=0o755)
                try:
                    Cluster.up(state)
                except RuntimeError:
                    shutil.rmtree(state, ignore_errors=True)
                    raise
            return Cluster(state), None

    def finish(self) -> None:
        """Stop the cluster, if one was started, and what its jobs and tests left running;
        remove the directory. Raises when a daemon would not stop."""
        if not self.root.exists():
            return
        with self.locked():
            state = self.root / "cluster"
            try:
                if state.exists():
                    cluster = Cluster(state)
                    try:
                        cluster.down()
                    finally:
                        _kill_leftovers(cluster.env["SLURM_CONF"])
            finally:
                shutil.rmtree(self.root, ignore_errors=True)
        self.lock_path.unlink(missing_ok=True)

    @classmethod
    def sweep(cls) -> None:
        """Stop the clusters of test runs whose main process is gone (killed outright)."""
        for root in Path(ROOT_PREFIX).parent.glob(f"{Path(ROOT_PREFIX).name}*"):
            owner = root.name[len(Path(ROOT_PREFIX).name) :]
            if root.is_dir() and owner.isdigit() and not _alive(int(owner)):
                cls(root).finish()

    def once(self, name: str, make: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        """What make returns, made by the first worker to ask and read by the others."""
        path = self.root / f"{name}.json"
        with self.locked():
            if not path.exists():
                path.write_text(json.dumps(make()))
            loaded: dict[str, Any] = json.loads(path.read_text())
            return loaded


def script(directory: Path, name: str, body: str) -> Path:
    """A batch script (mode 0644: sbatch needs no execute bit)."""
    path = directory / f"{name}.sh"
    path.write_text("#!/bin/sh\n" + body)
    return path
