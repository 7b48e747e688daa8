"""The README opens with the two-command Quickstart, and CI runs its test line as written."""

from __future__ import annotations

import subprocess

from tests.conftest import REPO


def _quickstart() -> list[str]:
    text = (REPO / "README.md").read_text()
    sections = text.split("\n## ")
    assert sections[1].startswith("Quickstart\n"), "the first section is the Quickstart"
    block = sections[1].split("```")[1]
    lines = [line for line in block.splitlines()[1:] if line.strip()]
    return lines


def test_quickstart_is_exactly_two_one_line_commands() -> None:
    lines = _quickstart()
    assert len(lines) == 2
    main_job, tests = lines
    assert "exitcodes matrix" in main_job and "reports" in main_job
    assert "pytest" in tests and "-n auto" in tests
    assert all(not line.rstrip().endswith("\\") for line in lines)


def test_ci_runs_the_readme_test_command_unchanged() -> None:
    script = (REPO / ".ci" / "run").read_text()
    extracted = subprocess.run(
        ["awk", script.split("awk '", 1)[1].split("'", 1)[0], "README.md"],
        cwd=REPO, capture_output=True, text=True, check=True, timeout=300,
    ).stdout.strip()  # fmt: skip
    assert extracted == _quickstart()[1]
    assert 'sh -c "$test_command"' in script
