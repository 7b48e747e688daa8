"""How a script reaches a shell, and on which host the shell runs.

POSIX shells take the script as an argument (``sh -c SCRIPT``). cmd and
PowerShell run a file: cmd expands ``%VAR%`` per line of a batch file the
same way on Windows and under Wine (on a ``-c``-style command line Wine's cmd
expands per ``&``-joined command, Windows' per line), and ``pwsh -File`` is
the invocation whose exit-code rules PowerShell documents. A file launcher
writes the script into a fresh per-cell directory, hands the shell its
absolute path, and removes the directory afterwards.

A host translates paths and the environment for the shell: the native host
changes nothing; Wine (harness/exitwrap/shells/wine.py) maps ``/tmp/x`` to ``Z:\\tmp\\x`` and
points the shell at the harness's own prefix.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping, Sequence

from exitwrap.record import Record
from exitwrap.scratch import temporary_directory


class Launch(Record):
    """One run's command line and environment, valid inside the launch context."""

    argv: list[str]
    env: dict[str, str]


class Host:
    """The machine a shell runs on as this OS runs it: nothing to translate."""

    name = "native"

    def path(self, path: str) -> str:
        """How the shell names a file of this machine."""
        return path

    def environment(self, env: Mapping[str, str]) -> dict[str, str]:
        return dict(env)

    def session(self, binary: str) -> contextlib.AbstractContextManager[None]:
        """What must stay up while cells run (nothing here; Wine's prefix and server)."""
        return contextlib.nullcontext()


NATIVE = Host()


class Launcher(Record):
    """Inline (``file_suffix`` empty) or through a script file with this suffix and newline."""

    file_suffix: str = ""
    newline: str = "\n"
    prologue: str = ""  # the file's first line (cmd: @echo off)
    encoding: str = "utf-8"
    host: Host = NATIVE
    windows_children: bool = False  # the scenarios' child is the Windows build of the probe

    @property
    def runs_file(self) -> bool:
        return bool(self.file_suffix)

    def file_text(self, script: str) -> str:
        lines = ([self.prologue] if self.prologue else []) + script.split("\n")
        return self.newline.join(lines) + self.newline

    @contextlib.contextmanager
    def script_file(self, script: str, env: Mapping[str, str]) -> Iterator[str]:
        """A fresh directory holding the script as a file; yields the file's absolute path."""
        with temporary_directory("exitwrap-cell-", env.get("TMPDIR") or None) as directory:
            path = os.path.join(directory, "cell" + self.file_suffix)
            with open(path, "w", encoding=self.encoding, newline="") as handle:
                handle.write(self.file_text(script))
            yield path

    @contextlib.contextmanager
    def launch(
        self, command: Sequence[str], script: str, args: Sequence[str], env: Mapping[str, str]
    ) -> Iterator[Launch]:
        """Run ``command`` (the binary and its flags) on the script written to a file."""
        with self.script_file(script, env) as path:
            yield Launch([*command, self.host.path(path), *args], self.host.environment(env))


INLINE = Launcher()
