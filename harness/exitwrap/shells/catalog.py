"""The shells exitwrap knows, as data: where to find them, how to run them, what they promise.

Each entry says how to find the binary and its version, how a batch run is
invoked, which dialect it speaks, the base its manual documents for a
signal death, and which optional features its manual documents (a scenario
that needs a missing feature is ``n/a`` for that shell). Sources are the
shells' own manuals; see harness/exitwrap/conventions/catalog.py for the quotes.
"""

from __future__ import annotations

from exitwrap.shells import windows
from exitwrap.shells.dialects import CSH, FISH, POSIX, RC, Dialect
from exitwrap.shells.spec import ShellSpec

_POSIX_FEATURES = frozenset({"pipefail", "subshell", "param-error", "wait-pid"})

SHELLS: tuple[ShellSpec, ...] = (
    ShellSpec(
        "bash",
        POSIX,
        ("bash",),
        "bash(1), EXIT STATUS",
        version_args=("--version",),
        version_pattern=r"version (\S+)",
        identity_pattern="GNU bash",
        interactive_flags=("--norc", "--noprofile", "-i"),
        features=_POSIX_FEATURES,
    ),
    ShellSpec(
        "dash",
        POSIX,
        ("dash",),
        "dash(1), EXIT STATUS",
        features=_POSIX_FEATURES - {"pipefail"},
    ),
    ShellSpec(
        "ksh93",
        POSIX,
        ("ksh93", "ksh"),
        "ksh93(1), Commands",
        version_args=("-c", "echo ${.sh.version}"),
        version_pattern=r"Version \S+ (\S+(?: \S+)?)",
        identity_pattern="Version",
        signal_base=256,
        features=_POSIX_FEATURES,
    ),
    ShellSpec(
        "mksh",
        POSIX,
        ("mksh",),
        "mksh(1), Command syntax; Parameters: ?",
        version_args=("-c", "echo $KSH_VERSION"),
        version_pattern=r"(R\d+\S* \S+)",
        identity_pattern="MIRBSD KSH",
        features=_POSIX_FEATURES,
    ),
    ShellSpec(
        "zsh",
        POSIX,
        ("zsh",),
        "zshmisc(1), SIMPLE COMMANDS & PIPELINES",
        version_args=("--version",),
        version_pattern=r"zsh (\S+)",
        identity_pattern="zsh",
        interactive_flags=("-f", "-i"),
        features=_POSIX_FEATURES,
    ),
    ShellSpec(
        "yash",
        POSIX,
        ("yash",),
        "yash(1), Execution of simple commands",
        version_args=("--version",),
        version_pattern=r"version (\S+)",
        identity_pattern="Yet another shell",
        interactive_flags=("-i", "--norcfile", "--noprofile"),
        signal_base=384,
        features=_POSIX_FEATURES,
    ),
    ShellSpec(
        "posh",
        POSIX,
        ("posh",),
        "posh(1), Command Syntax; Parameters: ?",
        features=_POSIX_FEATURES - {"pipefail"},
    ),
    ShellSpec(
        "busybox",
        POSIX,
        ("busybox",),
        "busybox(1), sh: documents no exit status, so POSIX alone binds it",
        prefix_args=("sh",),
        version_args=("--help",),
        version_pattern=r"BusyBox v(\S+)",
        identity_pattern="BusyBox",
        features=_POSIX_FEATURES,
    ),
    ShellSpec(
        "fish",
        FISH,
        ("fish",),
        "fish documentation, The status variable",
        batch_flags=("--no-config", "-c"),
        takes_argv0=False,
        version_args=("--version",),
        version_pattern=r"version (\S+)",
        identity_pattern="fish, version",
        interactive_flags=("--no-config", "-i"),
    ),
    ShellSpec(
        "tcsh",
        CSH,
        ("tcsh",),
        "tcsh(1), Special shell variables: status",
        batch_flags=("-f", "-c"),
        takes_argv0=False,
        version_args=("--version",),
        version_pattern=r"tcsh (\S+)",
        identity_pattern="tcsh",
        interactive_flags=("-f", "-i"),
    ),
    ShellSpec(
        "rc",
        RC,
        ("rc",),
        "rc(1), SPECIAL VARIABLES: status",
        takes_argv0=False,
        version_args=("-c", "echo $version"),
        version_pattern=r"^(\S+)",
        identity_pattern=r"@\(#\)rc",
    ),
    *windows.SHELLS,
)

POSIX_FAMILY: tuple[str, ...] = tuple(s.name for s in SHELLS if s.dialect is POSIX)

BY_NAME: dict[str, ShellSpec] = {s.name: s for s in SHELLS}

# every dialect some shell speaks, Windows' included (users' scenario files name them)
DIALECTS: dict[str, Dialect] = {s.dialect.name: s.dialect for s in SHELLS}
