"""Generate the bundled csmkpi sample data set (SPEC sections 2 to 4).

The data describes a small B2B software company, "Northwind Cloud": 8 CSMs in two
teams, 60 customer accounts and 24 months of MRR, tickets, surveys, opportunities
and CSM activities from 2024-11 to 2026-10. The output is deterministic: one seeded
``random.Random`` drives every choice, so two runs write byte-identical files.

Usage: ``python sample_data/generate.py [--out DIR]`` (default: this folder).
"""

from __future__ import annotations

import argparse
import csv
import io
import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from csmkpi.schemas import TABLES, table_spec

SEED = 20261015

# The canonical header of every table the sample writes (revenue as mrr.csv), in the data contract's order.
HEADERS: dict[str, tuple[str, ...]] = {table: tuple(table_spec(table)) for table in TABLES if table != "subscriptions"}

# csm_id, name, team, manager, annual cost. heidi joined recently and owns nothing.
CSMS: tuple[tuple[str, str, str, str, int], ...] = (
    ("alice", "Alice Johnson", "Enterprise", "Maria Lopez", 138000),
    ("bob", "Bob Martinez", "Enterprise", "Maria Lopez", 126500),
    ("carol", "Carol Chen", "Enterprise", "Maria Lopez", 131000),
    ("dave", "Dave Okoro", "Enterprise", "Maria Lopez", 119000),
    ("erin", "Erin Walsh", "Mid-Market", "Tom Becker", 104000),
    ("frank", "Frank Dubois", "Mid-Market", "Tom Becker", 112500),
    ("grace", "Grace Kim", "Mid-Market", "Tom Becker", 99500),
    ("heidi", "Heidi Schultz", "Mid-Market", "Tom Becker", 95000),
)
TEAM_OF = {row[0]: row[2] for row in CSMS}
ACTIVE_CSMS = ("alice", "bob", "carol", "dave", "erin", "frank", "grace")
OWNER_CYCLE = ("alice", "erin", "bob", "frank", "carol", "grace", "dave")

COMPANY_NAMES = (
    "Northwind Logistics", "Bluefin Analytics", "Harborview Health",
    "Crestline Manufacturing", "Summit Ridge Bank", "Pinecone Software",
    "Atlas Freight Group", "Lumen Retail", "Ironbridge Insurance",
    "Copperleaf Energy", "Silverline Telecom", "Granite Peak Capital",
    "Brightwater Foods", "Redwood Learning", "Keystone Legal",
    "Müller Präzision GmbH", "Orchid Hospitality", "Vantage Point Media",
    "Maple & Birch Interiors", "Helios Solar", "Nordlys Shipping AS",
    "Quarry Lane Construction", "Saffron Kitchen Co.", "Tidewater Marine",
    "Evergreen Property Partners", "Falcon Aerospace", "Smith, Barnes & Co.",
    "Kestrel Cybersecurity", "Meridian Pharma", "Oakhurst Dental Group",
    "Sakura Mobility K.K.", "Riverbend Credit Union", "Stonegate Apparel",
    "Polaris Data Labs", "Willow Creek Wellness", "Juniper Payments",
    "Horizon Travel", "Cobalt Robotics", "Bayside Veterinary",
    "Trailhead Outfitters", "Amberly Cosmetics", "Ridgeway Transport",
    "Clearwater Utilities", "Beacon Street Insurance", "Wildflower Bakery",
    "Sterling Precision Tools", "Lighthouse Nonprofit Network", "Prairie Grain Co-op",
    "Zephyr Games", "Aurora Biotech", "Cascade Recruiting",
    "Fjord Analytics", "Magnolia Events", "Osprey Security Services",
    "Driftwood Studios", "Larkspur Education", "Pemberton Wealth",
    "Quantum Leap Robotics", "Sunbird Travel Tech", "Yarrow Health Partners",
)  # fmt: skip


@dataclass(frozen=True)
class Plan:
    """Hand-picked facts for an edge-case account; None means "draw at random".

    ``start`` is the contract_start ("" = empty), ``onboard_days`` the days to
    onboarding (-1 = never), ``churn`` the first month with MRR 0, ``zero_rows``
    how many explicit 0 rows follow it, ``back`` the month paying resumes, and
    ``changes`` forced (month, fraction) MRR changes.
    """

    csm_id: str | None = None
    segment: str | None = None
    start: str | None = None
    onboard_days: int | None = None
    churn: str | None = None
    zero_rows: int = 0
    back: str | None = None
    changes: tuple[tuple[str, float], ...] = ()


PLANS: dict[str, Plan] = {
    "A002": Plan(start=""),
    "A003": Plan(segment="Enterprise", start="2023-02-06", changes=(("2026-08", 0.25),)),
    "A005": Plan(csm_id="dave", segment="Enterprise", start="2023-03-14"),
    "A008": Plan(start="2023-04-03", churn="2025-04"),
    "A012": Plan(
        csm_id="carol",
        segment="Enterprise",
        start="2023-06-01",
        changes=(("2026-08", -0.2),),
    ),
    "A014": Plan(start="2023-08-07", churn="2025-08", zero_rows=2),
    "A017": Plan(start="2023-08-03", churn="2026-08", zero_rows=3),
    "A019": Plan(start=""),
    "A020": Plan(csm_id="frank", segment="Mid-Market", start="2024-02-19"),
    "A021": Plan(segment="Mid-Market", start="2024-03-11", changes=(("2026-07", 0.3),)),
    "A025": Plan(start="2023-09-11", churn="2025-09", zero_rows=3, back="2026-08"),
    "A031": Plan(csm_id="alice", segment="Enterprise", start="2023-09-04"),
    "A033": Plan(start="2024-09-02", churn="2026-09", changes=(("2026-03", -0.25),)),
    "A038": Plan(csm_id="erin", segment="Mid-Market", start="2024-12-02"),
    "A040": Plan(start="2025-02-17", onboard_days=-1),
    "A041": Plan(start="2024-02-05", churn="2026-02", zero_rows=2),
    "A044": Plan(start="2024-05-20"),
    "A046": Plan(start=""),
    "A047": Plan(csm_id="", segment="SMB", start="2023-11-06"),
    "A049": Plan(start="2023-05-15", churn="2026-05", zero_rows=1),
    "A050": Plan(start="2025-01-13"),
    "A052": Plan(start="2024-12-09", churn="2025-12"),
    "A054": Plan(start="2026-06-22", onboard_days=17),
    "A055": Plan(start="2026-05-18", onboard_days=45),
    "A056": Plan(csm_id="", segment="SMB", start="2025-05-12"),
    "A057": Plan(start="2026-06-10", onboard_days=42),
    "A058": Plan(segment="Mid-Market", start="2026-07-15", onboard_days=20),
    "A059": Plan(csm_id="grace", segment="SMB", start="2026-09-01", onboard_days=-1),
}

