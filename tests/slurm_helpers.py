"""A real Slurm for the tests: started by scripts/slurm.sh, stopped by PID, and read by sacct.

``Cluster.up`` starts a private single-node cluster (munged, MariaDB,
slurmdbd, slurmctld, slurmd) in a fresh directory under /tmp and waits until
sinfo shows the node idle; ``down`` stops exactly the daemons it started.
Only one can run on a machine (its ports are fixed), so the xdist workers of
a test run share one (``Shared``): under a file lock the first that needs it
starts it, each counts itself in, and the last to leave stops it; what is
done once for all of them (submitting the jobs) is done under the same lock.
(pytest-xdist's ``--dist loadgroup`` would have kept the tests in one worker,
but it no longer groups anything under pytest 9.2: pytest-xdist issue 1386.)
``unavailable`` says why the tests cannot run here: they skip with that
reason. sacct lags behind the controller by up to a few seconds and first
shows a placeholder row (JobName ``allocation``, no Partition), so
``Cluster.settled`` polls until the job's record is final.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Optional

from tests.wrap_helpers import BIN

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "slurm.sh"
PACKAGES = "slurm-wlm slurmdbd munge mariadb-server slurm-client"
COMMANDS = ("munged", "mariadbd", "slurmdbd", "slurmctld", "slurmd", "sbatch", "srun", "sacct",
            "scontrol", "scancel", "sacctmgr", "sinfo", "setpriv")  # fmt: skip
PORTS = (16817, 16818, 16819, 13306)  # scripts/slurm.sh's defaults
FINAL = ("COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL", "OUT_OF_MEMORY")
# how long a job may take to reach its final record in sacct: a one-minute time limit is
# enforced by the controller's check every 30 s, so up to 90 s, and sacct lags behind
SETTLE_S = 150.0
POLL_S = 0.3
STABLE_S = 0.7
LOCK_WAIT_S = 300.0  # another worker may be starting the cluster meanwhile
CPUS = "32"  # the node's CPUs: every job of the tests runs at once


def _port_in_use(port: int) -> bool:
    wanted = f":{port:04X}"
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        if any(f[1].endswith(wanted) and f[3] == "0A" for f in (line.split() for line in lines)):
            return True
    return False


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
    busy = [str(port) for port in PORTS if _port_in_use(port)]
    if busy:
        return f"another Slurm or MariaDB holds TCP ports {', '.join(busy)} on this machine"
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

    def sbatch(self, script: Path, *options: str, db: str) -> int:
        out = self.run("sbatch", "--parsable", *options, str(script), env={"EXITWRAP_DB": db},
                       cwd=script.parent)  # fmt: skip
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

    def exitcodes(self, *args: str, db: str) -> str:
        return self.run(str(BIN / "exitcodes"), *args, env={"EXITWRAP_DB": db})

    def ours(self, job_id: int, db: str, *, ended: bool = True) -> dict[str, Any]:
        """exitcodes' record of the Slurm job (its --json), once it shows the job ended."""
        deadline = time.monotonic() + SETTLE_S
        while True:
            jobs = json.loads(self.exitcodes("sacct", "-j", str(job_id), "--json", db=db))["jobs"]
            if jobs and (not ended or jobs[0]["state"]["current"] != "RUNNING"):
                assert len(jobs) == 1, jobs
                found: dict[str, Any] = jobs[0]
                return found
            assert time.monotonic() < deadline, f"exitcodes never showed job {job_id} ended"
            time.sleep(POLL_S)


class Shared:
    """The one cluster of a test run, shared by its xdist workers under a file lock."""

    def __init__(self) -> None:
        run = os.environ.get("PYTEST_XDIST_TESTRUNUID") or f"pid{os.getpid()}"
        self.root = Path(f"/tmp/ew-slurm-{run[:12]}")
        self.lock_path = Path(f"{self.root}.lock")

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

    def _users(self, change: int) -> int:
        path = self.root / "users"
        count = int(path.read_text()) if path.exists() else 0
        path.write_text(str(count + change))
        return count + change

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
            self._users(+1)
            return Cluster(state), None

    def leave(self, cluster: Cluster) -> None:
        """Count out; the last one out stops the cluster."""
        with self.locked():
            if self._users(-1) > 0:
                return
            try:
                cluster.down()
            finally:
                shutil.rmtree(self.root, ignore_errors=True)
        self.lock_path.unlink(missing_ok=True)

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
