"""--shell NAME: COMMAND is a snippet for that shell adapter, ARGS its positional parameters.

Imported only when asked for: the shell adapters cost more start-up time
than the rest of exitwrap.
"""

# ruff: noqa: PLC0415  (lazy imports: each wrapped command pays for every import)

from __future__ import annotations

from harness.errors import UsageError
from harness.wrap.messages import shown
from harness.wrap.spawn import NOT_FOUND, SpawnFailure

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence


def snippet_argv(name: str, script: str, args: Sequence[str]) -> list[str]:
    """The command line that runs script under the named shell; absent is 127, unknown 125."""
    from harness.shells import parse_selection, resolve

    selections = parse_selection(name)
    if len(selections) != 1:
        raise UsageError(f"--shell takes one shell, got {shown(name)}")
    shell = resolve(selections[0])
    if shell.path is None:
        raise SpawnFailure(NOT_FOUND, f"{shown(shell.label)}: {shell.absent_reason}")
    return shell.argv(script, args)
