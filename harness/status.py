"""The exit-status model: keep the raw observation, derive every view from it.

A POSIX parent learns how a child ended from one wait-status word; Windows
hands back a 32-bit DWORD; under Wine both exist at once. Everything people
quote (Python's -N, a shell's 128+N, the 8-bit wrap, Slurm's ``code:signal``)
is a view computed here, never stored beside the raw value where it could
drift from it.

This module is on exitwrap's start-up path: it imports nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

EXITED = "exited"
SIGNALED = "signaled"

_CORE_FLAG = 0x80


@dataclass(frozen=True)
class Termination:
    """How a process ended, at the operating-system layer."""

    kind: str  # EXITED or SIGNALED
    value: int  # the exit code (0-255 on POSIX, a DWORD on Windows) or the signal number
    core: bool = False

    @classmethod
    def from_wait_status(cls, status: int) -> Termination:
        """Decode a POSIX wait status as <sys/wait.h> lays it out (Linux, BSD, macOS)."""
        signal_number = status & 0x7F
        if signal_number == 0:
            return cls(EXITED, (status >> 8) & 0xFF)
        if signal_number == 0x7F:
            raise ValueError(f"wait status {status:#x} is a stop, not a termination")
        return cls(SIGNALED, signal_number, bool(status & _CORE_FLAG))

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

    def to_json(self) -> dict[str, object]:
        return {"kind": self.kind, "value": self.value, "core": self.core}

    @classmethod
    def from_json(cls, data: dict[str, object]) -> Termination:
        value = data["value"]
        if data.get("kind") not in (EXITED, SIGNALED) or not isinstance(value, int):
            raise ValueError(f"not a termination: {data!r}")
        return cls(str(data["kind"]), value, bool(data.get("core", False)))


def parse_int(text: Optional[str]) -> Optional[int]:
    """The integer a shell printed, or None when it printed something else (rc's ``sigkill``)."""
    if text is None:
        return None
    digits = text[1:] if text[:1] in "+-" else text
    if not digits or not (digits.isascii() and digits.isdigit()):
        return None
    return int(text)


@dataclass(frozen=True)
class Observation:
    """One run as it was seen: the raw statuses, what the shell printed, and how long it took.

    ``wait_status`` is the POSIX word, ``dword`` the Windows exit code; under
    Wine both are kept. ``error`` is set only when the harness itself got no
    observation (spawn failure, timeout, unreadable status): whatever a shell
    does is an observation, never an error.
    """

    wait_status: Optional[int] = None
    dword: Optional[int] = None
    inner: Optional[str] = None
    stdout: str = ""
    stderr: str = ""
    duration_s: float = 0.0
    error: Optional[str] = None

    @property
    def outer(self) -> Optional[Termination]:
        """How the process the harness started ended, as its parent OS saw it."""
        if self.wait_status is not None:
            return Termination.from_wait_status(self.wait_status)
        if self.dword is not None:
            return Termination(EXITED, self.dword)
        return None

    @property
    def inner_value(self) -> Optional[int]:
        return parse_int(self.inner)
