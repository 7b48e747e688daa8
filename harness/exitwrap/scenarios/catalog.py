"""The scenario catalog: what each cell of the matrix runs, frozen as data.

A scenario id is a contract (reports and CI diffs key on it): it is never
renamed. Each scenario fixes its script per dialect (a dialect without one
makes the cell ``n/a``), the layer it checks, and the shell features it
needs. Inner-layer scenarios read the shell's status variable after the
script (the runner appends the report line); outer-layer scenarios read how
the shell process itself ended, and run their script exactly as written.

None of the outer-layer scripts ends in an external command, so the exec
optimisation (bash, ksh93, zsh, yash and busybox replace themselves with the
last command of a ``-c`` script) never decides what they measure.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from exitwrap.errors import UsageError
from exitwrap.record import Record
from exitwrap.scenarios import windows
from exitwrap.scenarios.globs import Globs
from exitwrap.scenarios.values import EXIT_VALUES
from exitwrap.shells.dialects import SCRIPTS_FROM

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Optional

INNER = "inner"
OUTER = "outer"

SIGNALS = (1, 2, 3, 6, 9, 11, 13, 15)
CORE_SIGNALS = (3, 6, 11)  # SIGQUIT, SIGABRT, SIGSEGV: their default action dumps core
# the scenarios whose child dies of signal N, however the signal got there, without a core
SIGNAL_DEATHS = ("signal/*", "interactive/sigint")
# the scenarios whose child dies of signal N and may dump core (harness/exitwrap/observe/cores.py)
CORE_DEATHS = ("core/*",)
NOT_FOUND_COMMAND = "exitwrap-no-such-command"
MISSING_FILE = "/nonexistent/exitwrap-missing-file"


class Scenario(Record):
    id: str
    family: str
    layer: str
    scripts: Mapping[str, str]  # dialect name -> script template
    summary: str
    n: Optional[int] = None
    needs: frozenset[str] = frozenset()
    interactive: bool = False  # typed at a shell on a pty; N is the signal its key sends
    core: bool = False  # the cell lets its child dump core (every other cell keeps cores off)

    def script_for(self, dialect: str) -> Optional[str]:
        """The dialect's script; Plan 9's rc runs rc's when it has none of its own."""
        script = self.scripts.get(dialect)
        if script is None and dialect in SCRIPTS_FROM:
            return self.scripts.get(SCRIPTS_FROM[dialect])
        return script


def _every(
    template: str, dialects: tuple[str, ...] = ("posix", "fish", "csh", "rc")
) -> dict[str, str]:
    return dict.fromkeys(dialects, template)


def _parametrised(
    family: str,
    values: tuple[int, ...],
    layer: str,
    scripts: Mapping[str, str],
    summary: str,
    *,
    core: bool = False,
) -> list[Scenario]:
    return [
        Scenario(
            f"{family}/{n}",
            family,
            layer,
            {dialect: text.replace("{N}", str(n)) for dialect, text in scripts.items()},
            summary.replace("{N}", str(n)),
            n,
            core=core,
        )
        for n in values
    ]


