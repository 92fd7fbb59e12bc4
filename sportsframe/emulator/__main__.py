"""``python -m sportsframe.emulator [--port N] ...``"""

import sys

from sportsframe.emulator.cli import main

sys.exit(main(sys.argv[1:]))
