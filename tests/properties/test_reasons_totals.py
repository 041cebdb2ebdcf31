"""Churn reasons add up to the churn metric (SPEC §8.3), on random small companies.

For every group of every dimension, the logos and lost MRR of ``csmkpi reasons`` equal the
numerators of ``churn`` with basis logos and revenue; the groups with churn are exactly the
groups with rows; every churned account has one reason (a multi-select value is one label).
The companies are those of ``test_invariants.py`` with churn and loss reasons added.
"""

from __future__ import annotations

from dataclasses import replace

import polars as pl
from hypothesis import given
from hypothesis import strategies as st
from test_invariants import AS_OF, DIMENSIONS, KPIS, Company, companies, examples, folder

from csmkpi import engine
from csmkpi.insights.reasons import reasons

LABELS = st.sampled_from(["", "  ", "Price", " price ", "PRICE;Support", "Too  expensive", "=1+2", "Café"])
WITH_REASONS = KPIS.replace("kpis:", 'reasons: {lookback_days: 30, map: {price: "Budget"}}\nkpis:')


@st.composite
def with_reasons(draw: st.DrawFn) -> Company:
    company = draw(companies())
    tables = dict(company.tables)
    columns, accounts = tables["accounts"]
    tables["accounts"] = ([*columns, "churn_reason"], [{**row, "churn_reason": draw(LABELS)} for row in accounts])
    columns, deals = tables["opportunities"]
    tables["opportunities"] = ([*columns, "loss_reason"], [{**row, "loss_reason": draw(LABELS)} for row in deals])
    return replace(company, tables=tables, kpis=WITH_REASONS)


@examples(10)
@given(company=with_reasons(), by=st.sampled_from(DIMENSIONS))
def test_reasons_add_up_to_the_churn_numerators_in_every_group(company: Company, by: str) -> None:
    with folder() as tmp:
        config = company.write(tmp)
        period, start, end = company.period
        request = engine.ScoreRequest(
            config=config, period=period, start=start, end=end, as_of=AS_OF, by=by, use_entry_points=False
        )
        card = engine.score(request).long_table()
        result = reasons(request)
    churn = {
        row["group"]: (row["numerator"], row["sample_size"])
        for row in card.filter(pl.col("kpi") == "logo_churn").iter_rows(named=True)
    }
    lost = {row["group"]: row["numerator"] for row in card.filter(pl.col("kpi") == "revenue_churn").iter_rows(named=True)}
    # Summed as the tool pools (exact decimals): 100 + 33.33 is 133.33, not 133.32999999999998.
    exact = pl.col("lost_mrr").cast(pl.Decimal(38, 10)).sum().cast(pl.Float64)
    totals = result.table().group_by("group").agg(pl.col("logos").sum(), exact)
    got = {row["group"]: (row["logos"], row["lost_mrr"]) for row in totals.iter_rows(named=True)}
    want = {group: (churned, lost[group]) for group, (churned, _) in churn.items() if churned}
    assert got == want, (got, want)
    assert result.churned.height == (churn["ALL"][0] or 0)
    assert result.churned["reason"].null_count() == 0
    shares = result.table().group_by("group").agg(pl.col("logo_share").sum(), pl.col("cum_logo_share").max())
    for row in shares.iter_rows(named=True):
        assert abs(row["logo_share"] - 1.0) < 1e-9 and row["cum_logo_share"] == 1.0
