"""Reading the VALUE people paste: decimal, hex, or Slurm's ``code:signal``.

Anything else, or a number beyond what a 32-bit status can hold (below
-2**31 or above 2**32-1), is a usage error with a one-line reason.
"""

from __future__ import annotations

import re

from exitwrap.errors import UsageError
from exitwrap.record import Record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Optional

LOWEST = -(2**31)
HIGHEST = 2**32 - 1
_DECIMAL = re.compile(r"[+-]?[0-9]+")
_HEX = re.compile(r"([+-]?)0[xX]([0-9a-fA-F]+)")
_SLURM = re.compile(r"([0-9]+):([0-9]+)")
_SLURM_MAX_CODE = 255
_SLURM_MAX_SIGNAL = 127


class Query(Record):
    """What was asked: one integer status, or a Slurm pair (``code`` and ``signal``)."""

    text: str
    value: int
    signal: Optional[int] = None  # set for Slurm's code:signal; value is then the code

    @property
    def is_slurm(self) -> bool:
        return self.signal is not None


def _in_range(value: int, text: str) -> int:
    if not LOWEST <= value <= HIGHEST:
        raise UsageError(f"{text!r} is beyond 32 bits (want {LOWEST}..{HIGHEST})")
    return value


def parse(text: str) -> Query:
    """The query a VALUE argument spells; a usage error for anything else."""
    stripped = text.strip()
    if _DECIMAL.fullmatch(stripped):
        return Query(stripped, _in_range(int(stripped), text))
    hex_match = _HEX.fullmatch(stripped)
    if hex_match:
        sign, digits = hex_match.groups()
        return Query(stripped, _in_range(int(sign + digits, 16), text))
    slurm = _SLURM.fullmatch(stripped)
    if slurm:
        code, signal = (int(group) for group in slurm.groups())
        if code > _SLURM_MAX_CODE or signal > _SLURM_MAX_SIGNAL:
            raise UsageError(
                f"{text!r}: Slurm's code:signal has code 0..{_SLURM_MAX_CODE} "
                f"and signal 0..{_SLURM_MAX_SIGNAL}"
            )
        return Query(stripped, code, signal)
    if ":" in stripped:
        raise UsageError(f"{text!r} is not Slurm's code:signal (two numbers, as in 0:9)")
    raise UsageError(f"{text!r} is not a status (decimal, 0x hex, or Slurm's code:signal)")
