"""What the tests on a PostgreSQL server share: a throwaway cluster, its roles, a fresh database.

A ``Cluster`` is scripts/postgres.sh's: initdb (as the postgres OS user
when the tests run as root: initdb refuses root), started by hand under
/tmp, listening on 127.0.0.1 (and an address of the simulated hosts'
bridge when asked), and stopped by the same script, which stops exactly
the server it started, by its pid. Each test worker starts one for the
session (conftest.py's ``pg_cluster``); each test gets a database of its
own, copied from a template the accounting's ``db init`` set up.

Roles, as a site would make them: ``root`` an exitwrap administrator (as
root may change anyone's jobs in an SQLite file), ``nobody``, ``alice``
and ``bob`` exitwrap users; alice and bob have passwords, for logins over
TCP from other hosts. On the socket, peer authentication: each OS user is
the role of its name (root may also be the superuser, postgres).
"""

from __future__ import annotations

import getpass
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path
from typing import Any, Optional

from exitwrap.accounting.initialise import initialise
from exitwrap.accounting.process import start_ticks

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "postgres.sh"
PREFIX = "exitwrap-pg-"
TEMPLATE = "exitwrap_template"
USERS = ("nobody", "alice", "bob")
PASSWORDS = {"alice": "alice-secret", "bob": "bob-secret"}
ADMINS = ("root",)


def _binaries() -> Optional[Path]:
    given = os.environ.get("PG_BIN")
    if given:
        return Path(given)
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: p.parts[-3])
    if found:
        return found[-1].parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _missing() -> Optional[str]:
    """Why no cluster can be started here (None: it can)."""
    binaries = _binaries()
    if binaries is None or not (binaries / "initdb").exists():
        return "PostgreSQL's server binaries are not installed (apt-get install postgresql)"
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return "psycopg is not installed (pip install 'exitwrap[postgresql]')"
    return None


MISSING = _missing()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def _owner_gone(directory: Path) -> bool:
    """Whether the test process that made this cluster has died (without stopping it)."""
    try:
        pid, ticks = map(int, (directory / "owner").read_text().split())
    except (OSError, ValueError):
        return False  # being made, or not one of these: not ours to judge
    return start_ticks(pid) != ticks


def sweep_orphans() -> None:
    """Stop the clusters of test processes that were killed before they could stop theirs."""
    for directory in Path("/tmp").glob(f"{PREFIX}*"):
        if _owner_gone(directory):
            Cluster(directory=directory).stop()


class Cluster:
    """A throwaway PostgreSQL server under a directory of its own, which names its owner (this
    process), so that a later session can stop it should this one be killed."""

    def __init__(self, address: Optional[str] = None, directory: Optional[Path] = None) -> None:
        if directory is None:
            directory = Path(tempfile.mkdtemp(prefix=PREFIX, dir="/tmp"))
            (directory / "owner").write_text(f"{os.getpid()} {start_ticks(os.getpid())}\n")
        self.directory = directory
        self.address = address
        self.port = 0
        self.superuser = "postgres" if os.geteuid() == 0 else getpass.getuser()
        self._databases = 0

    @property
    def socket_directory(self) -> Path:
        return self.directory / "run"

    def _script(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(SCRIPT), *args], capture_output=True, text=True, timeout=120, check=False
        )

    def start(self) -> None:
        """Start the server: a new cluster on a free port (once more if the port was taken
        meanwhile), or again, on its port, after ``halt``."""
        for _ in range(2):
            self.port = self.port or free_port()
            address = [self.address] if self.address else []
            done = self._script("start", str(self.directory), str(self.port), *address)
            if done.returncode == 0:
                return
            if "port" not in done.stderr or (self.directory / "pid").exists():
                break
            shutil.rmtree(self.directory / "data", ignore_errors=True)
            self.port = 0
        raise RuntimeError(f"the test cluster did not start: {done.stderr.strip()}")

    def halt(self) -> None:
        """Stop exactly the server this cluster started (by its pid), keeping its data."""
        done = self._script("stop", str(self.directory))
        if done.returncode != 0:
            raise RuntimeError(f"the test cluster did not stop: {done.stderr.strip()}")

    def stop(self) -> None:
        """Stop the server and remove everything it had."""
        try:
            self.halt()
        finally:
            shutil.rmtree(self.directory, ignore_errors=True)

    def uri(self, database: str, user: Optional[str] = None) -> str:
        """The database over the Unix socket (peer authentication: this OS user's role)."""
        role = f"&user={user}" if user else ""
        return f"postgresql:///{database}?host={self.socket_directory}&port={self.port}{role}"

    def tcp_uri(self, database: str, user: str, host: str = "127.0.0.1") -> str:
        return f"postgresql://{user}@{host}:{self.port}/{database}"

    def admin(self, database: str = "postgres") -> Any:
        """A psycopg connection as the superuser (row-level security does not apply)."""
        import psycopg

        return psycopg.connect(self.uri(database, self.superuser), autocommit=True)

    def set_up(self) -> None:
        """The roles, and the template every test's database is copied from."""
        with self.admin() as admin:
            for role in (*USERS, *ADMINS):
                password = PASSWORDS.get(role)
                admin.execute(
                    f"CREATE ROLE {role} LOGIN" + (f" PASSWORD '{password}'" if password else "")
                )
            admin.execute(f"CREATE DATABASE {TEMPLATE}")
        initialise(self.uri(TEMPLATE, self.superuser), private=False)
        with self.admin() as admin:
            admin.execute(f"GRANT exitwrap_user TO {', '.join(USERS)}")
            admin.execute(f"GRANT exitwrap_admin TO {', '.join(ADMINS)}")

    def new_database(self) -> str:
        """A fresh accounting database, copied from the template: its name."""
        self._databases += 1
        name = f"test_{os.getpid()}_{self._databases}"
        with self.admin() as admin:
            admin.execute(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE}")
        return name

    def passfile(self, directory: Path) -> Path:
        """A libpq password file for alice and bob, readable by this user only."""
        path = directory / "pgpass"
        path.write_text("".join(f"*:{self.port}:*:{user}:{pw}\n" for user, pw in PASSWORDS.items()))
        path.chmod(0o600)
        return path
