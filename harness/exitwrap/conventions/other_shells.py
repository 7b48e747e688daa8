"""What fish, tcsh and rc promise: not POSIX shells, so bound only by their own documentation.

Each binding entry is the shell's own rule (``shell-rule``). Their status variables
differ: fish's ``$status`` and tcsh's ``$status`` are numbers, rc's is the
signal's name after a signal death and a list for a pipeline. A child's
exit(N) reaches any of them as N & 255, which XSH exit() fixes for every
parent; the shells' pages say the variable holds that exit status.

fish's table of statuses gives 125 for "an executable ... the operating
system could not actually execute", which is the missing-interpreter cell;
its exec-format cell depends on an undefined "rudimentary check" before
/bin/sh is tried, so it stays unbound. Where a page is silent (tcsh and rc on
a command that is not found) the cell is ``unspecified``, and the informational
127/126 entries show how far the shell is from common practice.
"""

from __future__ import annotations

from exitwrap.conventions.builders import Promise, debian_manpage, rule, signal_rules
from exitwrap.conventions.model import KNOWN_BUG, SHELL_RULE, Convention, Expect, Source
from exitwrap.scenarios.catalog import CORE_DEATHS, INNER, OUTER, SIGNAL_DEATHS

_FISH_DOCS = "https://fishshell.com/docs/3.6"


def _fish(page: str, section: str, quote: str) -> Source:
    anchor = "#" + section.lower().replace(" ", "-") if page == "language.html" else ""
    return Source(f"fish 3.6 documentation, {section}", f"{_FISH_DOCS}/{page}{anchor}", quote)


def _tcsh(section: str, quote: str) -> Source:
    return debian_manpage("tcsh.1", "tcsh", "6.24.07", section, quote)


def _rc(section: str, quote: str) -> Source:
    return debian_manpage("rc.byron.1", "rc", "1.7.4", section, quote)


STATUS_IS_EXIT_STATUS = Promise(
    "status-is-exit-status",
    "{shell}'s status variable holds the child's exit status, N & 255 after exit(N)",
    ("exit/*",),
    INNER,
    Expect("==", "N&255"),
    SHELL_RULE,
)
EXIT_IN_RANGE = Promise(
    "exit-builtin",
    "{shell}: `exit N` with 0 <= N <= 255 ends the shell with status N",
    ("shell-exit/*",),
    OUTER,
    Expect("==", "N"),
    SHELL_RULE,
    n_range=(0, 255),
)


def _status_table(
    slug: str, summary: str, scenarios: tuple[str, ...], value: str, quote: str
) -> Convention:
    return rule(
        "fish",
        slug,
        summary,
        scenarios,
        INNER,
        Expect("==", value),
        _fish("language.html", "The status variable", quote),
        SHELL_RULE,
    )


_FISH_EXIT = _fish(
    "cmds/exit.html",
    "exit",
    "exit is a special builtin that causes the shell to exit. Either 255 or the CODE supplied is "
    "used, whichever is lesser.",
)

FISH: tuple[Convention, ...] = (
    STATUS_IS_EXIT_STATUS.by(
        "fish",
        _fish(
            "language.html",
            "The status variable",
            "Fish stores the exit status of the last process in the last job to exit in the "
            "status variable.",
        ),
    ),
    *signal_rules(
        "fish",
        "128+N",
        _fish(
            "language.html",
            "The status variable",
            "If a process exits through a signal, the exit status will be 128 plus the number of "
            "the signal.",
        ),
        reraise_source=_FISH_EXIT,
    ),
    _status_table(
        "not-found-127",
        "fish: no function, builtin or command of that name: 127",
        ("not-found",),
        "127",
        "127 means that no function, builtin or command with the given name could be located.",
    ),
    _status_table(
        "not-executable-126",
        "fish: a file that is located but not executable: 126",
        ("not-executable",),
        "126",
        "126 means that while a file with the specified name was located, it was not executable.",
    ),
    _status_table(
        "exec-failed-125",
        "fish: an executable the operating system could not run (its #! interpreter is "
        "missing): 125",
        ("bad-interpreter",),
        "125",
        "125 means that while an executable with the specified name was located, the operating "
        "system could not actually execute the command.",
    ),
    rule(
        "fish",
        "implicit-cd",
        "fish: a command that looks like a directory (it starts with /) changes into it, a "
        "successful operation, so the status is 0 rather than 126",
        ("is-directory",),
        INNER,
        Expect("==", "0"),
        _fish(
            "cmds/cd.html",
            "cd",
            "Fish will also try to change directory if given a command that looks like a "
            "directory (starting with ., / or ~, or ending with /), without explicitly requiring "
            "cd.",
        ),
        SHELL_RULE,
    ),
    EXIT_IN_RANGE.by("fish", _FISH_EXIT),
    rule(
        "fish",
        "exit-above-255",
        "fish: `exit N` with N > 255 ends the shell with 255, the lesser of the two",
        ("shell-exit/*",),
        OUTER,
        Expect("==", "255"),
        _FISH_EXIT,
        SHELL_RULE,
        n_range=(256, 2**63),
    ),
    rule(
        "fish",
        "exit-negative",
        "fish: `exit N` with N < 0 uses N, the lesser, and exit(N) leaves N & 255 (XSH exit())",
        ("shell-exit/*",),
        OUTER,
        Expect("==", "N&255"),
        _FISH_EXIT,
        SHELL_RULE,
        n_range=(-(2**63), -1),
    ),
    Convention(
        "fish/bug-9659-negative-exit-aborts",
        "fish 3.6.0: `exit N` with N < 0 fails an internal assertion and fish dies of SIGABRT "
        "(fish-shell issue 9659, closed upstream); shown beside the documented rule, which the "
        "bug breaks",
        ("shell-exit/*",),
        OUTER,
        Expect("==", "6", kind="signal"),
        Source(
            "fish-shell issue #9659 (fish 3.6.0)",
            "https://github.com/fish-shell/fish-shell/issues/9659",
            "Exit with negative numbers causes assertion failure",
        ),
        ("fish",),
        binding=False,
        qualifier=KNOWN_BUG,
        n_range=(-(2**63), -1),
    ),
)

