"""The harness's own Wine prefix and server, for cmd on Linux and macOS.

Never the user's ``~/.wine``: one prefix in the per-user cache, created once
under an exclusive file lock (xdist workers and parallel matrices race for
it), with Wine's debug output off and the Mono and Gecko installers disabled
so nothing prompts. While cells run, each user holds a shared lock on the
prefix and a persistent wineserver keeps every ``wine cmd`` call warm (about
0.05 s instead of 0.5 s), with a client of the session's own connected so it
never sits idle meanwhile; the last user to leave runs ``wineserver -k``. A
user that dies without leaving still cannot strand the server: its client
ends with it, and the server exits by itself ``LINGER_S`` seconds later.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping

from exitwrap.cache import cache_dir
from exitwrap.errors import HarnessFailure
from exitwrap.path_search import which
from exitwrap.scratch import remove_tree

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import IO, Optional

# winemenubuilder.exe=d: no desktop menu entries written into the user's home.
WINE_ENVIRONMENT = {
    "WINEDEBUG": "-all",
    "WINEDLLOVERRIDES": "mscoree,mshtml=;winemenubuilder.exe=d",
}
LINGER_S = 30
# cmd by its Windows path: `wine cmd` goes through start.exe /exec, whose ShellExecuteEx lookup
# fails now and then while other Wine processes start ("Application could not be started, or
# no application associated with the specified file", exit 1: seen here about once in 400
# cells while another process opened sessions); a path Wine loads directly never asks it
CMD_EXE = "C:\\windows\\system32\\cmd.exe"
_READY = ".exitwrap-ready"
_CREATE_TIMEOUT_S = 600.0
_CALL_TIMEOUT_S = 120.0
_CLIENT_EXIT_S = 5.0


def prefix_dir() -> str:
    return os.path.join(cache_dir(), "wine-prefix")


def environment(env: Mapping[str, str]) -> dict[str, str]:
    """env, pointed at the harness's prefix, with Wine quiet.

    TMPDIR is dropped: Wine keeps its server's socket under it, so a cell
    with its own TMPDIR would start a second server instead of using the
    session's, and ``wineserver -k`` would miss it.
    """
    kept = {name: value for name, value in env.items() if name != "TMPDIR"}
    return {**kept, "WINEPREFIX": prefix_dir(), **WINE_ENVIRONMENT}


def windows_path(path: str) -> str:
    """``/tmp/x`` as Wine's default ``Z:`` drive (the Unix root) names it."""
    absolute = os.path.abspath(path)
    return "Z:" + absolute.replace("/", "\\")


def wineserver(wine: str) -> Optional[str]:
    """The wineserver beside the wine binary, or on PATH."""
    beside = os.path.join(os.path.dirname(os.path.realpath(wine)), "wineserver")
    return which(beside) or which("wineserver")


