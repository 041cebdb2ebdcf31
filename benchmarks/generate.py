"""Generate the csmkpi benchmark data set: the SPEC §2 tables at three sizes.

    python benchmarks/generate.py --size S|M|L [--out benchmarks/data/S]

Sizes (accounts): S 20,000, M 200,000, L 1,000,000; 36 months of MRR (2023-10 to 2026-09). Per paying account and
month there are on average about 1.3 tickets, 0.5 survey responses, 1.1 activities and 0.15 opportunities, so L
has tens of millions of rows per event table.

The generator is seeded and deterministic and has no per-row Python loop: every random draw is a hash of a row key
(``Expr.hash(seed)``) turned into a uniform number, and every table is built with vectorised Polars expressions,
50,000 accounts at a time, appended to the CSV files. Because each draw depends only on the row's key (account
index, month, event number) and not on the chunking or the thread count, the same size and seed always write
byte-identical files with the same Polars version (Polars does not promise its hash to be stable across
versions; ``manifest.json`` records the version used).

Realistic shapes, after ``sample_data/generate.py``: Enterprise / Mid-Market / SMB accounts with different MRR,
ticket and touch rates; 1 CSM per ~65 accounts (teams of 8, a manager per 2 teams, some CSMs without accounts);
new logos through the window; churn with explicit 0 rows or missing rows afterwards; reactivations; expansions
and contractions; ownership changes in ``assignments.csv`` (with gaps that fall back to ``accounts.csm_id``);
unassigned accounts; open tickets, empty contacts and reopened flags; CSAT after tickets and NPS all year;
expansion / renewal / new-business opportunities from csm, sales, marketing and partner; churn reasons on 70% of
the churned accounts and loss reasons on 75% of the lost deals, in a few spellings; a few enum values in
upper case (``CSAT``, ``CSM``) and a few orphan tickets whose account is not in accounts.csv. Product usage has a
row per account and month of the window (M: 200,000 x 36 = 7.2 million rows): seats bought with the MRR, active users
ramping up after the contract start, Enterprise using about half its seats; milestones are mostly reached by the
accounts onboarded within 30 days, and ~5% are logged twice (capitalised).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from datetime import date, datetime
from pathlib import Path
from typing import IO

import polars as pl

from csmkpi.sample import HEADERS  # the canonical headers, from the data contract

SEED = 20261015
SIZES = {"S": 20_000, "M": 200_000, "L": 1_000_000}
CHUNK = 50_000  # accounts per chunk: bounds memory; draws do not depend on it
ACCOUNTS_PER_CSM = 65
MONTHS = 36
FIRST_YEAR, FIRST_MONTH = 2023, 10  # month index 0 = 2023-10, 35 = 2026-09
EXPORT_DAY = date(2026, 10, 15)  # nothing in the files happens on or after this day
EPOCH = date(1970, 1, 1)

SEGMENTS = ("Enterprise", "Mid-Market", "SMB")
SEGMENT_CUT = (0.15, 0.50)  # cumulative shares of Enterprise, Mid-Market; rest SMB
REGIONS = (("NA", 0.45), ("EMEA", 0.30), ("APAC", 0.18), ("LATAM", 0.07))
BASE_MRR = (12_000.0, 3_000.0, 700.0)  # median start MRR per segment
CHURN_HAZARD = (0.006, 0.010, 0.018)  # monthly
TICKET_RATE = (2.6, 1.5, 0.85, 0.3)  # per paying month per segment; last: a month with an explicit 0 row
NPS_RATE = (0.25, 0.2, 0.15, 0.05)
ACTIVITY_RATE = (2.2, 1.2, 0.75, 0.1)
CSAT_SHARE = 0.28  # resolved tickets that get a CSAT response
CSAT_WEIGHTS = (4, 6, 10, 30, 50)  # scores 1..5
NPS_WEIGHTS = (1, 1, 1, 2, 2, 3, 4, 8, 14, 22, 20)  # scores 0..10
ACTIVITY_TYPES = (
    ("check_in", 0.55),
    ("qbr", 0.12),
    ("ebr", 0.04),
    ("onboarding", 0.05),
    ("roi_review", 0.04),
    ("product_feedback", 0.20),
)
SEAT_PRICE = (40.0, 45.0, 50.0)  # MRR per licensed seat, per segment: seats follow MRR
UTILISATION = ((0.38, 0.66), (0.70, 0.92), (0.86, 1.14))  # share of seats in use per segment (low, high)
RAMP_MONTHS = 4  # months after the contract start to reach full use
# milestone -> (chance, first day, last day) after contract_start when onboarded within 30 days, and when later
MILESTONES = (
    ("admin_trained", (0.97, 3, 35), (0.80, 30, 90)),
    ("first_report", (0.92, 14, 100), (0.70, 45, 200)),
    ("integration_live", (0.88, 40, 175), (0.65, 110, 330)),
    ("deployed_sso", (0.80, 20, 150), (0.50, 60, 280)),
)
SOURCES = {
    "expansion": (("csm", 0.45), ("sales", 0.30), ("marketing", 0.15), ("partner", 0.10)),
    "renewal": (("csm", 0.70), ("sales", 0.30)),
    "new_business": (("sales", 0.60), ("marketing", 0.25), ("partner", 0.10), ("csm", 0.05)),
}

# Why churned accounts left (accounts.churn_reason) and lost deals were lost (opportunities.loss_reason), as a
# CRM exports them: a few spellings and a multi-select value; some are left empty (drawn apart).
CHURN_REASONS = (
    ("Too expensive", 0.30),
    ("Switched to competitor", 0.25),
    ("budget cuts", 0.15),
    ("Product gaps", 0.20),
    ("Price;Support", 0.10),
)
LOSS_REASONS = (("No budget", 0.30), ("Timing", 0.25), ("Lost to competitor", 0.30), ("Too expensive", 0.15))


def _days(d: date) -> int:
    return (d - EPOCH).days


def _month_start(m: int) -> date:
    y, mo = divmod(FIRST_MONTH - 1 + m, 12)
    return date(FIRST_YEAR + y, mo + 1, 1)


MONTH_START = [_days(_month_start(m)) for m in range(MONTHS + 1)]  # epoch days
MONTH_DAYS = [MONTH_START[m + 1] - MONTH_START[m] for m in range(MONTHS)]
MONTH_LABEL = [_month_start(m).strftime("%Y-%m") for m in range(MONTHS)]
WINDOW_START = MONTH_START[0]
WINDOW_END = MONTH_START[MONTHS] - 1  # 2026-09-30
EXPORT = _days(EXPORT_DAY)
EXPORT_S = EXPORT * 86_400
PRE_WINDOW_START = _days(date(2017, 1, 1))


# ------------------------------------------------------------------ random draws from hashed keys


def uniform(key: pl.Expr, stream: int) -> pl.Expr:
    """A uniform draw in [0, 1) that depends only on the row key and the stream number."""
    return (key.hash(seed=SEED + 7919 * stream) // 2048).cast(pl.Float64) * 2.0**-53


def exponential(key: pl.Expr, stream: int, mean: float | pl.Expr) -> pl.Expr:
    """An exponential draw with the given mean."""
    return -(1.0 - uniform(key, stream)).log() * mean


def normal(key: pl.Expr, stream: int) -> pl.Expr:
    """A standard normal draw (Box-Muller from two streams)."""
    radius = (-2.0 * (1.0 - uniform(key, stream)).log()).sqrt()
    return radius * (2.0 * math.pi * uniform(key, stream + 1)).cos()


def pick(u: pl.Expr, choices: tuple[tuple[str, float], ...]) -> pl.Expr:
    """Map a uniform draw to a label by cumulative shares."""
    expr: pl.Expr | None = None
    total = 0.0
    for label, share in choices[:-1]:
        total += share
        expr = (pl.when(u < total) if expr is None else expr.when(u < total)).then(pl.lit(label))  # type: ignore[union-attr]
    assert expr is not None
    return expr.otherwise(pl.lit(choices[-1][0]))


def weighted_int(u: pl.Expr, weights: tuple[int, ...], first: int) -> pl.Expr:
    """Map a uniform draw to first, first+1, ... with the given weights."""
    total = sum(weights)
    cumulative = 0
    expr = pl.lit(0, pl.Int64)
    for weight in weights[:-1]:
        cumulative += weight
        expr = expr + (u >= cumulative / total).cast(pl.Int64)
    return expr + first


def poisson(u: pl.Expr, rate_code: pl.Expr, rates: tuple[float, ...], cap: int = 24) -> pl.Expr:
    """A Poisson count by inverse CDF; ``rate_code`` indexes ``rates``."""
    terms = []
    for k in range(cap):
        thresholds = []
        for rate in rates:
            cdf = sum(math.exp(-rate) * rate**i / math.factorial(i) for i in range(k + 1))
            thresholds.append(cdf)
        threshold = pl.lit(thresholds[-1])
        for code in range(len(rates) - 2, -1, -1):
            threshold = pl.when(rate_code == code).then(thresholds[code]).otherwise(threshold)
        terms.append((u >= threshold).cast(pl.Int64))
    return pl.sum_horizontal(terms)


def ident(prefix: str, number: pl.Expr, width: int) -> pl.Expr:
    """``A0000042``-style identifiers."""
    return pl.lit(prefix) + number.cast(pl.String).str.zfill(width)


def as_date(days: pl.Expr) -> pl.Expr:
    """Epoch days to a Date."""
    return days.cast(pl.Int32).cast(pl.Date)


def as_datetime(seconds: pl.Expr) -> pl.Expr:
    """Epoch seconds to a Datetime (written without fraction or offset)."""
    return (seconds * 1000).cast(pl.Int64).cast(pl.Datetime("ms"))


def month_lookup(m: pl.Expr, values: list[int]) -> pl.Expr:
    """Look up a per-month constant by month index."""
    return m.replace_strict(list(range(len(values))), values, return_dtype=pl.Int64)


def uppercase_some(text: pl.Expr, key: pl.Expr, stream: int, share: float) -> pl.Expr:
    """Write a small share of enum-like values in upper case (matched case-insensitively)."""
    return pl.when(uniform(key, stream) < share).then(text.str.to_uppercase()).otherwise(text)


# ------------------------------------------------------------------ tables


def csms(n_csms: int, n_idle: int) -> pl.DataFrame:
    """CSMs: teams of 8, a manager per two teams; the last ``n_idle`` own no accounts."""
    i = pl.int_range(0, n_csms + n_idle, dtype=pl.Int64)
    key = i.cast(pl.UInt64)
    return pl.select(
        csm_id=ident("C", i + 1, 5),
        csm_name=pl.lit("CSM ") + (i + 1).cast(pl.String).str.zfill(5),
        team=pl.lit("Team ") + (i // 8 + 1).cast(pl.String).str.zfill(4),
        manager=pl.lit("Manager ") + (i // 16 + 1).cast(pl.String).str.zfill(3),
        annual_cost=(80_000 + (uniform(key, 1) * 80_000).floor() * 1).cast(pl.Int64),
    )


def accounts(lo: int, hi: int, n_csms: int) -> pl.DataFrame:
    """Accounts lo..hi-1 with their hidden MRR-path parameters (dropped before writing)."""
    frame = pl.DataFrame({"idx": pl.int_range(lo, hi, dtype=pl.Int64, eager=True)})
    key = pl.col("idx").cast(pl.UInt64)
    u = {s: uniform(key, s) for s in range(1, 20)}
    seg = pl.when(u[1] < SEGMENT_CUT[0]).then(0).when(u[1] < SEGMENT_CUT[1]).then(1).otherwise(2)
    new_logo = u[4] >= 0.62  # starts inside the window, else before it
    start_m = (u[5] * MONTHS).floor().cast(pl.Int64)
    in_window_day = month_lookup(start_m, MONTH_START[:MONTHS]) + (u[6] * month_lookup(start_m, MONTH_DAYS)).floor()
    pre_window_day = PRE_WINDOW_START + (u[5] * (WINDOW_START - PRE_WINDOW_START)).floor()
    start_day = (
        pl.when(new_logo)
        .then(in_window_day)
        .otherwise(
            pl.when(u[7] < 0.03).then(None).otherwise(pre_window_day)  # legacy accounts without contract_start
        )
    )
    onboard_day = start_day + 5 + exponential(key, 30, 25.0).floor()
    hazard = pl.when(seg == 0).then(CHURN_HAZARD[0]).when(seg == 1).then(CHURN_HAZARD[1]).otherwise(CHURN_HAZARD[2])
    start_idx = pl.when(new_logo).then(start_m).otherwise(0)
    churn_idx = start_idx + 1 + ((1.0 - u[13]).log() / (1.0 - hazard).log()).floor().cast(pl.Int64)
    base = pl.when(seg == 0).then(BASE_MRR[0]).when(seg == 1).then(BASE_MRR[1]).otherwise(BASE_MRR[2])
    name = pl.lit("Customer ") + (pl.col("idx") + 1).cast(pl.String).str.zfill(7)
    frame = frame.with_columns(
        account_id=ident("A", pl.col("idx") + 1, 7),
        account_name=pl.when(u[2] < 0.001).then(name + pl.lit(', "Holdings" & Co.')).otherwise(name),
        csm_id=pl.when(u[3] < 0.015).then(None).otherwise(ident("C", (u[8] * n_csms).floor().cast(pl.Int64) + 1, 5)),
        segment=seg.replace_strict([0, 1, 2], list(SEGMENTS), return_dtype=pl.String),
        region=pick(u[9], REGIONS),
        start_day=start_day.cast(pl.Int64),
        onboard_day=pl.when((u[10] < 0.04) | (onboard_day >= EXPORT)).then(None).otherwise(onboard_day).cast(pl.Int64),
        referenceable=pl.when(u[11] < 0.08).then(None).otherwise(u[12] < 0.25),
        seg=seg,
        start_idx=start_idx,
        churn_idx=churn_idx,
        back_idx=pl.when((churn_idx < MONTHS) & (u[14] < 0.15))
        .then(churn_idx + 2 + (u[15] * 10).floor())
        .cast(pl.Int64),
        zero_rows=(u[16] * 4).floor().cast(pl.Int64),
        churn_reason=pl.when((churn_idx < MONTHS) & (u[18] >= 0.3)).then(pick(u[19], CHURN_REASONS)),
        base=base * (0.55 * normal(key, 17)).exp(),
    )
    return frame


def mrr_grid(acc: pl.DataFrame) -> pl.DataFrame:
    """One row per account and month written to mrr.csv: paying months and explicit 0 rows after churn."""
    grid = (
        acc.select("idx", "account_id", "seg", "start_idx", "churn_idx", "back_idx", "zero_rows", "base")
        .with_columns(m=pl.int_ranges(pl.col("start_idx"), MONTHS))
        .explode("m")
        .drop_nulls("m")
    )
    am = (pl.col("idx") * MONTHS + pl.col("m")).cast(pl.UInt64)
    u = uniform(am, 40)
    step = (
        pl.when(pl.col("m") == pl.col("start_idx"))
        .then(0.0)
        .when(u < 0.025)
        .then((1.05 + 0.35 * uniform(am, 41)).log())
        .when(u < 0.040)
        .then((0.70 + 0.25 * uniform(am, 41)).log())
        .otherwise(0.0)
    )
    back = pl.col("back_idx").fill_null(MONTHS + 99)
    paying = (pl.col("m") < pl.col("churn_idx")) | (pl.col("m") >= back)
    zero = ~paying & (pl.col("m") < pl.col("churn_idx") + pl.col("zero_rows")) & (pl.col("m") < back)
    return (
        grid.with_columns(step=step, paying=paying, zero=zero)
        .filter(pl.col("paying") | pl.col("zero"))
        .with_columns(
            mrr=pl.when(pl.col("paying"))
            .then((pl.col("base") * pl.col("step").cum_sum().over("idx").exp()).round(2))
            .otherwise(0.0),
            rate=pl.when(pl.col("paying")).then(pl.col("seg")).otherwise(3),
        )
        .select("idx", "account_id", "m", "mrr", "seg", "rate", "paying")
    )


def explode_counts(grid: pl.DataFrame, stream: int, rates: tuple[float, ...]) -> pl.DataFrame:
    """One row per event: a Poisson count per account-month, exploded; ``key`` is unique per event."""
    am = (pl.col("idx") * MONTHS + pl.col("m")).cast(pl.UInt64)
    return (
        grid.with_columns(n=poisson(uniform(am, stream), pl.col("rate"), rates))
        .filter(pl.col("n") > 0)
        .with_columns(j=pl.int_ranges(0, pl.col("n")))
        .explode("j")
        .with_columns(key=((pl.col("idx") * MONTHS + pl.col("m")) * 32 + pl.col("j")).cast(pl.UInt64))
    )


def moment_in_month(key: pl.Expr, stream: int, hours: tuple[int, int] | None = None) -> pl.Expr:
    """Epoch seconds of a moment in month m (any time, or between two hours of the day)."""
    start = month_lookup(pl.col("m"), MONTH_START[:MONTHS]) * 86_400
    if hours is None:
        return start + (uniform(key, stream) * month_lookup(pl.col("m"), MONTH_DAYS) * 86_400).floor().cast(pl.Int64)
    day = (uniform(key, stream) * month_lookup(pl.col("m"), MONTH_DAYS)).floor().cast(pl.Int64)
    minute = (uniform(key, stream + 1) * (hours[1] - hours[0]) * 60).floor().cast(pl.Int64)
    return start + day * 86_400 + (hours[0] * 60 + minute) * 60


def tickets(grid: pl.DataFrame) -> pl.DataFrame:
    """Tickets: opened in the month; ~3% still open; contacts and reopened sometimes empty."""
    rows = explode_counts(grid, 50, TICKET_RATE)
    key = pl.col("key")
    opened = moment_in_month(key, 51)
    hours = (math.log(8.0) + 1.3 * normal(key, 52)).exp()
    resolved = pl.col("opened_s") + (hours * 3600).floor().cast(pl.Int64).clip(lower_bound=60)
    contacts = 1 + ((1.0 - uniform(key, 54)).log() / math.log(0.55)).floor().cast(pl.Int64)
    return (
        rows.with_columns(opened_s=opened)
        .with_columns(
            resolved_s=pl.when((uniform(key, 53) < 0.03) | (resolved >= EXPORT_S)).then(None).otherwise(resolved)
        )
        .select(
            "idx",
            "account_id",
            "key",
            "opened_s",
            "resolved_s",
            contacts=pl.when(uniform(key, 55) < 0.02)
            .then(None)
            .when(uniform(key, 55) < 0.07)
            .then(0)
            .otherwise(contacts.clip(upper_bound=12)),
            reopened=pl.when(uniform(key, 56) < 0.03).then(None).otherwise(uniform(key, 57) < 0.07),
        )
    )


def surveys(ticket_rows: pl.DataFrame, grid: pl.DataFrame) -> pl.DataFrame:
    """CSAT responses after resolved tickets and NPS responses all year."""
    key = pl.col("key")
    csat = (
        ticket_rows.filter(pl.col("resolved_s").is_not_null() & (uniform(key, 60) < CSAT_SHARE))
        .with_columns(responded_s=pl.col("resolved_s") + exponential(key, 61, 12 * 3600.0).floor().cast(pl.Int64))
        .filter(pl.col("responded_s") < EXPORT_S)
        .select(
            "idx",
            "account_id",
            survey=uppercase_some(pl.lit("csat"), key, 62, 0.01),
            responded_s="responded_s",
            score=weighted_int(uniform(key, 63), CSAT_WEIGHTS, 1),
            order=pl.lit(0),
            key=key,
        )
    )
    nps = explode_counts(grid, 64, NPS_RATE).select(
        "idx",
        "account_id",
        survey=uppercase_some(pl.lit("nps"), key, 65, 0.01),
        responded_s=moment_in_month(key, 66),
        score=weighted_int(uniform(key, 67), NPS_WEIGHTS, 0),
        order=pl.lit(1),
        key=key,
    )
    return pl.concat([csat, nps]).sort("idx", "order", "key").drop("order", "key")


def opportunities(acc: pl.DataFrame, grid: pl.DataFrame) -> pl.DataFrame:
    """Expansion, renewal (contract anniversaries) and new-business deals; open ones have no closed_at."""
    am = (pl.col("idx") * MONTHS + pl.col("m")).cast(pl.UInt64)
    paying = grid.filter(pl.col("paying")).join(acc.select("idx", "start_day", "start_idx"), on="idx")
    start_month = (pl.col("start_day") - WINDOW_START).cast(
        pl.Int64
    ) // 31  # approximate month of contract_start relative to the window (anniversaries only)
    anniversary = pl.when(pl.col("start_day").is_null()).then(pl.col("idx") % 12).otherwise(start_month % 12)
    kinds = paying.with_columns(
        expansion=uniform(am, 70) < 0.04,
        renewal=((pl.col("m") - anniversary) % 12) == 11,
        new_business=((pl.col("m") == pl.col("start_idx")) & (pl.col("start_day") >= WINDOW_START))
        | (uniform(am, 71) < 0.005),
    )
    parts = []
    for number, kind in enumerate(("expansion", "renewal", "new_business")):
        parts.append(
            kinds.filter(pl.col(kind)).select(
                "idx", "account_id", "m", "mrr", type=pl.lit(kind), key=(am * 4 + number).cast(pl.UInt64)
            )
        )
    rows = pl.concat(parts).sort("idx", "m", "key")
    key = pl.col("key")
    created = month_lookup(pl.col("m"), MONTH_START[:MONTHS]) + (
        uniform(key, 72) * month_lookup(pl.col("m"), MONTH_DAYS)
    ).floor().cast(pl.Int64)
    closed = pl.col("created_day") + 7 + exponential(key, 73, 40.0).floor().cast(pl.Int64)
    stage_u = uniform(key, 74)
    stage = (
        pl.when(stage_u < 0.55).then(pl.lit("won")).when(stage_u < 0.90).then(pl.lit("lost")).otherwise(pl.lit("open"))
    )
    factor = pl.when(pl.col("type") == "expansion").then(0.1 + 0.4 * uniform(key, 75)).otherwise(1.0)
    source = (
        pl.when(pl.col("type") == "expansion")
        .then(pick(uniform(key, 76), SOURCES["expansion"]))
        .when(pl.col("type") == "renewal")
        .then(pick(uniform(key, 76), SOURCES["renewal"]))
        .otherwise(pick(uniform(key, 76), SOURCES["new_business"]))
    )
    return (
        rows.with_columns(created_day=created)
        .with_columns(closed_day=closed, stage=stage)
        .with_columns(stage=pl.when(pl.col("closed_day") >= EXPORT).then(pl.lit("open")).otherwise(pl.col("stage")))
        .select(
            "idx",
            "account_id",
            type=uppercase_some(pl.col("type"), key, 77, 0.005),
            source=uppercase_some(source, key, 78, 0.01),
            stage="stage",
            created_day="created_day",
            closed_day=pl.when(pl.col("stage") == "open").then(None).otherwise(pl.col("closed_day")),
            amount=pl.when(uniform(key, 79) < 0.03).then(None).otherwise((12 * pl.col("mrr") * factor).round(2)),
            loss_reason=pl.when((pl.col("stage") == "lost") & (uniform(key, 87) >= 0.25)).then(
                pick(uniform(key, 88), LOSS_REASONS)
            ),
        )
    )


def usage(acc: pl.DataFrame, grid: pl.DataFrame) -> pl.DataFrame:
    """Product usage: every account in every month of the window (200,000 accounts x 36 months for M).

    A paying month has licensed seats bought with its MRR and active users ramping up over the first months;
    any other month (before the contract, after churn) has 0 active users and no seat count. Enterprise
    uses about half its seats, SMB sometimes more than it pays for.
    """
    months = pl.DataFrame({"m": pl.int_range(0, MONTHS, dtype=pl.Int64, eager=True)})
    paying = grid.filter(pl.col("paying")).select("idx", "m", "mrr")
    rows = (
        acc.select("idx", "account_id", "seg", "start_idx")
        .join(months, how="cross")
        .join(paying, on=["idx", "m"], how="left")
    )
    account, am = pl.col("idx").cast(pl.UInt64), (pl.col("idx") * MONTHS + pl.col("m")).cast(pl.UInt64)
    seg = pl.col("seg")
    low = pl.when(seg == 0).then(UTILISATION[0][0]).when(seg == 1).then(UTILISATION[1][0]).otherwise(UTILISATION[2][0])
    high = pl.when(seg == 0).then(UTILISATION[0][1]).when(seg == 1).then(UTILISATION[1][1]).otherwise(UTILISATION[2][1])
    price = pl.when(seg == 0).then(SEAT_PRICE[0]).when(seg == 1).then(SEAT_PRICE[1]).otherwise(SEAT_PRICE[2])
    seats = (pl.col("mrr") / price).round(0).clip(lower_bound=1).cast(pl.Int64)
    ramp = ((pl.col("m") - pl.col("start_idx") + 1) / RAMP_MONTHS).clip(0.2, 1.0)
    share = (low + (high - low) * uniform(account, 100)) * ramp * (0.93 + 0.14 * uniform(am, 101))
    return (
        rows.sort("idx", "m")
        .with_columns(licensed_seats=pl.when(pl.col("mrr") > 0).then(seats))
        .select(
            "idx",
            "account_id",
            "m",
            active_users=(pl.col("licensed_seats") * share).round(0).cast(pl.Int64).fill_null(0),
            licensed_seats="licensed_seats",
        )
    )


def milestones(acc: pl.DataFrame) -> pl.DataFrame:
    """Adoption milestones of onboarded accounts: mostly reached by those onboarded within 30 days.

    About 5% are logged a second time later, capitalised (``First_Report``): the earliest counts.
    """
    parts = []
    onboarded = acc.filter(pl.col("start_day").is_not_null() & pl.col("onboard_day").is_not_null())
    on_time = (pl.col("onboard_day") - pl.col("start_day")) <= 30
    for number, (name, (chance, first, last), (late_chance, late_first, late_last)) in enumerate(MILESTONES):
        key = (pl.col("idx") * 8 + number).cast(pl.UInt64)
        reached = pl.when(on_time).then(pl.lit(chance)).otherwise(pl.lit(late_chance)) > uniform(key, 110)
        low = pl.when(on_time).then(first).otherwise(late_first)
        span = pl.when(on_time).then(last - first + 1).otherwise(late_last - late_first + 1)
        day = pl.col("start_day") + low + (uniform(key, 111) * span).floor().cast(pl.Int64)
        rows = onboarded.filter(reached & ((pl.lit(name) != "deployed_sso") | (pl.col("seg") == 0))).select(
            "idx", "account_id", milestone=pl.lit(name), day=day, order=pl.lit(2 * number), key=key
        )
        again = rows.filter(uniform(pl.col("key"), 112) < 0.05).with_columns(
            milestone=pl.lit(name.title()),
            day=pl.col("day") + 20 + (uniform(pl.col("key"), 113) * 100).floor().cast(pl.Int64),
            order=pl.lit(2 * number + 1),
        )
        parts += [rows, again]
    return (
        pl.concat(parts)
        .filter(pl.col("day") < EXPORT)
        .sort("idx", "order")
        .select("idx", "account_id", "milestone", "day")
    )


def activities(grid: pl.DataFrame, n_csms: int) -> pl.DataFrame:
    """CSM touches in business hours; ~12% carry the csm_id of a colleague, the rest the owner (empty)."""
    rows = explode_counts(grid, 80, ACTIVITY_RATE)
    key = pl.col("key")
    return rows.select(
        "idx",
        "account_id",
        type=uppercase_some(pick(uniform(key, 81), ACTIVITY_TYPES), key, 82, 0.01),
        occurred_s=moment_in_month(key, 83, hours=(8, 18)),
        csm_id=pl.when(uniform(key, 85) < 0.12)
        .then(ident("C", (uniform(key, 86) * n_csms).floor().cast(pl.Int64) + 1, 5))
        .otherwise(None),
    )


def assignments(acc: pl.DataFrame, n_csms: int) -> pl.DataFrame:
    """Ownership history for ~6% of accounts: a previous owner until a change day, then the current one.

    A fifth of them have a gap before the change (those days fall back to accounts.csm_id); a third of the
    unassigned accounts had an owner until a day inside the window, and no current range.
    """
    key = pl.col("idx").cast(pl.UInt64)
    first = pl.max_horizontal(pl.col("start_day").fill_null(WINDOW_START - 400), pl.lit(WINDOW_START - 400))
    change = first + 30 + (uniform(key, 90) * (WINDOW_END - first - 30)).floor().cast(pl.Int64)
    previous = ident("C", (uniform(key, 91) * n_csms).floor().cast(pl.Int64) + 1, 5)
    gap = pl.when(uniform(key, 92) < 0.2).then(1 + (uniform(key, 93) * 20).floor().cast(pl.Int64)).otherwise(0)
    moved = acc.filter(pl.col("csm_id").is_not_null() & (uniform(key, 94) < 0.06)).with_columns(
        first=first, change=change, previous=previous, gap=gap
    )
    before = moved.select(
        "idx", "account_id", csm_id="previous", start="first", end=pl.col("change") - 1 - pl.col("gap"), order=pl.lit(0)
    )
    after = moved.select("idx", "account_id", "csm_id", start="change", end=pl.lit(None, pl.Int64), order=pl.lit(1))
    lost = acc.filter(pl.col("csm_id").is_null() & (uniform(key, 95) < 0.33)).select(
        "idx", "account_id", csm_id=previous, start=first, end=change, order=pl.lit(0)
    )
    return (
        pl.concat([before, after, lost])
        .filter(pl.col("end").is_null() | (pl.col("end") >= pl.col("start")))
        .sort("idx", "order")
        .select("account_id", "csm_id", start_date=as_date(pl.col("start")), end_date=as_date(pl.col("end")))
    )


# ------------------------------------------------------------------ writing


class Writer:
    """Appends chunks to one CSV per table, numbering event ids across chunks."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.handles: dict[str, IO[bytes]] = {}
        self.rows: dict[str, int] = {name: 0 for name in HEADERS}

    def write(self, table: str, frame: pl.DataFrame) -> None:
        """Append rows (in canonical column order) to ``table``'s file."""
        handle = self.handles.get(table)
        first = handle is None
        if handle is None:
            handle = (self.out / f"{table}.csv").open("wb")
            self.handles[table] = handle
        frame.select(HEADERS[table]).write_csv(
            handle,
            include_header=first,
            datetime_format="%Y-%m-%dT%H:%M:%S",
            date_format="%Y-%m-%d",
            float_precision=2,
        )
        self.rows[table] += frame.height

    def next_ids(self, table: str, prefix: str, width: int, count: int) -> pl.Series:
        """Sequential ids for the next ``count`` rows of ``table`` (ids continue across chunks)."""
        start = self.rows[table] + 1
        number = pl.int_range(start, start + count, dtype=pl.Int64)
        return pl.select(ident(prefix, number, width).alias("id")).to_series()

    def close(self) -> None:
        """Close every file."""
        for handle in self.handles.values():
            handle.close()


