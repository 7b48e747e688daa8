"""exitcodes matrix --scenario-file: a team's own scenarios beside the built-in ones."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from exitwrap.observe.probe import ProbeKit
from exitwrap.suites.scenario_file import load_scenario_files
from tests.conftest import REPO, SHELLS

EXITCODES = [sys.executable, "-m", "exitwrap"]
SAMPLE_CLI = REPO / "fixtures" / "sample_cli.py"
HOSTILE_ARGS = ["it's", '"$HOME"', "a;b", "`id`", "new\nline", "", "ü €", "*"]


def _toml_list(items: list[str]) -> str:
    return "[" + ", ".join(json.dumps(item) for item in items) + "]"  # JSON strings are TOML too


def _matrix(*args: str | Path) -> subprocess.CompletedProcess[str]:
    argv = [*EXITCODES, "matrix", *map(str, args)]
    return subprocess.run(argv, capture_output=True, text=True, check=False, timeout=300)


@pytest.fixture
def scenario_file(tmp_path: Path, kit: object) -> Path:
    cli = [sys.executable, str(SAMPLE_CLI)]
    path = tmp_path / "scenarios.toml"
    path.write_text(
        f"""
[[scenario]]
id = "sample/config-error"
summary = "a configuration file that cannot be read exits 3"
command = {_toml_list([*cli, "check", str(tmp_path / "missing.toml")])}
status = 3
source = "sample-cli: 3 means the configuration file cannot be read"
url = "https://example.org/sample-cli#exit-status"

[[scenario]]
id = "sample/usage"
command = {_toml_list(cli)}
status = [2, 64]
[scenario.bugs]
dash = 5

