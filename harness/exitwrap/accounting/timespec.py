"""Slurm's time specifications, as sacct -S/-E and ``db purge --before`` take them.

The forms of sacct(1) (Slurm 22.05), in local time:
``HH:MM[:SS][AM|PM]`` (today), ``MMDD[YY][-HH:MM[:SS]]``,
``MM.DD[.YY][-HH:MM[:SS]]``, ``MM/DD[/YY][-HH:MM[:SS]]``,
``YYYY-MM-DD[THH:MM[:SS]]``, ``today``/``midnight`` (00:00), ``noon``,
``elevenses`` (11:00), ``fika`` (15:00), ``teatime`` (16:00), and
``now[{+|-}COUNT[seconds|minutes|hours|days|weeks]]``. Anything else, or a
date that does not exist (February 30), is a UsageError.
"""

from __future__ import annotations

import time

from exitwrap.errors import UsageError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Optional

FORMS = (
    "HH:MM[:SS][AM|PM], MMDD[YY][-HH:MM[:SS]], MM.DD[.YY][-HH:MM[:SS]], "
    "MM/DD[/YY][-HH:MM[:SS]], YYYY-MM-DD[THH:MM[:SS]], today, midnight, noon, "
    "elevenses, fika, teatime, now[{+|-}COUNT[seconds|minutes|hours|days|weeks]]"
)
_NAMED_HOURS = {"today": 0, "midnight": 0, "noon": 12, "elevenses": 11, "fika": 15, "teatime": 16}
_UNIT_SECONDS = (
    ("seconds", 1),
    ("minutes", 60),
    ("hours", 3600),
    ("days", 86400),
    ("weeks", 604800),
)


class _Invalid(ValueError):
    pass


def _number(text: str, digits: Optional[int] = None) -> int:
    if not (text.isascii() and text.isdigit()) or (digits is not None and len(text) != digits):
        raise _Invalid(text)
    return int(text)


def _clock(text: str) -> tuple[int, int, int]:
    """HH:MM[:SS][AM|PM]"""
    meridiem = text[-2:] if text.endswith(("am", "pm")) else ""
    parts = text[: len(text) - len(meridiem)].split(":")
    if len(parts) not in (2, 3):
        raise _Invalid(text)
    hour, minute = _number(parts[0]), _number(parts[1])
    second = _number(parts[2]) if len(parts) == 3 else 0
    if meridiem:
        if not 1 <= hour <= 12:
            raise _Invalid(text)
        hour = hour % 12 + (12 if meridiem == "pm" else 0)
    return hour, minute, second


def _epoch(year: int, month: int, day: int, clock: tuple[int, int, int]) -> float:
    """Local time to seconds since the epoch; a date or time that does not exist is invalid."""
    wanted = (year, month, day, *clock)
    epoch = time.mktime((*wanted, 0, 0, -1))
    if time.localtime(epoch)[:6] != wanted:
        raise _Invalid(str(wanted))
    return epoch


def _year(text: str, today: time.struct_time) -> int:
    if not text:
        return today.tm_year
    return 2000 + _number(text, 2)


def _relative(text: str, now: float) -> float:
    """now[{+|-}COUNT[unit]]: any prefix of the unit's name will do, seconds by default."""
    rest = text[3:]
    if not rest:
        return now
    sign = {"+": 1, "-": -1}.get(rest[0])
    if sign is None:
        raise _Invalid(text)
    count = "".join(c for c in rest[1:] if c.isascii() and c.isdigit())
    unit = rest[1 + len(count) :]
    if not count or not rest[1:].startswith(count):
        raise _Invalid(text)
    scale = next((s for name, s in _UNIT_SECONDS if unit and name.startswith(unit)), None)
    if unit and scale is None:
        raise _Invalid(text)
    return now + sign * int(count) * (scale or 1)


def _month_day(text: str, today: time.struct_time) -> float:
    """MMDD[YY], MM.DD[.YY] or MM/DD[/YY], then an optional -HH:MM[:SS]."""
    date, dash, clock_text = text.partition("-")
    clock = _clock(clock_text) if dash else (0, 0, 0)
    separator = "/" if "/" in date else "." if "." in date else ""
    if separator:
        parts = date.split(separator)
        if len(parts) not in (2, 3):
            raise _Invalid(text)
        month, day = _number(parts[0]), _number(parts[1])
        year = _year(parts[2] if len(parts) == 3 else "", today)
    elif len(date) in (4, 6):
        month, day = _number(date[:2]), _number(date[2:4])
        year = _year(date[4:], today)
    else:
        raise _Invalid(text)
    return _epoch(year, month, day, clock)


def midnight(moment: float) -> float:
    """The local midnight that began the day of moment."""
    day = time.localtime(moment)
    return _epoch(day.tm_year, day.tm_mon, day.tm_mday, (0, 0, 0))


def parse_time(text: str, now: Optional[float] = None) -> float:
    """Seconds since the epoch for one of Slurm's time specifications, one that local time
    can show (``now+99999999999999999999`` is no date)."""
    moment = _parse(text, now)
    try:
        time.localtime(moment)
    except (OverflowError, OSError, ValueError):
        raise UsageError(f"invalid time specification {text!r}: no date can show it") from None
    return moment


def _parse(text: str, now: Optional[float]) -> float:
    spec = text.strip().lower()
    moment = time.time() if now is None else now
    today = time.localtime(moment)
    ymd = (today.tm_year, today.tm_mon, today.tm_mday)
    try:
        if spec.startswith("now"):
            return _relative(spec, moment)
        if spec in _NAMED_HOURS:
            return _epoch(*ymd, (_NAMED_HOURS[spec], 0, 0))
        if len(spec) >= 10 and spec[4] == "-" and spec[7] == "-":
            date, t, clock_text = spec.partition("t")
            year, month, day = (_number(p) for p in date.split("-"))
            return _epoch(year, month, day, _clock(clock_text) if t else (0, 0, 0))
        if ":" in spec and not any(c in spec for c in "/.-"):
            return _epoch(*ymd, _clock(spec))
        return _month_day(spec, today)
    except (ValueError, OverflowError):  # _Invalid is a ValueError
        raise UsageError(f"invalid time specification {text!r}") from None
