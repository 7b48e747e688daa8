"""exitcodes report merge | diff | conventions: from matrix files, never re-running."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from exitwrap.reports.cells import column_key
from exitwrap.reports.conventions import gather, render_html, render_markdown
from exitwrap.reports.diff import diff
from exitwrap.reports.json_report import schema
from exitwrap.reports.merge import merge
from tests.reports_helpers import (
    Document,
    parse_html,
    real_document,
    run_document,
    stand_in_document,
    write,
)

EXITCODES = [sys.executable, "-m", "exitwrap"]


def _report(*args: str | Path) -> subprocess.CompletedProcess[str]:
    argv = [*EXITCODES, "report", *map(str, args)]
    return subprocess.run(argv, capture_output=True, text=True, check=False, timeout=300)


def _one_line(done: subprocess.CompletedProcess[str]) -> str:
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
    return lines[0]


@pytest.fixture(scope="module")
def disagreeing(tmp_path_factory: pytest.TempPathFactory) -> tuple[Document, Document]:
    """Two real runs of one column (bash@liar, version unknown) that saw different statuses."""
    first = stand_in_document(tmp_path_factory.mktemp("first"), "7")
    second = stand_in_document(tmp_path_factory.mktemp("second"), "9")
    assert column_key(first["records"][0]) == column_key(second["records"][0])
    return first, second


def test_merge_of_two_runs_has_both_runs_columns(tmp_path: Path) -> None:
    a = run_document("bash,dash", "exit/42,signal/9")
    b = run_document("bash,ksh93", "exit/42,signal/9")
    b["meta"]["host"] = "other-machine"
    done = _report("merge", write(a, tmp_path / "a.json"), write(b, tmp_path / "b.json"),
                   "-o", tmp_path / "out")  # fmt: skip
    assert done.returncode == 0, done.stderr
    merged = json.loads((tmp_path / "out" / "matrix.json").read_text())
    jsonschema.validate(merged, schema())
    columns = {column_key(r)[0] for r in merged["records"]}
    assert columns == {"bash", "dash", "ksh93"}
    assert len(merged["records"]) == 3 * 2  # bash's identical cells folded
    bash = [r for r in merged["records"] if r["shell"] == "bash"]
    assert all(r["sources"] == [str(tmp_path / "a.json"), str(tmp_path / "b.json")] for r in bash)
    assert "other-machine" in merged["meta"]["host"] and len(merged["meta"]["merged_from"]) == 2
    for name in ("matrix.md", "matrix.html", "matrix.junit.xml"):
        assert (tmp_path / "out" / name).is_file()


def test_merge_keeps_a_conflict_naming_both_sources(
    tmp_path: Path, disagreeing: tuple[Document, Document]
) -> None:
    first, second = disagreeing
    a, b = write(first, tmp_path / "a.json"), write(second, tmp_path / "b.json")
    done = _report("merge", a, b, "-o", tmp_path / "out")
    assert done.returncode == 0
    assert str(a) in done.stderr and str(b) in done.stderr and "conflict" in done.stderr
    record = json.loads((tmp_path / "out" / "matrix.json").read_text())["records"][0]
    assert record["inner"] == "7" and record["conflicts"][0]["inner"] == "9"
    assert record["conflicts"][0]["source"] == str(b)
    assert "(conflict)" in (tmp_path / "out" / "matrix.md").read_text()
    again = merge([("merged", json.loads((tmp_path / "out" / "matrix.json").read_text()))])
    assert again["records"][0]["conflicts"] == record["conflicts"]  # merging a merge keeps it


def test_diff_flags_a_changed_cell_and_exits_1(
    tmp_path: Path, disagreeing: tuple[Document, Document]
) -> None:
    first, second = disagreeing
    done = _report("diff", write(first, tmp_path / "a.json"), write(second, tmp_path / "b.json"))
    assert done.returncode == 1
    assert "| bash@liar (linux) `exit/42` | 7 ✗ | 9 ✗ |" in done.stdout
    assert "1 of 1 compared cells changed" in done.stdout


def test_diff_ignores_commands_paths_and_durations(tmp_path: Path) -> None:
    base = real_document()
    rerun = copy.deepcopy(base)
    for record in rerun["records"]:
        record["duration_s"] = record["duration_s"] * 3 + 1
        record["command"] = record["command"] and ["/elsewhere/sh", *record["command"][1:]]
        record["shell_path"] = "/elsewhere/sh"
    done = _report("diff", write(base, tmp_path / "a.json"), write(rerun, tmp_path / "b.json"))
    assert done.returncode == 0, done.stdout
    assert f"0 of {len(base['records'])} compared cells changed" in done.stdout


def test_diff_pairs_an_upgraded_shell_and_counts_missing_cells() -> None:
    base = real_document()
    new = copy.deepcopy(base)
    for record in new["records"]:
        if record["shell"] == "bash":
            record["shell_version"] = "9.9"
    dropped = new["records"].pop()
    result = diff(base, new)
    assert result.upgrades and result.upgrades[0][1][1] == "9.9"
    assert result.changed == [] and result.missing == [dropped]
    assert result.regressed


def test_conventions_report_says_which_shells_conform() -> None:
    document = real_document()
    reports = {r.id: r for r in gather(document)}
    ksh93 = next(column_key(r) for r in document["records"] if r["shell"] == "ksh93")
    assert ksh93 in reports["posix/signal-above-128"].columns_with("conforms")
    assert ksh93 in reports["common/signal-128-plus-n"].columns_with("deviates")
    markdown = render_markdown(document)
    assert "signal/9: 265 ✗ (expects = 137 (128+N))" in markdown
    assert reports["posix/signal-above-128"].source["url"] in markdown
    text = "".join(parse_html(render_html(document)).text)
    assert reports["posix/signal-above-128"].source["quote"] in text


def test_conventions_command_writes_markdown_and_html(tmp_path: Path) -> None:
    path = write(real_document(), tmp_path / "m.json")
    done = _report("conventions", path, path, "-o", tmp_path / "out")
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "conventions.html",
        "conventions.md",
    ]
    assert _report("conventions", path).stdout.startswith("# Conventions: which shells conform")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not a readable matrix file"),
        ('{"meta": {}, "records": "nope"}', "no records list"),
        ('{"meta": {}, "records": [{"shell": "bash"}]}', "record 1: missing shell_version"),
        ("\udcff", "not a readable matrix file"),
    ],
)
def test_corrupt_or_foreign_json_is_one_line_exit_1(
    tmp_path: Path, content: str, message: str
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_bytes(content.encode("utf-8", "surrogateescape"))
    good = write(real_document(), tmp_path / "good.json")
    for args in (("diff", good, bad), ("merge", good, bad), ("conventions", bad)):
        done = _report(*args)
        assert done.returncode == 1
        assert message in _one_line(done)


@pytest.mark.parametrize(
    "args", [[], ["frob"], ["diff", "only-one.json"], ["merge"], ["merge", "a.json", "--nope"]]
)
def test_bad_usage_is_one_line_exit_2(args: list[str]) -> None:
    done = _report(*args)
    assert done.returncode == 2
    assert "see exitcodes report --help" in _one_line(done)


def test_unwritable_output_is_one_line_exit_1(tmp_path: Path) -> None:
    path = write(real_document(), tmp_path / "m.json")
    blocker = tmp_path / "file"
    blocker.write_text("")
    done = _report("merge", path, "-o", blocker / "sub")
    assert done.returncode == 1
    _one_line(done)
