"""Users' own scenarios: ``exitcodes matrix --scenario-file FILE`` (TOML, or JSON by suffix).

A team gates CI on its own tool without writing Python: each scenario names
a command (an argv, quoted for every shell's dialect) or a script (POSIX
shell text, or one per dialect), the layer it checks, and what it expects
(a status or a signal, stdout and stderr, exactly or as a regular
expression), for every shell and per shell::

    [[scenario]]
    id = "mytool/config-error"
    summary = "a missing configuration file exits 3"
    command = ["mytool", "check", "missing.toml"]
    status = 3
    stderr = {regex = "cannot read"}
    source = "mytool(1), EXIT STATUS: 3 means the configuration could not be read"

    [scenario.shells]            # a shell's own documented rule (Oils' OK)
    ksh93 = 3

    [scenario.bugs]              # a shell's known defect (Oils' BUG)
    posh = {status = 1, stdout = ""}

    [scenario.not_implemented]   # a feature the shell lacks (Oils' N-I)
    dash = 2

The expectations become conventions (see harness/exitwrap/suites/expectations.py),
with the file and the ``source`` text as their source. Each cell runs in a
fresh directory (``$TMP``), with ``$SH`` naming the shell under test and the
scenario's ``env``; ``applies_to`` lists the shells it is for. Anything
malformed is a usage error naming the file and the scenario.
"""

from __future__ import annotations

import fnmatch
import json
import os
import sys
from collections.abc import Mapping, Sequence

from exitwrap.conventions.catalog import CONVENTIONS
from exitwrap.conventions.model import KNOWN_BUG, NOT_IMPLEMENTED, SHELL_RULE, Convention, Source
from exitwrap.errors import UsageError
from exitwrap.record import Record
from exitwrap.scenarios.catalog import BY_ID, INNER, OUTER
from exitwrap.shell_names import KNOWN_NAMES
from exitwrap.shells.catalog import DIALECTS
from exitwrap.shells.dialects import Unquotable
from exitwrap.suites.expectations import (
    Expected,
    Origin,
    check_id,
    expected,
    expected_conventions,
    regex,
)
from exitwrap.suites.suite_scenario import SuiteScenario, check_env

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Optional

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python < 3.11 only
    import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]

EXPECTATION_KEYS = ("status", "signal", "stdout", "stderr")
# per-shell tables and the qualifier each gives its entries
PER_SHELL = {"shells": SHELL_RULE, "bugs": KNOWN_BUG, "not_implemented": NOT_IMPLEMENTED}
KEYS = frozenset(
    {"id", "summary", "command", "script", "layer", "source", "url", "applies_to", "env"}
    | set(EXPECTATION_KEYS)
    | set(PER_SHELL)
)


class UserScenarios(Record):
    scenarios: tuple[SuiteScenario, ...]
    conventions: tuple[Convention, ...]


def _read(path: str) -> Any:
    try:
        with open(path, encoding="utf-8") as stream:
            text = stream.read()
    except (OSError, UnicodeDecodeError) as error:
        raise UsageError(f"{path}: cannot read the scenario file ({error})") from None
    is_json = os.path.splitext(path)[1] == ".json"
    try:
        return json.loads(text) if is_json else tomllib.loads(text)
    except (ValueError, tomllib.TOMLDecodeError) as error:
        kind = "JSON" if is_json else "TOML"
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


def _output(value: object, what: str) -> object:
    """An output expectation as the file writes it: text, or a table ``{regex = "..."}``."""
    if isinstance(value, dict):
        if set(value) != {"regex"} or not isinstance(value["regex"], str):
            raise UsageError(f'{what} must be text or a table {{regex = "..."}}')
        return regex(value["regex"], what)
    return value


def _expected(table: Mapping[str, Any], qualifier: str, where: str) -> Optional[Expected]:
    """The expectation keys of a scenario or of one shell's table (None when it sets none)."""
    if not any(key in table for key in EXPECTATION_KEYS):
        return None
    return expected(
        table.get("status"),
        signal=table.get("signal"),
        stdout=_output(table["stdout"], f"{where}: stdout") if "stdout" in table else None,
        stderr=_output(table["stderr"], f"{where}: stderr") if "stderr" in table else None,
        qualifier=qualifier,
        what=where,
    )


