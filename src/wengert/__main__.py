"""`python -m wengert ...`: the same as the `wengert` command."""

import sys

from .cli import main

sys.exit(main())
