"""Shared fixtures: the shells as found on this machine, the probe kit, a fresh accounting
store on each backend (an SQLite file, a PostgreSQL server), a directory every user may write,
and cmd with its session held."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from exitwrap.observe.probe import ProbeKit, probe_kit
from exitwrap.observe.session import session
from exitwrap.shell_names import KNOWN_NAMES
from exitwrap.shells.catalog import POSIX_FAMILY
from exitwrap.shells.shell import Shell, parse_selection, resolve_all
from tests import slurm_helpers
from tests.postgres_helpers import MISSING, Cluster, sweep_orphans

REPO = Path(__file__).resolve().parent.parent
SHELLS: dict[str, Shell] = {s.name: s for s in resolve_all(parse_selection(",".join(KNOWN_NAMES)))}
SLURM_KEY = pytest.StashKey[slurm_helpers.Shared]()
UNIX_SHELLS = [name for name in KNOWN_NAMES if name not in ("cmd", "pwsh")]


def shell_params(names: list[str] | tuple[str, ...]) -> list[object]:
    """One pytest param per shell; an absent shell is a skip that says why."""
    return [
        pytest.param(
            SHELLS[name],
            id=name,
            marks=pytest.mark.skipif(
                not SHELLS[name].present, reason=f"{name} absent: {SHELLS[name].absent_reason}"
            ),
        )
        for name in names
    ]


POSIX_SHELL_PARAMS = shell_params(POSIX_FAMILY)
UNIX_SHELL_PARAMS = shell_params(UNIX_SHELLS)


@pytest.fixture(scope="session")
def kit() -> ProbeKit:
    return probe_kit()


@pytest.fixture
def cell_env(tmp_path: Path) -> dict[str, str]:
    from exitwrap.matrix.run import cell_environment

    return cell_environment(str(tmp_path))


@pytest.fixture(autouse=True)
def _no_user_database(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Tests never write to the real per-user accounting database, nor to a server's queue in
    the real state directory."""
    if "EXITWRAP_DB" not in os.environ:
        monkeypatch.setenv("EXITWRAP_DB", str(tmp_path_factory.getbasetemp() / "accounting.db"))
    if "XDG_STATE_HOME" not in os.environ:
        monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path_factory.getbasetemp() / "state"))


@pytest.fixture
def open_dir() -> Iterator[Path]:
    """A fresh directory every user may enter and write (tmp_path is private to root)."""
    path = Path(tempfile.mkdtemp(prefix="exitwrap-shared-"))
    path.chmod(0o777)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[Cluster]:
    """This worker's throwaway PostgreSQL server, stopped (by its pid) when the session ends."""
    if MISSING is not None:
        pytest.skip(MISSING)
    sweep_orphans()
    cluster = Cluster()
    try:
        cluster.start()
        cluster.set_up()
        yield cluster
    finally:
        cluster.stop()


BACKENDS = [
    "sqlite",
    pytest.param(
        "postgresql",
        marks=[
            pytest.mark.postgresql,
            pytest.mark.skipif(MISSING is not None, reason=MISSING or ""),
        ],
    ),
]


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """Each accounting test runs on both stores: an SQLite file, and a PostgreSQL server."""
    name: str = request.param
    return name


@pytest.fixture
def db(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> str:
    """A fresh accounting store for this test, which EXITWRAP_DB names: an SQLite file, or a
    database of its own on this worker's server (with this test's own state directory, where
    the queues are)."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    if backend == "sqlite":
        database = str(tmp_path / "accounting.db")
    else:
        cluster: Cluster = request.getfixturevalue("pg_cluster")
        database = cluster.uri(cluster.new_database())
    monkeypatch.setenv("EXITWRAP_DB", database)
    return database


# parametrize a test with this to run it on SQLite alone (what it checks is the file's)
sqlite_only = pytest.mark.parametrize("backend", ["sqlite"])
# ... or on a server alone (what it checks is a server's: a file's is checked elsewhere)
server_only = pytest.mark.parametrize("backend", BACKENDS[1:])


@pytest.fixture(scope="session")
def cmd_shell() -> Iterator[Shell]:
    """cmd with its session held (under Wine: the prefix and a warm server) for this worker."""
    shell = SHELLS["cmd"]
    if not shell.present:
        pytest.skip(f"cmd absent: {shell.absent_reason}")
    with session(shell) as held:
        assert held.present, f"cmd is installed but cannot run: {held.absent_reason}"
        yield held


@pytest.fixture(scope="session")
def shared_slurm() -> slurm_helpers.Shared:
    return slurm_helpers.Shared()


@pytest.fixture(scope="session")
def slurm(shared_slurm: slurm_helpers.Shared) -> slurm_helpers.Cluster:
    """The test run's private Slurm cluster, shared by its workers (the main process stops it
    by PID when the run ends); a skip saying why where it cannot run."""
    cluster, reason = shared_slurm.join()
    if cluster is None:
        pytest.skip(reason or "no Slurm")
    return cluster


def pytest_configure(config: pytest.Config) -> None:
    """The main process (not an xdist worker) names the run's Slurm directory, after stopping
    what runs that were killed outright left behind."""
    if not hasattr(config, "workerinput"):
        slurm_helpers.Shared.sweep()
        config.stash[SLURM_KEY] = slurm_helpers.Shared.name_for_this_run()


def pytest_unconfigure(config: pytest.Config) -> None:
    """Every Slurm daemon of the run stopped by PID, once all its workers have ended."""
    shared = config.stash.get(SLURM_KEY, None)
    if shared is not None:
        shared.finish()


def _turn(item: pytest.Item) -> int:
    if item.get_closest_marker("after_a_minute") is not None:
        return 2
    return 0 if item.get_closest_marker("slurm") is not None else 1


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The Slurm tests first, so that their cluster's start and their jobs overlap the rest of
    the suite; last, what waits for a job's minute-long time limit: by then it has passed."""
    items.sort(key=_turn)