def generate(size: str, out: Path, *, quiet: bool = False) -> dict[str, int]:
    """Write every table of a size to ``out``; return the row counts."""
    n_accounts = SIZES[size]
    n_csms = max(1, round(n_accounts / ACCOUNTS_PER_CSM))
    n_idle = max(1, n_csms // 100)
    out.mkdir(parents=True, exist_ok=True)
    (out / "manifest.json").unlink(missing_ok=True)  # written last: its presence means "complete"
    writer = Writer(out)
    started = time.perf_counter()
    try:
        writer.write("csms", csms(n_csms, n_idle))
        for lo in range(0, n_accounts, CHUNK):
            hi = min(lo + CHUNK, n_accounts)
            acc = accounts(lo, hi, n_csms)
            writer.write(
                "accounts",
                acc.with_columns(
                    contract_start=as_date(pl.col("start_day")), onboarded_at=as_date(pl.col("onboard_day"))
                ),
            )
            writer.write("assignments", assignments(acc, n_csms))
            grid = mrr_grid(acc)
            writer.write("mrr", grid.with_columns(month=pl.col("m").replace_strict(list(range(MONTHS)), MONTH_LABEL)))
            t = tickets(grid)
            if lo == 0:  # a few tickets of an account that accounts.csv lacks: a warning, (unassigned)
                orphans = t.head(5).with_columns(account_id=pl.lit("A9999999"), key=pl.col("key") + (1 << 62))
                t = pl.concat([t, orphans])
            writer.write(
                "tickets",
                t.with_columns(
                    ticket_id=writer.next_ids("tickets", "T", 9, t.height),
                    opened_at=as_datetime(pl.col("opened_s")),
                    resolved_at=as_datetime(pl.col("resolved_s")),
                ),
            )
            s = surveys(t, grid)
            writer.write(
                "surveys",
                s.with_columns(
                    response_id=writer.next_ids("surveys", "R", 9, s.height),
                    responded_at=as_datetime(pl.col("responded_s")),
                ),
            )
            del s, t
            o = opportunities(acc, grid)
            writer.write(
                "opportunities",
                o.with_columns(
                    opportunity_id=writer.next_ids("opportunities", "OP", 9, o.height),
                    created_at=as_date(pl.col("created_day")),
                    closed_at=as_date(pl.col("closed_day")),
                ),
            )
            a = activities(grid, n_csms)
            writer.write(
                "activities",
                a.with_columns(
                    activity_id=writer.next_ids("activities", "AC", 9, a.height),
                    occurred_at=as_datetime(pl.col("occurred_s")),
                ),
            )
            u = usage(acc, grid)
            writer.write("usage", u.with_columns(month=pl.col("m").replace_strict(list(range(MONTHS)), MONTH_LABEL)))
            writer.write("milestones", milestones(acc).with_columns(achieved_at=as_date(pl.col("day"))))
            del a, o, u, grid, acc
            if not quiet:
                print(f"  accounts {hi:>9,} / {n_accounts:,}  ({time.perf_counter() - started:.0f} s)", file=sys.stderr)
    finally:
        writer.close()
    rows = dict(writer.rows)
    manifest = {
        "size": size,
        "seed": SEED,
        "accounts": n_accounts,
        "months": f"{MONTH_LABEL[0]}..{MONTH_LABEL[-1]}",
        "rows": rows,
        "bytes": {name: (out / f"{name}.csv").stat().st_size for name in HEADERS},
        "polars": pl.__version__,
        "generated_at": datetime.now().isoformat(timespec="seconds"),
        "seconds": round(time.perf_counter() - started, 1),
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return rows


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and write the data set."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--size", choices=sorted(SIZES), required=True, help="S 20k, M 200k, L 1M accounts")
    parser.add_argument("--out", type=Path, help="output folder (default: benchmarks/data/SIZE)")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    out = args.out or Path(__file__).resolve().parent / "data" / args.size
    started = time.perf_counter()
    rows = generate(args.size, out, quiet=args.quiet)
    if not args.quiet:
        for name, count in rows.items():
            print(f"{name}.csv: {count:,} rows")
        print(f"wrote {out} in {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
