"""--shell NAME: COMMAND is a snippet for that shell adapter, ARGS its positional parameters.

Imported only when asked for: the shell adapters cost more start-up time
than the rest of exitwrap. A shell that runs files (cmd, PowerShell) gets
the snippet written to a script file for the run, and Wine's prefix and
server are held while it runs (harness/exitwrap/shells/launchers.py).
"""

# ruff: noqa: PLC0415  (lazy imports: each wrapped command pays for every import)

from __future__ import annotations

import contextlib

from exitwrap.errors import HarnessFailure, UsageError
from exitwrap.wrap.messages import shown
from exitwrap.wrap.spawn import NOT_FOUND, SpawnFailure

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping, Sequence

    from exitwrap.shells.shell import Shell


def _shell(name: str) -> Shell:
    from exitwrap.shells.shell import parse_selection, resolve

    selections = parse_selection(name)
    if len(selections) != 1:
        raise UsageError(f"--shell takes one shell, got {shown(name)}")
    shell = resolve(selections[0], ask_packages=False)  # the binary, not its version
    if shell.path is None:
        raise SpawnFailure(NOT_FOUND, f"{shown(shell.label)}: {shell.absent_reason}")
    return shell


@contextlib.contextmanager
def snippet(
    name: str, script: str, args: Sequence[str], environ: Mapping[str, str]
) -> Iterator[tuple[list[str], Mapping[str, str]]]:
    """The command line and environment that run script under the named shell.

    An unknown name is a UsageError (125); a shell that is absent or cannot be
    set up is a SpawnFailure (127), as a missing command is.
    """
    shell = _shell(name)
    assert shell.path is not None
    with contextlib.ExitStack() as stack:
        try:
            stack.enter_context(shell.spec.launcher.host.session(shell.path))
        except HarnessFailure as error:
            raise SpawnFailure(NOT_FOUND, f"{shown(shell.label)}: {error}") from None
        launch = stack.enter_context(shell.launch(script, environ, args))
        yield launch.argv, launch.env
