"""What a shell needs held while its cells run, and the probe kit its children come from.

Windows shells (cmd, pwsh) run Windows programs: their kit's probe is the
mingw-built one, made before the first cell; a shell whose probe cannot be
built is absent, saying why.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from exitwrap.errors import HarnessFailure
from exitwrap.observe.probe import ProbeKit
from exitwrap.observe.windows_probe import windows_probe
from exitwrap.record import replace
from exitwrap.shells.shell import Shell


@contextlib.contextmanager
def session(shell: Shell) -> Iterator[Shell]:
    """Hold the shell's host (Wine's prefix and server) and build its probe, for many runs.

    Yields the shell, or an absent one saying why when either cannot be had.
    """
    if shell.present and shell.spec.launcher.windows_children:
        try:
            windows_probe()
        except HarnessFailure as error:
            yield shell.absent(str(error))
            return
    with shell.session() as held:
        yield held


def child_kit(shell: Shell, kit: ProbeKit) -> ProbeKit:
    """The probe kit whose child this shell runs: Windows shells run the Windows probe."""
    if not shell.spec.launcher.windows_children:
        return kit
    return replace(kit, probe=windows_probe())
