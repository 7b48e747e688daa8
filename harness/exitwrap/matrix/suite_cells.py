"""What a cell of a user's suite runs in: a fresh directory, ``$SH``, ``$TMP``, its environment.

Each cell gets a directory of its own, its working directory and ``$TMP``
(Oils' spec runner gives every case and shell one): empty, mode 0700, and
used by no other cell while it runs, so parallel cells never share files.
A worker empties its directory for its next cell rather than making a new
one; whatever a cell leaves is gone before the next starts. ``$SH`` is the shell
under test as a command on the cell's ``PATH``: a link named as Oils names
the shell (``bash``, ``dash``, ``ksh`` for ksh93, ``ash`` for busybox, whose
applet is chosen by that name), so ``$SH -c ...`` and ``case $SH in dash)``
work as they do under Oils. A shell started with options (``bash-posix`` is
``bash --posix``, ``NAME:OPTION`` adds more) gets a two-line script of that
name instead, which execs it with them: a link would drop them, for the cell
and for every ``$SH`` the cell runs. An Oils spec case gets Oils' environment
(``PATH``, ``LC_ALL=C.UTF-8``, ``SH``, ``TMP`` and nothing else); a
scenario file's cell the matrix's cell environment with those added, then
its own ``env``.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import shlex
import threading
from collections.abc import Iterator, Mapping

from exitwrap.record import Record
from exitwrap.scratch import remove_tree
from exitwrap.shells.shell import Shell
from exitwrap.suites.oils_names import oils_name
from exitwrap.suites.suite_scenario import SuiteScenario


class SuiteCell(Record):
    command: str  # what $SH runs: the link to the shell (its path, for file-run shells)
    cwd: str
    env: dict[str, str]


_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-~")


def _file_name(label: str) -> str:
    """label as one file name: ``urllib.parse.quote(label, safe="")``, without importing
    urllib.parse (and ipaddress) for it."""
    return "".join(
        c if c in _UNRESERVED else "".join(f"%{byte:02X}" for byte in c.encode("utf-8", "replace"))
        for c in label
    )


def shell_command(shell: Shell, scratch: str) -> str:
    """The shell as a command named as Oils names it, in a directory of its own (made once)."""
    assert shell.path is not None
    if shell.spec.launcher.runs_file:
        return shell.path  # cmd, pwsh: no name to give them
    directory = os.path.join(scratch, "sh", _file_name(shell.label))
    command = os.path.join(directory, oils_name(shell.name))
    if not os.path.lexists(command):
        os.makedirs(directory, exist_ok=True)
        if shell.spec.mode_args:
            _write_starter(command, [shell.path, *shell.spec.mode_args])
        else:
            with contextlib.suppress(FileExistsError):  # another worker made it meanwhile
                os.symlink(shell.path, command)
    return command


def _write_starter(path: str, argv: list[str]) -> None:
    """An executable script that runs argv with the script's own arguments (atomically)."""
    words = " ".join(shlex.quote(word) for word in argv)
    partial = f"{path}.{os.getpid()}.{threading.get_ident()}"
    with open(partial, "w", encoding="utf-8") as script:
        script.write(f'#!/bin/sh\nexec {words} "$@"\n')
    os.chmod(partial, 0o755)
    os.replace(partial, path)


def _environment(
    shell: Shell, scenario: SuiteScenario, env: Mapping[str, str], command: str, cwd: str
) -> dict[str, str]:
    path = env.get("PATH", os.defpath)
    base = {"PATH": path, "LC_ALL": "C.UTF-8"} if scenario.spec_case else dict(env)
    if command != shell.path:
        base["PATH"] = os.path.dirname(command) + os.pathsep + path
    base["SH"] = os.path.basename(command) if command != shell.path else command
    base["TMP"] = shell.native_path(cwd)
    base.update(scenario.env)
    return base


_CELLS = itertools.count()
# each worker's (process, thread) cell directory, emptied for its next cell: on ext4 a
# mkdir and an rmdir per cell cost a sixth of one (0.3 ms measured here), emptying an
# empty directory nearly nothing
_DIRECTORIES: dict[tuple[int, int], str] = {}


def _emptied(path: str, keep: tuple[str, ...]) -> bool:
    """Whether the directory is now as a new one would be (0700, nothing in it but the empty
    ``keep`` directories); False when it cannot be made so (the cell made it unusable)."""
    try:
        os.chmod(path, 0o700)
        with os.scandir(path) as entries:
            for entry in list(entries):
                if entry.name in keep and entry.is_dir(follow_symlinks=False):
                    os.chmod(entry.path, 0o755)
                    if not os.listdir(entry.path):
                        continue
                if entry.is_dir(follow_symlinks=False):
                    remove_tree(entry.path)
                    if os.path.lexists(entry.path):  # what the cell left cannot be removed
                        return False
                else:
                    os.unlink(entry.path)
    except OSError:
        return False
    return True


def _workdir(scratch: str, keep: tuple[str, ...]) -> str:
    """A directory for this worker's next cell, as new: its last one emptied, or a new one."""
    key = (os.getpid(), threading.get_ident())
    path = _DIRECTORIES.get(key)
    if path is None or os.path.dirname(path) != scratch or not _emptied(path, keep):
        while True:
            path = os.path.join(scratch, f"cell-{key[0]}-{next(_CELLS)}")
            try:
                os.mkdir(path, 0o700)
                break
            except FileExistsError:  # left by an earlier process that had this pid
                continue
        _DIRECTORIES[key] = path
    for name in keep:
        with contextlib.suppress(FileExistsError):
            os.mkdir(os.path.join(path, name))
    return path


@contextlib.contextmanager
def suite_cell(
    shell: Shell, scenario: SuiteScenario, env: Mapping[str, str], scratch: str
) -> Iterator[SuiteCell]:
    """The cell's directory, environment and $SH, for the time it runs.

    ``scratch`` is the run's own directory (a fresh temporary one, removed
    with what is in it when the run ends).
    """
    command = shell_command(shell, scratch)
    cwd = _workdir(scratch, scenario.workdir_subdirs)
    yield SuiteCell(command, cwd, _environment(shell, scenario, env, command, cwd))
