"""Regenerate the bundled sample data: ``python sample_data/generate.py``.

The seeded generator lives in the package (``csmkpi.sample``) so that ``csmkpi init``
can write the same files anywhere.
"""

from __future__ import annotations

from pathlib import Path

from csmkpi.sample import main

if __name__ == "__main__":
    raise SystemExit(main(["--out", str(Path(__file__).resolve().parent)]))
