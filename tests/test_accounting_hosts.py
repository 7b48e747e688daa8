"""One accounting for several hosts: simulated hosts recording into one PostgreSQL server.

Each host is a network namespace on a bridge of this machine, with its own
address and, for whatever runs there, its own host name (a UTS namespace):
scripts/netns.sh. The server listens on the bridge (scripts/postgres.sh).
The users log in over TCP with their passwords (alice, bob), as from any
host that is not the server's; root runs the commands, so that namespaces
can be entered, and the role decides who is who on the server.

Done when (issue: "Accounting shared across hosts and users"): every run
from both hosts is recorded exactly once, with unique ids, none lost across
a restart of the server in the middle; a step whose exitwrap is SIGKILLed
reads RUNNING elsewhere until its host's push says NODE_FAIL; a cancel from
another host waits for the owning host's push; every change one user tries
on another's job, from another host, is refused by the server itself.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, Optional

import pytest

from exitwrap.accounting.location import ID_BLOCK
from exitwrap.observe.probe import ProbeKit
from tests.conftest import REPO
from tests.postgres_helpers import MISSING, Cluster
from tests.wrap_helpers import BIN, EXITWRAP, children, wait_until

NETNS = REPO / "scripts" / "netns.sh"
ROUNDS = 16  # one-step jobs each host records, while the server goes away and comes back


def _missing() -> Optional[str]:
    if MISSING is not None:
        return MISSING
    if os.geteuid() != 0:
        return "simulated hosts need root (network and UTS namespaces)"
    if not (shutil.which("ip") and shutil.which("unshare")):
        return "simulated hosts need iproute2's ip and util-linux's unshare"
    return None


pytestmark = [
    pytest.mark.postgresql,
    pytest.mark.hosts,
    pytest.mark.slow,
    pytest.mark.skipif(_missing() is not None, reason=_missing() or ""),
]


def _netns(*args: str) -> None:
    done = subprocess.run(
        [str(NETNS), *args], capture_output=True, text=True, timeout=60, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"netns.sh {' '.join(args)}: {done.stderr.strip()}")


def _free_subnet() -> int:
    """A 10.77.N.0/24 no interface of this machine uses (other test runs may hold some)."""
    listed = subprocess.run(["ip", "-o", "-4", "addr"], capture_output=True, text=True, check=True)
    used = listed.stdout
    for offset in range(200):
        subnet = 20 + (os.getpid() + offset) % 200
        if f" 10.77.{subnet}." not in used:
            return subnet
    raise RuntimeError("no free 10.77.N.0/24 subnet")


class Hosts:
    """Two simulated hosts, a bridge between them and the server, and the server itself."""

    def __init__(self, scratch: Path) -> None:
        subnet = _free_subnet()
        self.bridge = f"exwb{subnet}"
        self.gateway = f"10.77.{subnet}.1"
        self.names = (f"exw{subnet}a", f"exw{subnet}b")
        self.addresses = {name: f"10.77.{subnet}.{n}" for n, name in enumerate(self.names, 2)}
        self.cluster = Cluster(address=self.gateway)
        self.database = ""
        self.scratch = scratch
        self.passfile = Path()

    def __enter__(self) -> Hosts:
        _netns("bridge", self.bridge, self.gateway)
        for name in self.names:
            _netns("up", name, self.addresses[name], self.bridge)
        self.cluster.start()
        self.cluster.set_up()
        self.database = self.cluster.new_database()
        self.passfile = self.cluster.passfile(self.scratch)
        return self

    def __exit__(self, *exc: object) -> None:
        """Everything goes, whatever failed: the server, the hosts (and what runs there)."""
        try:
            self.cluster.stop()
        finally:
            for name in self.names:
                _netns("down", name)
            _netns("unbridge", self.bridge)

    def env(self, user: str, **more: str) -> dict[str, str]:
        """user's environment on any host: a home shared by every host, as over NFS."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(("EXITWRAP_", "PG"))}
        env.update(
            PATH=f"{BIN}{os.pathsep}{env.get('PATH', os.defpath)}",
            EXITWRAP_DB=f"postgresql://{user}@{self.gateway}:{self.cluster.port}/{self.database}",
            PGPASSFILE=str(self.passfile),
            XDG_STATE_HOME=str(self.scratch / f"home-{user}"),
            **more,
        )
        return env

    def argv(self, host: str, *argv: str) -> list[str]:
        return [str(NETNS), "exec", host, *argv]

    def run(
        self, host: str, user: str, *argv: str, env: Optional[Mapping[str, str]] = None
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            self.argv(host, *argv), env=dict(env or self.env(user)), capture_output=True,
            text=True, timeout=120, check=False,
        )  # fmt: skip

    def exitcodes(self, host: str, user: str, *args: str) -> subprocess.CompletedProcess[str]:
        return self.run(host, user, str(BIN / "exitcodes"), *args)

    def sacct(self, host: str, user: str, *args: str) -> list[list[str]]:
        done = self.exitcodes(host, user, "sacct", "-a", "-n", "-P", *args)
        assert done.returncode == 0, done.stderr
        return [line.split("|") for line in done.stdout.splitlines()]

    def server_rows(self, query: str) -> list[tuple[Any, ...]]:
        """What the server holds, read as its superuser (nothing pushed first)."""
        with self.cluster.admin(self.database) as admin:
            return [tuple(row) for row in admin.execute(query)]


