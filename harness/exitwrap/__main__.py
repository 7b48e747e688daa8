"""``python -m exitwrap`` is ``exitcodes``."""

import sys

from exitwrap.cli.main import console

sys.exit(console())
