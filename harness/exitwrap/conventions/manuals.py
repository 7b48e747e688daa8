"""What each POSIX-family shell's own manual promises, quoted from its Debian 12 page.

POSIX binds these shells too (harness/exitwrap/conventions/posix.py); the entries here
are the manuals' own words. ``shell-rule`` marks an entry that refines or
departs from POSIX (ksh93's 256+N, yash's ``exit`` modulo 256, a manual that
names one status where POSIX allows two); an entry without a qualifier
restates what POSIX also requires. BusyBox documents no exit statuses, so
POSIX alone binds it.

The hard cells, decided from the texts:

- ``bad-interpreter``: mksh, posh and yash say that a command that is found
  (a name with a slash always is, in yash's command search) but cannot be
  executed gives 126. bash's and zsh's wording is as open as POSIX's, so only
  the POSIX entry (126 or 127) covers them.
- ``exec-format``: bash and dash say a file the kernel rejects with ENOEXEC
  is run as a script by a new shell, not refused, so 126 (the status of a
  refusal) breaks their manuals; zsh names 126 for a file that "is not a
  script". ksh93's script rule is written for the PATH search only, mksh and
  posh hand such files to $EXECSHELL only when it is set, and yash does not
  say: POSIX alone covers them, and it leaves the cell open.
"""

from __future__ import annotations

from exitwrap.conventions.builders import Promise, debian_manpage, rule, signal_rules
from exitwrap.conventions.model import SHELL_RULE, Convention, Expect, Source
from exitwrap.scenarios.catalog import INNER, OUTER

NOT_FOUND = Promise(
    "not-found-127",
    "{shell}: a command that is not found: 127",
    ("not-found",),
    INNER,
    Expect("==", "127"),
)
NOT_EXECUTABLE = Promise(
    "cannot-execute-126",
    "{shell}: a command found but not executable: 126",
    ("not-executable", "is-directory"),
    INNER,
    Expect("==", "126"),
)
CANNOT_EXECUTE = Promise(
    "cannot-execute-126",
    "{shell}: a command found but not executable: 126, a missing #! interpreter included, "
    "since the file itself is found and cannot be executed",
    ("not-executable", "is-directory", "bad-interpreter"),
    INNER,
    Expect("==", "126"),
    SHELL_RULE,
)
PIPEFAIL = Promise(
    "pipefail",
    "{shell}: with pipefail, `false | true` has the failing status, 1",
    ("pipeline/pipefail",),
    INNER,
    Expect("==", "1"),
)
WAIT = Promise(
    "wait-pid-status",
    "{shell}: `wait $!` returns the background command's status",
    ("wait-bg/*",),
    INNER,
    Expect("==", "N"),
)
ERRORS_EXIT = Promise(
    "error-exits-non-zero",
    "{shell}: an error the shell detects ends a non-interactive shell with a non-zero status",
    ("syntax-error", "expansion-error"),
    OUTER,
    Expect("!=", "0"),
)
RUNS_AS_SCRIPT = Promise(
    "enoexec-runs-as-script",
    "{shell}: a file the kernel cannot execute (ENOEXEC) is run as a shell script, not refused; "
    "refusing it is POSIX's 126 (XCU 2.9.1.1), which this manual does not describe",
    ("exec-format", "exec-format/*"),
    INNER,
    Expect("!=", "126"),
    SHELL_RULE,
)


def _bash(section: str, quote: str) -> Source:
    return debian_manpage("bash.1", "bash", "5.2.15", section, quote)


def _ksh93(section: str, quote: str) -> Source:
    return debian_manpage("ksh93.1", "ksh93u+m", "93u+m/1.0.4", section, quote)


def _mksh(section: str, quote: str) -> Source:
    return debian_manpage("mksh.1", "mksh", "R59c", section, quote)


def _zsh(page: str, section: str, quote: str) -> Source:
    return debian_manpage(page, "zsh-common", "5.9", section, quote)