[[scenario]]
id = "sample/shell-exit"
layer = "outer"
script = "exit 4"
[scenario.shells]
bash = 4
""",
        encoding="utf-8",
    )
    return path


def test_user_scenarios_run_beside_the_catalog_with_their_verdicts(scenario_file: Path) -> None:
    done = _matrix("--shells", "bash,dash", "--scenario-file", scenario_file,
                   "--scenarios", "sample/*,exit/42", "--format", "json")  # fmt: skip
    # dash's sample/usage deviates from its declared bug: the gate fails the run
    assert done.returncode == 1, done.stderr
    assert done.stderr.splitlines()[-1].endswith("1 cells: dash sample/usage (FAIL)")
    records = {(r["shell"], r["scenario"]): r for r in json.loads(done.stdout)["records"]}
    assert {s for _, s in records} == {
        "sample/config-error", "sample/usage", "sample/shell-exit", "exit/42",
    }  # fmt: skip
    config = records[("bash", "sample/config-error")]
    assert config["inner"] == "3" and config["verdict"] == "conforms"
    source = config["expected"][0]["source"]
    assert source["quote"].startswith("sample-cli: 3 means") and source["url"].startswith("https")
    assert records[("bash", "sample/usage")]["verdict"] == "conforms"  # 2 is one of [2, 64]
    dash_usage = records[("dash", "sample/usage")]
    assert dash_usage["inner"] == "2" and dash_usage["verdict"] == "deviates"  # expects bug(5)
    assert dash_usage["expected"][0]["qualifier"] == "known-bug"
    assert records[("bash", "sample/shell-exit")]["outer"] == {
        "kind": "exited", "value": 4, "core": False,
    }  # fmt: skip
    assert records[("bash", "sample/shell-exit")]["verdict"] == "conforms"
    assert records[("dash", "sample/shell-exit")]["verdict"] == "unspecified"  # no expectation


def test_an_argv_reaches_the_command_byte_for_byte(tmp_path: Path, kit: ProbeKit) -> None:
    probe = str(kit.probe)
    path = tmp_path / "args.json"
    scenario = {"id": "team/args", "command": [probe, "args", *HOSTILE_ARGS], "status": 0}
    path.write_text(json.dumps({"scenario": [scenario]}), encoding="utf-8")
    done = _matrix("--shells", "bash,dash,mksh,zsh,fish,tcsh,rc", "--scenario-file", path,
                   "--scenarios", "team/*", "--format", "json")  # fmt: skip
    assert done.returncode == 0, done.stderr
    wanted = (
        "".join(arg.encode().hex() + "\n" for arg in HOSTILE_ARGS) + f"END {len(HOSTILE_ARGS)}\n"
    )
    records = json.loads(done.stdout)["records"]
    assert any(r["verdict"] == "conforms" for r in records)
    for record in (r for r in records if r["verdict"] != "absent"):
        assert record["verdict"] == "conforms", record
        assert record["stdout"] == wanted, record["shell"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("[[scenario]]\nid = 'x'\ncommand = ['true']\nstatuss = 1", "unknown key 'statuss'"),
        ("[[scenario]]\ncommand = ['true']", "needs a non-empty text id"),
        ("[[scenario]]\nid = 'a b'\ncommand = ['true']", "may not hold blanks or glob"),
        ("[[scenario]]\nid = 'x'\ncommand = ['true']\nstatus = 'three'", "must be an integer"),
        ("[[scenario]]\nid = 'x'\ncommand = ['true']\nstatus = true", "must be an integer"),
        ("[[scenario]]\nid = 'x'\ncommand = ['true']\n[scenario.shells]\nkshh = 1", "'kshh'"),
        ("[[scenario]]\nid = 'exit/42'\ncommand = ['true']", "taken by the built-in catalog"),
        ("[[scenario]]\nid = 'signal/99'\ncommand = ['true']", "taken by the built-in catalog"),
        ("[[scenario]]\nid = 'x'\ncommand = []", "non-empty list of strings"),
        ("[[scenario]]\nid = 'x'\ncommand = ['a']\nscript = 'b'", "exactly one of"),
        ("[[scenario]]\nid = 'x'\nscript = {powershell = 'b'}", "'script' dialects are"),
        ("[[scenario]]\nid = 'x'\nscript = 'b'\nlayer = 'middle'", "'layer' is"),
        ("[[scenario]]\nid = 'x'\nscript = 'b'\n[[scenario]]\nid = 'x'\nscript = 'c'", "twice"),
        ("id = 'x'", "no [[scenario]] entries"),
        ("[[scenario]\nid =", "not valid TOML"),
    ],
)
def test_a_malformed_file_is_one_line_exit_2(tmp_path: Path, body: str, message: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(body, encoding="utf-8")
    done = _matrix("--shells", "dash", "--scenario-file", path)
    assert done.returncode == 2, done.stdout
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
    assert message in lines[0] and str(path) in lines[0]


def test_a_missing_file_or_bad_json_is_a_usage_error(tmp_path: Path) -> None:
    for path, message in ((tmp_path / "nope.toml", "cannot read"), (tmp_path / "b.json", "JSON")):
        if path.suffix == ".json":
            path.write_text("{", encoding="utf-8")
        done = _matrix("--shells", "dash", "--scenario-file", path)
        assert done.returncode == 2 and message in done.stderr


def test_the_same_scenario_in_two_files_is_refused(scenario_file: Path) -> None:
    with pytest.raises(ValueError, match="defined twice"):
        load_scenario_files([scenario_file, scenario_file])


def test_the_readme_example_is_a_valid_scenario_file(tmp_path: Path) -> None:
    section = (
        (REPO / "README.md").read_text(encoding="utf-8").split("\n### Your own scenarios\n")[1]
    )
    path = tmp_path / "team.toml"
    path.write_text(section.split("```toml\n", 1)[1].split("```", 1)[0], encoding="utf-8")
    loaded = load_scenario_files([path])
    assert [s.id for s in loaded.scenarios] == ["sample/config-error", "sample/shell-exit"]
    qualifiers = {c.id: c.qualifier for c in loaded.conventions}
    assert qualifiers["user:sample/config-error@posh"] == "known-bug"
    assert qualifiers["user:sample/config-error@ksh93"] == "shell-rule"


def test_every_shell_dialect_can_be_given_a_script(tmp_path: Path) -> None:
    path = tmp_path / "win.toml"
    path.write_text(
        "[[scenario]]\nid = 'team/win'\nstatus = 3\n"
        "script = {posix = 'exit 3', cmd = 'exit /b 3', pwsh = 'exit 3'}\n",
        encoding="utf-8",
    )
    (scenario,) = load_scenario_files([path]).scenarios
    assert scenario.script_for("cmd") == "exit /b 3"
    assert scenario.script_for("pwsh") == "exit 3"
    argv = tmp_path / "argv.toml"
    argv.write_text("[[scenario]]\nid = 'team/argv'\nstatus = 0\ncommand = ['tool', '%x%']\n")
    (quoted,) = load_scenario_files([argv]).scenarios
    assert quoted.script_for("posix") == "'tool' '%x%'"
    assert "%%x%%" in (quoted.script_for("cmd") or "")  # cmd doubles the % so nothing expands


SPEC_LIKE = """
[[scenario]]
id = "team/term"
summary = "a child killed by TERM, in each shell's own words"
script = {posix = "{probe} signal 15", rc = "{probe} signal 15"}
signal = "TERM"

