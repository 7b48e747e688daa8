"""Starting the command: found as execvp(3) finds it, started as a shell starts it, and when
that fails, a status and a line that say why (as ``env`` and ``timeout`` do).

127: not found, including a file whose ``#!`` interpreter is missing (the
kernel says ENOENT for both). 126: found but not runnable (no permission, a
directory, a format the kernel does not know). No shell fallback for a file
without ``#!``: exitwrap never runs a command through a shell unasked.
"""

from __future__ import annotations

import errno
import os
import stat

from exitwrap.wrap.messages import shown

TYPE_CHECKING = False
if TYPE_CHECKING:
    import signal as _signal
    from collections.abc import Collection, Mapping, Sequence
    from typing import Optional
else:
    import _signal

NOT_FOUND = 127
NOT_RUNNABLE = 126


class SpawnFailure(Exception):
    """The command could not be started; ``status`` is exitwrap's exit status for that, and
    ``errno`` the error of the failed exec (what slurmstepd exits with in its place)."""

    def __init__(self, status: int, message: str, code: int = errno.ENOENT) -> None:
        super().__init__(message)
        self.status = status
        self.errno = code


def locate(name: str, environ: Mapping[str, str]) -> str:
    """The file execvp would run for name: the first executable regular file on PATH.

    A name with a slash is used as it is. When PATH only has files that are not
    executable (or directories) of that name, the first one is returned, so that
    starting it reports why it cannot run (126), as execvp's EACCES does.
    """
    if "/" in name:
        return name
    fallback: Optional[str] = None
    for directory in os.get_exec_path(environ):
        candidate = os.path.join(directory, name)
        try:
            mode = os.stat(candidate).st_mode
        except (OSError, ValueError):
            continue
        if stat.S_ISREG(mode) and os.access(candidate, os.X_OK):
            return candidate
        fallback = fallback or candidate
    if fallback is None:
        raise SpawnFailure(NOT_FOUND, f"{shown(name)}: command not found")
    return fallback


def _interpreter(path: str) -> Optional[str]:
    """The interpreter a ``#!`` line names, or None when the file has none."""
    try:
        with open(path, "rb") as script:
            line = script.readline(4096)
    except OSError:
        return None
    if not line.startswith(b"#!"):
        return None
    words = line[2:].split()
    return os.fsdecode(words[0]) if words else ""


def _diagnose(path: str, error: OSError) -> SpawnFailure:

    code = error.errno
    reason = os.strerror(code) if code else str(error)
    if code == errno.ENOENT and os.path.exists(path):
        interpreter = _interpreter(path)
        if interpreter is None:
            return SpawnFailure(NOT_FOUND, f"{shown(path)}: its program loader is missing")
        return SpawnFailure(
            NOT_FOUND, f"{shown(path)}: bad interpreter {shown(interpreter)}: {reason}"
        )
    if code == errno.ENOENT:
        return SpawnFailure(NOT_FOUND, f"{shown(path)}: {reason}")
    code = code or errno.EINVAL
    if code == errno.EACCES and os.path.isdir(path):
        return SpawnFailure(NOT_RUNNABLE, f"{shown(path)}: {os.strerror(errno.EISDIR)}", code)
    return SpawnFailure(NOT_RUNNABLE, f"{shown(path)}: {reason}", code)


def _take_terminal_and_exec(
    path: str,
    argv: list[str],
    environ: Mapping[str, str],
    defaults: Collection[int],
    terminal: int,
    report: int,
    redirects: Sequence[tuple[int, int]],
) -> None:
    """In the forked child: lead a new group, own the terminal, reset signals, exec."""
    try:
        for fd, target in redirects:
            os.dup2(fd, target)
        os.setpgid(0, 0)
        _signal.pthread_sigmask(_signal.SIG_BLOCK, {_signal.SIGTTOU})  # we are not foreground yet
        os.tcsetpgrp(terminal, os.getpid())
        for number in defaults:
            _signal.signal(number, _signal.SIG_DFL)
        _signal.pthread_sigmask(_signal.SIG_SETMASK, set())
        os.execve(path, argv, environ)
    except BaseException as error:  # whatever it was, the parent must hear of it
        code = getattr(error, "errno", None) or errno.EINVAL
        os.write(report, str(code).encode())
    finally:
        os._exit(NOT_FOUND)


def _spawn_in_foreground(
    path: str,
    argv: list[str],
    environ: Mapping[str, str],
    defaults: Collection[int],
    terminal: int,
    redirects: Sequence[tuple[int, int]],
) -> int:
    """Fork and exec with the terminal handed over before the command runs, as shells do.

    posix_spawn cannot hand the terminal over in the child: a command that
    reads the terminal before the parent's tcsetpgrp is stopped by SIGTTIN,
    and a Ctrl-Z typed while it is so stopped is lost. An exec failure comes
    back through a close-on-exec pipe as its errno.
    """
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_end)
        _take_terminal_and_exec(path, argv, environ, defaults, terminal, write_end, redirects)
    os.close(write_end)
    try:  # noqa: SIM105  (contextlib costs exitwrap's start-up)
        os.setpgid(pid, pid)  # both sides set it, so neither depends on who runs first
    except OSError:
        pass  # the child has exec'd already (EACCES) or is gone: its own call stands
    with os.fdopen(read_end, "rb") as report:
        failure = report.read()
    if failure:
        os.waitpid(pid, 0)
        code = int(failure)
        raise OSError(code, os.strerror(code))
    return pid


def spawn(
    argv: Sequence[str],
    environ: Mapping[str, str],
    defaults: Collection[int],
    *,
    own_group: bool,
    terminal: Optional[int] = None,
    redirects: Sequence[tuple[int, int]] = (),
) -> int:
    """Start argv (found on PATH) with the signals in defaults reset and nothing blocked.

    With own_group, the child leads a new process group; with a terminal too,
    that group owns the terminal before the command runs. redirects: (fd, target)
    pairs dup2'd in the child (--batch's -o and -e).
    """
    path = locate(argv[0], environ)
    try:
        if own_group and terminal is not None:
            return _spawn_in_foreground(path, list(argv), environ, defaults, terminal, redirects)
        actions = [(os.POSIX_SPAWN_DUP2, fd, target) for fd, target in redirects]
        if own_group:
            return os.posix_spawn(
                path,
                list(argv),
                environ,
                setpgroup=0,
                setsigdef=defaults,
                setsigmask=(),
                file_actions=actions,
            )
        return os.posix_spawn(
            path, list(argv), environ, setsigdef=defaults, setsigmask=(), file_actions=actions
        )
    except OSError as error:
        raise _diagnose(path, error) from None
    except ValueError as error:  # an embedded NUL byte
        raise SpawnFailure(NOT_RUNNABLE, f"{shown(argv[0])}: {error}", errno.EINVAL) from None
