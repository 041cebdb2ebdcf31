"""Shared fixtures: a CLI runner and a builder for tiny data folders."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from csmkpi import engine

DEFAULT_KPIS = """
version: 1
data: {dir: data}
scoring: {amber_at: 0.9, cap: 1.5, min_sample: 1}
kpis:
  - {id: nrr, metric: nrr, target: 1.0, weight: 1}
"""

Build = Callable[..., Path]


@pytest.fixture(autouse=True)
def _no_entry_points(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests see only the built-in metrics, whatever is installed."""
    real = engine.discover

    def builtins_only(plugins=(), *, use_entry_points=True, search_path=None):  # type: ignore[no-untyped-def]
        return real(plugins, use_entry_points=False, search_path=search_path)

    monkeypatch.setattr(engine, "discover", builtins_only)


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own, empty cache of validated tables: never the user's ~/.cache (SPEC §9)."""
    folder = tmp_path_factory.mktemp("cache") / "csmkpi"
    monkeypatch.setenv("CSMKPI_CACHE_DIR", str(folder))
    monkeypatch.delenv("CSMKPI_CACHE_SIZE", raising=False)
    return folder


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def build(tmp_path: Path) -> Build:
    """Write ``kpis.yaml`` and ``data/<table>.csv`` files; return the config path.

    Usage: ``cfg = build(kpis=YAML, accounts="account_id,csm_id\\nA1,alice\\n", mrr=...)``.
    CSV text is dedented; tables not given are absent.
    """

    def _build(kpis: str = DEFAULT_KPIS, **tables: str) -> Path:
        data = tmp_path / "data"
        data.mkdir(exist_ok=True)
        for name, text in tables.items():
            (data / f"{name}.csv").write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        config = tmp_path / "kpis.yaml"
        config.write_text(textwrap.dedent(kpis), encoding="utf-8")
        return config

    return _build


def _score_long(config: Path, period: str = "2026-Q3", *, by: str = "csm", as_of: date = date(2026, 10, 15)):  # type: ignore[no-untyped-def]
    card = engine.score(engine.ScoreRequest(config=config, period=period, as_of=as_of, by=by))
    return {(r["group"], r["kpi"]): r for r in card.long_table().iter_rows(named=True)}


@pytest.fixture
def score_long() -> Callable[..., dict]:  # type: ignore[type-arg]
    """``score_long(config, period="2026-Q3", by="csm", as_of=date(2026, 10, 15))`` -> {(group, kpi): long row}."""
    return _score_long
