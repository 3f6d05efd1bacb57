import sys

from bot.cli import main

# Guarded: parse workers are spawned processes, which import the main module again.
if __name__ == "__main__":
    sys.exit(main())
