"""The matrix over real shells: every cell observed, none an error, and lies are caught."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import jsonschema
import pytest

from exitwrap.conventions.catalog import CONVENTIONS
from exitwrap.conventions.model import Convention
from exitwrap.matrix.run import run_matrix
from exitwrap.observe.runner import Limits
from exitwrap.reports.json_report import schema
from exitwrap.scenarios.catalog import SCENARIOS, select
from exitwrap.shells.catalog import POSIX_FAMILY
from exitwrap.shells.shell import parse_selection, resolve
from exitwrap.suites.scenario_file import load_scenario_files
from tests.conftest import SHELLS

EIGHT = ",".join(POSIX_FAMILY)


@pytest.mark.skipif(
    not all(SHELLS[n].present for n in POSIX_FAMILY),
    reason="needs all eight POSIX-family shells (run scripts/bootstrap.sh as root)",
)
def test_every_scenario_under_the_eight_posix_shells_is_observed() -> None:
    shells = [resolve(s) for s in parse_selection(EIGHT)]
    posix = [s for s in SCENARIOS if s.script_for("posix") is not None]  # not cmd/..., pwsh/...
    result = run_matrix(shells, posix)
    document = result.to_json()
    jsonschema.validate(document, schema())
    records = document["records"]
    assert len(records) == len(POSIX_FAMILY) * len(posix)
    errors = [(r["shell"], r["scenario"], r["note"], r["stderr"][-300:]) for r in records
              if r["verdict"] == "error"]  # fmt: skip
    assert not errors
    for record in records:
        # every observation comes from a run: the command is kept, and a status was seen
        assert record["command"] and record["outer"] is not None, record
        if record["layer"] == "inner" and record["verdict"] != "n/a":
            assert record["inner"] is not None, record
    by_shell = Counter((r["shell"], r["verdict"]) for r in records)
    assert by_shell[("bash", "conforms")] > len(posix) // 2


def test_ksh93_and_yash_signal_statuses_are_what_they_report() -> None:
    shells = [resolve(s) for s in parse_selection("bash,ksh93,yash")]
    present = [s for s in shells if s.present]
    if len(present) < 3:
        pytest.skip("needs bash, ksh93 and yash")
    records = run_matrix(present, select("signal/9")).to_json()["records"]
    assert {r["shell"]: r["inner"] for r in records} == {
        "bash": "137",
        "ksh93": "265",
        "yash": "393",
    }
    verdicts = {(r["shell"], e["id"]): e["verdict"] for r in records for e in r["expected"]}
    assert verdicts[("ksh93", "posix/signal-above-128")] == "conforms"
    assert verdicts[("ksh93", "common/signal-128-plus-n")] == "deviates"


def _fake_shell(tmp_path: Path, body: str) -> Path:
    fake = tmp_path / "fake-shell"
    fake.write_text(f"#!/bin/sh\n{body}\n")
    fake.chmod(0o755)
    return fake


def test_a_lying_shell_shows_its_lie_flagged_deviates(tmp_path: Path) -> None:
    # runs the script under dash, but reports every inner status one too high
    fake = _fake_shell(
        tmp_path,
        'script=$(printf "%s" "$2" | sed "s/exitwrap-status:\\$?/exitwrap-status:\\$((\\$?+1))/")\n'
        'exec /bin/dash -c "$script" "$3"',
    )
    shells = [resolve(s) for s in parse_selection(f"bash={fake}")]
    records = run_matrix(shells, select("exit/42,not-found")).to_json()["records"]
    observed = {r["scenario"]: (r["inner"], r["verdict"]) for r in records}
    assert observed == {"exit/42": ("43", "deviates"), "not-found": ("128", "deviates")}
    assert records[0]["shell_path"] == str(fake)


def test_the_catalog_listed_by_the_caller_judges_once() -> None:
    shells = [resolve(s) for s in parse_selection("dash")]

    def expected(conventions: Sequence[Convention]) -> list[list[str]]:
        result = run_matrix(shells, select("exit/42,signal/9"), conventions=conventions)
        return [[e["id"] for e in r["expected"]] for r in result.to_json()["records"]]

    alone = expected(())
    assert all(alone) and all(len(set(ids)) == len(ids) for ids in alone)
    assert expected(CONVENTIONS) == alone  # as callers passed it before


def test_a_hung_shell_is_an_error_cell(tmp_path: Path) -> None:
    fake = _fake_shell(tmp_path, "exec sleep 30")
    shells = [resolve(s) for s in parse_selection(f"dash={fake}")]
    result = run_matrix(shells, select("exit/0"), limits=Limits(timeout_s=0.3))
    assert result.errors == 1
    assert result.cells[0].check.note == "timed out after 0.3s"


def test_absent_and_inapplicable_cells_say_why(tmp_path: Path) -> None:
    shells = [resolve(s) for s in parse_selection(f"pwsh,dash,fish,bash@9={tmp_path}/none")]
    cells = run_matrix(shells, select("pipeline/pipefail,subshell/5")).cells
    verdicts = {(c.shell.label, c.scenario.id): (c.verdict, c.check.note) for c in cells}
    assert verdicts[("pwsh", "subshell/5")][0] == "absent"
    assert "not an executable file" in verdicts[("bash@9", "subshell/5")][1]
    if SHELLS["dash"].present:
        assert verdicts[("dash", "pipeline/pipefail")][0] == "n/a"
    if SHELLS["fish"].present:
        assert verdicts[("fish", "subshell/5")][0] == "n/a"


def test_every_reserved_shell_name_has_an_adapter() -> None:
    from exitwrap.shell_names import KNOWN_NAMES
    from exitwrap.shells.catalog import BY_NAME

    assert set(BY_NAME) == set(KNOWN_NAMES)


def test_a_shell_can_be_found_without_asking_the_package_manager() -> None:
    if not SHELLS["dash"].present:
        pytest.skip("dash absent")
    quick = resolve(parse_selection("dash")[0], ask_packages=False)
    assert quick.path == SHELLS["dash"].path
    assert quick.version == "unknown"  # dash prints no version: only its package knows it


@pytest.mark.interactive
def test_ctrl_c_typed_at_an_interactive_shell_is_observed_per_shell() -> None:
    shells = [s for s in (resolve(x) for x in parse_selection("bash,ksh93,yash,dash")) if s.present]
    records = run_matrix(shells, select("interactive/sigint")).to_json()["records"]
    seen = {r["shell"]: (r["inner"], r["verdict"]) for r in records}
    expected = {"bash": "130", "ksh93": "258", "yash": "386", "dash": "130"}
    errors = {r["shell"]: (r["note"], r["stdout"][-400:]) for r in records if r["note"]}
    assert seen == {name: (expected[name], "conforms") for name in seen}, errors
    # a terminal session, not a -c script
    assert all(r["command"] and r["command"][-1] != "-c" for r in records)


@pytest.mark.interactive
def test_cells_on_threads_never_share_a_pty_or_a_directory(tmp_path: Path) -> None:
    """An interactive cell's pty and a suite cell's directory stay theirs while other cells
    start beside them (this test's process runs threads, so its cells go on threads)."""
    spying = 'sleep 0.1; ls -l /proc/$$/fd | grep -c ptmx; pwd; echo "$TMP"'
    entries = [f'[[scenario]]\nid = "team/spy{n}"\nscript = {spying!r}\n' for n in range(12)]
    path = tmp_path / "spies.toml"
    path.write_text("\n".join(entries), encoding="utf-8")
    spies = load_scenario_files([path]).scenarios
    interactive = select("interactive/sigint") * 3
    bash = [resolve(x) for x in parse_selection("bash")]
    cells = run_matrix(bash, [*interactive, *spies], jobs=4).cells
    spied = [c.observation for c in cells if c.scenario in spies]
    assert len(spied) == 12 and all(o is not None for o in spied)
    for observation in spied:
        assert observation is not None
        ptys, where, own = observation.stdout.split("\n")[:3]
        assert (ptys, where) == ("0", own), observation.stdout  # no pty; in its own directory
    interactive_cells = [c for c in cells if c.scenario.interactive]
    assert [c.verdict for c in interactive_cells] == ["conforms"] * 3
