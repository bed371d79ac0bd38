"""`python -m nsa` is the `nsa` command."""

import sys

from nsa.cli import main

sys.exit(main())