@pytest.fixture(scope="module")
def hosts(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hosts]:
    scratch = tmp_path_factory.mktemp("hosts")
    scratch.chmod(0o755)
    with Hosts(scratch) as made:
        yield made


def _script(hosts: Hosts, host: str, probe: Path) -> Path:
    """A host's share of the work: ROUNDS one-step jobs, named, with their exit codes, then
    a batch job of three steps; every status echoed."""
    path = hosts.scratch / f"work-{host}.sh"
    batch = hosts.scratch / f"batch-{host}.sh"
    batch.write_text(f"#!/bin/sh\nfor n in 2 1 0; do exitwrap {probe} exit $n; done\n")
    batch.chmod(0o755)
    path.write_text(
        "#!/bin/sh\n"
        f"i=0\nwhile [ $i -lt {ROUNDS} ]; do\n"
        f'  exitwrap -J {host}-$i {probe} exit $((i % 4)); echo "$i=$?"\n'
        "  i=$((i + 1))\n  sleep 0.1\ndone\n"
        f'exitwrap --batch -q -J {host}-batch {batch}; echo "batch=$?"\n'
    )
    path.chmod(0o755)
    return path


def test_two_hosts_record_at_once_across_a_server_restart(hosts: Hosts, kit: ProbeKit) -> None:
    workers = {}
    for host in hosts.names:
        argv = hosts.argv(host, str(_script(hosts, host, Path(kit.probe))))
        workers[host] = subprocess.Popen(
            argv, env=hosts.env("alice"), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
    try:
        assert wait_until(lambda: len(hosts.server_rows("SELECT job_id FROM exitwrap.jobs")) >= 2)
        hosts.cluster.halt()  # in the middle of both hosts' work
        assert wait_until(lambda: all(w.poll() is not None for w in workers.values()), 120)
    finally:
        hosts.cluster.start()
        for worker in workers.values():
            if worker.poll() is None:
                worker.kill()
    said = {host: worker.communicate(timeout=60) for host, worker in workers.items()}
    for host, (out, err) in said.items():
        # each status is the command's, the server away or not; warned once on each host
        expected = [f"{i}={i % 4}" for i in range(ROUNDS)] + ["batch=0"]
        assert out.split() == expected, (host, out, err)
        assert err.count("exitwrap: warning: not pushed since ") == 1, (host, err)
    for host in hosts.names:  # the next push on each host delivers what waited
        pushed = hosts.exitcodes(host, "alice", "db", "push")
        assert pushed.returncode == 0, pushed.stderr
    jobs = hosts.server_rows('SELECT job_id, name, node, exit_status, "user" FROM exitwrap.jobs')
    names = sorted(name for _, name, _, _, _ in jobs)
    assert names == sorted(f"{h}-{i}" for h in hosts.names for i in [*range(ROUNDS), "batch"])
    assert len({job_id for job_id, *_ in jobs}) == len(jobs)  # every run once, ids unique
    origins = {node: {job_id // ID_BLOCK for job_id, _, n, _, _ in jobs if n == node}
               for node in hosts.names}  # fmt: skip
    assert all(len(found) == 1 for found in origins.values())  # one queue a host...
    assert len(set.union(*origins.values())) == 2  # ...each its own origin
    assert all(name.split("-")[0] == node for _, name, node, _, _ in jobs)  # where it ran
    steps = hosts.server_rows("SELECT job_id, step_index, exit_status FROM exitwrap.steps")
    assert len(steps) == 2 * (ROUNDS + 4)  # a step each one-step job, batch + 3 steps each
    seen = hosts.sacct(hosts.names[1], "bob", "-X", "-o", "JobName,ExitCode,NodeList,User")
    assert sorted(seen) == sorted([name, f"{status >> 8}:0", node, user]
                                  for _, name, node, status, user in jobs)  # fmt: skip


def _running_on_server(hosts: Hosts, name: str) -> list[tuple[Any, ...]]:
    return hosts.server_rows(
        f"SELECT job_id, state FROM exitwrap.jobs WHERE name = '{name}' AND state = 'RUNNING'"
    )


def test_a_killed_exitwrap_is_node_fail_once_its_host_says_so(hosts: Hosts, kit: ProbeKit) -> None:
    here, there = hosts.names
    process = subprocess.Popen(
        hosts.argv(here, *EXITWRAP, "-J", "killed", str(kit.probe), "sleep", "60"),
        env=hosts.env("alice"), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    orphans: list[int] = []
    try:
        assert wait_until(lambda: bool(children(process.pid)), 60)
        assert hosts.exitcodes(here, "alice", "db", "push").returncode == 0  # it runs: on record
        ((job, _),) = _running_on_server(hosts, "killed")
        orphans = list(children(process.pid))
        process.send_signal(signal.SIGKILL)  # the exitwrap, not its command
        process.wait(timeout=60)
        # elsewhere nobody can tell: RUNNING, until the host that ran it says otherwise
        assert hosts.sacct(there, "bob", "-j", str(job), "-o", "State") == [
            ["RUNNING"], ["RUNNING"]
        ]  # fmt: skip
        assert _running_on_server(hosts, "killed") == [(job, "RUNNING")]
        assert hosts.exitcodes(here, "alice", "db", "push").returncode == 0
        assert hosts.sacct(there, "bob", "-j", str(job), "-o", "JobID,State") == [
            [str(job), "NODE_FAIL"],
            [f"{job}.0", "NODE_FAIL"],
        ]
        assert _running_on_server(hosts, "killed") == []  # stored, not judged at reading
    finally:
        for pid in orphans:
            os.kill(pid, signal.SIGKILL)
        if process.poll() is None:
            process.kill()


def test_a_cancel_from_another_host_waits_for_the_owning_hosts_push(
    hosts: Hosts, kit: ProbeKit
) -> None:
    here, there = hosts.names
    script = hosts.scratch / "long.sh"
    script.write_text(f"#!/bin/sh\nexitwrap {kit.probe} sleep 60\necho after\n")
    script.chmod(0o755)
    process = subprocess.Popen(
        hosts.argv(here, *EXITWRAP, "--batch", "-J", "long", str(script)),
        env=hosts.env("alice"), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    try:
        assert wait_until(lambda: any(map(children, children(process.pid))), 60)  # the step
        assert hosts.exitcodes(here, "alice", "db", "push").returncode == 0
        ((job, _),) = _running_on_server(hosts, "long")
        asked = hosts.exitcodes(there, "alice", "cancel", str(job))
        assert asked.returncode == 0, asked.stderr
        assert asked.stderr == (
            f"exitcodes cancel: warning: job {job} runs on {here}: recorded as cancelled; "
            f"{here} signals its processes at its next push (any exitcodes command or job "
            "ending there)\n"
        )
        assert process.poll() is None  # nothing could reach it from there
        assert hosts.exitcodes(here, "alice", "sacct", "-j", str(job)).returncode == 0
        out, _ = process.communicate(timeout=60)  # here, any command acts on it
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 128 + signal.SIGTERM and "after" not in out
    assert hosts.exitcodes(here, "alice", "db", "push").returncode == 0
    assert hosts.sacct(there, "bob", "-j", str(job), "-o", "JobID,State%20") == [
        [str(job), "CANCELLED by 0"],
        [f"{job}.batch", "CANCELLED"],  # a cancelled job's steps, as Slurm shows them
        [f"{job}.0", "CANCELLED"],
    ]


TRY_AS = """
import sys, psycopg
job = int(sys.argv[2])
with psycopg.connect(sys.argv[1], autocommit=True) as db:
    db.execute("SET search_path TO exitwrap")
    for statement in ("UPDATE jobs SET comment = 'x' WHERE job_id = %s",
                      "UPDATE jobs SET derived_status = 0 WHERE job_id = %s",
                      "UPDATE jobs SET cancel_uid = 0 WHERE job_id = %s"):
        print(db.execute(statement, (job,)).rowcount)
    for statement in ("UPDATE jobs SET state = 'FAILED' WHERE job_id = %s",
                      "DELETE FROM jobs WHERE job_id = %s"):
        try:
            db.execute(statement, (job,))
        except psycopg.Error as error:
            print(error.sqlstate)
"""


def test_users_on_two_hosts_cannot_change_each_others_jobs(hosts: Hosts, kit: ProbeKit) -> None:
    owners = dict(zip(hosts.names, ("alice", "bob")))
    jobs = {}
    for host, user in owners.items():
        done = hosts.run(host, user, *EXITWRAP, "-J", f"own-{user}", str(kit.probe), "exit", "2")
        assert done.returncode == 2
        assert hosts.exitcodes(host, user, "db", "push").returncode == 0
        ((jobs[user],),) = hosts.server_rows(
            f"SELECT job_id FROM exitwrap.jobs WHERE name = 'own-{user}'"
        )
    before = hosts.server_rows("SELECT * FROM exitwrap.jobs ORDER BY job_id")
    for host, user in owners.items():
        other = "bob" if user == "alice" else "alice"
        victim = str(jobs[other])
        modified = hosts.exitcodes(host, user, "jobexitmod", "-e", "9", "-r", "mine", victim)
        assert modified.returncode == 1
        assert f"belongs to {other}" in modified.stderr and "the server refused" in modified.stderr
        tried = hosts.run(
            host, user, sys.executable, "-c", TRY_AS, hosts.env(user)["EXITWRAP_DB"], victim
        )
        assert tried.returncode == 0, tried.stderr
        assert tried.stdout.split() == ["0", "0", "0", "42501", "42501"]  # by the server itself
    assert hosts.server_rows("SELECT * FROM exitwrap.jobs ORDER BY job_id") == before
    owned = hosts.exitcodes(hosts.names[1], "bob", "jobexitmod", "-r", "mine", str(jobs["bob"]))
    assert owned.returncode == 0, owned.stderr  # from any host, one's own
