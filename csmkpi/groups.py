"""``--group NAME``: a group by id or (by csm) by name, any case; an unknown one found early (SPEC §6).

``peek`` reads only the columns that list a dimension's members (csm ids and names of csms.csv,
plus the owners in accounts and assignments; teams and managers of csms.csv; segments or regions
of accounts.csv), before the run loads and validates everything, so a typo costs a fraction of a
second, not the whole load. It answers None when it cannot tell (a missing or unreadable table):
the full run then decides, with the same ``resolve``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from csmkpi.dimensions import ALL, UNASSIGNED
from csmkpi.errors import CsmkpiError, UsageError
from csmkpi.suggest import MAX_SHOWN, close

# Where the members of each dimension are listed: (table, id column, name column or None).
SOURCES: dict[str, tuple[tuple[str, str, str | None], ...]] = {
    "csm": (("csms", "csm_id", "csm_name"), ("accounts", "csm_id", None), ("assignments", "csm_id", None)),
    "team": (("csms", "team", None),),
    "manager": (("csms", "manager", None),),
    "segment": (("accounts", "segment", None),),
    "region": (("accounts", "region", None),),
}


def resolve(wanted: Sequence[str], members: Mapping[str, str], by: str) -> list[str]:
    """The ids of ``wanted`` groups among ``members`` (id -> name): by id, else by name, any case.

    Raises:
        UsageError: A group matches nothing; the message lists at most 10 close names.
    """
    ids: list[str] = []
    for name in wanted:
        found = _match(name, members)
        if found is None:
            named = sorted(g for g, full in members.items() if full and full.casefold() == name.strip().casefold())
            if len(named) > 1:
                raise UsageError(f"{len(named)} groups are named {name!r}: {', '.join(named)}; give the id")
            raise UsageError(_unknown(name, members, by))
        ids.append(found)
    return list(dict.fromkeys(ids))


def _match(name: str, members: Mapping[str, str]) -> str | None:
    if name in members:
        return name
    if name.upper() == ALL:
        return ALL
    folded = name.strip().casefold()
    for group_id in members:
        if group_id.casefold() == folded:
            return group_id
    by_name = [group_id for group_id, full in members.items() if full and full.casefold() == folded]
    return by_name[0] if len(by_name) == 1 else None


def _unknown(name: str, members: Mapping[str, str], by: str) -> str:
    labels = {
        group_id: f"{group_id} ({full})" if full and full != group_id else group_id
        for group_id, full in members.items()
    }
    candidates = close(name, [*members, *(full for full in members.values() if full)], limit=MAX_SHOWN)
    shown: list[str] = []
    for candidate in candidates:
        group_id = candidate if candidate in members else next(g for g, full in members.items() if full == candidate)
        if labels[group_id] not in shown:
            shown.append(labels[group_id])
    count = len([g for g in members if g not in (ALL, UNASSIGNED)])
    if shown:
        return f"no {by} {name!r} among the {count} {by} groups; did you mean {', '.join(shown)}?"
    few = sorted(labels[g] for g in members if g != ALL)
    if len(few) <= MAX_SHOWN:
        return f"no {by} {name!r}; the {by} groups are: {', '.join(few)}, or ALL"
    return f"no {by} {name!r} among the {count} {by} groups, and none is close (csmkpi score --by {by} lists them)"


def peek(config: Path, data: Path | None, by: str, wanted: Sequence[str] = ()) -> dict[str, str] | None:
    """A dimension's members (id -> name, ALL and (unassigned) included), or None when it cannot tell.

    The tables are read in order and the reading stops as soon as every ``wanted`` group is found
    (csms.csv, a few KB, usually answers; accounts and assignments only for a group not there).
    """
    from csmkpi import dataset
    from csmkpi.config import load_config
    from csmkpi.loading import read_table

    try:
        loaded = load_config(config)
        folder = Path(data if data is not None else loaded.data_dir)
        members: dict[str, str] = {ALL: "All", UNASSIGNED: UNASSIGNED}
        for index, (table, column, name) in enumerate(SOURCES[by]):
            if wanted and all(_match(w, members) is not None for w in wanted):
                break
            source = dataset.find_source(table, folder, loaded.data.tables.get(table))  # type: ignore[call-overload]
            if source is None:
                if index == 0:
                    return None  # the dimension's own table is missing: the run says what it can
                continue
            columns = [c for c in (column, name) if c is not None]
            raw = read_table(source, columns, [])
            if any(c not in raw.frame.columns for c in columns):
                return None
            for row in raw.frame.select(columns).unique().iter_rows():
                group_id = (row[0] or "").strip()
                if group_id and not members.get(group_id):
                    members[group_id] = (row[1] or "").strip() if name is not None else ""
        return members
    except (CsmkpiError, OSError, ValueError):
        return None  # the full run reports it, with its line and column
