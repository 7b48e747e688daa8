"""A scenario from a user's own file: where it comes from, which shells it is for, how it runs.

Built-in scenarios run in the caller's working directory with the cell
environment. A suite's scenario gets what its tests expect of a spec
runner: a fresh working directory per cell, named by ``$TMP``, ``$SH``
naming the shell under test, its own environment, the shells it applies to
(the others are ``n/a``), and, for an Oils spec case, the code fed on the
shell's standard input in the environment Oils builds.
"""

from __future__ import annotations

from collections.abc import Mapping

from exitwrap.errors import UsageError
from exitwrap.scenarios.catalog import Scenario

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Optional


class SuiteScenario(Scenario):
    origin: str = ""  # the file it comes from, as given
    applies_to: Optional[frozenset[str]] = None  # shell names; None: every shell
    env: tuple[tuple[str, str], ...] = ()  # added to the cell's environment
    spec_case: bool = False  # an Oils spec case: code on stdin, Oils' environment
    code: bytes = b""  # a spec case's code, byte for byte (its script is that text, decoded)
    workdir_subdirs: tuple[str, ...] = ()  # made in each cell's fresh directory (Oils: _tmp)

    def applies(self, shell_name: str) -> bool:
        return self.applies_to is None or shell_name in self.applies_to


def check_env(value: object, what: str) -> tuple[tuple[str, str], ...]:
    """A table of NAME = "value" a process environment can hold."""
    if not isinstance(value, Mapping):
        raise UsageError(f"{what}: 'env' must be a table of NAME = \"value\"")
    for name, text in value.items():
        if not (isinstance(name, str) and name and "=" not in name and "\0" not in name):
            raise UsageError(f"{what}: env: {name!r} is not a variable name")
        if not isinstance(text, str) or "\0" in text:
            raise UsageError(f"{what}: env.{name} must be text without NUL bytes")
    return tuple(sorted(value.items()))
