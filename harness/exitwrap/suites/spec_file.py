"""Oils spec files as matrix scenarios: ``exitcodes matrix --spec FILE.test.sh``.

Each ``#### case`` becomes a scenario ``FILE.test.sh/N`` (N counts from 0,
as Oils numbers cases) whose code is fed on the shell's standard input, with
``$SH`` and a fresh ``$TMP`` as the working directory, in the environment
Oils builds. Its expectations follow Oils' rules (``test/sh_spec.py``'s
CreateAssertions):

- key by key (status, stdout, stderr), a shell's own annotation replaces the
  case's value, and is tagged with that shell's qualifier;
- without any status, the case must exit 0; stdout and stderr are checked
  only when given;
- for every shell, stderr must not hold ``Traceback (most recent``;
- annotations name shells as Oils labels them: ``ksh`` is ksh93, ``ash`` is
  busybox, every bash is ``bash``; names of shells exitwrap does not run
  (``osh``) are kept by the parser and used by none.

A cell's result is then Oils' class: FAIL when any expectation fails, else
the qualifier of the shell's annotation (ok for OK, OK-2..4; BUG for BUG,
BUG-2; N-I), else pass; a timeout is TIME. Other qualifiers (OK-1, BUG-3...)
give pass, as upstream.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping, Sequence

from exitwrap.conventions.model import (
    KNOWN_BUG,
    NOT_IMPLEMENTED,
    SHELL_RULE,
    Convention,
    Expect,
    Source,
)
from exitwrap.errors import UsageError
from exitwrap.record import Record
from exitwrap.scenarios.catalog import OUTER
from exitwrap.scenarios.globs import is_glob
from exitwrap.shell_names import KNOWN_NAMES
from exitwrap.suites.expectations import Expected, Origin, expected_conventions
from exitwrap.suites.oils_names import oils_name
from exitwrap.suites.spec_format import SpecCase, SpecFile, read_spec
from exitwrap.suites.suite_scenario import SuiteScenario

QUALIFIERS: Mapping[str, str] = {
    "OK": SHELL_RULE,
    "OK-2": SHELL_RULE,
    "OK-3": SHELL_RULE,
    "OK-4": SHELL_RULE,
    "BUG": KNOWN_BUG,
    "BUG-2": KNOWN_BUG,
    "N-I": NOT_IMPLEMENTED,
}  # any other qualifier the format allows (OK-1, BUG-3, ...) means pass upstream
TRACEBACK = "Traceback (most recent"
SPEC_SUFFIX = ".test.sh"


class SpecSuite(Record):
    scenarios: tuple[SuiteScenario, ...]
    conventions: tuple[Convention, ...]
    warnings: tuple[str, ...]


def _output(key: str, values: Mapping[str, bytes]) -> Expect | None:
    """A stream's expectation from ``stdout`` (its text) or ``stdout-json`` (a JSON string)."""
    if f"{key}-json" in values:
        return Expect("==", json.loads(values[f"{key}-json"]), key)
    if key in values:
        return Expect("==", values[key].decode("utf-8", "replace"), key)
    return None


def _expected(values: Mapping[str, bytes], qualifier: str, *, default_status: bool) -> Expected:
    status = int(values["status"]) if "status" in values else (0 if default_status else None)
    signal = -status if status is not None and status < 0 else None  # a death, as Python's -N
    return Expected(
        None if signal is not None else status,
        signal,
        _output("stdout", values),
        _output("stderr", values),
        qualifier,
    )


def _both_forms(case: SpecCase, where: str) -> list[str]:
    """Upstream checks ``stdout`` and ``stdout-json`` both when a case gives both: here the
    JSON one is checked, and a difference is a warning (upstream's case could never pass)."""
    warnings = []
    for key in ("stdout", "stderr"):
        if key in case.values and f"{key}-json" in case.values:
            plain = case.values[key].decode("utf-8", "replace")
            if plain != json.loads(case.values[f"{key}-json"]):
                warnings.append(f"{where}: {key} and {key}-json differ; only {key}-json is checked")
    return warnings


def case_conventions(
    scenario_id: str, case: SpecCase, source: Source, shells: Sequence[str] = KNOWN_NAMES
) -> list[Convention]:
    """The conventions Oils' rules make of one case, for exitwrap's shells."""
    per_shell = {
        name: _expected(
            annotation.values, QUALIFIERS.get(annotation.qualifier, ""), default_status=False
        )
        for name in shells
        for annotation in [case.shells.get(oils_name(name))]
        if annotation is not None
    }
    origin = Origin("spec", scenario_id, OUTER, source)
    default = _expected(case.values, "", default_status=True)
    traceback = Convention(
        f"spec:{scenario_id}#traceback",
        f"{scenario_id}: stderr holds no Python traceback (Oils checks this for every shell)",
        (scenario_id,),
        OUTER,
        Expect("lacks", TRACEBACK, "stderr"),
        source,
        tuple(shells),
    )
    return [*expected_conventions(origin, default, per_shell, shells), traceback]


def _scenario(spec: SpecFile, case: SpecCase) -> tuple[SuiteScenario, list[Convention]]:
    name = os.path.basename(spec.path)
    scenario_id = f"{name}/{case.index}"
    source = Source(
        f"{name}, case {case.index} (line {case.line}): {case.desc}", "", "\n".join(case.metadata)
    )
    scenario = SuiteScenario(
        scenario_id,
        "spec",
        OUTER,
        {"posix": case.code.decode("utf-8", "replace")},
        case.desc,
        origin=spec.path,
        spec_case=True,
        code=case.code,
        workdir_subdirs=("_tmp",) if spec.header.get("legacy_tmp_dir") else (),
    )
    return scenario, case_conventions(scenario_id, case, source)


def load_spec_files(paths: Iterable[str | os.PathLike[str]]) -> SpecSuite:
    """Read spec files; every problem is a UsageError naming the file and the line."""
    scenarios: list[SuiteScenario] = []
    conventions: list[Convention] = []
    warnings: list[str] = []
    names: set[str] = set()
    for path in [os.fspath(given) for given in paths]:
        name = os.path.basename(path)
        if name in names:
            raise UsageError(f"{path}: a spec file named {name} is given twice")
        if not name.endswith(SPEC_SUFFIX):
            raise UsageError(f"{path}: a spec file's name ends in {SPEC_SUFFIX}")
        if is_glob(name):  # its cases' ids, NAME/N, are matched as globs
            raise UsageError(f"{path}: a spec file's name may not hold *, ? or [")
        names.add(name)
        spec = read_spec(path)
        warnings += spec.warnings
        for case in spec.cases:
            warnings += _both_forms(case, f"{path}:{case.line}")
            scenario, expected = _scenario(spec, case)
            scenarios.append(scenario)
            conventions += expected
    return SpecSuite(tuple(scenarios), tuple(conventions), tuple(warnings))
