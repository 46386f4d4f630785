"""Entry point: ``python main.py --help``."""

import sys

from plugin.cli import main

if __name__ == "__main__":
    sys.exit(main())
