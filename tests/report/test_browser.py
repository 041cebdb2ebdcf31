"""The sample report in a real browser (Chromium through Playwright), loaded from disk with the network blocked.

What a CS leader sees: no request leaves the page, no console error, every chart drawn, every number
equal to the CSV of the same run, a page that is not blank at a phone's and a laptop's width, and a
PDF of the expected number of pages on A4 and on Letter.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from typing import Any

import pytest
from report_support import ARGS, CHROMIUM, chromium_or_skip, close_enough, number, png_colours

from csmkpi.report.html import (
    CHARTS_PER_SHEET,
    DEPARTMENT_ROWS,
    DRIVERS_ROWS,
    GROUPS_PER_TABLE,
    REASONS_CHARTED,
    REASONS_FIRST,
    REASONS_ROWS,
    ROWS_PER_TABLE,
)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    chromium_or_skip()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield launched
        launched.close()


class Loaded:
    def __init__(self, browser: Any, url: str, width: int) -> None:
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.context = browser.new_context(viewport={"width": width, "height": 900}, java_script_enabled=True)

        def route(handle: Any) -> None:
            self.requests.append(handle.request.url)
            if handle.request.url == url:
                handle.continue_()  # the report itself, from disk
            else:
                handle.abort()

        self.context.route("**/*", route)
        self.page = self.context.new_page()
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("dialog", lambda d: (self.errors.append(f"dialog {d.message}"), d.dismiss()))
        self.page.goto(url, wait_until="load")


@pytest.fixture(scope="module")
def loaded(browser: Any, sample: Any) -> Iterator[Loaded]:
    url = sample.html.as_uri()
    page = Loaded(browser, url, 1280)
    yield page
    page.context.close()


def test_no_request_leaves_the_page_and_no_console_error(loaded: Loaded, sample: Any) -> None:
    assert loaded.requests == [sample.html.as_uri()]
    assert loaded.errors == []
    assert loaded.page.locator("script").count() == 0


def test_every_chart_is_drawn(loaded: Loaded, sample: Any) -> None:
    figures = loaded.page.locator("figure")
    with_data = {r["kpi"] for r in sample.trend if r["group"] == "ALL" and r["value"] != ""}
    charts = loaded.page.locator("figure .chart svg")
    # a chart per KPI with data in the 12 months, the waterfall, the two Paretos
    assert charts.count() == len(with_data) + 3
    for i in range(charts.count()):
        box = charts.nth(i).bounding_box()
        assert box is not None and box["width"] > 50 and box["height"] > 50, i
    for i in range(figures.count()):
        figure = figures.nth(i)
        assert figure.locator("figcaption .ftitle").inner_text().strip()  # a title
        if figure.locator(".chart").count():
            described = figure.locator(".chart").get_attribute("aria-describedby")
            alternative = loaded.page.locator(f"#{described}").inner_text()
            assert re.search(r"\d", alternative), described  # a text alternative with the numbers


def _by(rows: list[dict[str, str]], *keys: str) -> dict[tuple[str, ...], dict[str, str]]:
    return {tuple(r[k] for k in keys): r for r in rows}


def test_every_number_equals_the_csv_of_the_same_run(loaded: Loaded, sample: Any) -> None:
    long = _by(sample.long, "group", "kpi")
    wide = _by(sample.wide, "group")
    trend = _by(sample.trend, "period", "group", "kpi")
    reasons = {
        "reasons-mrr": _by(sample.reasons_mrr, "group", "reason"),
        "reasons-logos": _by(sample.reasons_logos, "group", "reason"),
    }
    drivers = _by(sample.drivers, "indicator")
    marked = loaded.page.eval_on_selector_all(
        "span.n", "els => els.map(e => ({text: e.textContent, data: Object.assign({}, e.dataset)}))"
    )
    assert len(marked) > 500
    seen_sources = set()
    for item in marked:
        data, text = item["data"], item["text"]
        src, field = data["src"], data["field"]
        seen_sources.add(src)
        if src == "score":
            row = (
                wide[(data["group"],)] if field in ("score", "rank") else long[(data.get("group", "ALL"), data["kpi"])]
            )
        elif src == "trend":
            row = trend[(data["period"], data["group"], data["kpi"])]
        elif src in reasons:
            row = reasons[src][(data["group"], data["reason"])]
        elif src == "drivers":
            row = drivers[(data["indicator"],)]
        else:
            assert src == "derived" and data["field"] == "derived"
            continue
        expected = number(row[field])
        raw = number(data["raw"])
        assert raw == expected, (data, row[field])
        if expected is None:
            assert text.strip() in ("", "—"), data
        else:
            assert close_enough(text, expected, int(data["scale"])), (text, expected, data)
    assert seen_sources == {"score", "trend", "reasons-mrr", "reasons-logos", "drivers", "derived"}


def test_the_waterfall_adds_up_to_the_end_mrr(loaded: Loaded, sample: Any) -> None:
    long = _by(sample.long, "group", "kpi")
    start = float(long[("ALL", "nrr")]["denominator"])
    moves = {
        m: float(long[("ALL", f"mrr_{m}")]["value"])
        for m in ("new", "reactivation", "expansion", "contraction", "churn")
    }
    end = start + moves["new"] + moves["reactivation"] + moves["expansion"] - moves["contraction"] - moves["churn"]
    shown = loaded.page.locator('tr[data-step="end"] span.n')
    assert float(shown.get_attribute("data-raw") or "nan") == pytest.approx(end, abs=1e-6)
    assert shown.inner_text() == f"{round(end):,.0f}"


def test_no_table_cell_holds_a_number_that_is_not_marked(loaded: Loaded) -> None:
    texts = loaded.page.eval_on_selector_all(
        "main td",
        """els => els.map(td => { const c = td.cloneNode(true);
            c.querySelectorAll('span.n').forEach(n => n.remove()); return c.textContent; })""",
    )
    assert texts
    for text in texts:
        assert not re.search(r"\d", text), text


@pytest.mark.parametrize("width", [390, 1280])
def test_screenshots_are_not_blank(browser: Any, sample: Any, width: int) -> None:
    page = Loaded(browser, sample.html.as_uri(), width)
    try:
        assert page.errors == []
        assert png_colours(page.page.screenshot(full_page=False)) >= 3
        # at a phone's width nothing but the scrolling tables is wider than the screen
        overflow = page.page.evaluate("document.documentElement.scrollWidth")
        assert overflow <= width
        charts = page.page.locator("figure .chart svg")
        charts.first.scroll_into_view_if_needed()
        assert png_colours(charts.first.screenshot()) >= 3
    finally:
        page.context.close()


def _pages(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page(?![s\w])", pdf))


@pytest.mark.parametrize("paper", ["A4", "Letter"])
def test_pdf_has_the_expected_pages(loaded: Loaded, sample: Any, paper: str) -> None:
    kpis = len({r["kpi"] for r in sample.long})
    groups = len({r["group"] for r in sample.long} - {"ALL"})
    reasons = len([r for r in sample.reasons_mrr if r["group"] == "ALL"])
    expected = (
        max(1, math.ceil(kpis / DEPARTMENT_ROWS))  # title and the department's scorecard
        + math.ceil(groups / GROUPS_PER_TABLE) * math.ceil(kpis / ROWS_PER_TABLE)  # the groups' tables
        + math.ceil(kpis / CHARTS_PER_SHEET)  # the trend charts
        + 1  # the waterfall
        + 1
        + math.ceil(max(0, reasons - REASONS_FIRST) / REASONS_ROWS)  # the Paretos, the reasons' table
        + math.ceil(len(sample.drivers) / DRIVERS_ROWS)  # the drivers table
    )
    assert expected == 15  # 9 groups, 30 KPIs: the arithmetic above, checked once by hand
    loaded.page.emulate_media(media="print")
    try:
        assert _pages(loaded.page.pdf(format=paper)) == expected
    finally:
        loaded.page.emulate_media(media="screen")


def test_a_big_config_prints_on_the_pages_its_counts_say(browser: Any, tmp_path: Any) -> None:
    """Nearly 60 KPI rows (the config's KPIs twice, long labels): the department's table takes two pages."""
    import re as re_

    from report_support import ROOT, SAMPLE, ok, rows

    text = (ROOT / "configs" / "kpis.yaml").read_text(encoding="utf-8")
    twins = [
        re_.sub(r"\{id: (\w+)", r"{id: \1_twin", line).replace(
            "label: ", "label: The same again under a longer label - "
        )
        for line in text.splitlines()
        if line.startswith("  - {id:")
    ]
    config = tmp_path / "kpis.yaml"
    config.write_text(text.rstrip("\n") + "\n" + "\n".join(twins) + "\n", encoding="utf-8")
    common = ("--config", str(config), "--data", str(ROOT / "sample_data"), *SAMPLE)
    out = tmp_path / "big.html"
    ok("report", *common, "--top", "0", "--output", str(out), "--quiet")
    ok("score", *common, "--layout", "long", "--output", str(tmp_path / "big.csv"), "--quiet")
    drivers_args = ("--period", "2026-Q1", "--as-of", "2026-10-15", "--format", "csv")
    ok(
        "drivers",
        "--config",
        str(config),
        "--data",
        str(ROOT / "sample_data"),
        *drivers_args,
        "-o",
        str(tmp_path / "d.csv"),
    )
    indicators = len(rows(tmp_path / "d.csv"))
    assert indicators > DRIVERS_ROWS  # the drivers table needs a second page
    long = rows(tmp_path / "big.csv")
    kpis, groups = len({r["kpi"] for r in long}), len({r["group"] for r in long} - {"ALL"})
    assert kpis > DEPARTMENT_ROWS  # the department table needs a second page
    expected = (
        math.ceil(kpis / DEPARTMENT_ROWS)
        + math.ceil(groups / GROUPS_PER_TABLE) * math.ceil(kpis / ROWS_PER_TABLE)
        + math.ceil(kpis / CHARTS_PER_SHEET)
        + 2  # the waterfall; the Paretos (and the few reasons of the sample)
        + math.ceil(indicators / DRIVERS_ROWS)
    )
    page = Loaded(browser, out.as_uri(), 1280)
    try:
        assert page.errors == [] and page.requests == [out.as_uri()]
        page.page.emulate_media(media="print")
        for paper in ("A4", "Letter"):
            assert _pages(page.page.pdf(format=paper)) == expected, paper
    finally:
        page.context.close()


def test_many_churn_reasons_chart_the_top_and_list_every_one(browser: Any, build: Any) -> None:
    """70 accounts churn in 2026-Q3, each with its own reason: charts of the top 12, a table of all 70 over 3 pages."""
    accounts = "account_id,csm_id,churn_reason\n" + "".join(f"A{i:03d},alice,reason {i:03d}\n" for i in range(70))
    mrr = "account_id,month,mrr\n" + "".join(f"A{i:03d},2026-06,{100 + i}\nA{i:03d},2026-09,0\n" for i in range(70))
    config = build(
        kpis="""
        version: 1
        data: {dir: data}
        kpis:
          - {id: logo_churn, metric: churn, label: Logo churn, params: {basis: logos}, target: 0.03, better: lower}
        """,
        accounts=accounts,
        csms="csm_id,csm_name\nalice,Alice\n",
        mrr=mrr,
    )
    from report_support import SAMPLE, ok

    out = config.parent / "reasons.html"
    ok("report", "--config", str(config), *SAMPLE, "--output", str(out), "--quiet")
    page = Loaded(browser, out.as_uri(), 1280)
    try:
        assert page.errors == []
        assert page.page.locator("table.reasons-table tbody tr").count() == 70
        for name in ("mrr", "logos"):
            assert page.page.locator(f"#pareto-{name}-alt .pt").count() == REASONS_CHARTED
        # the department, alice's table, the one trend chart, the waterfall, the reasons, the drivers line
        expected = 1 + 1 + 1 + 1 + (1 + math.ceil((70 - REASONS_FIRST) / REASONS_ROWS)) + 1
        page.page.emulate_media(media="print")
        for paper in ("A4", "Letter"):
            assert _pages(page.page.pdf(format=paper)) == expected, paper
    finally:
        page.context.close()
