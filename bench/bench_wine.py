"""cmd under Wine: what one call costs with the harness's warm wineserver.

The floor is the same Windows probe started by Wine's loader alone (``wine
probe.exe exit 0``, no cmd); against it, ``wine cmd /d /c exit 0`` and a
cmd cell's whole shape (``cmd /d /c FILE.cmd`` running the probe and
printing %ERRORLEVEL%). All run inside one session, as the matrix runs
them: the prefix held, its server up. Measured in alternation so drift hits
all of them alike. A cold call (no server: Wine starts one and its
services) is not measured here; on our machines it was 0.5-1.1 s.
"""

from __future__ import annotations

import os
import tempfile

from bench.common import Row, interleaved_medians_ms
from exitwrap.observe.windows_probe import windows_probe
from exitwrap.shells import wine
from exitwrap.shells.discovery import locate
from exitwrap.shells.launchers import Launcher
from exitwrap.shells.windows import CMD, CMD_WINE

GROUP = "wine"
FLOOR = "floor: wine probe.exe exit 0 (Wine's loader, no cmd)"


def rows(*, quick: bool) -> list[Row]:
    binary, _, absent = locate(CMD_WINE)
    if binary is None:
        return [Row(GROUP, "cmd under Wine", 0.0, "ms", note=f"skipped: {absent}")]
    probe = wine.windows_path(str(windows_probe()))
    runs = 5 if quick else 30
    launcher: Launcher = CMD_WINE.launcher
    with tempfile.TemporaryDirectory(prefix="exitwrap-bench-") as home, wine.session(binary):
        env = wine.environment({"PATH": os.environ.get("PATH", os.defpath), "HOME": home})
        script = CMD.quote(probe) + " exit 3\necho exitwrap-status:%ERRORLEVEL%"
        with launcher.script_file(script, {"TMPDIR": home}) as cell:
            commands = {
                FLOOR: [binary, probe, "exit", "0"],
                "wine cmd /d /c exit 0": [binary, "cmd", "/d", "/c", "exit", "0"],
                "a cmd cell: batch file running the probe": [
                    binary,
                    "cmd",
                    "/d",
                    "/c",
                    wine.windows_path(cell),
                ],
            }
            medians = interleaved_medians_ms(commands, runs, env)
    floor = medians[FLOOR]
    return [
        Row(GROUP, name, value, "ms", None if name == FLOOR else FLOOR, value / floor)
        for name, value in medians.items()
    ]