def _per_shell(entry: Mapping[str, Any], where: str) -> dict[str, Expected]:
    per_shell: dict[str, Expected] = {}
    for table, qualifier in PER_SHELL.items():
        given = entry.get(table, {})
        if not isinstance(given, dict):
            raise UsageError(f"{where}: '{table}' must be a table of shell = status or table")
        for name, value in given.items():
            if name not in KNOWN_NAMES:
                raise UsageError(f"{where}: unknown shell {name!r} in '{table}'")
            if name in per_shell:
                raise UsageError(f"{where}: {name} is in more than one of {', '.join(PER_SHELL)}")
            what = f"{where}: {table}.{name}"
            if isinstance(value, dict):
                unknown = sorted(set(value) - set(EXPECTATION_KEYS))
                if unknown or not value:
                    raise UsageError(f"{what}: keys are {', '.join(EXPECTATION_KEYS)}")
                found = _expected(value, qualifier, what)
            else:
                found = expected(value, qualifier=qualifier, what=what)
            assert found is not None
            per_shell[name] = found
    return per_shell


def _applies_to(entry: Mapping[str, Any], where: str) -> Optional[frozenset[str]]:
    if "applies_to" not in entry:
        return None
    names = entry["applies_to"]
    if not (isinstance(names, list) and names and all(isinstance(n, str) for n in names)):
        raise UsageError(f"{where}: 'applies_to' must be a non-empty list of shell names")
    unknown = sorted(set(names) - set(KNOWN_NAMES))
    if unknown:
        raise UsageError(f"{where}: unknown shell {unknown[0]!r} in 'applies_to'")
    return frozenset(names)


def _built_in(scenario_id: str) -> bool:
    """Whether the id is, or could be taken for, one of the built-in catalog's."""
    globs = [g for c in CONVENTIONS for g in c.scenarios]
    return scenario_id in BY_ID or any(fnmatch.fnmatchcase(scenario_id, g) for g in globs)


def _scenario(entry: Any, number: int, path: str) -> tuple[SuiteScenario, list[Convention]]:
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
    default = _expected(entry, "", where)
    source = Source(
        f"{os.path.basename(path)}, scenario {scenario_id}",
        entry.get("url", ""),
        entry.get("source") or f"expected by {path}",
    )
    summary = entry.get("summary") or f"{scenario_id} (from {os.path.basename(path)})"
    scenario = SuiteScenario(
        scenario_id,
        "user",
        layer,
        _scripts(entry, where),
        summary,
        origin=path,
        applies_to=_applies_to(entry, where),
        env=check_env(entry.get("env", {}), where),
    )
    origin = Origin("user", scenario_id, layer, source)
    conventions = expected_conventions(origin, default, _per_shell(entry, where), KNOWN_NAMES)
    return scenario, conventions


def load_scenario_files(paths: Sequence[str | os.PathLike[str]]) -> UserScenarios:
    """Read scenario files; every problem is a UsageError naming the file and the scenario."""
    scenarios: list[SuiteScenario] = []
    conventions: list[Convention] = []
    seen: set[str] = set()
    for path in [os.fspath(given) for given in paths]:
        data = _read(path)
        entries = data.get("scenario") if isinstance(data, dict) else None
        if not isinstance(entries, list) or not entries:
            raise UsageError(f"{path}: no [[scenario]] entries (a list under 'scenario')")
        for number, entry in enumerate(entries, start=1):
            scenario, expected = _scenario(entry, number, path)
            if scenario.id in seen:
                raise UsageError(f"{path}: scenario {scenario.id!r} is defined twice")
            seen.add(scenario.id)
            scenarios.append(scenario)
            conventions += expected
    return UserScenarios(tuple(scenarios), tuple(conventions))
