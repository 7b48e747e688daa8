"""python -m exitwrap.wrap: the same as the exitwrap command."""

from __future__ import annotations

import sys

from exitwrap.wrap.cli import console

sys.exit(console())
