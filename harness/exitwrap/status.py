"""The exit-status model: keep the raw observation, derive every view from it.

A POSIX parent learns how a child ended from one wait-status word; Windows
hands back a 32-bit DWORD; under Wine both exist at once. Everything people
quote (Python's -N, a shell's 128+N, the 8-bit wrap, Slurm's ``code:signal``)
is a view computed here, never stored beside the raw value where it could
drift from it.

This module is on exitwrap's start-up path, so it imports nothing at run
time (not even dataclasses or typing: together they cost about as much as
the interpreter's own start).
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Optional, TypedDict

    class Outcome(TypedDict):
        """A termination as JSON: matrix records, exitwrap's --json, the accounting."""

        kind: str  # EXITED or SIGNALED
        value: int
        core: bool


EXITED = "exited"
SIGNALED = "signaled"

_CORE_FLAG = 0x80


class Termination:
    """How a process ended, at the operating-system layer. Immutable by convention."""

    __slots__ = ("core", "kind", "value")

    def __init__(self, kind: str, value: int, *, core: bool = False) -> None:
        self.kind = kind  # EXITED or SIGNALED
        self.value = value  # the exit code (0-255 POSIX, a DWORD on Windows) or the signal number
        self.core = core

    def _key(self) -> tuple[str, int, bool]:
        return (self.kind, self.value, self.core)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Termination) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return f"Termination(kind={self.kind!r}, value={self.value}, core={self.core})"

    @classmethod
    def from_wait_status(cls, status: int) -> Termination:
        """Decode a POSIX wait status as <sys/wait.h> lays it out (Linux, BSD, macOS)."""
        signal_number = status & 0x7F
        if signal_number == 0:
            return cls(EXITED, (status >> 8) & 0xFF)
        if signal_number == 0x7F:
            raise ValueError(f"wait status {status:#x} is a stop, not a termination")
        return cls(SIGNALED, signal_number, core=bool(status & _CORE_FLAG))

    @classmethod
    def from_returncode(cls, returncode: int) -> Termination:
        """Read Python's subprocess convention: -N means killed by signal N."""
        if returncode < 0:
            return cls(SIGNALED, -returncode)
        return cls(EXITED, returncode)

    @property
    def exited(self) -> bool:
        return self.kind == EXITED

    @property
    def signaled(self) -> bool:
        return self.kind == SIGNALED

    @property
    def wait_status(self) -> int:
        """The POSIX wait-status word that reports this termination."""
        if self.exited:
            return (self.value & 0xFF) << 8
        return self.value | (_CORE_FLAG if self.core else 0)

    @property
    def returncode(self) -> int:
        """Python's view (subprocess.Popen.returncode)."""
        return self.value if self.exited else -self.value

    def shell_status(self, signal_base: int = 128) -> int:
        """A shell's number for it: the code itself, or signal_base+N for a signal death.

        128 is bash's and most shells' base, ksh93 uses 256, yash 384.
        """
        return self.value if self.exited else signal_base + self.value

    @property
    def wrap8(self) -> int:
        """What an 8-bit exit status makes of the common 128+N number."""
        return self.shell_status() & 0xFF

    @property
    def slurm(self) -> str:
        """Slurm's ``code:signal``: ``N:0`` when exited (unsigned 0-255), ``0:S`` when signaled."""
        if self.exited:
            return f"{self.value & 0xFF}:0"
        return f"0:{self.value}"

    def to_json(self) -> Outcome:
        return {"kind": self.kind, "value": self.value, "core": self.core}

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> Termination:
        value = data["value"]
        if data.get("kind") not in (EXITED, SIGNALED) or not isinstance(value, int):
            raise ValueError(f"not a termination: {data!r}")
        return cls(str(data["kind"]), value, core=bool(data.get("core", False)))


def parse_int(text: Optional[str]) -> Optional[int]:
    """The integer a shell printed, or None when it printed something else (rc's ``sigkill``)."""
    if text is None:
        return None
    digits = text[1:] if text[:1] in "+-" else text
    if not digits or not (digits.isascii() and digits.isdigit()):
        return None
    return int(text)
