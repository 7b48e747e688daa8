"""What the cmd and pwsh tests share: the held cmd session, and running a script in a shell."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from exitwrap.observe.observation import Observation
from exitwrap.observe.probe import ProbeKit
from exitwrap.observe.runner import run
from exitwrap.observe.session import child_kit
from exitwrap.shells.shell import Shell

MARKER = "exitwrap-status:"


def run_script(
    shell: Shell, script: str, env: Mapping[str, str], *, report_status: bool = True
) -> Observation:
    """Run script in shell, reading the status variable back when report_status is set."""
    dialect = shell.spec.dialect
    full = dialect.with_status_report(script, MARKER) if report_status else script
    with shell.launch(full, env) as launch:
        return run(launch.argv, launch.env, marker=MARKER if report_status else None)


def probe_line(shell: Shell, kit: ProbeKit, words: Sequence[str]) -> str:
    """A command line that runs the shell's probe with words, quoted in the shell's dialect."""
    probe = shell.native_path(str(child_kit(shell, kit).probe))
    return shell.spec.dialect.command_line([probe, *words])


def printed_args(obs: Observation) -> list[str]:
    """The arguments `probe args` printed (hex, one a line, then END n)."""
    lines = obs.stdout.splitlines()
    assert lines and lines[-1].startswith("END "), obs.stdout + obs.stderr
    return [bytes.fromhex(line).decode() for line in lines[:-1]]