def _yash(section: str, quote: str) -> Source:
    return debian_manpage("yash.1", "yash", "2.52", section, quote)


def _posh(section: str, quote: str) -> Source:
    return debian_manpage("posh.1", "posh", "0.14.1", section, quote)


def _dash(section: str, quote: str) -> Source:
    return debian_manpage("dash.1", "dash", "0.5.12", section, quote)


_BASH_EXPANSION = _bash(
    "EXIT STATUS",
    "If a command fails because of an error during expansion or redirection, the exit status is "
    "greater than zero.",
)
_BASH_NOT_FOUND = _bash(
    "EXIT STATUS",
    "If a command is not found, the child process created to execute it returns a status of 127. "
    "If a command is found but is not executable, the return status is 126.",
)

BASH: tuple[Convention, ...] = (
    *signal_rules(
        "bash",
        "128+N",
        _bash(
            "EXIT STATUS",
            "When a command terminates on a fatal signal N, bash uses the value of 128+N as the "
            "exit status.",
        ),
    ),
    NOT_FOUND.by("bash", _BASH_NOT_FOUND),
    NOT_EXECUTABLE.by("bash", _BASH_NOT_FOUND),
    RUNS_AS_SCRIPT.by(
        "bash",
        _bash(
            "COMMAND EXECUTION",
            "If this execution fails because the file is not in executable format, and the file "
            "is not a directory, it is assumed to be a shell script, a file containing shell "
            "commands, and the shell creates a new instance of itself to execute it.",
        ),
    ),
    rule(
        "bash",
        "redirect-error-non-zero",
        "bash: a failed redirection fails its command with a status > 0",
        ("redirect-error",),
        INNER,
        Expect(">", "0"),
        _BASH_EXPANSION,
    ),
    rule(
        "bash",
        "expansion-error-non-zero",
        "bash: `${unset?msg}` fails its command with a status > 0 and bash exits with it "
        "(bash's manual allows any positive status; POSIX asks for 1..125)",
        ("expansion-error",),
        OUTER,
        Expect(">", "0"),
        _BASH_EXPANSION,
    ),
    ERRORS_EXIT.by(
        "bash",
        _bash(
            "EXIT STATUS",
            "Bash itself returns the exit status of the last command executed, unless a syntax "
            "error occurs, in which case it exits with a non-zero value.",
        ),
        ("syntax-error",),
    ),
    PIPEFAIL.by(
        "bash",
        _bash(
            "SHELL GRAMMAR: Pipelines",
            "If pipefail is enabled, the pipeline's return status is the value of the last "
            "(rightmost) command to exit with a non-zero status, or zero if all commands exit "
            "successfully.",
        ),
    ),
    WAIT.by(
        "bash",
        _bash(
            "SHELL BUILTIN COMMANDS: wait",
            "Wait for each specified child process and return its termination status.",
        ),
    ),
)

DASH: tuple[Convention, ...] = (
    RUNS_AS_SCRIPT.by(
        "dash",
        _dash(
            "Simple Commands: Search and Execution",
            "If the program is not a normal executable file (i.e., if it does not begin with the "
            '"magic number" whose ASCII representation is "#!", so execve(2) returns ENOEXEC '
            "then) the shell will interpret the program in a subshell.",
        ),
    ),
    ERRORS_EXIT.by(
        "dash",
        _dash(
            "EXIT STATUS",
            "Errors that are detected by the shell, such as a syntax error, will cause the shell "
            "to exit with a non-zero exit status.",
        ),
    ),
    WAIT.by(
        "dash",
        _dash(
            "Builtins: wait",
            "Wait for the specified job to complete and return the exit status of the last "
            "process in the job.",
        ),
    ),
)

_KSH93_EXIT = _ksh93(
    "Built-in Commands: exit",
    "Causes the shell to exit with the exit status specified by n. The value will be the least "
    "significant 8 bits of n (if specified) or of the exit status of the last command executed.",
)

