"""A department of any size for output tests: N CSMs with realistic names, a few accounts each.

Seeded and deterministic (``random.Random``), small per CSM (about 4 accounts, a dozen events),
so 2,000 CSMs still load in about a second. It fills every table the bundled config's 22 KPIs
read, from 2026-03 to 2026-10, so 2026-Q3 and its previous quarter (``--compare previous``) both
have data. Usage: ``write_crowd(folder, csms=90)``; score it with ``--config configs/kpis.yaml
--data folder --period 2026-Q3 --as-of 2026-10-15``.
"""

from __future__ import annotations

import csv
import random
from datetime import date, timedelta
from pathlib import Path

FIRST = (
    "Ava", "Ben", "Chloé", "Dmitri", "Elena", "Farid", "Grace", "Hiro", "Ines", "Jonas", "Kavya", "Liam", "Maya",
    "Noah", "Olga", "Pablo", "Quinn", "Rosa", "Sanjay", "Tara", "Umar", "Vera", "Wei", "Ximena", "Yusuf", "Zoë",
)  # fmt: skip
LAST = (
    "Andersson", "Baptiste", "Castillo", "Dubois", "Eriksen", "Fernández", "Gallagher", "Hoffmann", "Iwasaki",
    "Jovanović", "Kowalski", "Lindqvist", "Moreau", "Nakamura", "O'Connor", "Petrov", "Quintero", "Rossi",
    "Schneider", "Takahashi", "Ulrich", "Varga", "Whitfield", "Xu", "Yamamoto", "Zimmermann",
)  # fmt: skip
MONTHS = [date(2026, m, 1) for m in range(2, 11)]  # 2026-02 (Q2's start snapshot) .. 2026-10
EVENTS = (date(2026, 4, 1), date(2026, 9, 30))  # events in Q2 and Q3


def _day(rng: random.Random) -> date:
    return EVENTS[0] + timedelta(days=rng.randrange((EVENTS[1] - EVENTS[0]).days + 1))


def _write(folder: Path, name: str, header: list[str], rows: list[list[object]]) -> None:
    with (folder / f"{name}.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def write_crowd(folder: Path, csms: int, seed: int = 7) -> Path:
    """Write the tables of a department of ``csms`` CSMs into ``folder``; return it."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    people, accounts, mrr, tickets, surveys, opportunities, activities = [], [], [], [], [], [], []
    for c in range(1, csms + 1):
        csm_id = f"C{c:04d}"
        name = f"{FIRST[(c * 7) % len(FIRST)]} {LAST[(c * 11 + c // len(LAST)) % len(LAST)]}"
        team = f"Team {1 + (c - 1) // 8:03d}"
        people.append([csm_id, name, team, f"Manager {1 + (c - 1) // 16:03d}", 90000 + rng.randrange(60) * 1000])
        skill = rng.random()
        for _ in range(rng.randint(5, 10)):
            account_id = f"A{len(accounts) + 1:06d}"
            segment = rng.choice(("Enterprise", "Mid-Market", "SMB"))
            start = date(2025, 10, 1) + timedelta(days=rng.randrange(335))
            onboarded = start + timedelta(days=rng.randint(5, 60)) if rng.random() < 0.9 else None
            accounts.append(
                [account_id, f"Account {account_id}", csm_id, segment, rng.choice(("NA", "EMEA", "APAC")),
                 start.isoformat(), onboarded.isoformat() if onboarded else "", rng.random() < 0.3]
            )  # fmt: skip
            amount = rng.choice((400, 1200, 3500, 9000)) * (1 + rng.random())
            churn_at = rng.choice(MONTHS[3:]) if rng.random() < 0.08 + 0.1 * (1 - skill) else None
            for month in MONTHS:
                if churn_at is not None and month >= churn_at:
                    mrr.append([account_id, f"{month:%Y-%m}", 0])
                    continue
                amount *= 1 + rng.uniform(-0.04, 0.05 + 0.05 * skill)
                mrr.append([account_id, f"{month:%Y-%m}", round(amount, 2)])
            for _ in range(rng.randint(0, 8)):
                opened = _day(rng)
                tickets.append(
                    [f"T{len(tickets) + 1:07d}", account_id, f"{opened}T09:00:00",
                     f"{opened + timedelta(days=rng.randint(0, 3))}T17:00:00", rng.randint(0, 3), rng.random() < 0.1]
                )  # fmt: skip
            for _ in range(rng.randint(0, 5)):
                survey = rng.choice(("csat", "csat", "nps"))
                score = rng.randint(2, 5) if survey == "csat" else rng.randint(3, 10)
                surveys.append([f"S{len(surveys) + 1:07d}", account_id, survey, f"{_day(rng)}T12:00:00", score])
            for _ in range(rng.randint(0, 2)):
                won = rng.random() < 0.3 + 0.5 * skill
                opportunities.append(
                    [f"O{len(opportunities) + 1:07d}", account_id, "expansion", rng.choice(("csm", "csm", "sales")),
                     "won" if won else "lost", "2026-03-01", _day(rng).isoformat(), rng.randrange(1, 60) * 1000, ""]
                )  # fmt: skip
            for _ in range(rng.randint(2, 10 + int(30 * skill))):
                kind = rng.choice(("check_in", "check_in", "qbr", "ebr", "onboarding"))
                activities.append([f"V{len(activities) + 1:07d}", account_id, kind, f"{_day(rng)}T10:00:00", ""])
    _write(folder, "csms", ["csm_id", "csm_name", "team", "manager", "annual_cost"], people)
    _write(
        folder,
        "accounts",
        ["account_id", "account_name", "csm_id", "segment", "region", "contract_start", "onboarded_at", "referenceable"],
        accounts,
    )
    _write(folder, "mrr", ["account_id", "month", "mrr"], mrr)
    _write(folder, "tickets", ["ticket_id", "account_id", "opened_at", "resolved_at", "contacts", "reopened"], tickets)
    _write(folder, "surveys", ["response_id", "account_id", "survey", "responded_at", "score"], surveys)
    _write(
        folder,
        "opportunities",
        ["opportunity_id", "account_id", "type", "source", "stage", "created_at", "closed_at", "amount", "loss_reason"],
        opportunities,
    )
    _write(folder, "activities", ["activity_id", "account_id", "type", "occurred_at", "csm_id"], activities)
    return folder
