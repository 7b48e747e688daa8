"""exitwrap's command line: options, durations, remaps, and bad input (125, one line)."""

from __future__ import annotations

from pathlib import Path

import pytest

from exitwrap.errors import UsageError
from exitwrap.wrap.duration import parse_duration
from exitwrap.wrap.options import HelpRequested, parse
from tests.conftest import REPO
from tests.wrap_helpers import exitwrap, one_line_error, without_recording


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        # GNU timeout(1): "a floating point number with an optional suffix: s, m, h, d"
        ("90", 90.0),
        ("1.5s", 1.5),
        (".5", 0.5),
        ("2m", 120.0),
        ("1h", 3600.0),
        ("1d", 86400.0),
        ("0", 0.0),
        # Slurm sbatch --time: "minutes:seconds", "hours:minutes:seconds", "days-hours",
        # "days-hours:minutes" and "days-hours:minutes:seconds"
        ("05:30", 330.0),
        ("1:30:00", 5400.0),
        ("2-12", 2 * 86400 + 12 * 3600.0),
        ("1-2:03", 86400 + 2 * 3600 + 180.0),
        ("1-2:03:04", 86400 + 2 * 3600 + 184.0),
        ("UNLIMITED", 0.0),
        ("infinite", 0.0),
    ],
)
def test_durations_in_gnu_and_slurm_forms(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize(
    "text",
    ["", "-1", "1e3", "inf", "nan", "1x", "s", "1.2.3", "1:60", "1:2:3:4", "1-24", "-5",
     "1-", "1:", ":5", "1_000", " 5", "٣", "1--2"],
)  # fmt: skip
def test_bad_durations_are_usage_errors(text: str) -> None:
    with pytest.raises(UsageError, match="bad duration"):
        parse_duration(text)


def test_slurm_option_refuses_a_bare_number_it_would_read_otherwise() -> None:
    with pytest.raises(UsageError, match="ambiguous"):
        parse(["--time", "90", "true"])
    assert parse(["--time", "0", "true"]).timeout_s == 0.0
    assert parse(["-t", "90m", "true"]).timeout_s == 5400.0
    assert parse(["--timeout", "90", "true"]).timeout_s == 90.0


def test_options_stop_at_the_first_word_that_is_not_one() -> None:
    options = parse(["--timeout=5", "-k1s", "--group", "cmd", "--timeout", "9", "--", "-x"])
    assert options.command == ["cmd", "--timeout", "9", "--", "-x"]
    assert (options.timeout_s, options.kill_after_s, options.group) == (5.0, 1.0, True)
    assert parse(["--", "--group"]).command == ["--group"]
    assert parse(["-"]).command == ["-"]


def test_every_option_lands_where_it_should() -> None:
    options = parse(
        ["--signal-style", "reraise", "--remap", "143:0", "--remap=1:2", "--shell", "dash",
         "--json", "o.json", "--batch", "-q", "-J", "name", "--account=acct", "--comment", "",
         "--redact", "--no-record", "script", "arg"]
    )  # fmt: skip
    assert options.signal_style == "reraise"
    assert options.remaps == [(143, 0), (1, 2)]
    assert (options.shell, options.json_path) == ("dash", "o.json")
    assert options.batch and options.quiet and options.redact and not options.record
    assert (options.job_name, options.account, options.comment) == ("name", "acct", "")
    assert options.command == ["script", "arg"]


@pytest.mark.parametrize("word", ["-h", "--help", "--version"])
def test_help_and_version(word: str) -> None:
    with pytest.raises(HelpRequested):
        parse([word, "cmd"])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "no command given"),
        (["--batch"], "no command given (--batch wants SCRIPT)"),
        (["--frobnicate", "true"], "unknown option '--frobnicate'"),
        (["-x"], "unknown option '-x'"),
        (["--timeout"], "--timeout wants a value"),
        (["--timeout", "soon", "true"], "--timeout: bad duration 'soon'"),
        (["--kill-after=-1", "true"], "--kill-after: bad duration '-1'"),
        (["--remap", "143", "true"], "--remap wants FROM:TO, got '143'"),
        (["--remap", "256:0", "true"], "FROM '256' is not a status from 0 to 255"),
        (["--remap", "1:-1", "true"], "TO '-1' is not a status from 0 to 255"),
        (["--remap", "125:0", "true"], "125 is exitwrap's own failure status"),
        (["--remap", "0:125", "true"], "125 is exitwrap's own failure status"),
        (["--signal-style", "loud", "true"], "--signal-style wants shell or reraise"),
        (["--group=yes", "true"], "--group takes no value"),
        (["--json", "", "true"], "--json wants a non-empty value"),
        (["--shell", "csh", "true"], "unknown shell 'csh'"),
        (["--shell", "bash,dash", "true"], "--shell takes one shell"),
        (["--unknown\n$(id);'\"é", "true"], "unknown option '--unknown\\n$(id);"),
    ],
)
def test_bad_input_exits_125_with_one_line(args: list[str], message: str) -> None:
    done = exitwrap(*args, env=without_recording())
    assert done.returncode == 125
    line = one_line_error(done.stderr)
    assert message in line
    assert line.endswith("(see exitwrap --help)")
    assert done.stdout == ""


def test_help_and_readme_document_every_exit_status() -> None:
    done = exitwrap("--help")
    assert done.returncode == 0 and done.stderr == ""
    readme = (REPO / "README.md").read_text().split("\n## exitwrap\n")[1].split("\n## ")[0]
    for status in ("128+N", "124", "125", "126", "127"):
        assert f"  {status}" in done.stdout
        assert f"\n| {status} |" in readme
    assert "--remap" in done.stdout and "--remap" in readme
    assert exitwrap("--version").stdout.startswith("exitwrap ")


def test_json_file_that_cannot_be_written_fails_before_the_command(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    done = exitwrap("--json", str(tmp_path / "no" / "such" / "dir.json"), "touch", str(marker),
                    env=without_recording())  # fmt: skip
    assert done.returncode == 125
    assert "No such file or directory" in one_line_error(done.stderr)
    assert not marker.exists()