[[scenario]]
id = "team/term-outer"
layer = "outer"
script = "kill -TERM $$"
signal = 15
applies_to = ["bash", "dash", "ksh93", "yash"]

[[scenario]]
id = "team/statuses"
summary = "several statuses, checked through stdout"
script = "false; echo $?; (exit 3); echo $?"
stdout = "1\\n3\\n"
stderr = ""

[[scenario]]
id = "team/workdir"
script = '''test "$(pwd -P)" = "$(cd "$TMP" && pwd -P)" && test ! -e mine && touch mine &&
  echo "$SH $GREETING"'''
stdout = {regex = '^(bash|dash|ksh|yash) hi there\\n$'}
env = {GREETING = "hi there"}

[[scenario]]
id = "team/pipefail"
layer = "outer"
script = "set -o pipefail; false | true; echo $?"
status = 0
stdout = "1\\n"
[scenario.not_implemented]
dash = {status = 2, stdout = ""}
[scenario.bugs]
yash = {stdout = {regex = "never"}}
"""


def test_output_signals_applies_to_env_and_a_fresh_directory(tmp_path: Path, kit: object) -> None:
    path = tmp_path / "team.toml"
    path.write_text(SPEC_LIKE, encoding="utf-8")
    done = _matrix("--shells", "bash,dash,ksh93,yash,rc", "--scenario-file", path,
                   "--jobs", "2", "--format", "json")  # fmt: skip
    records = {(r["shell"], r["scenario"]): r for r in json.loads(done.stdout)["records"]}
    present = [s for s in ("bash", "dash", "ksh93", "yash", "rc") if SHELLS[s].present]
    inner_term = {"bash": "143", "dash": "143", "ksh93": "271", "yash": "399", "rc": "sigterm"}
    for shell in present:
        term = records[(shell, "team/term")]
        assert (term["inner"], term["result"]) == (inner_term[shell], "pass"), term
    for shell in {"bash", "dash", "ksh93", "yash"} & set(present):
        workdir = records[(shell, "team/workdir")]
        assert workdir["result"] == "pass", workdir  # its own empty directory, though parallel
        outer = records[(shell, "team/term-outer")]
        assert outer["outer"]["kind"] == "signaled" and outer["result"] == "pass", outer
        assert records[(shell, "team/statuses")]["result"] == "pass"
    if "rc" in present:  # a POSIX script has no rc text, and applies_to leaves rc out
        assert records[("rc", "team/term-outer")]["verdict"] == "n/a"
    if "dash" in present:
        assert records[("dash", "team/pipefail")]["result"] == "N-I"
        assert records[("bash", "team/pipefail")]["result"] == "pass"
    if "yash" in present:  # its declared bug does not show: the cell fails
        assert records[("yash", "team/pipefail")]["result"] == "FAIL"
    assert done.returncode == (1 if "yash" in present else 0), done.stderr


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("signal = 'NOPE'", "must be a signal name (TERM) or number"),
        ("signal = 0", "must be a signal name"),
        ("status = 1\nsignal = 'TERM'", "a status or a signal, not both"),
        ("stdout = {regex = '('}", "stdout: not a regular expression"),
        ("stdout = {re = 'x'}", "must be text or a table {regex"),
        ("stdout = 3", "stdout must be text or a regular expression"),
        ("applies_to = ['kshh']", "unknown shell 'kshh' in 'applies_to'"),
        ("applies_to = []", "'applies_to' must be a non-empty list"),
        ("env = {X = 1}", "env.X must be text"),
        ("env = 'X=1'", "'env' must be a table"),
        ("[scenario.bugs]\ndash = {stdout = 'x', color = 1}", "bugs.dash: keys are"),
        ("[scenario.bugs]\ndash = 1\n[scenario.not_implemented]\ndash = 2", "more than one of"),
    ],
)
def test_malformed_expectations_are_one_line_exit_2(
    tmp_path: Path, body: str, message: str
) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(f"[[scenario]]\nid = 'x'\nscript = 'true'\n{body}\n", encoding="utf-8")
    done = _matrix("--shells", "dash", "--scenario-file", path)
    assert done.returncode == 2, done.stdout
    assert done.stderr.count("\n") == 1 and message in done.stderr, done.stderr