# Ownership history: account, csm, start, end ("" = current). A031's history only
# starts in 2025 (CRM migration), so earlier dates fall back to accounts.csm_id.
# A056 lost its owner on 2026-07-01: no current range, accounts.csm_id is empty.
ASSIGNMENTS: tuple[tuple[str, str, str, str], ...] = (
    ("A005", "alice", "2023-03-14", "2025-03-31"),
    ("A005", "dave", "2025-04-01", ""),
    ("A012", "bob", "2023-06-01", "2026-07-31"),
    ("A012", "carol", "2026-08-01", ""),
    ("A020", "erin", "2024-02-19", "2025-10-31"),
    ("A020", "frank", "2025-11-01", ""),
    ("A031", "carol", "2025-01-01", "2026-01-14"),
    ("A031", "alice", "2026-01-15", ""),
    ("A038", "frank", "2024-12-02", "2025-06-30"),
    ("A038", "grace", "2025-07-01", "2026-03-31"),
    ("A038", "erin", "2026-04-01", ""),
    ("A056", "grace", "2025-05-12", "2026-06-30"),
)

# Quarters (account, first month of quarter) in which nobody touches the account.
NO_TOUCH_QUARTERS = (
    ("A013", "2025-10"),
    ("A039", "2025-04"),
    ("A044", "2026-07"),
    ("A050", "2026-07"),
)

# Tickets placed on period boundaries: account, opened, resolved, contacts, reopened.
FIXED_TICKETS: tuple[tuple[str, str, str, int, bool], ...] = (
    ("A003", "2026-06-30T16:40:00", "2026-07-01T09:15:00", 1, False),
    ("A021", "2026-06-29T11:05:00", "2026-07-02T14:30:00", 2, False),
    ("A012", "2026-06-30T22:10:00", "2026-07-01T00:00:00", 1, False),
    ("A044", "2026-06-26T09:30:00", "2026-07-06T17:45:00", 4, True),
    ("A017", "2026-08-05T10:00:00", "2026-08-06T12:20:00", 1, False),
    ("A010", "2026-09-30T17:20:00", "2026-10-01T08:45:00", 1, True),
    ("A999", "2026-08-12T10:20:00", "2026-08-12T15:02:00", 1, False),
)

# Opportunities placed by hand: account, type, source, stage, created, closed, ARR.
FIXED_OPPORTUNITIES: tuple[tuple[str, str, str, str, str, str, str], ...] = (
    ("A010", "expansion", "csm", "lost", "2026-06-02", "2026-08-19", ""),
    ("A027", "expansion", "sales", "lost", "2025-02-10", "2025-05-14", ""),
    ("A025", "new_business", "csm", "won", "2026-05-04", "2026-07-29", ""),
)

# Why churned accounts left (accounts.churn_reason), as a CRM exports it: messy case and spacing, a
# multi-select value, and some left empty, so that `csmkpi reasons` falls back to the lost renewal's
# loss_reason or reports (unknown). The bundled config's `reasons.map` folds the variants together.
CHURN_REASONS = {
    "A008": "Too expensive ",
    "A017": "  Switched to   COMPETITOR ",
    "A025": "budget cuts",
    "A041": "Price;Support",
    "A052": "",
}
# loss_reason of each lost renewal, by account. A049 has none (and no churn_reason): (unknown).
RENEWAL_LOSS_REASONS = {
    "A014": "Switched to competitor",
    "A017": "Went with an in-house tool",
    "A025": "Price",
    "A033": "TOO EXPENSIVE",
    "A041": "Too expensive",
    "A052": "Product gaps",
}
# loss_reason of lost expansion and new-business deals, in turn (empty: the rep left it blank).
DEAL_LOSS_REASONS = ("No budget", "Timing", "", "Lost to competitor", "Not a priority")

SEGMENT_MRR = {
    "Enterprise": (6000, 22000),
    "Mid-Market": (1500, 6000),
    "SMB": (500, 1500),
}
NEW_LOGO_MRR_CAP = 9500
MAX_MRR = 25000
TICKET_RATE = {"Enterprise": 1.85, "Mid-Market": 1.1, "SMB": 0.55}
# Days between check-ins: (high-touch share, high-touch gap, normal gap) per segment.
CHECKIN_CADENCE = {
    "Enterprise": (0.6, (5, 12), (12, 28)),
    "Mid-Market": (0.2, (5, 12), (16, 40)),
    "SMB": (0.0, (5, 12), (25, 75)),
}
NPS_WAVES = ("2025-03-10", "2025-09-08", "2026-03-09", "2026-09-14")
NPS_WEIGHTS = (1, 1, 1, 2, 2, 3, 4, 8, 14, 22, 20)
NPS_UNHAPPY = (4, 4, 5, 6, 6, 8, 8, 8, 5, 3, 2)
MAX_DEAL = 120000
EXPANSION_SOURCES = ("csm", "sales", "marketing", "partner")
NEW_LOGO_SOURCES = ("sales", "marketing", "partner", "csm")


