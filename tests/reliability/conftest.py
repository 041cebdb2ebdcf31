"""Fixtures of the fault tests (helpers in ``faults.py``: pytest puts this folder on sys.path)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from faults import KPIS, Company, csmkpi, tables


@pytest.fixture(scope="session")
def company_template(tmp_path_factory: pytest.TempPathFactory) -> Company:
    root = tmp_path_factory.mktemp("company")
    (root / "data").mkdir()
    for name, text in tables().items():
        (root / "data" / f"{name}.csv").write_text(text, encoding="utf-8")
    (root / "kpis.yaml").write_text(KPIS, encoding="utf-8")
    template = Company(root, b"")
    proc = csmkpi(template.score("--format", "csv"))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count(b"\n") == 5  # header, three CSMs, ALL
    return Company(root, proc.stdout)


@pytest.fixture
def company(company_template: Company, tmp_path: Path) -> Iterator[Company]:
    """A private copy of the tiny company (edit it freely)."""
    root = tmp_path / "company"
    shutil.copytree(company_template.root, root)
    yield Company(root, company_template.reference)
