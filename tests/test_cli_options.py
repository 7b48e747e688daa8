"""Both option parsers' help pages fit the terminal, and the small one takes repeated options."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from exitwrap.cli.options import Option, parse


def _help(command: list[str], columns: str) -> list[str]:
    env = {**os.environ, "COLUMNS": columns}
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=True)
    return done.stdout.splitlines()


@pytest.mark.parametrize("columns", ["60", "120"])
@pytest.mark.parametrize("command", ["matrix", "sacct", "explain"])
def test_help_is_wrapped_to_the_width_columns_says(command: str, columns: str) -> None:
    lines = _help([sys.executable, "-m", "exitwrap", command, "--help"], columns)
    assert max(len(line) for line in lines) <= int(columns) - 2
    assert len(lines) > 8  # one page, not one line
    if command == "matrix":  # never broken inside a word
        assert any("--scenario-file FILE" in line for line in lines)
        assert any("--no-record" in line for line in lines)


def test_a_repeated_option_keeps_every_value_in_order() -> None:
    options = (Option("", "--spec", "a file", "FILE"), Option("-o", "--output", "a file", "FILE"))
    parsed = parse(["--spec", "a", "--sp=b", "-o", "x", "--spec", "c", "-oy"], options)
    assert parsed.every("spec") == ["a", "b", "c"]
    assert parsed.value("output") == "y" and parsed.every("output") == ["x", "y"]
    assert parsed.every("help") == [] and parsed.operands == []
