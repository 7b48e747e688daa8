"""The shells exitwrap knows, as data: where to find them, how to run them, what they promise.

Each entry says how to find the binary and its version, how a batch run is
invoked, which dialect it speaks, the base its manual documents for a
signal death, and which optional features its manual documents (a scenario
that needs a missing feature is ``n/a`` for that shell). Sources are the
shells' own manuals; see harness/exitwrap/conventions/catalog.py for the quotes.

A mode of a shell is an entry of its own (``bash-posix`` is bash started
with ``--posix``): the same binary and version, started with the options
that select the mode. Plan 9's rc (``plan9rc``, from Debian's 9base or
plan9port) is not Byron Rakitzis's ``rc``: it lives outside PATH, has no
version flag, and speaks the same dialect with string statuses of its own.
"""

from __future__ import annotations

from exitwrap.record import Record, replace
from exitwrap.shell_names import MODE_OF
from exitwrap.shells import windows
from exitwrap.shells.dialects import CSH, FISH, PLAN9_RC, POSIX, RC, Dialect
from exitwrap.shells.spec import ShellSpec

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Optional

_POSIX_FEATURES = frozenset({"pipefail", "subshell", "param-error", "wait-pid"})

BASH = ShellSpec(
    "bash",
    POSIX,
    ("bash",),
    "bash(1), EXIT STATUS",
    version_args=("--version",),
    version_pattern=r"version (\S+)",
    identity_pattern="GNU bash",
    interactive_flags=("--norc", "--noprofile", "-i"),
    features=_POSIX_FEATURES,
)
YASH = ShellSpec(
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
)


class _Mode(Record):
    """A mode of a catalog shell: the options that start it and the documents that bind it."""

    options: tuple[str, ...]
    manual: str
    interactive_flags: Optional[tuple[str, ...]] = None  # None: the base shell's


_MODES: dict[str, _Mode] = {
    "bash-posix": _Mode(("--posix",), "bash(1), EXIT STATUS; Bash POSIX Mode (bashref 6.11)"),
    # the mode takes no long options (--norcfile), and reads no rc file but $ENV, unset here
    "yash-posix": _Mode(("-o", "posixly-correct"), "yash(1), POSIXLY-CORRECT MODE", ("-i",)),
}


def _mode(name: str, base: ShellSpec) -> ShellSpec:
    mode = _MODES[name]
    assert MODE_OF[name] == base.name, f"{name} is a mode of {MODE_OF[name]}"
    return replace(
        base,
        name=name,
        manual=mode.manual,
        mode_args=mode.options,
        interactive_flags=mode.interactive_flags or base.interactive_flags,
    )


SHELLS: tuple[ShellSpec, ...] = (
    BASH,
    _mode("bash-posix", BASH),
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
    YASH,
    _mode("yash-posix", YASH),
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
        # an unset variable is an error (param-error); anyerror, on by default, is its pipefail
        features=frozenset({"param-error", "pipefail"}),
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
    ShellSpec(
        "plan9rc",
        PLAN9_RC,
        # Debian's and Arch's 9base, then 9base's and plan9port's own default prefix
        ("/usr/lib/plan9/bin/rc", "/usr/local/plan9/bin/rc"),
        "rc(1plan9), Command Lines; Special Variables: $status",
        takes_argv0=False,
    ),
    *windows.SHELLS,
)

POSIX_FAMILY: tuple[str, ...] = tuple(s.name for s in SHELLS if s.dialect is POSIX)

BY_NAME: dict[str, ShellSpec] = {s.name: s for s in SHELLS}

# every dialect some shell speaks, Windows' included (users' scenario files name them)
DIALECTS: dict[str, Dialect] = {s.dialect.name: s.dialect for s in SHELLS}