KSH93: tuple[Convention, ...] = (
    *signal_rules(
        "ksh93",
        "256+N",
        _ksh93(
            "Commands",
            "The value of a simple-command is its exit status; 0-255 if it terminates normally; "
            "256+signum if it terminates abnormally",
        ),
        reraise="(256+N)&255",
        reraise_source=_KSH93_EXIT,
    ),
    rule(
        "ksh93",
        "exit-low-8-bits",
        "ksh93: `exit N` ends the shell with the least significant 8 bits of N, N & 255, for "
        "every N (POSIX leaves N outside 0..255 undefined)",
        ("shell-exit/*",),
        OUTER,
        Expect("==", "N&255"),
        _KSH93_EXIT,
        SHELL_RULE,
    ),
    ERRORS_EXIT.by(
        "ksh93",
        _ksh93(
            "EXIT STATUS",
            "Errors detected by the shell, such as syntax errors, cause the shell to return a "
            "non-zero exit status.",
        ),
    ),
    PIPEFAIL.by(
        "ksh93",
        _ksh93(
            "Built-in Commands: set -o pipefail",
            "The exit status of the entire pipeline will be that of the last component command "
            "that exited with a non-zero exit status, or zero if no command exited with a "
            "non-zero exit status.",
        ),
    ),
    WAIT.by(
        "ksh93",
        _ksh93(
            "Built-in Commands: wait",
            "The exit status from this command is that of the last process waited for if job is "
            "specified; otherwise it is zero.",
        ),
    ),
)

_MKSH_NOT_FOUND = _mksh(
    "Command syntax",
    "if the command could not be found, the exit status is 127; if it could not be executed, the "
    "exit status is 126",
)

MKSH: tuple[Convention, ...] = (
    *signal_rules(
        "mksh",
        "128+N",
        _mksh(
            "Parameters: ?",
            "If the last command was killed by a signal, $? is set to 128 plus the signal "
            "number, but at most 255.",
        ),
    ),
    NOT_FOUND.by("mksh", _MKSH_NOT_FOUND),
    CANNOT_EXECUTE.by("mksh", _MKSH_NOT_FOUND),
    ERRORS_EXIT.by(
        "mksh",
        _mksh(
            "Invocation",
            "The exit status of the shell is 127 if the file specified on the command line could "
            "not be opened, or non-zero if a fatal error occurred during execution of the script.",
        ),
    ),
    PIPEFAIL.by(
        "mksh",
        _mksh(
            "Command execution: set -o pipefail",
            "Make the exit status of a pipeline the rightmost non-zero errorlevel, or zero if all "
            "commands exited with zero.",
        ),
    ),
    WAIT.by(
        "mksh",
        _mksh(
            "Command execution: wait", "The exit status of wait is that of the last specified job;"
        ),
    ),
)

ZSH: tuple[Convention, ...] = (
    *signal_rules(
        "zsh",
        "128+N",
        _zsh(
            "zshmisc.1",
            "SIMPLE COMMANDS & PIPELINES",
            "The value of a simple command is its exit status, or 128 plus the signal number if "
            "terminated by a signal.",
        ),
    ),
    NOT_FOUND.by("zsh", _zsh("zshmisc.1", "COMMAND EXECUTION", "127 The search was unsuccessful.")),
    rule(
        "zsh",
        "cannot-execute-126",
        "zsh: insufficient permissions, a directory, or a file that is not a script in a format "
        "the kernel does not know: 126 (so zsh names the status of the exec-format cell)",
        ("not-executable", "is-directory", "exec-format", "exec-format/*"),
        INNER,
        Expect("==", "126"),
        _zsh(
            "zshmisc.1",
            "COMMAND EXECUTION",
            "126 The executable file has insufficient permissions, is a directory or special "
            "file, or is not a script and is in a format unrecognized by the operating system.",
        ),
        SHELL_RULE,
    ),
    PIPEFAIL.by(
        "zsh",
        _zsh(
            "zshoptions.1",
            "PIPE_FAIL",
            "If this option is set, the exit status instead reflects the status of the rightmost "
            "element of the pipeline that was non-zero, or zero if all elements exited with zero "
            "status.",
        ),
    ),
    WAIT.by(
        "zsh",
        _zsh(
            "zshbuiltins.1",
            "wait",
            "The exit status from this command is that of the job waited for.",
        ),
    ),
)

