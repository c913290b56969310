"""``python -m shared`` is the ``vish`` command."""

import sys

from shared.cli import main

sys.exit(main())
