"""Third-party metrics: config ``plugins:``, the ``csmkpi.metrics`` entry-point group, broken plugins."""

from __future__ import annotations

import shutil
import sys
import textwrap
from pathlib import Path

import pytest

from csmkpi import engine
from csmkpi.errors import ConfigError
from csmkpi.metrics import registry

EXAMPLE = Path(__file__).parents[2] / "examples" / "plugins" / "renewal_rate.py"
OPPORTUNITIES = """
opportunity_id,account_id,type,source,stage,closed_at,amount
O1,A1,renewal,sales,won,2026-07-10,100
O2,A1,renewal,sales,lost,2026-08-10,100
O3,A2,renewal,sales,won,2026-09-30,100
O4,A2,renewal,sales,won,2026-10-01,100
O5,A2,expansion,csm,won,2026-08-01,100
"""
KPIS = """
version: 1
data: {dir: data}
plugins: [renewal_rate]
scoring: {min_sample: 1}
kpis:
  - {id: renewals, metric: renewal_rate, target: 0.8}
"""


def test_config_plugin_from_the_config_folder_scores(build, score_long, tmp_path):
    cfg = build(kpis=KPIS, accounts="account_id,csm_id\nA1,alice\nA2,bob\n", opportunities=OPPORTUNITIES)
    shutil.copy(EXAMPLE, tmp_path / "renewal_rate.py")
    rows = score_long(cfg)
    # alice: O1 won, O2 lost -> 1/2; bob: O3 won (O4 closed after P) -> 1/1; ALL 2/3
    assert rows[("alice", "renewals")]["value"] == pytest.approx(0.5)
    assert rows[("bob", "renewals")]["value"] == pytest.approx(1.0)
    assert rows[("ALL", "renewals")]["value"] == pytest.approx(2 / 3)
    assert "renewal_rate" not in sys.modules or tmp_path.as_posix() not in sys.path  # import path restored


def test_broken_config_plugin_is_a_config_error_naming_it(build, tmp_path):
    cfg = build(kpis=KPIS.replace("renewal_rate]", "broken_plugin]"), accounts="account_id\nA1\n")
    (tmp_path / "broken_plugin.py").write_text("raise RuntimeError('boom')\n")
    with pytest.raises(ConfigError) as err:
        engine.score(engine.ScoreRequest(config=cfg, period="2026-Q3"))
    assert "broken_plugin" in err.value.issues[0].message and "boom" in err.value.issues[0].message


def test_missing_config_plugin_module_exits_78(build, runner):
    from csmkpi.cli.app import app

    cfg = build(kpis=KPIS.replace("renewal_rate]", "no_such_module]"), accounts="account_id\nA1\n")
    result = runner.invoke(app, ["score", "--config", str(cfg), "--period", "2026-Q3"])
    assert result.exit_code == 78
    assert "no_such_module" in result.output and "Traceback" not in result.output


def _install_dist(site: Path, name: str, entry: str) -> None:
    """A real, minimal installed distribution: importlib.metadata finds its entry points on sys.path."""
    info = site / f"{name}-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(f"[csmkpi.metrics]\n{entry}\n")


def test_entry_point_plugin_is_discovered(tmp_path, monkeypatch):
    site = tmp_path / "site"
    site.mkdir()
    shutil.copy(EXAMPLE, site / "renewal_rate.py")
    _install_dist(site, "csmkpi_renewals", "renewal_rate = renewal_rate:METRIC")
    monkeypatch.syspath_prepend(str(site))
    metrics, warnings = registry.discover(use_entry_points=True)
    assert "renewal_rate" in metrics and warnings == []


def test_broken_entry_point_warns_naming_the_package(tmp_path, monkeypatch):
    site = tmp_path / "site"
    site.mkdir()
    (site / "bad_metrics.py").write_text("raise ImportError('missing dependency xyz')\n")
    _install_dist(site, "csmkpi_bad", "bad = bad_metrics:METRIC")
    monkeypatch.syspath_prepend(str(site))
    metrics, warnings = registry.discover(use_entry_points=True)
    assert "nrr" in metrics  # the built-ins still load
    assert any("csmkpi_bad" in w.message and "xyz" in w.message for w in warnings)


def test_a_plugin_cannot_replace_a_builtin(tmp_path, monkeypatch):
    site = tmp_path / "site"
    site.mkdir()
    (site / "fake_nrr.py").write_text(
        textwrap.dedent(
            """
            from dataclasses import replace
            from csmkpi.metrics.nrr import METRIC as REAL
            METRIC = replace(REAL, units=lambda ctx, params: None)
            """
        )
    )
    _install_dist(site, "csmkpi_fake", "nrr = fake_nrr:METRIC")
    monkeypatch.syspath_prepend(str(site))
    metrics, warnings = registry.discover(use_entry_points=True)
    assert metrics["nrr"].units.__module__ == "csmkpi.metrics.nrr"
    assert any("built-in" in w.message for w in warnings)