_YASH_EXIT = _yash(
    "EXIT BUILT-IN: Operands",
    "If exit_status is 256 or larger, the actual exit status will be the remainder of exit_status "
    "divided by 256.",
)
_YASH_NOT_FOUND = _yash(
    "Execution of simple commands",
    "If the algorithm failed to determine a command, no command is executed and the exit status "
    "is 127. If the shell failed to execute the determined command, the exit status is 126.",
)

YASH: tuple[Convention, ...] = (
    *signal_rules(
        "yash",
        "384+N",
        _yash(
            "Execution of simple commands",
            "If the executed command was killed by a signal, the exit status is the signal number "
            "plus 384.",
        ),
        reraise="(384+N)%256",
        reraise_source=_YASH_EXIT,
    ),
    NOT_FOUND.by("yash", _YASH_NOT_FOUND),
    CANNOT_EXECUTE.by("yash", _YASH_NOT_FOUND),
    rule(
        "yash",
        "exit-modulo-256",
        "yash: `exit N` with N >= 256 ends the shell with N modulo 256 (POSIX leaves it undefined)",
        ("shell-exit/*",),
        OUTER,
        Expect("==", "N%256"),
        _YASH_EXIT,
        SHELL_RULE,
        n_range=(256, 2**63),
    ),
    ERRORS_EXIT.by(
        "yash",
        _yash(
            "Termination of the shell",
            "If a non-interactive shell encountered one of the following errors, the shell "
            "immediately exits with a non-zero exit status:",
        ),
    ),
    rule(
        "yash",
        "redirect-error-non-zero",
        "yash: a failed redirection aborts its simple command with a non-zero status",
        ("redirect-error",),
        INNER,
        Expect("!=", "0"),
        _yash(
            "Execution of simple commands",
            "If an error occurs during processing the redirections (including when expanding the "
            "word token), the execution of this simple command is aborted with a non-zero exit "
            "status.",
        ),
    ),
    PIPEFAIL.by(
        "yash",
        _yash(
            "Pipelines",
            "The exit status of the pipeline is that of the last subcommand unless the pipe-fail "
            "option is enabled, in which case the exit status of the pipeline is that of the last "
            "subcommand that exits with a non-zero exit status.",
        ),
    ),
    WAIT.by(
        "yash",
        _yash(
            "WAIT BUILT-IN: Exit status",
            "If one or more jobs were specified, the exit status is that of the last job.",
        ),
    ),
)

_POSH_NOT_FOUND = _posh(
    "Command Syntax",
    "if the command could not be found, the exit status is 127, if it could not be executed, the "
    "exit status is 126",
)

POSH: tuple[Convention, ...] = (
    *signal_rules(
        "posh",
        "128+N",
        _posh(
            "Parameters: ?",
            "If the last command was killed by a signal, $? is set to 128 plus the signal number.",
        ),
    ),
    NOT_FOUND.by("posh", _POSH_NOT_FOUND),
    CANNOT_EXECUTE.by("posh", _POSH_NOT_FOUND),
    ERRORS_EXIT.by(
        "posh",
        _posh(
            "Shell Startup",
            "The exit status of the shell is 127 if the command file specified on the command "
            "line could not be opened, or non-zero if a fatal syntax error occurred during the "
            "execution of a script.",
        ),
        ("syntax-error",),
    ),
)

SHELL_MANUAL_CONVENTIONS: tuple[Convention, ...] = BASH + DASH + KSH93 + MKSH + ZSH + YASH + POSH
