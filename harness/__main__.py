"""``python -m harness`` is ``exitcodes``."""

import sys

from harness.cli.main import main

sys.exit(main())
