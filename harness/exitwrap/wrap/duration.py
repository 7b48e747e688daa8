"""Durations as GNU ``timeout`` and Slurm's ``--time`` write them, read into seconds.

GNU: a decimal number with an optional unit, ``s`` (the default), ``m``,
``h`` or ``d``: ``90``, ``1.5s``, ``2m``. Slurm: ``MM:SS``, ``HH:MM:SS``,
``D-HH``, ``D-HH:MM``, ``D-HH:MM:SS``, and ``UNLIMITED``/``INFINITE``. Zero
means no limit in both. The two disagree on a bare number (GNU reads ``90``
as seconds, Slurm as minutes), so ``--time``, the option for Slurm users,
refuses one that is not zero instead of guessing.

A duration longer than ``LONGEST_S`` (2^32 s, about 136 years) is clamped to
it, as GNU timeout clamps one its timer cannot hold: it is read before the
command starts, so no length can fail once the command runs.
"""

from __future__ import annotations

from exitwrap.errors import UsageError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Optional

UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
NO_LIMIT_WORDS = ("unlimited", "infinite")
LONGEST_S = float(2**32)  # what every wait exitwrap makes (sigtimedwait, setitimer) can hold
_DIGITS = 18  # a field longer than this (leading zeros aside) is past LONGEST_S anyway


def _decimal(text: str) -> Optional[float]:
    """A plain decimal number (``12``, ``1.5``, ``.5``), nothing float() also accepts."""
    whole, _, fraction = text.partition(".")
    digits = whole + fraction
    if not digits or not (digits.isascii() and digits.isdigit()):
        return None
    return float(text)


def _field(text: str, limit: Optional[int]) -> Optional[int]:
    if not (text.isascii() and text.isdigit()):
        return None
    digits = text.lstrip("0") or "0"
    value = int(digits) if len(digits) <= _DIGITS else 10**_DIGITS  # never int() of a huge one
    return value if limit is None or value < limit else None


def _clock(text: str) -> Optional[float]:
    """Slurm's clock forms: MM:SS, HH:MM:SS, D-HH, D-HH:MM, D-HH:MM:SS."""
    days_text, dash, rest = text.partition("-")
    if not dash:
        days_text, rest = "0", text
    days = _field(days_text, None)
    parts = rest.split(":")
    limits: tuple[Optional[int], ...]
    scales: tuple[int, ...]
    if dash:
        # D-HH[:MM[:SS]]: hours first, then minutes and seconds
        limits = (24, 60, 60)[: len(parts)]
        scales = (3600, 60, 1)[: len(parts)]
    elif len(parts) == 2:
        limits, scales = (None, 60), (60, 1)  # MM:SS
    elif len(parts) == 3:
        limits, scales = (None, 60, 60), (3600, 60, 1)  # HH:MM:SS
    else:
        return None
    if days is None or len(parts) > 3:
        return None
    total = days * 86400
    for part, limit, scale in zip(parts, limits, scales):
        value = _field(part, limit)
        if value is None:
            return None
        total += value * scale
    return float(total)


def parse_duration(text: str, option: str = "--timeout", *, bare_number: bool = True) -> float:
    """Seconds for DURATION; 0.0 means no limit. Anything else is a UsageError naming option."""
    if text.lower() in NO_LIMIT_WORDS:
        return 0.0
    if ":" in text or "-" in text:
        seconds = _clock(text)
    elif text[-1:] in UNITS:
        number = _decimal(text[:-1])
        seconds = None if number is None else number * UNITS[text[-1]]
    else:
        seconds = _decimal(text)
        if seconds and not bare_number:
            raise UsageError(
                f"{option} {text!r} is ambiguous (GNU timeout reads seconds, Slurm minutes): "
                f"write {text}s or {text}m"
            )
    if seconds is None:
        raise UsageError(
            f"{option}: bad duration {text!r} (examples: 90, 1.5s, 2m, 1h, 1d, 05:00, "
            "1:30:00, 2-12)"
        )
    return min(seconds, LONGEST_S)
