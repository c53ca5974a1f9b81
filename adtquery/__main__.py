"""`python -m adtquery`: the same command line as the `adtquery` script."""

import sys

from adtquery.cli.main import main

sys.exit(main())
