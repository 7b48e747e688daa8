"""python -m harness.wrap: the same as the exitwrap command."""

from __future__ import annotations

import sys

from exitwrap.wrap.cli import main

sys.exit(main())
