"""Shared fixtures: the shells as found on this machine, and the probe kit."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from exitwrap.observe.probe import ProbeKit, probe_kit
from exitwrap.shell_names import KNOWN_NAMES
from exitwrap.shells.catalog import POSIX_FAMILY
from exitwrap.shells.shell import Shell, parse_selection, resolve

REPO = Path(__file__).resolve().parent.parent
SHELLS: dict[str, Shell] = {s.name: resolve(s) for s in parse_selection(",".join(KNOWN_NAMES))}
UNIX_SHELLS = [name for name in KNOWN_NAMES if name not in ("cmd", "pwsh")]


def shell_params(names: list[str] | tuple[str, ...]) -> list[object]:
    """One pytest param per shell; an absent shell is a skip that says why."""
    return [
        pytest.param(
            SHELLS[name],
            id=name,
            marks=pytest.mark.skipif(
                not SHELLS[name].present, reason=f"{name} absent: {SHELLS[name].absent_reason}"
            ),
        )
        for name in names
    ]


POSIX_SHELL_PARAMS = shell_params(POSIX_FAMILY)
UNIX_SHELL_PARAMS = shell_params(UNIX_SHELLS)


@pytest.fixture(scope="session")
def kit() -> ProbeKit:
    return probe_kit()


@pytest.fixture
def cell_env(tmp_path: Path) -> dict[str, str]:
    from exitwrap.matrix.run import cell_environment

    return cell_environment(str(tmp_path))


@pytest.fixture(autouse=True)
def _no_user_database(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Tests never write to the real per-user accounting database."""
    if "EXITWRAP_DB" not in os.environ:
        monkeypatch.setenv("EXITWRAP_DB", str(tmp_path_factory.getbasetemp() / "accounting.db"))
