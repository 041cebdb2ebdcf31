"""``csmkpi report`` and ``score --format html`` from the command line: bytes, escaping, extras, outputs."""

from __future__ import annotations

import shutil
import sys
from datetime import date
from pathlib import Path

import pytest
from report_support import ROOT, SAMPLE, csmkpi, ok

BLOCK = "import sys; sys.modules[{name!r}] = None; from csmkpi.cli import main; sys.argv = ['csmkpi', *sys.argv[1:]]; main()"


def blocked(module: str, *args: str) -> object:
    """Run the CLI with ``module`` impossible to import (as if its extra were not installed)."""
    import subprocess

    return subprocess.run(
        [sys.executable, "-c", BLOCK.format(name=module), *args], cwd=ROOT, capture_output=True, text=True, timeout=600
    )


def test_same_inputs_same_bytes(sample, tmp_path: Path) -> None:
    again = tmp_path / "again.html"
    ok("report", *SAMPLE, "--output", str(again), "--quiet")
    assert again.read_bytes() == sample.html.read_bytes()


def test_no_date_of_today_without_as_of(tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    ok("report", "--period", "2026-Q3", "--output", str(out), "--quiet")
    text = out.read_text(encoding="utf-8")
    assert date.today().isoformat() not in text
    assert "as of" not in text


def test_the_sample_report_says_what_it_shows(sample) -> None:
    text = sample.html.read_text(encoding="utf-8")
    assert "<script" not in text and "http://" not in text.replace("http://www.w3.org/", "")
    assert "https://" not in text
    for part in (
        "2026-Q3 · 2026-07-01 → 2026-09-30",
        "compared with 2026-Q2",
        "as of 2026-10-15",
        "MRR movements",
        "Why accounts churned",
        "What goes with churn",
        "Associations, not causes",
    ):
        assert part in text, part


@pytest.mark.parametrize("module", ["vl_convert", "jinja2"])
def test_without_the_report_extra_exit_69_naming_it(module: str, tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    done = blocked(module, "report", *SAMPLE, "--output", str(out))
    assert done.returncode == 69, done.stderr
    assert "pip install 'csmkpi[report]'" in done.stderr
    assert "Traceback" not in done.stderr
    assert not out.exists()


def test_score_html_without_jinja2_exits_69(tmp_path: Path) -> None:
    out = tmp_path / "s.html"
    done = blocked("jinja2", "score", *SAMPLE, "--output", str(out))
    assert done.returncode == 69 and "csmkpi[report]" in done.stderr
    assert not out.exists()


def test_without_the_stats_extra_the_drivers_section_says_how_to_add_it(tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    done = blocked("statsmodels", "report", *SAMPLE, "--output", str(out), "--quiet")
    assert done.returncode == 0, done.stderr
    text = out.read_text(encoding="utf-8")
    assert "pip install &#39;csmkpi[stats]&#39;" in text
    assert 'class="drivers-table"' not in text


def test_labels_from_the_data_are_escaped(tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(ROOT / "sample_data", data)
    csms = (data / "csms.csv").read_text(encoding="utf-8")
    (data / "csms.csv").write_text(csms.replace("Bob Martinez", "<script>alert(1)</script>"), encoding="utf-8")
    lines = (data / "accounts.csv").read_text(encoding="utf-8").splitlines()
    evil = '"<img src=x onerror=alert(2)>"'
    (data / "accounts.csv").write_text(
        "\n".join([lines[0], *(f"{line}{evil}" if line.endswith(",") else line for line in lines[1:])]) + "\n",
        encoding="utf-8",
    )
    out = tmp_path / "r.html"
    ok("report", *SAMPLE, "--data", str(data), "--output", str(out), "--quiet")
    text = out.read_text(encoding="utf-8")
    assert "<script>alert(1)" not in text and "<img src=x" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    svg_text = [part for part in text.split("<svg ")[1:] if "onerror" in part]
    assert svg_text, "the reason is drawn in a chart"
    assert all("&lt;img src=x onerror=alert(2)&gt;" in part for part in svg_text)

    from report_support import ARGS, CHROMIUM, chromium_or_skip

    chromium_or_skip()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page()
        dialogs: list[str] = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.goto(out.as_uri(), wait_until="load")
        assert page.locator("script").count() == 0 and page.locator("main img").count() == 0
        assert "<script>alert(1)</script>" in page.locator("table.bygroup thead").first.inner_text() + "".join(
            page.locator("table.bygroup thead").all_inner_texts()
        )
        assert "<img src=x onerror=alert(2)>" in page.locator("table.reasons-table").inner_text()
        browser.close()
    assert dialogs == []


def test_output_rules(tmp_path: Path) -> None:
    done = csmkpi("report", *SAMPLE, "--output", str(tmp_path / "r.csv"))
    assert done.returncode == 2 and ".html" in done.stderr
    link = tmp_path / "accounts.html"
    link.symlink_to(ROOT / "sample_data" / "accounts.csv")
    before = (ROOT / "sample_data" / "accounts.csv").read_bytes()
    done = csmkpi("report", *SAMPLE, "--output", str(link))
    assert done.returncode == 73, done.stderr
    assert (ROOT / "sample_data" / "accounts.csv").read_bytes() == before
    piped = csmkpi("report", *SAMPLE, "--output", "-", "--quiet")
    assert piped.returncode == 0 and piped.stdout.startswith("<!DOCTYPE html>")
    strict = csmkpi("report", *SAMPLE, "--output", str(tmp_path / "s.html"), "--strict")
    assert strict.returncode == 65 and not (tmp_path / "s.html").exists()  # the sample warns (ticket of A999)


def test_score_format_html_is_the_scorecard_part(sample, tmp_path: Path) -> None:
    out = tmp_path / "s.html"
    ok("score", *SAMPLE, "--compare", "previous", "--output", str(out), "--quiet")
    text = out.read_text(encoding="utf-8")
    report = sample.html.read_text(encoding="utf-8")
    assert "Scorecard 2026-Q3" in text and 'class="department"' in text and "<svg" not in text
    department = text[text.index('<table class="department">') : text.index("</table>")]
    assert department in report  # the same first part as the report's
    picked = tmp_path / "picked.html"
    ok("score", *SAMPLE, "--group", "bob", "--format", "html", "--output", str(picked), "--quiet")
    shown = picked.read_text(encoding="utf-8")
    assert 'data-group="bob"' in shown and 'data-group="alice"' not in shown


def test_example_report_in_docs_is_the_sample_report(sample) -> None:
    example = ROOT / "docs" / "example-report.html"
    assert example.read_bytes() == sample.html.read_bytes(), (
        "docs/example-report.html is stale: csmkpi report --period 2026-Q3 --as-of 2026-10-15 "
        "--output docs/example-report.html"
    )
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "docs/example-report.html" in readme and "docs/example-report.png" in readme
    assert (ROOT / "docs" / "example-report.png").read_bytes()[:4] == b"\x89PNG"