def month_of(day: date) -> int:
    """Return a month index (year * 12 + month - 1) for a date."""
    return day.year * 12 + day.month - 1


def parse_month(text: str) -> int:
    """Return the month index of a ``YYYY-MM`` string."""
    year, month = text.split("-")
    return int(year) * 12 + int(month) - 1


def month_label(index: int) -> str:
    """Format a month index as ``YYYY-MM``."""
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def first_day(index: int) -> date:
    """Return the first day of a month index."""
    return date(index // 12, index % 12 + 1, 1)


def last_day(index: int) -> date:
    """Return the last day of a month index."""
    return first_day(index + 1) - timedelta(days=1)


FIRST_MONTH = parse_month("2024-11")
LAST_MONTH = parse_month("2026-10")
WINDOW_START = first_day(FIRST_MONTH)
WINDOW_END = last_day(LAST_MONTH)
EXPORT_END = datetime(2026, 10, 31, 23, 59, 59)


@dataclass
class Account:
    """A customer account and its monthly MRR rows (cents; a missing month is 0)."""

    account_id: str
    name: str
    csm_id: str
    segment: str
    region: str
    contract_start: date | None
    onboarded_at: date | None
    referenceable: bool | None
    mrr: dict[int, int] = field(default_factory=dict)
    churn_month: int | None = None

    def paying(self, month: int) -> bool:
        """Tell whether the account pays at the end of a month (also before 2024-11)."""
        if month < FIRST_MONTH:
            start = self.contract_start
            return start is None or month_of(start) <= month
        return self.mrr.get(month, 0) > 0

    def first_active_day(self) -> date:
        """Return the first day the account is a customer inside the window."""
        start = self.contract_start
        return WINDOW_START if start is None else max(WINDOW_START, start)


@dataclass(frozen=True)
class Expansion:
    """An MRR increase of an account in a month (cents)."""

    account_id: str
    month: int
    delta: int


@dataclass
class Ticket:
    """A support ticket."""

    account_id: str
    opened_at: datetime
    resolved_at: datetime | None
    contacts: int | None
    reopened: bool


@dataclass(frozen=True)
class Survey:
    """A CSAT or NPS response."""

    account_id: str
    survey: str
    responded_at: datetime
    score: int


@dataclass(frozen=True)
class Opportunity:
    """A deal; amount is ARR in cents, None when empty."""

    account_id: str
    type: str
    source: str
    stage: str
    created_at: date
    closed_at: date | None
    amount: int | None


@dataclass(frozen=True)
class Activity:
    """A CSM touch; csm_id "" means the account owner."""

    account_id: str
    type: str
    occurred_at: datetime
    csm_id: str


# ---------------------------------------------------------------- formatting


def fmt_money(cents: int | None) -> str:
    """Format cents as a plain number with at most 2 decimals ("" for None)."""
    if cents is None:
        return ""
    whole, rest = divmod(cents, 100)
    return str(whole) if rest == 0 else f"{whole}.{rest:02d}"


def fmt_bool(value: bool | None) -> str:
    """Format a boolean as true/false ("" for None)."""
    if value is None:
        return ""
    return "true" if value else "false"


def fmt_dt(value: datetime | None) -> str:
    """Format a datetime as ISO 8601 without offset ("" for None)."""
    return "" if value is None else value.strftime("%Y-%m-%dT%H:%M:%S")


def fmt_date(value: date | None) -> str:
    """Format a date as ISO 8601 ("" for None)."""
    return "" if value is None else value.isoformat()


# ---------------------------------------------------------------- random helpers


def random_day(rng: random.Random, low: date, high: date) -> date:
    """Return a uniformly drawn day in [low, high]."""
    return low + timedelta(days=rng.randint(0, (high - low).days))


def business_day(day: date) -> date:
    """Move a weekend day forward to Monday."""
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def at_time(rng: random.Random, day: date, hours: tuple[int, int]) -> datetime:
    """Return a datetime on a day, between two hours, on a 5-minute grid."""
    hour = rng.randint(hours[0], hours[1])
    return datetime(day.year, day.month, day.day, hour, 5 * rng.randint(0, 11))


def arrivals(rng: random.Random, rate: float) -> int:
    """Draw a Poisson count with the given mean (exponential inter-arrivals)."""
    count, clock = 0, rng.expovariate(rate)
    while clock < 1.0:
        count += 1
        clock += rng.expovariate(rate)
    return count


def day_in_month(rng: random.Random, account: Account, month: int) -> date | None:
    """Draw a business day in a month while the account is a customer."""
    low = max(first_day(month), account.first_active_day())
    high = min(last_day(month), WINDOW_END)
    if low > high:
        return None
    day = business_day(random_day(rng, low, high))
    return day if day <= high else None


# ---------------------------------------------------------------- csms, accounts


def csm_rows() -> list[list[str]]:
    """Return the csms.csv rows."""
    return [[cid, name, team, manager, str(cost)] for cid, name, team, manager, cost in CSMS]


def pick_segment(rng: random.Random, owner: str) -> str:
    """Draw a segment that fits the owner's team."""
    if TEAM_OF.get(owner) == "Enterprise":
        return rng.choices(("Enterprise", "Mid-Market"), weights=(7, 3))[0]
    return rng.choices(("Mid-Market", "SMB"), weights=(11, 9))[0]


def pick_start(rng: random.Random, plan: Plan) -> date | None:
    """Return the planned contract_start or draw one (mostly before the window)."""
    if plan.start is not None:
        return date.fromisoformat(plan.start) if plan.start else None
    if rng.random() < 0.62:
        return random_day(rng, date(2023, 1, 2), date(2024, 10, 31))
    return random_day(rng, date(2024, 11, 1), date(2026, 4, 30))


def pick_onboarded(rng: random.Random, plan: Plan, start: date | None) -> date | None:
    """Return onboarded_at: usually 10-30 days after start, sometimes late or never."""
    if start is None or plan.onboard_days == -1:
        return None
    days = plan.onboard_days
    if days is None:
        low, high = rng.choices(((10, 30), (31, 60), (61, 95)), weights=(75, 20, 5))[0]
        days = rng.randint(low, high)
    onboarded = start + timedelta(days=days)
    return onboarded if onboarded <= WINDOW_END else None


def build_accounts(rng: random.Random) -> list[Account]:
    """Create the 60 accounts (MRR is filled in later)."""
    accounts = []
    for number, name in enumerate(COMPANY_NAMES, start=1):
        account_id = f"A{number:03d}"
        plan = PLANS.get(account_id, Plan())
        owner = OWNER_CYCLE[(number - 1) % len(OWNER_CYCLE)]
        owner = owner if plan.csm_id is None else plan.csm_id
        segment = plan.segment or pick_segment(rng, owner)
        region = rng.choices(("NA", "EMEA", "APAC"), weights=(5, 3, 2))[0]
        start = pick_start(rng, plan)
        onboarded = pick_onboarded(rng, plan, start)
        referenceable = rng.choices((True, False, None), weights=(35, 55, 10))[0]
        if plan.churn is not None and plan.back is None:
            referenceable = False
        accounts.append(
            Account(
                account_id,
                name,
                owner,
                segment,
                region,
                start,
                onboarded,
                referenceable,
            )
        )
    return accounts


def account_rows(accounts: list[Account]) -> list[list[str]]:
    """Return the accounts.csv rows."""
    return [
        [
            a.account_id,
            a.name,
            a.csm_id,
            a.segment,
            a.region,
            fmt_date(a.contract_start),
            fmt_date(a.onboarded_at),
            fmt_bool(a.referenceable),
            CHURN_REASONS.get(a.account_id, ""),
        ]
        for a in accounts
    ]


# ---------------------------------------------------------------- mrr


def initial_mrr(rng: random.Random, account: Account, new_logo: bool) -> int:
    """Draw the first MRR of an account, in cents (new logos land smaller)."""
    low, high = SEGMENT_MRR[account.segment]
    if new_logo:
        high = min(high, NEW_LOGO_MRR_CAP)
    return rng.randint(low // 10, high // 10) * 1000


def random_change(rng: random.Random, cents: int) -> int:
    """Return a random month-over-month change in cents (usually 0)."""
    roll = rng.random()
    if roll < 0.045:
        delta = max(round(cents * rng.uniform(0.05, 0.30)), 10000)
        return delta if cents + delta <= MAX_MRR * 100 else 0
    if roll < 0.07:
        delta = -round(cents * rng.uniform(0.05, 0.20))
        return delta if cents + delta >= SEGMENT_MRR["SMB"][0] * 100 else 0
    return 0


def fill_mrr(rng: random.Random, account: Account, plan: Plan) -> list[Expansion]:
    """Fill an account's MRR rows and return its expansions."""
    start = account.contract_start
    first = FIRST_MONTH if start is None else max(FIRST_MONTH, month_of(start))
    cents = initial_mrr(rng, account, new_logo=first > FIRST_MONTH)
    churn = None if plan.churn is None else parse_month(plan.churn)
    back = None if plan.back is None else parse_month(plan.back)
    forced = {parse_month(m): share for m, share in plan.changes}
    account.churn_month = churn
    expansions = []
    for month in range(first, LAST_MONTH + 1):
        if churn is not None and month >= churn and (back is None or month < back):
            if month - churn < plan.zero_rows:
                account.mrr[month] = 0
            continue
        if month == back:
            cents = round(cents * 0.7 / 1000) * 1000
            first = month
        elif month in forced:
            delta = min(round(cents * forced[month]), MAX_MRR * 100 - cents)
            cents += delta
            if delta > 0:
                expansions.append(Expansion(account.account_id, month, delta))
        elif month > first + 1:
            delta = random_change(rng, cents)
            cents += delta
            if delta > 0:
                expansions.append(Expansion(account.account_id, month, delta))
        account.mrr[month] = cents
    return expansions


def mrr_rows(accounts: list[Account]) -> list[list[str]]:
    """Return the mrr.csv rows, by account then month."""
    return [[a.account_id, month_label(m), fmt_money(a.mrr[m])] for a in accounts for m in sorted(a.mrr)]


# ---------------------------------------------------------------- assignments


def assignment_rows() -> list[list[str]]:
    """Return the assignments.csv rows."""
    return [list(row) for row in ASSIGNMENTS]


def owner_on(account: Account, day: date) -> str:
    """Return the owner of an account on a day ("" = unassigned)."""
    for account_id, csm_id, start, end in ASSIGNMENTS:
        if account_id != account.account_id or day < date.fromisoformat(start):
            continue
        if not end or day <= date.fromisoformat(end):
            return csm_id
    return account.csm_id


# ---------------------------------------------------------------- tickets


def resolution_delay(rng: random.Random) -> timedelta:
    """Draw the time to resolve a ticket: hours, a few days, or up to two weeks."""
    roll = rng.random()
    if roll < 0.35:
        return timedelta(minutes=rng.randint(20, 480))
    if roll < 0.8:
        return timedelta(minutes=rng.randint(480, 4320))
    return timedelta(minutes=rng.randint(4320, 20160))


def make_ticket(rng: random.Random, account_id: str, opened: datetime) -> Ticket:
    """Create one ticket opened at a time, with resolution, contacts and reopen flag."""
    delay = resolution_delay(rng)
    resolved: datetime | None = opened + delay
    if rng.random() < 0.025 or (resolved is not None and resolved > EXPORT_END):
        resolved = None
    contacts: int | None = rng.choices(range(7), weights=(4, 46, 26, 11, 7, 4, 2))[0]
    if contacts is not None and delay > timedelta(days=3):
        contacts = min(6, contacts + rng.choice((0, 1, 1, 2)))
    if rng.random() < 0.02:
        contacts = None
    return Ticket(account_id, opened, resolved, contacts, rng.random() < 0.08)


def build_tickets(rng: random.Random, accounts: list[Account]) -> list[Ticket]:
    """Create tickets for paying account-months plus the boundary tickets."""
    tickets = []
    for account in accounts:
        for month in sorted(account.mrr):
            if account.mrr[month] == 0:
                continue
            for _ in range(arrivals(rng, TICKET_RATE[account.segment])):
                low = max(first_day(month), account.first_active_day())
                day = random_day(rng, low, last_day(month))
                hours = (8, 18) if rng.random() < 0.85 else (0, 23)
                tickets.append(make_ticket(rng, account.account_id, at_time(rng, day, hours)))
    for account_id, opened, resolved, contacts, reopened in FIXED_TICKETS:
        tickets.append(
            Ticket(
                account_id,
                datetime.fromisoformat(opened),
                datetime.fromisoformat(resolved),
                contacts,
                reopened,
            )
        )
    tickets.sort(key=lambda t: (t.opened_at, t.account_id))
    return tickets


def ticket_rows(tickets: list[Ticket]) -> list[list[str]]:
    """Return the tickets.csv rows, ids in order of opening."""
    return [
        [
            f"T{number:05d}",
            t.account_id,
            fmt_dt(t.opened_at),
            fmt_dt(t.resolved_at),
            "" if t.contacts is None else str(t.contacts),
            fmt_bool(t.reopened),
        ]
        for number, t in enumerate(tickets, start=1)
    ]


# ---------------------------------------------------------------- surveys


def csat_responses(rng: random.Random, tickets: list[Ticket], known: set[str]) -> list[Survey]:
    """Create post-ticket CSAT responses (1-5, mostly 4-5)."""
    surveys = []
    for ticket in tickets:
        if ticket.resolved_at is None or ticket.account_id not in known:
            continue
        if rng.random() >= 0.3:
            continue
        answered = ticket.resolved_at + timedelta(minutes=rng.randint(60, 4320))
        if answered > EXPORT_END:
            continue
        rough = ticket.reopened or (ticket.contacts or 0) >= 4
        weights = (15, 15, 20, 30, 20) if rough else (4, 4, 9, 31, 52)
        score = rng.choices(range(1, 6), weights=weights)[0]
        surveys.append(Survey(ticket.account_id, "csat", answered, score))
    return surveys


def nps_responses(rng: random.Random, accounts: list[Account]) -> list[Survey]:
    """Create relationship NPS responses (0-10) in four semi-annual waves."""
    surveys = []
    for wave in NPS_WAVES:
        start = date.fromisoformat(wave)
        for account in accounts:
            if not account.paying(month_of(start)):
                continue
            churning = account.churn_month is not None and (0 <= account.churn_month - month_of(start) <= 12)
            weights = NPS_UNHAPPY if churning else NPS_WEIGHTS
            high = 4 if account.segment == "Enterprise" else 2
            for _ in range(rng.randint(0, high)):
                day = business_day(start + timedelta(days=rng.randint(0, 18)))
                score = rng.choices(range(11), weights=weights)[0]
                moment = at_time(rng, day, (7, 21))
                surveys.append(Survey(account.account_id, "nps", moment, score))
    return surveys


def survey_rows(surveys: list[Survey]) -> list[list[str]]:
    """Return the surveys.csv rows, ids in order of response."""
    ordered = sorted(surveys, key=lambda s: (s.responded_at, s.account_id, s.survey))
    return [
        [f"R{number:05d}", s.account_id, s.survey, fmt_dt(s.responded_at), str(s.score)]
        for number, s in enumerate(ordered, start=1)
    ]


# ---------------------------------------------------------------- opportunities


def clamp_deal(cents: int) -> int:
    """Keep a deal's ARR (cents) between 1,000 and 120,000."""
    return max(100000, min(MAX_DEAL * 100, cents))


def not_before(day: date, account: Account) -> date:
    """Move a day forward to the account's first day as a customer if earlier."""
    start = account.contract_start
    return day if start is None or day >= start else start


def won_expansions(rng: random.Random, expansions: list[Expansion], accounts: dict[str, Account]) -> list[Opportunity]:
    """Create won expansion deals behind most MRR increases (ARR = 12 x increase)."""
    forced_source = {"A003": "csm", "A021": "sales"}
    deals = []
    for item in expansions:
        source = rng.choices(EXPANSION_SOURCES, weights=(55, 33, 6, 6))[0]
        if item.account_id in forced_source:
            source = forced_source[item.account_id]
        elif rng.random() < 0.15:
            continue
        closed = min(first_day(item.month) + timedelta(days=rng.randint(0, 24)), WINDOW_END)
        created = not_before(closed - timedelta(days=rng.randint(20, 120)), accounts[item.account_id])
        amount = clamp_deal(item.delta * 12)
        deals.append(Opportunity(item.account_id, "expansion", source, "won", created, closed, amount))
    return deals


def other_expansions(rng: random.Random, accounts: list[Account]) -> list[Opportunity]:
    """Create lost expansion deals and open ones in the pipeline."""
    slots = [(a, m) for a in accounts for m in sorted(a.mrr) if a.mrr[m] > 0]
    deals = []
    for index in range(62):
        account, month = rng.choice(slots)
        source = rng.choices(EXPANSION_SOURCES, weights=(50, 36, 7, 7))[0]
        amount = clamp_deal(round(account.mrr[month] * 12 * rng.uniform(0.1, 0.4)))
        if index < 48:
            closed = min(first_day(month) + timedelta(days=rng.randint(0, 27)), WINDOW_END)
            created = not_before(closed - timedelta(days=rng.randint(20, 150)), account)
            deals.append(
                Opportunity(
                    account.account_id,
                    "expansion",
                    source,
                    "lost",
                    created,
                    closed,
                    amount,
                )
            )
        elif account.paying(LAST_MONTH):
            created = random_day(rng, date(2026, 7, 1), WINDOW_END)
            deals.append(
                Opportunity(
                    account.account_id,
                    "expansion",
                    source,
                    "open",
                    created,
                    None,
                    amount,
                )
            )
    return deals


def renewal_for(rng: random.Random, account: Account, due: date) -> Opportunity | None:
    """Create the renewal deal due on a contract anniversary, if there is one."""
    month = month_of(due)
    if not (account.paying(month - 1) and account.paying(month - 11)):
        return None
    arr = (account.mrr.get(month - 1) or account.mrr.get(FIRST_MONTH, 0)) * 12
    if arr > MAX_DEAL * 100:
        return None  # large accounts sign multi-year contracts
    created = due - timedelta(days=90)
    source = rng.choices(("csm", "sales"), weights=(8, 2))[0]
    if due > WINDOW_END:
        return Opportunity(account.account_id, "renewal", source, "open", created, None, arr)
    closed = due - timedelta(days=rng.randint(0, 20))
    stage = "lost" if month == account.churn_month else "won"
    return Opportunity(account.account_id, "renewal", source, stage, created, closed, arr)


def renewals(rng: random.Random, accounts: list[Account]) -> list[Opportunity]:
    """Create renewal deals on contract anniversaries (and open ones due soon)."""
    deals = []
    for account in accounts:
        start = account.contract_start
        if start is None:
            continue
        for years in range(1, 5):
            due = start.replace(year=start.year + years)
            if WINDOW_START <= due and due - timedelta(days=90) <= WINDOW_END:
                deal = renewal_for(rng, account, due)
                if deal is not None:
                    deals.append(deal)
    return deals


def new_business(rng: random.Random, accounts: list[Account]) -> list[Opportunity]:
    """Create won new-logo deals for accounts that started in the window, a few lost."""
    deals = []
    starters = [a for a in accounts if a.contract_start and a.contract_start >= WINDOW_START]
    for account in starters:
        assert account.contract_start is not None
        closed = account.contract_start - timedelta(days=rng.randint(0, 7))
        created = closed - timedelta(days=rng.randint(30, 120))
        source = rng.choices(NEW_LOGO_SOURCES, weights=(50, 25, 20, 5))[0]
        amount = account.mrr[month_of(account.contract_start)] * 12
        deals.append(
            Opportunity(
                account.account_id,
                "new_business",
                source,
                "won",
                created,
                closed,
                amount,
            )
        )
    for account in rng.sample(starters, 3):
        assert account.contract_start is not None
        closed = account.contract_start - timedelta(days=rng.randint(270, 420))
        created = closed - timedelta(days=rng.randint(30, 90))
        amount = clamp_deal(account.mrr[month_of(account.contract_start)] * 12)
        deals.append(
            Opportunity(
                account.account_id,
                "new_business",
                "sales",
                "lost",
                created,
                closed,
                amount,
            )
        )
    return deals


def fixed_opportunities(accounts: list[Account]) -> list[Opportunity]:
    """Return the hand-placed deals; an empty amount on a won deal means 12 x MRR."""
    by_id = {a.account_id: a for a in accounts}
    deals = []
    for account_id, kind, source, stage, created, closed, amount in FIXED_OPPORTUNITIES:
        cents: int | None = None
        if stage == "won":
            closed_month = month_of(date.fromisoformat(closed))
            mrr = by_id[account_id].mrr
            cents = 12 * max(mrr.get(closed_month, 0), mrr.get(closed_month + 1, 0))
        elif amount:
            cents = int(amount) * 100
        deals.append(
            Opportunity(
                account_id,
                kind,
                source,
                stage,
                date.fromisoformat(created),
                date.fromisoformat(closed),
                cents,
            )
        )
    return deals


def opportunity_rows(deals: list[Opportunity]) -> list[list[str]]:
    """Return the opportunities.csv rows, ids in order of creation."""
    ordered = sorted(deals, key=lambda d: (d.created_at, d.account_id, d.type, d.stage))
    reasons = loss_reasons(ordered)
    return [
        [
            f"OP{number:04d}",
            d.account_id,
            d.type,
            d.source,
            d.stage,
            fmt_date(d.created_at),
            fmt_date(d.closed_at),
            fmt_money(d.amount),
            reason,
        ]
        for number, (d, reason) in enumerate(zip(ordered, reasons, strict=True), start=1)
    ]


def loss_reasons(deals: list[Opportunity]) -> list[str]:
    """The loss_reason of each deal (in order): lost renewals by account, other lost deals in turn, else empty.

    Drawn without the seeded generator, so adding the column changed no other value.
    """
    reasons = []
    lost = 0
    for deal in deals:
        if deal.stage != "lost":
            reasons.append("")
        elif deal.type == "renewal":
            reasons.append(RENEWAL_LOSS_REASONS.get(deal.account_id, ""))
        else:
            reasons.append(DEAL_LOSS_REASONS[lost % len(DEAL_LOSS_REASONS)])
            lost += 1
    return reasons


# ---------------------------------------------------------------- activities


def checkin_days(rng: random.Random, account: Account) -> list[date]:
    """Draw check-in days at a segment-specific cadence while the account pays."""
    share, high_touch, normal = CHECKIN_CADENCE[account.segment]
    low, high = high_touch if rng.random() < share else normal
    day = account.first_active_day() + timedelta(days=rng.randint(0, high))
    days = []
    while day <= WINDOW_END:
        day = business_day(day)
        if day <= WINDOW_END and account.paying(month_of(day)):
            days.append(day)
        day += timedelta(days=rng.randint(low, high))
    return days


def periodic_days(rng: random.Random, account: Account, months: int, chance: float) -> list[date]:
    """Draw at most one day per block of ``months`` months, with a given chance."""
    days = []
    block_start = FIRST_MONTH - FIRST_MONTH % months
    for block in range(block_start, LAST_MONTH + 1, months):
        inside = [m for m in range(block, block + months) if FIRST_MONTH <= m <= LAST_MONTH]
        paying = [m for m in inside if account.paying(m)]
        if not paying or rng.random() >= chance * len(inside) / months:
            continue
        day = day_in_month(rng, account, rng.choice(paying))
        if day is not None:
            days.append(day)
    return days


def onboarding_days(rng: random.Random, account: Account) -> list[date]:
    """Draw onboarding sessions from the contract start until onboarding ends."""
    start = account.contract_start
    if start is None or start < WINDOW_START:
        return []
    end = account.onboarded_at or start + timedelta(days=45)
    days = [business_day(start + timedelta(days=rng.randint(0, 3)))]
    for _ in range(rng.randint(1, 3)):
        days.append(business_day(random_day(rng, start + timedelta(days=4), end)))
    return sorted(d for d in days if d <= WINDOW_END)


def touch_days(rng: random.Random, account: Account) -> list[tuple[str, date]]:
    """Draw every (type, day) touch of an account."""
    qbr_chance = {"Enterprise": 0.95, "Mid-Market": 0.85, "SMB": 0.6}[account.segment]
    roi_chance = 0.2 if account.segment == "SMB" else 0.5
    ebr_chance = 0.7 if account.segment == "Enterprise" else 0.0
    touches = [("onboarding", d) for d in onboarding_days(rng, account)]
    touches += [("check_in", d) for d in checkin_days(rng, account)]
    touches += [("qbr", d) for d in periodic_days(rng, account, 3, qbr_chance)]
    touches += [("ebr", d) for d in periodic_days(rng, account, 6, ebr_chance)]
    touches += [("roi_review", d) for d in periodic_days(rng, account, 12, roi_chance)]
    touches += [("product_feedback", d) for d in periodic_days(rng, account, 1, 0.12)]
    return touches


def covering_csm(rng: random.Random, owner: str) -> str:
    """Pick a colleague who covers for an owner (anyone for unassigned accounts)."""
    team = TEAM_OF.get(owner)
    pool = [c for c in ACTIVE_CSMS if c != owner and team in (None, TEAM_OF[c])]
    return rng.choice(pool)


def quiet(account: Account, day: date) -> bool:
    """Tell whether a day falls in one of the account's no-touch quarters."""
    for account_id, quarter in NO_TOUCH_QUARTERS:
        start = parse_month(quarter)
        if account_id == account.account_id and start <= month_of(day) < start + 3:
            return True
    return False


def build_activities(rng: random.Random, accounts: list[Account]) -> list[Activity]:
    """Create the CSM activities of every account."""
    activities = []
    for account in accounts:
        for kind, day in touch_days(rng, account):
            owner = owner_on(account, day)
            moment = at_time(rng, day, (8, 17))
            if quiet(account, day):
                continue
            if not owner:
                if rng.random() < 0.35:
                    activities.append(Activity(account.account_id, kind, moment, covering_csm(rng, owner)))
                continue
            csm = "" if rng.random() < 0.88 else covering_csm(rng, owner)
            activities.append(Activity(account.account_id, kind, moment, csm))
    activities.sort(key=lambda a: (a.occurred_at, a.account_id, a.type))
    return activities


def activity_rows(activities: list[Activity]) -> list[list[str]]:
    """Return the activities.csv rows, ids in order of occurrence."""
    return [
        [f"AC{number:05d}", a.account_id, a.type, fmt_dt(a.occurred_at), a.csm_id]
        for number, a in enumerate(activities, start=1)
    ]


# ---------------------------------------------------------------- usage and milestones

# Usage and milestones draw from their own seeded stream, so the other tables do not change with them.
ADOPTION_SEED = SEED + 15
# MRR dollars per licensed seat: an account's seats follow its MRR (an expansion buys seats).
SEAT_PRICE = {"Enterprise": 40, "Mid-Market": 45, "SMB": 50}
# The share of seats in use once an account is ramped up, drawn per account. Enterprise buys large seat
# packs it grows into slowly (shelfware); SMB accounts share logins and some use more seats than they pay for.
UTILISATION = {"Enterprise": (0.38, 0.66), "Mid-Market": (0.70, 0.92), "SMB": (0.86, 1.14)}
RAMP_MONTHS = 4  # months after contract_start to reach full use
CHURN_FADE = {1: 0.45, 2: 0.6, 3: 0.8}  # months before churn: share of usage left
NO_SEAT_COUNT = ("A002", "A019", "A046")  # legacy plans without a seat count: licensed_seats empty
NO_TELEMETRY = ("A047",)  # product analytics never connected: no usage rows at all
ZERO_SEATS = ("A059",)  # seats not provisioned yet in its first month (0 licensed seats)
# Milestone -> (chance and days range when onboarded on time, chance and days range when onboarded late).
# Accounts onboarded on time mostly get their integration live within 180 days; late ones often do not.
MILESTONE_PLAN: dict[str, tuple[tuple[float, int, int], tuple[float, int, int]]] = {
    "admin_trained": ((0.97, 3, 35), (0.8, 30, 90)),
    "first_report": ((0.92, 14, 100), (0.7, 45, 200)),
    "integration_live": ((0.88, 40, 175), (0.65, 110, 330)),
    "deployed_sso": ((0.8, 20, 150), (0.5, 60, 280)),  # Enterprise only
}
PILOT_SHARE = 0.08  # accounts that trained their admins during a pilot, before the contract started
RELOGGED_SHARE = 0.07  # milestones logged again later by the CRM, capitalised (the earliest row counts)


def seats_of(account: Account, month: int) -> int:
    """Licensed seats in a month: the MRR bought at the segment's seat price."""
    return max(1, round(account.mrr[month] / 100 / SEAT_PRICE[account.segment]))


def usage_share(account: Account, month: int, target: float) -> float:
    """The share of seats in use: ramping up after the contract start, fading before churn."""
    start = account.contract_start
    ramp = 1.0 if start is None else min(1.0, (month - month_of(start) + 1) / RAMP_MONTHS)
    fade = 1.0
    if account.churn_month is not None and 0 < account.churn_month - month <= 3:
        fade = CHURN_FADE[account.churn_month - month]
    return target * max(ramp, 0.2) * fade


def usage_rows(accounts: list[Account]) -> list[list[str]]:
    """Return the usage.csv rows: one per paying account and month, by account then month."""
    rng = random.Random(ADOPTION_SEED)
    rows = []
    for account in accounts:
        target = rng.uniform(*UTILISATION[account.segment])
        paying = [m for m in sorted(account.mrr) if account.mrr[m] > 0]
        for month in paying:
            seats = seats_of(account, month)
            users = round(seats * usage_share(account, month, target) * rng.uniform(0.93, 1.07))
            if account.account_id in NO_TELEMETRY:
                continue
            written = "" if account.account_id in NO_SEAT_COUNT else str(seats)
            if account.account_id in ZERO_SEATS and month == paying[0]:
                written = "0"
            rows.append([account.account_id, month_label(month), str(users), written])
    return rows


def milestone_days(rng: random.Random, account: Account, milestone: str) -> int | None:
    """Days from contract_start to a milestone, or None when the account never reaches it."""
    start, onboarded = account.contract_start, account.onboarded_at
    if start is None or onboarded is None or (milestone == "deployed_sso" and account.segment != "Enterprise"):
        return None
    on_time, late = MILESTONE_PLAN[milestone]
    chance, low, high = on_time if onboarded <= start + timedelta(days=30) else late
    if milestone == "admin_trained" and rng.random() < PILOT_SHARE:
        return -rng.randint(5, 40)
    return rng.randint(low, high) if rng.random() < chance else None


def milestone_rows(accounts: list[Account]) -> list[list[str]]:
    """Return the milestones.csv rows (achieved by the export date), in date order."""
    rng = random.Random(ADOPTION_SEED + 1)
    found: list[tuple[date, str, str]] = []
    for account in accounts:
        for milestone in MILESTONE_PLAN:
            days = milestone_days(rng, account, milestone)
            if days is None or account.contract_start is None:
                continue
            day = account.contract_start + timedelta(days=days)
            found.append((day, account.account_id, milestone))
            if rng.random() < RELOGGED_SHARE:
                found.append((day + timedelta(days=rng.randint(20, 120)), account.account_id, milestone.title()))
    found.sort()
    return [[account_id, milestone, fmt_date(day)] for day, account_id, milestone in found if day <= WINDOW_END]


# ---------------------------------------------------------------- main


def csv_text(header: tuple[str, ...], rows: list[list[str]]) -> str:
    """One table as CSV text with LF line endings."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def write_csv(path: Path, header: tuple[str, ...], rows: list[list[str]]) -> None:
    """Write one UTF-8 CSV file with LF line endings."""
    path.write_bytes(csv_text(header, rows).encode("utf-8"))


def build_tables() -> dict[str, list[list[str]]]:
    """Generate every table's rows from the fixed seed."""
    rng = random.Random(SEED)
    accounts = build_accounts(rng)
    expansions: list[Expansion] = []
    for account in accounts:
        expansions += fill_mrr(rng, account, PLANS.get(account.account_id, Plan()))
    tickets = build_tickets(rng, accounts)
    known = {a.account_id for a in accounts}
    surveys = csat_responses(rng, tickets, known) + nps_responses(rng, accounts)
    by_id = {a.account_id: a for a in accounts}
    deals = won_expansions(rng, expansions, by_id) + other_expansions(rng, accounts)
    deals += renewals(rng, accounts) + new_business(rng, accounts)
    deals += fixed_opportunities(accounts)
    return {
        "accounts": account_rows(accounts),
        "csms": csm_rows(),
        "mrr": mrr_rows(accounts),
        "tickets": ticket_rows(tickets),
        "surveys": survey_rows(surveys),
        "opportunities": opportunity_rows(deals),
        "activities": activity_rows(build_activities(rng, accounts)),
        "assignments": assignment_rows(),
        "usage": usage_rows(accounts),
        "milestones": milestone_rows(accounts),
    }


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and write the CSV files."""
    parser = argparse.ArgumentParser(description="Write the csmkpi sample CSV files.")
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("sample_data"),
        help="output folder (default: sample_data)",
    )
    args = parser.parse_args(argv)
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    for name, rows in build_tables().items():
        write_csv(out / f"{name}.csv", HEADERS[name], rows)
        print(f"{name}.csv: {len(rows)} rows")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
