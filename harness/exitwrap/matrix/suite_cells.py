"""What a cell of a user's suite runs in: a fresh directory, ``$SH``, ``$TMP``, its environment.

Each cell gets a new directory of its own, its working directory and
``$TMP`` (Oils' spec runner gives every case and shell one), removed when
the cell ends, so parallel cells never share files. ``$SH`` is the shell
under test as a command on the cell's ``PATH``: a link named as Oils names
the shell (``bash``, ``dash``, ``ksh`` for ksh93, ``ash`` for busybox, whose
applet is chosen by that name), so ``$SH -c ...`` and ``case $SH in dash)``
work as they do under Oils. An Oils spec case gets Oils' environment
(``PATH``, ``LC_ALL=C.UTF-8``, ``SH``, ``TMP`` and nothing else); a
scenario file's cell the matrix's cell environment with those added, then
its own ``env``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import urllib.parse
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from exitwrap.shells.shell import Shell
from exitwrap.suites.spec_file import oils_name
from exitwrap.suites.suite_scenario import SuiteScenario


@dataclass(frozen=True)
class SuiteCell:
    command: str  # what $SH runs: the link to the shell (its path, for file-run shells)
    cwd: str
    env: dict[str, str]


def shell_command(shell: Shell, scratch: str) -> str:
    """A link to the shell named as Oils names it, in a directory of its own (made once)."""
    assert shell.path is not None
    if shell.spec.launcher.runs_file:
        return shell.path  # cmd, pwsh: no name to give them
    directory = os.path.join(scratch, "sh", urllib.parse.quote(shell.label, safe=""))
    link = os.path.join(directory, oils_name(shell.name))
    if not os.path.lexists(link):
        os.makedirs(directory, exist_ok=True)
        with contextlib.suppress(FileExistsError):  # another worker made it meanwhile
            os.symlink(shell.path, link)
    return link


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


@contextlib.contextmanager
def suite_cell(
    shell: Shell, scenario: SuiteScenario, env: Mapping[str, str], scratch: str
) -> Iterator[SuiteCell]:
    """The cell's directory, environment and $SH, for the time it runs."""
    command = shell_command(shell, scratch)
    cwd = tempfile.mkdtemp(prefix="cell-", dir=scratch)
    try:
        for name in scenario.workdir_subdirs:
            os.mkdir(os.path.join(cwd, name))
        yield SuiteCell(command, cwd, _environment(shell, scenario, env, command, cwd))
    finally:
        shutil.rmtree(cwd, ignore_errors=True)
