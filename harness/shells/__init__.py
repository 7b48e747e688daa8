"""Shell adapters: select shells by name, find them, and build the command lines that run them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Optional

from harness.errors import UsageError
from harness.platforms import host_platform
from harness.shells.catalog import BY_NAME, KNOWN_NAMES, POSIX_FAMILY, ShellSpec
from harness.shells.dialects import POSIX
from harness.shells.discovery import UNKNOWN, locate

__all__ = ["KNOWN_NAMES", "POSIX_FAMILY", "Shell", "parse_selection", "resolve"]


@dataclass(frozen=True)
class Shell:
    """One shell as found on this machine (or found absent, with the reason)."""

    spec: ShellSpec
    label: str  # the name reports use: "bash", or "bash@3.2" for a second binary
    path: Optional[str]
    version: str
    platform: str
    absent_reason: str = ""

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
        return [self.path, *spec.prefix_args, *spec.batch_flags, script, *argv0, *args]

    def quote(self, arg: str) -> str:
        return self.spec.dialect.quote(arg)


@dataclass(frozen=True)
class Selection:
    """One entry of a --shells list: NAME, NAME=PATH or NAME@TAG=PATH."""

    name: str
    label: str
    path: Optional[str] = None


def parse_selection(text: str) -> list[Selection]:
    """Parse a comma-separated --shells value; an unknown name is a usage error."""
    selections: list[Selection] = []
    for entry in (part.strip() for part in text.split(",")):
        if not entry:
            continue
        label, _, path = entry.partition("=")
        name, at, tag = label.partition("@")
        if name not in KNOWN_NAMES:
            raise UsageError(f"unknown shell {name!r} (known: {' '.join(KNOWN_NAMES)})")
        if at and not (tag and path):
            raise UsageError(f"{entry!r}: a tagged shell needs a binary, as in bash@3.2=/path")
        if "=" in entry and not path:
            raise UsageError(f"{entry!r}: empty path after '='")
        selections.append(Selection(name, label, path or None))
    if not selections:
        raise UsageError("no shells selected")
    labels = [s.label for s in selections]
    duplicates = sorted({label for label in labels if labels.count(label) > 1})
    if duplicates:
        raise UsageError(f"shell selected twice: {', '.join(duplicates)}")
    return selections


def resolve(selection: Selection) -> Shell:
    """Find the selected shell on this machine; an uninstalled one comes back absent."""
    spec = BY_NAME.get(selection.name)
    platform = host_platform()
    if spec is None:
        reason = f"no {selection.name} adapter on {platform}"
        return Shell(_placeholder(selection.name), selection.label, None, UNKNOWN, platform, reason)
    path, version, reason = locate(spec, selection.path)
    return Shell(spec, selection.label, path, version, platform, reason)


def _placeholder(name: str) -> ShellSpec:
    return ShellSpec(name, POSIX, (), "")
