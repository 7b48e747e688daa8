"""One shell as found on this machine: select it by name, find it, build its command lines."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping, Sequence

from exitwrap.errors import HarnessFailure, UsageError
from exitwrap.platforms import host_platform, threaded_map
from exitwrap.record import Record, replace
from exitwrap.shell_names import KNOWN_NAMES
from exitwrap.shells.catalog import BY_NAME
from exitwrap.shells.discovery import NotRemembered, locate
from exitwrap.shells.launchers import Launch
from exitwrap.shells.spec import ShellSpec
from exitwrap.shells.variants import Start, split_entry, started_as

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Optional

_PROBES_AT_ONCE = 8  # version probes of a first run, side by side


class Shell(Record):
    """One shell as found on this machine (or found absent, with the reason)."""

    spec: ShellSpec
    label: str  # the name reports use: "bash", or "bash@3.2" for a second binary
    path: Optional[str]
    version: str
    platform: str
    absent_reason: str = ""

    def __repr__(self) -> str:  # short: pytest shows it for every failing test's 'shell'
        return f"<Shell {self.label} {self.version} {self.path or 'absent'}>"

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def present(self) -> bool:
        return self.path is not None

    def argv(self, script: str, args: Sequence[str] = ()) -> list[str]:
        """The command line that runs script with args as its positional parameters."""
        if self.path is None:
            raise RuntimeError(f"{self.label} is absent: {self.absent_reason}")
        spec = self.spec
        argv0 = ["exitwrap"] if spec.takes_argv0 else []
        return [self.path, *spec.start_args, *spec.batch_flags, script, *argv0, *args]

    def quote(self, arg: str) -> str:
        return self.spec.dialect.quote(arg)

    @contextlib.contextmanager
    def launch(
        self, script: str, env: Mapping[str, str], args: Sequence[str] = ()
    ) -> Iterator[Launch]:
        """The command line and environment that run script, valid inside the context.

        Inline shells get ``argv(script, args)``; file-running ones (cmd, pwsh) a
        script file in a per-run directory that is removed afterwards.
        """
        launcher = self.spec.launcher
        if not launcher.runs_file:
            yield Launch(self.argv(script, args), launcher.host.environment(env))
            return
        if self.path is None:
            raise RuntimeError(f"{self.label} is absent: {self.absent_reason}")
        command = [self.path, *self.spec.start_args, *self.spec.batch_flags]
        with launcher.launch(command, script, args, env) as launch:
            yield launch

    @contextlib.contextmanager
    def session(self) -> Iterator[Shell]:
        """Hold what the shell needs across many runs (Wine's prefix and server).

        Yields the shell, or an absent one saying why when that cannot be had.
        """
        if self.path is None:
            yield self
            return
        with contextlib.ExitStack() as stack:
            try:
                stack.enter_context(self.spec.launcher.host.session(self.path))
            except HarnessFailure as error:
                yield self.absent(str(error))
                return
            yield self

    def absent(self, reason: str) -> Shell:
        """This shell, marked absent for reason (what it needs cannot be had)."""
        return replace(self, path=None, absent_reason=reason)

    def native_path(self, path: str) -> str:
        """How this shell names a file of this machine (``Z:\\tmp\\x`` under Wine)."""
        return self.spec.launcher.host.path(path)


class Selection(Record):
    """One entry of a --shells list: NAME, NAME=PATH, NAME@TAG=PATH, each with :OPTIONs."""

    name: str
    label: str
    path: Optional[str] = None
    start: Start = Start()  # extra arguments, argv[0] (shells/variants.py)


def parse_selection(text: str) -> list[Selection]:
    """Parse a comma-separated --shells value; an unknown name is a usage error."""
    selections: list[Selection] = []
    for entry in (part.strip() for part in text.split(",")):
        if not entry:
            continue
        parsed = split_entry(entry)
        label, path, start = parsed.label, parsed.path, parsed.start
        name, at, tag = label.partition("@")
        if name not in KNOWN_NAMES:
            raise UsageError(f"unknown shell {name!r} (known: {' '.join(KNOWN_NAMES)})")
        if at and not (tag and (path or start != Start())):
            raise UsageError(
                f"{entry!r}: a tagged shell needs a binary or options, as in bash@3.2=/path "
                "or bash@posix:--posix"
            )
        selections.append(Selection(name, label, path, start))
    if not selections:
        raise UsageError("no shells selected")
    labels = [s.label for s in selections]
    duplicates = sorted({label for label in labels if labels.count(label) > 1})
    if duplicates:
        raise UsageError(f"shell selected twice: {', '.join(duplicates)}")
    return selections


def resolve(
    selection: Selection, *, ask_packages: bool = True, remembered_only: bool = False
) -> Shell:
    """Find the selected shell on this machine; an uninstalled one comes back absent.

    ``ask_packages=False`` skips the package manager (a version-less shell stays ``unknown``);
    ``remembered_only`` raises NotRemembered rather than ask a binary its version.
    """
    spec = BY_NAME[selection.name]
    start = selection.start
    if start.args:
        spec = replace(spec, mode_args=spec.mode_args + start.args)
    path, version, reason = locate(
        spec, selection.path, ask_packages=ask_packages, remembered_only=remembered_only
    )
    if path is not None and start.argv0 is not None:
        try:
            path = started_as(path, start.argv0)
        except HarnessFailure as error:
            path, reason = None, str(error)
    return Shell(spec, selection.label, path, version, spec.platform or host_platform(), reason)


def resolve_all(selections: Sequence[Selection], *, ask_packages: bool = True) -> list[Shell]:
    """``resolve`` for each selection: from the version cache where it can, the version
    probes of binaries it does not know side by side (threads gone before it returns)."""
    shells: dict[int, Shell] = {}
    unknown: list[int] = []
    for index, selection in enumerate(selections):
        try:
            shells[index] = resolve(selection, ask_packages=ask_packages, remembered_only=True)
        except NotRemembered:
            unknown.append(index)
    if len(unknown) == 1:
        shells[unknown[0]] = resolve(selections[unknown[0]], ask_packages=ask_packages)
    elif unknown:
        probed = list(
            threaded_map(
                lambda index: resolve(selections[index], ask_packages=ask_packages),
                unknown,
                _PROBES_AT_ONCE,
            )
        )
        shells.update(zip(unknown, probed))
    return [shells[index] for index in range(len(selections))]
