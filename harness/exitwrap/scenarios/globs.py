"""Scenario ids chosen by globs: fnmatch's meaning, without its cost where no glob is needed.

A users' suite of thousands of scenarios selects its own ids by name, and
each of its expectations names one id: those are looked up in a set, not
matched one against another (which grew with the square of the suite). The
catalog's usual patterns (an id, ``family/*``) are answered without compiling
a regular expression: a short run's one scenario would compile dozens, ~7 ms.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable

GLOB_CHARACTERS = frozenset("*?[")


def is_glob(pattern: str) -> bool:
    return not GLOB_CHARACTERS.isdisjoint(pattern)


def matches(scenario_id: str, glob: str) -> bool:
    """fnmatchcase(scenario_id, glob)."""
    stem = glob[:-1] if glob.endswith("*") else glob
    if not is_glob(stem):
        return scenario_id.startswith(stem) if stem != glob else scenario_id == glob
    return fnmatch.fnmatchcase(scenario_id, glob)


class Globs:
    """Several patterns at once: names found in a set, only real globs matched."""

    def __init__(self, patterns: Iterable[str]) -> None:
        self.patterns = tuple(dict.fromkeys(patterns))
        self._names = frozenset(p for p in self.patterns if not is_glob(p))
        self._globs = tuple(p for p in self.patterns if is_glob(p))

    def match(self, scenario_id: str) -> bool:
        return scenario_id in self._names or any(matches(scenario_id, g) for g in self._globs)

    def unmatched(self, scenario_ids: Iterable[str]) -> list[str]:
        """The patterns no id matches, in the order given."""
        ids = set(scenario_ids)
        return [
            p
            for p in self.patterns
            if (p not in ids if p in self._names else not any(matches(i, p) for i in ids))
        ]