def _call(argv: list[str], what: str, timeout: float, *, check: bool = True) -> None:
    """Run a Wine tool to completion, quietly; a failure says what it was doing.

    Its stderr goes to a file, not a pipe: wineserver and Wine's services
    outlive the tool and would hold a pipe open.
    """
    import subprocess  # noqa: PLC0415  (only when Wine runs; most runs never import it)
    import tempfile  # noqa: PLC0415  (likewise)

    with tempfile.TemporaryFile() as errors:
        try:
            done = subprocess.run(
                argv,
                env=environment(os.environ),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=errors,
                timeout=timeout,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as error:
            raise HarnessFailure(f"wine: {what} failed: {error}") from None
        if check and done.returncode != 0:
            errors.seek(0)
            lines = errors.read().decode("utf-8", "replace").strip().splitlines()
            raise HarnessFailure(f"wine: {what} failed: {lines[-1] if lines else done.returncode}")


def _create(wine: str) -> None:
    prefix = prefix_dir()
    remove_tree(prefix)  # a half-made prefix from an interrupted run
    os.makedirs(cache_dir(), exist_ok=True)
    _call([wine, "wineboot", "--init"], f"creating the prefix {prefix}", _CREATE_TIMEOUT_S)
    server = wineserver(wine)
    if server:
        _call([server, "--wait"], "waiting for the prefix to be written", _CREATE_TIMEOUT_S)
    with open(os.path.join(prefix, _READY), "a", encoding="utf-8"):
        pass


def _flock(handle: IO[str], mode: int) -> None:
    import fcntl  # noqa: PLC0415  (POSIX only; this module must import on Windows)

    fcntl.flock(handle.fileno(), mode)


def _try_exclusive(handle: IO[str]) -> bool:
    import fcntl  # noqa: PLC0415

    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _hold_ready_prefix(handle: IO[str], wine: str) -> None:
    """Leave handle holding a shared lock on a prefix that exists, creating it if need be."""
    import fcntl  # noqa: PLC0415

    while True:
        _flock(handle, fcntl.LOCK_SH)
        if os.path.isfile(os.path.join(prefix_dir(), _READY)):
            return
        _flock(handle, fcntl.LOCK_UN)
        _flock(handle, fcntl.LOCK_EX)  # nobody is using it: it does not exist yet
        try:
            if not os.path.isfile(os.path.join(prefix_dir(), _READY)):
                _create(wine)
        finally:
            _flock(handle, fcntl.LOCK_UN)


def _stop_if_last(handle: IO[str], wine: str) -> None:
    """Give up this user's shared lock; the last one out stops the server."""
    import fcntl  # noqa: PLC0415

    _flock(handle, fcntl.LOCK_UN)
    if not _try_exclusive(handle):
        return  # someone still runs cells; the last of them stops it
    try:
        server = wineserver(wine)
        if server:  # exits 1 when no server is left to stop
            _call([server, "-k"], "stopping wineserver", _CALL_TIMEOUT_S, check=False)
    finally:
        _flock(handle, fcntl.LOCK_UN)


@contextlib.contextmanager
def session(wine: str) -> Iterator[None]:
    """Hold the prefix with a warm server while cells run; stop the server when the last leaves."""
    os.makedirs(cache_dir(), exist_ok=True)
    with open(os.path.join(cache_dir(), "wine-prefix.lock"), "a+", encoding="utf-8") as handle:
        _hold_ready_prefix(handle, wine)
        try:
            server = wineserver(wine)
            if server:  # exits 2 when another user's server is up: as good
                _call(
                    [server, f"-p{LINGER_S}"], "starting wineserver", _CALL_TIMEOUT_S, check=False
                )
            # Starts Wine's own services outside any cell's process group and pipes.
            _call([wine, CMD_EXE, "/d", "/c", "exit", "0"], "starting cmd", _CALL_TIMEOUT_S)
            with _client(wine):
                yield
        finally:
            _stop_if_last(handle, wine)


@contextlib.contextmanager
def _client(wine: str) -> Iterator[None]:
    """A Wine process connected to the server for as long as the session lasts.

    A server left without clients exits ``LINGER_S`` seconds later, and a program
    started just then fails to start ("ShellExecuteEx failed: Internal error",
    seen on Wine 8.0 after a cell took about as long): with this one waiting on
    its stdin, the server is never idle while the session is held. It ends when
    that pipe closes, which also happens when this process dies without leaving.
    """
    import subprocess  # noqa: PLC0415  (only when Wine runs; most runs never import it)

    try:
        keeper = subprocess.Popen(
            [wine, CMD_EXE, "/d", "/c", "set /p _="],
            env=environment(os.environ),
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # a Ctrl-C at the terminal is for the cells, not for it
        )
    except OSError as error:
        raise HarnessFailure(f"wine: starting the session's client failed: {error}") from None
    try:
        yield
    finally:
        assert keeper.stdin is not None
        keeper.stdin.close()
        try:
            keeper.wait(timeout=_CLIENT_EXIT_S)
        except subprocess.TimeoutExpired:  # a forked child still holds the pipe open
            keeper.kill()
            keeper.wait()
