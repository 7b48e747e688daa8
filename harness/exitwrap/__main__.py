"""``python -m harness`` is ``exitcodes``."""

import sys

from exitwrap.cli.main import main

sys.exit(main())
