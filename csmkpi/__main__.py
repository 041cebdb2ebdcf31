"""``python -m csmkpi``."""

from csmkpi.cli.app import main

main()
