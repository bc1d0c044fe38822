"""``python -m kpi_engine``: the ``kpi`` command, for when the script is not on PATH."""

import sys

from kpi_engine.cli import main

if __name__ == "__main__":
    sys.exit(main())
