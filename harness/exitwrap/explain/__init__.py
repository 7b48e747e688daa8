"""``exitcodes explain``: every documented reading of one exit status, each with its source.

The library the CLI, the matrix's HTML hover text and the convention report
share: ``interpretations(value, shell=None, platform=None)`` returns the
readings, those about the given shell or platform first. A value is a
number, or a status a shell reports as words (rc's ``sigquit+core``, Plan 9
rc's ``signal: sys: kill`` or its null string, a pipeline's list). Signal
names come from the platform's table (Linux, macOS; none on Windows) or,
without one, from the host's own.
"""

from __future__ import annotations

import signal
from collections.abc import Mapping

from exitwrap import signal_names
from exitwrap.conventions import sources
from exitwrap.errors import UsageError
from exitwrap.explain import catalog
from exitwrap.explain.readings import RULES, Interpretation, signal_text
from exitwrap.explain.values import Query, parse
from exitwrap.explain.words import interpret
from exitwrap.platforms import PLATFORMS
from exitwrap.shell_names import KNOWN_NAMES
from exitwrap.shells import status_words

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Optional, Union

__all__ = ["Interpretation", "Query", "interpretations", "parse", "signal_table"]


def signal_table(platform: Optional[str] = None) -> Mapping[int, str]:
    """number -> name for the platform's signals; the host's own without a platform."""
    if platform is None:
        return {int(s): signal_names.name(int(s)) for s in signal.valid_signals()}
    if platform == "windows":
        return {}
    return catalog.SIGNAL_TABLES[platform]


def _check(shell: Optional[str], platform: Optional[str]) -> None:
    if shell is not None and shell not in KNOWN_NAMES:
        raise UsageError(f"unknown shell {shell!r} (known: {' '.join(KNOWN_NAMES)})")
    if platform is not None and platform not in PLATFORMS:
        raise UsageError(f"unknown platform {platform!r} (known: {' '.join(PLATFORMS)})")


def _slurm(query: Query, signals: Mapping[int, str]) -> list[Interpretation]:
    code, number = query.value, query.signal or 0
    if number:
        meaning = f"terminated by signal {number}, {signal_text(number, signals)}" + (
            f", after exit code {code}" if code else ""
        )
    elif code:
        meaning = f"exit code {code}, no signal"
    else:
        meaning = "exited with code 0: success"
    return [Interpretation("slurm/code-signal", meaning, sources.SLURM_SIGNAL)]


def interpretations(
    value: Union[int, str, Query], shell: Optional[str] = None, platform: Optional[str] = None
) -> list[Interpretation]:
    """Every reading of value (an int, a VALUE string, or a parsed Query).

    Readings about ``shell`` or ``platform`` come first; the rest keep the
    catalog's order. Unknown names and malformed values are usage errors.
    """
    _check(shell, platform)
    signals = signal_table(platform)

    def rank(reading: Interpretation) -> int:
        return -(2 * (shell in reading.shells) + (platform in reading.platforms))

    if isinstance(value, Query):
        query = value
    elif isinstance(value, str):
        try:
            query = parse(value)
        except UsageError:
            numbers = {name: number for number, name in signals.items()}
            words = status_words.read(value, numbers)
            if words is None:
                raise UsageError(
                    f"{value!r} is not a status (decimal, 0x hex, Slurm's code:signal, or a "
                    "shell's status words: rc's sigkill+core, Plan 9 rc's 'signal: sys: kill')"
                ) from None
            return sorted(interpret(words, signals), key=rank)
    else:
        query = parse(str(value))
    found: list[Interpretation] = _slurm(query, signals) if query.is_slurm else []
    if not query.is_slurm or query.value:
        found += [reading for rule in RULES for reading in rule(query.value, signals)]
    return sorted(found, key=rank)
