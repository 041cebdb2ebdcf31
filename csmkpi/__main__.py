"""``python -m csmkpi``: the same entry point as the ``csmkpi`` console script."""

from csmkpi.cli import main

main()
