"""A real headless Chromium, driven through the DevTools protocol over a pipe (no network):
the helper tests/test_html_browser.py drives; no tests of its own.

``--remote-debugging-pipe`` makes Chromium read commands from its fd 3 and
write answers to its fd 4, NUL-terminated JSON: enough to load a page, ask
the DOM questions, type keys and move the mouse as a user would, with the
standard library alone. Every wait is bounded.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Optional

CANDIDATES = ("chromium", "chromium-browser", "google-chrome")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--remote-debugging-pipe",
)
WAIT_S = 30.0


def chromium() -> Optional[str]:
    """The browser's path, or None where none is installed."""
    return next((path for path in map(shutil.which, CANDIDATES) if path), None)


class BrowserError(RuntimeError):
    pass


class Page:
    """One tab, attached: ``call`` sends a command to it and returns the result."""

    def __init__(self, to_browser: int, from_browser: int) -> None:
        self._out, self._in = to_browser, from_browser
        self._buffer = b""
        self._next = 0
        self.session: Optional[str] = None

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        self._next += 1
        message: dict[str, Any] = {"id": self._next, "method": method, "params": params}
        if self.session and not method.startswith("Target."):
            message["sessionId"] = self.session
        os.write(self._out, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + WAIT_S
        while True:
            while b"\0" in self._buffer:
                raw, self._buffer = self._buffer.split(b"\0", 1)
                answer = json.loads(raw)
                if answer.get("id") == self._next:
                    if "error" in answer:
                        raise BrowserError(f"{method}: {answer['error']}")
                    result: dict[str, Any] = answer.get("result", {})
                    return result
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._in], [], [], left)[0]:
                raise BrowserError(f"{method}: no answer in {WAIT_S:g} s")
            chunk = os.read(self._in, 1 << 16)
            if not chunk:
                raise BrowserError(f"{method}: the browser closed the pipe")
            self._buffer += chunk

    def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page."""
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in result:
            raise BrowserError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def open(self, path: Path, width: int, height: int) -> None:
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        self.session = self.call("Target.attachToTarget", targetId=target, flatten=True)[
            "sessionId"
        ]
        self.call("Emulation.setDeviceMetricsOverride", width=width, height=height,
                  deviceScaleFactor=1, mobile=False)  # fmt: skip
        self.call("Page.enable")
        self.call("Page.navigate", url=path.resolve().as_uri())
        deadline = time.monotonic() + WAIT_S
        while self.evaluate("document.readyState") != "complete":
            if time.monotonic() > deadline:
                raise BrowserError(f"{path}: not loaded in {WAIT_S:g} s")
            time.sleep(0.05)

    def key(self, key: str, code: str, key_code: int) -> None:
        """Press and release one key, as a keyboard would (Tab moves the focus for real)."""
        for kind in ("rawKeyDown", "keyUp"):
            self.call("Input.dispatchKeyEvent", type=kind, key=key, code=code,
                      windowsVirtualKeyCode=key_code)  # fmt: skip

    def hover(self, x: float, y: float) -> None:
        self.call("Input.dispatchMouseEvent", type="mouseMoved", x=x, y=y)

    def click(self, x: float, y: float) -> None:
        for kind in ("mousePressed", "mouseReleased"):
            self.call("Input.dispatchMouseEvent", type=kind, x=x, y=y, button="left",
                      clickCount=1)  # fmt: skip

    def screenshot(self, path: Path) -> None:
        import base64

        data = self.call("Page.captureScreenshot", format="png")["data"]
        path.write_bytes(base64.b64decode(data))


@contextmanager
def browser(binary: str) -> Iterator[Page]:
    """A headless Chromium with a fresh profile, closed (and killed if need be) afterwards."""
    to_r, to_w = os.pipe()
    from_r, from_w = os.pipe()
    profile = tempfile.mkdtemp(prefix="exitwrap-chromium-")

    def pipes_as_3_and_4() -> None:
        os.dup2(to_r, 3)
        os.dup2(from_w, 4)

    process = subprocess.Popen(
        [binary, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
        pass_fds=(3, 4),
        preexec_fn=pipes_as_3_and_4,  # noqa: PLW1509 - a test helper, no threads yet
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(to_r)
    os.close(from_w)
    page = Page(to_w, from_r)
    try:
        yield page
    finally:
        try:
            page.call("Browser.close")
            process.wait(timeout=WAIT_S)
        except (BrowserError, OSError, subprocess.TimeoutExpired):
            process.kill()
            process.wait(timeout=WAIT_S)
        os.close(to_w)
        os.close(from_r)
        shutil.rmtree(profile, ignore_errors=True)
