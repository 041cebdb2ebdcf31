"""A plain-Python XmR reference of SPEC §8.1, written from the text, point by point (for tests only)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Point:
    value: float | None
    sample: int


def reference(
    points: list[Point], min_sample: int, *, min_points: int = 6, run_length: int = 8, baseline: int | None = None
) -> dict[str, list]:  # type: ignore[type-arg]
    """Every appended column of SPEC §8.1 for one series, and whether it has limits."""
    count = len(points)
    n = baseline or count
    usable = [p.value is not None and p.sample >= min_sample for p in points]
    x = [p.value if ok else None for p, ok in zip(points, usable, strict=True)]
    mr: list[float | None] = [None] + [
        abs(x[t] - x[t - 1]) if usable[t] and usable[t - 1] else None  # type: ignore[operator]
        for t in range(1, count)
    ]
    in_base = [usable[t] and t < n for t in range(count)]
    base = [x[t] for t in range(count) if in_base[t]]
    base_mr = [mr[t] for t in range(1, min(n, count)) if mr[t] is not None]
    columns: dict[str, list] = {"moving_range": mr, "baseline": in_base}  # type: ignore[type-arg]
    if len(base) < min_points or not base_mr:
        columns |= {name: [None] * count for name in ("centre", "lower_limit", "upper_limit", "range_limit")}
        columns["signal"] = [None] * count
        columns["has_limits"] = False  # type: ignore[assignment]
        return columns
    cl = sum(base) / len(base)  # type: ignore[arg-type]
    mr_bar = sum(base_mr) / len(base_mr)  # type: ignore[arg-type]
    upper, lower, url = cl + 2.66 * mr_bar, cl - 2.66 * mr_bar, 3.268 * mr_bar
    codes: list[list[str]] = [[] for _ in range(count)]
    for t in range(count):
        if usable[t] and (x[t] > upper or x[t] < lower):  # type: ignore[operator]
            codes[t].append("limit")
        if mr[t] is not None and mr[t] > url:  # type: ignore[operator]
            codes[t].append("range")
    order = [t for t in range(count) if usable[t]]  # successive = consecutive usable points
    for t in runs(order, x, cl, run_length):
        codes[t].append("run")
    for t in near(order, x, cl, mr_bar):
        codes[t].append("near")
    ordered = ("limit", "range", "run", "near")
    columns |= {
        "centre": [cl] * count,
        "lower_limit": [lower] * count,
        "upper_limit": [upper] * count,
        "range_limit": [url] * count,
        "signal": [";".join(c for c in ordered if c in codes[t]) or None for t in range(count)],
        "has_limits": True,  # type: ignore[dict-item]
    }
    return columns


def runs(order: list[int], x: list, cl: float, run_length: int) -> set[int]:  # type: ignore[type-arg]
    """Points in a stretch of >= run_length successive points all above, or all below, the centre."""
    found: set[int] = set()
    for side in (1, -1):
        stretch: list[int] = []
        for t in [*order, None]:
            if t is not None and (x[t] - cl) * side > 0:
                stretch.append(t)
                continue
            if len(stretch) >= run_length:
                found.update(stretch)
            stretch = []
    return found


def near(order: list[int], x: list, cl: float, mr_bar: float) -> set[int]:  # type: ignore[type-arg]
    """Points beyond cl ± 1.33 mR̄ in a window of 4 successive points with >= 3 beyond that same line."""
    found: set[int] = set()
    for side in (1, -1):
        line = cl + side * 1.33 * mr_bar
        beyond = {t: (x[t] > line if side == 1 else x[t] < line) for t in order}
        for start in range(len(order) - 3):
            window = order[start : start + 4]
            if sum(beyond[t] for t in window) >= 3:
                found.update(t for t in window if beyond[t])
    return found