_TCSH_EXIT = _tcsh(
    "Builtin commands: exit",
    "The shell exits either with the value of the specified expr (an expression, as described "
    "under Expressions) or, without expr, with the value 0.",
)
_TCSH_STATUS = _tcsh(
    "Special shell variables: status",
    "The exit status from the last command or backquote expansion, or any command in a pipeline "
    "is propagated to status.",
)

TCSH: tuple[Convention, ...] = (
    STATUS_IS_EXIT_STATUS.by("tcsh", _TCSH_STATUS, ("exit/*", "subshell/*")),
    *signal_rules(
        "tcsh",
        "128+N",
        _tcsh(
            "Special shell variables: status",
            "If a command terminated abnormally, then 0200 is added to the status.",
        ),
        reraise_source=_TCSH_EXIT,
    ),
    rule(
        "tcsh",
        "unset-variable-error",
        "tcsh: a script that only references an unset variable is an error, and the shell ends "
        "with a non-zero status",
        ("expansion-error",),
        OUTER,
        Expect("!=", "0"),
        _tcsh(
            "Variable substitution metasequences",
            "Except as noted, it is an error to reference a variable which is not set.",
        ),
        SHELL_RULE,
    ),
    rule(
        "tcsh",
        "pipeline-anyerror",
        "tcsh: with anyerror set (its default), `false | true` has the failing status, 1",
        ("pipeline/pipefail",),
        INNER,
        Expect("==", "1"),
        _TCSH_STATUS,
        SHELL_RULE,
    ),
    rule(
        "tcsh",
        "pipeline-status",
        "tcsh: a pipeline whose last (or any) command fails has that status: `true | false` is 1",
        ("pipeline/last",),
        INNER,
        Expect("==", "1"),
        _TCSH_STATUS,
        SHELL_RULE,
    ),
    EXIT_IN_RANGE.by("tcsh", _TCSH_EXIT),
)


RC_SIGNAL = _rc(
    "SPECIAL VARIABLES: status",
    "If the command died with a signal, the status is the name of that signal; if a core file "
    "was created, the string “+core” is appended.",
)

RC_PIPELINE = _rc(
    "SPECIAL VARIABLES: status",
    "The value of $status for a pipeline is a list, with one entry, as above, for each process "
    "in the pipeline.",
)

RC: tuple[Convention, ...] = (
    STATUS_IS_EXIT_STATUS.by(
        "rc",
        _rc(
            "SPECIAL VARIABLES: status",
            "If the command exited with a numeric value, that number is the status.",
        ),
        ("exit/*", "subshell/*"),
    ),
    rule(
        "rc",
        "signal-name",
        "rc: after a death by signal N, $status is the signal's name (sigkill); the probe turns "
        "core dumps off, so no +core is appended",
        SIGNAL_DEATHS,
        INNER,
        Expect("==", "sig{signame}", kind="text"),
        RC_SIGNAL,
        SHELL_RULE,
    ),
    rule(
        "rc",
        "signal-name-core",
        "rc: after a death by signal N with a core dump, $status is the signal's name with "
        "+core (sigquit+core)",
        CORE_DEATHS,
        INNER,
        Expect("==", "sig{signame}+core", kind="text"),
        RC_SIGNAL,
        SHELL_RULE,
    ),
    rule(
        "rc",
        "pipeline-status-list",
        "rc: $status after a pipeline is the list of every command's status, `0 1` for "
        "`true | false`",
        ("pipeline/last",),
        INNER,
        Expect("==", "0 1", kind="text"),
        RC_PIPELINE,
        SHELL_RULE,
    ),
    EXIT_IN_RANGE.by(
        "rc",
        _rc(
            "BUILTIN COMMANDS: exit",
            "Cause the current shell to exit with the given exit status.",
        ),
    ),
)

OTHER_SHELL_CONVENTIONS: tuple[Convention, ...] = FISH + TCSH + RC
