"""Users' own scenarios: ``exitcodes matrix --scenario-file FILE`` (TOML, or JSON by suffix).

A team gates CI on its own tool without writing Python: each scenario names
a command (an argv, quoted for every shell's dialect) or a script (POSIX
shell text, or one per dialect), the layer it checks, and the status it
expects, for every shell and per shell::

    [[scenario]]
    id = "mytool/config-error"
    summary = "a missing configuration file exits 3"
    command = ["mytool", "check", "missing.toml"]
    status = 3
    source = "mytool(1), EXIT STATUS: 3 means the configuration could not be read"

    [scenario.shells]   # a shell's own documented rule
    ksh93 = 3

    [scenario.bugs]     # a shell's known defect
    posh = 1

The expectations become conventions (see harness/exitwrap/suites/expectations.py),
with the file and the ``source`` text as their source. Anything malformed
is a usage error naming the file and the scenario.
"""

from __future__ import annotations

import fnmatch
import json
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from exitwrap.conventions.catalog import CONVENTIONS
from exitwrap.conventions.model import Convention, Source
from exitwrap.errors import UsageError
from exitwrap.scenarios.catalog import BY_ID, INNER, OUTER, Scenario
from exitwrap.shell_names import KNOWN_NAMES
from exitwrap.shells.catalog import DIALECTS
from exitwrap.shells.dialects import Unquotable
from exitwrap.suites.expectations import (
    KnownBug,
    PerShell,
    check_id,
    check_status,
    status_conventions,
)

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python < 3.11 only
    import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]

KEYS = frozenset(
    {"id", "summary", "command", "script", "layer", "status", "shells", "bugs", "source", "url"}
)


@dataclass(frozen=True)
class UserScenarios:
    scenarios: tuple[Scenario, ...]
    conventions: tuple[Convention, ...]


def _read(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise UsageError(f"{path}: cannot read the scenario file ({error})") from None
    try:
        return json.loads(text) if path.suffix == ".json" else tomllib.loads(text)
    except (ValueError, tomllib.TOMLDecodeError) as error:
        kind = "JSON" if path.suffix == ".json" else "TOML"
        raise UsageError(f"{path}: not valid {kind}: {error}") from None


def _scripts(entry: Mapping[str, Any], where: str) -> dict[str, str]:
    """Script per dialect: an argv quoted for each dialect that can carry it, or as written."""
    if ("command" in entry) == ("script" in entry):
        raise UsageError(f"{where}: give exactly one of 'command' (a list) or 'script'")
    if "command" in entry:
        argv = entry["command"]
        if not (isinstance(argv, list) and argv and all(isinstance(a, str) for a in argv)):
            raise UsageError(f"{where}: 'command' must be a non-empty list of strings")
        scripts = {}
        for name, dialect in DIALECTS.items():
            try:
                scripts[name] = dialect.command_line(argv)
            except Unquotable:
                continue  # that dialect's shells show the cell as n/a
        return scripts
    script = entry["script"]
    if isinstance(script, str):
        script = {"posix": script}
    if not (isinstance(script, dict) and script):
        raise UsageError(f"{where}: 'script' must be text or a table of dialect = text")
    unknown = sorted(set(script) - set(DIALECTS))
    if unknown or not all(isinstance(s, str) and s for s in script.values()):
        raise UsageError(
            f"{where}: 'script' dialects are {', '.join(DIALECTS)}, each with non-empty text"
        )
    return dict(script)


def _per_shell(entry: Mapping[str, Any], where: str) -> dict[str, PerShell]:
    per_shell: dict[str, PerShell] = {}
    for table, wrap in (("shells", False), ("bugs", True)):
        given = entry.get(table, {})
        if not isinstance(given, dict):
            raise UsageError(f"{where}: '{table}' must be a table of shell = status")
        for name, value in given.items():
            if name not in KNOWN_NAMES:
                raise UsageError(f"{where}: unknown shell {name!r} in '{table}'")
            if name in per_shell:
                raise UsageError(f"{where}: {name} is in both 'shells' and 'bugs'")
            status = check_status(value, f"{where}: {table}.{name}")
            per_shell[name] = KnownBug(status) if wrap else status
    return per_shell


def _built_in(scenario_id: str) -> bool:
    """Whether the id is, or could be taken for, one of the built-in catalog's."""
    globs = [g for c in CONVENTIONS for g in c.scenarios]
    return scenario_id in BY_ID or any(fnmatch.fnmatchcase(scenario_id, g) for g in globs)


def _scenario(entry: Any, number: int, path: Path) -> tuple[Scenario, list[Convention]]:
    where = f"{path}: scenario {number}"
    if not isinstance(entry, dict):
        raise UsageError(f"{where}: must be a table")
    scenario_id = check_id(entry.get("id"), where)
    where = f"{path}: scenario {scenario_id!r}"
    unknown = sorted(set(entry) - KEYS)
    if unknown:
        raise UsageError(f"{where}: unknown key {unknown[0]!r} (known: {', '.join(sorted(KEYS))})")
    if _built_in(scenario_id):
        raise UsageError(f"{where}: the id is taken by the built-in catalog; choose another")
    layer = entry.get("layer", INNER)
    if layer not in (INNER, OUTER):
        raise UsageError(f"{where}: 'layer' is {INNER!r} or {OUTER!r}, not {layer!r}")
    for key in ("summary", "source", "url"):
        if not isinstance(entry.get(key, ""), str):
            raise UsageError(f"{where}: {key!r} must be text")
    default = check_status(entry["status"], f"{where}: status") if "status" in entry else None
    source = Source(
        f"{path.name}, scenario {scenario_id}",
        entry.get("url", ""),
        entry.get("source") or f"expected by {path}",
    )
    summary = entry.get("summary") or f"{scenario_id} (from {path.name})"
    scenario = Scenario(scenario_id, "user", layer, _scripts(entry, where), summary)
    conventions = status_conventions(
        scenario_id, layer, default, _per_shell(entry, where), source, KNOWN_NAMES
    )
    return scenario, conventions


def load_scenario_files(paths: Sequence[str | Path]) -> UserScenarios:
    """Read scenario files; every problem is a UsageError naming the file and the scenario."""
    scenarios: list[Scenario] = []
    conventions: list[Convention] = []
    for path in map(Path, paths):
        data = _read(path)
        entries = data.get("scenario") if isinstance(data, dict) else None
        if not isinstance(entries, list) or not entries:
            raise UsageError(f"{path}: no [[scenario]] entries (a list under 'scenario')")
        for number, entry in enumerate(entries, start=1):
            scenario, expected = _scenario(entry, number, path)
            if any(s.id == scenario.id for s in scenarios):
                raise UsageError(f"{path}: scenario {scenario.id!r} is defined twice")
            scenarios.append(scenario)
            conventions += expected
    return UserScenarios(tuple(scenarios), tuple(conventions))
