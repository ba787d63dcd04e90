"""``python -m sklinfluence``: the command line, see :mod:`sklinfluence.cli`."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
