"""``python -m consensus_lab.cli``: the same as ``consensus-lab``."""

import sys

from consensus_lab.cli import main

sys.exit(main())