def _build() -> list[Scenario]:
    scenarios: list[Scenario] = []
    scenarios += _parametrised(
        "exit",
        EXIT_VALUES,
        INNER,
        {**_every("{probe} exit {N}"), **windows.EXIT},
        "a child program calls exit({N}); the shell's status variable",
    )
    scenarios += _parametrised(
        "shell-exit",
        EXIT_VALUES,
        OUTER,
        {**_every("exit {N}"), **windows.SHELL_EXIT},
        "the shell's own `exit {N}`; how the shell process ends",
    )
    scenarios += _parametrised(
        "signal",
        SIGNALS,
        INNER,
        {**_every("{probe} signal {N}"), **windows.SIGNAL},
        "a child dies of signal {N}; the shell's status variable",
    )
    scenarios += _parametrised(
        "reraise",
        SIGNALS,
        OUTER,
        {
            "posix": "{probe} signal {N}\nexit $?",
            "fish": "{probe} signal {N}\nexit $status",
            "csh": "{probe} signal {N}\nexit $status",
            "rc": "{probe} signal {N}\nexit $status",
        },
        "a child dies of signal {N}, then the shell runs `exit $?`; how the shell process ends",
    )
    simple = (
        (
            "not-found",
            INNER,
            _every(NOT_FOUND_COMMAND, ("posix", "fish", "csh", "rc", *windows.DIALECTS)),
            "a command that is not on PATH",
        ),
        ("not-executable", INNER, _every("{not_executable}"), "a file without the execute bit"),
        ("is-directory", INNER, _every("{is_directory}"), "a directory run as a command"),
        (
            "bad-interpreter",
            INNER,
            _every("{bad_interpreter}"),
            "a script whose #! interpreter does not exist",
        ),
        (
            "exec-format",
            INNER,
            _every("{exec_format}"),
            "binary garbage with the execute bit (the kernel says ENOEXEC): "
            "fixtures/files/exec-format.bin, a text line holding NUL bytes",
        ),
        (
            "exec-format/nul-bytes",
            INNER,
            _every("{exec_format_nul}"),
            "a file of 64 NUL bytes with the execute bit (the kernel says ENOEXEC): "
            "fixtures/files/exec-format-nul.bin, with no command word in it at all",
        ),
        (
            "redirect-error",
            INNER,
            _every("{probe} exit 0 < {missing}"),
            "a utility's input redirected from a missing file",
        ),
        (
            "pipeline/last",
            INNER,
            _every("true | false"),
            "`true | false`: the last command's status",
        ),
    )
    scenarios += [
        Scenario(id_, id_, layer, scripts, summary) for id_, layer, scripts, summary in simple
    ]
    scenarios += [
        Scenario(
            "expansion-error",
            "expansion-error",
            OUTER,
            {"posix": "${exitwrap_unset?is unset}", "csh": "$exitwrap_unset"},
            "the script's only command is `${unset?msg}` (csh: `$unset`, an error there); how "
            "the shell process ends",
            needs=frozenset({"param-error"}),
        ),
        Scenario(
            "special-builtin-error",
            "special-builtin-error",
            OUTER,
            {"posix": "set -o exitwrap-no-such-option\nexit 0"},
            "a special built-in fails (`set -o` with an option that does not exist), then "
            "`exit 0`; how the shell process ends (a shell that goes on ends with 0)",
        ),
        Scenario(
            "syntax-error",
            "syntax-error",
            OUTER,
            {"posix": "fi", "fish": "end", "csh": "(", "rc": "}"},
            "the whole script is a syntax error; how the shell process ends",
        ),
        Scenario(
            "pipeline/pipefail",
            "pipeline/pipefail",
            INNER,
            {"posix": "set -o pipefail\nfalse | true", "csh": "set anyerror\nfalse | true"},
            "`set -o pipefail; false | true` (csh: `set anyerror`, its pipefail)",
            needs=frozenset({"pipefail"}),
        ),
        Scenario(
            "subshell/5",
            "subshell",
            INNER,
            {"posix": "(exit 5)", "csh": "(exit 5)", "rc": "@{exit 5}"},
            "a subshell runs `exit 5`",
            5,
        ),
        Scenario(
            "wait-bg/6",
            "wait-bg",
            INNER,
            {
                "posix": "{probe} exit 6 &\nwait $!",
                "fish": "{probe} exit 6 &\nwait $last_pid",
                "rc": "{probe} exit 6 &\nwait $apid",
            },
            "a background child exits 6; `wait` for its pid",
            6,
        ),
        Scenario(
            "interactive/sigint",
            "interactive/sigint",
            INNER,
            _every("{probe} catch 2 100"),
            "at an interactive shell on a terminal, Ctrl-C typed while a child runs: the child "
            "dies of SIGINT; the shell's status variable",
            2,
            interactive=True,
        ),
    ]
    scenarios += _parametrised(
        "core",
        CORE_SIGNALS,
        INNER,
        _every("{probe} signal {N} core"),
        "a child dies of signal {N} and dumps core (allowed for this cell only); the shell's "
        "status variable, and what the shell says on stderr",
        core=True,
    )
    scenarios += _parametrised(
        "core-exec",
        CORE_SIGNALS,
        OUTER,
        _every("exec {probe} signal {N} core"),
        "the shell execs a child that dies of signal {N} and dumps core (allowed for this cell "
        "only); how the process ends, core flag included",
        core=True,
    )
    for f in windows.FAMILIES:
        scenarios += _parametrised(f.family, f.values, f.layer, f.scripts, f.summary)
    scenarios += [
        Scenario(s.id, s.family, s.layer, s.scripts, s.summary, s.n) for s in windows.SINGLES
    ]
    return scenarios


SCENARIOS: tuple[Scenario, ...] = tuple(_build())
BY_ID: Mapping[str, Scenario] = {s.id: s for s in SCENARIOS}


def select(patterns: str, catalog: Sequence[Scenario] = SCENARIOS) -> list[Scenario]:
    """The scenarios whose id matches any of the comma-separated globs, in catalog order.

    ``catalog`` is the built-in one, or that plus a user's scenario file.
    """
    globs = Globs(p.strip() for p in patterns.split(",") if p.strip())
    if not globs.patterns:
        raise UsageError("empty --scenarios pattern")
    chosen = [s for s in catalog if globs.match(s.id)]
    unmatched = globs.unmatched(s.id for s in catalog)
    if unmatched:
        raise UsageError(f"no scenario matches {', '.join(unmatched)}")
    return chosen
