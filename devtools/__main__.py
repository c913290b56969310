"""``python -m devtools`` is the ``vish-dev`` command (development only)."""

import sys

from devtools.cli import main

sys.exit(main())
