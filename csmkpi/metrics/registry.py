"""Find metrics: built-ins, the ``csmkpi.metrics`` entry-point group, and config plugins.

Built-ins are loaded through the same path as third-party plugins: a module
that exposes ``METRIC`` (or a list ``METRICS``).
"""

from __future__ import annotations

import contextlib
import importlib
import sys
from collections.abc import Iterable, Iterator
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

from csmkpi.errors import ConfigError, Issue
from csmkpi.metrics.base import Metric

BUILTINS = (
    "nrr",
    "grr",
    "churn",
    "mrr_movements",
    "csat",
    "nps",
    "fcr",
    "expansion_close_rate",
    "sourced_expansion_arr",
    "onboarding",
    "activities",
    "referenceable_rate",
    "arr_managed",
    "cost_to_serve",
    "usage",
    "milestones",
)
ENTRY_POINT_GROUP = "csmkpi.metrics"


def _metrics_of(module: Any, origin: str) -> list[Metric[Any]]:
    found = getattr(module, "METRICS", None) or [getattr(module, "METRIC", None)]
    metrics = [m for m in found if isinstance(m, Metric)]
    if not metrics:
        raise TypeError(f"{origin} defines no METRIC (a csmkpi.metrics.base.Metric)")
    return metrics


def builtin_metrics() -> dict[str, Metric[Any]]:
    """Return the metrics that ship with csmkpi."""
    metrics: dict[str, Metric[Any]] = {}
    for name in BUILTINS:
        for metric in _metrics_of(importlib.import_module(f"csmkpi.metrics.{name}"), name):
            metrics[metric.name] = metric
    return metrics


def _add(metrics: dict[str, Metric[Any]], found: list[Metric[Any]], origin: str, warnings: list[Issue]) -> None:
    """Register plugin metrics; a plugin may not replace a built-in (that would change its numbers silently)."""
    for metric in found:
        if metric.name in metrics and metrics[metric.name].units.__module__.startswith("csmkpi.metrics."):
            # The metric of that name is a built-in (its function lives in csmkpi.metrics).
            warnings.append(Issue("warning", f"{origin} defines metric {metric.name!r}, a built-in name; ignored"))
            continue
        metrics[metric.name] = metric


def _entry_point_metrics(metrics: dict[str, Metric[Any]], warnings: list[Issue]) -> None:
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        if entry.value.startswith("csmkpi.metrics."):
            continue  # the built-ins, already loaded
        package = entry.dist.name if entry.dist else entry.value
        origin = f"metric plugin {entry.name!r} from package {package!r}"
        try:
            loaded = entry.load()
            _add(
                metrics, [loaded] if isinstance(loaded, Metric) else _metrics_of(loaded, entry.value), origin, warnings
            )
        except Exception as exc:  # a broken installed plugin must not stop the built-ins
            warnings.append(Issue("warning", f"{origin} failed to load: {type(exc).__name__}: {exc}"))


def discover(
    plugins: Iterable[str] = (), *, use_entry_points: bool = True, search_path: Path | None = None
) -> tuple[dict[str, Metric[Any]], list[Issue]]:
    """Return every available metric and warnings about plugins that failed to load.

    ``plugins`` are module names from the config's ``plugins:`` list, imported with
    ``search_path`` (the config's folder) first on the import path; a broken one is a
    config error. A broken installed package (entry point) is only a warning.
    """
    metrics = builtin_metrics()
    warnings: list[Issue] = []
    if use_entry_points:
        _entry_point_metrics(metrics, warnings)
    for name in plugins:
        try:
            with _import_path(search_path):
                module = importlib.import_module(name)
            _add(metrics, _metrics_of(module, name), f"plugin module {name!r}", warnings)
        except Exception as exc:
            raise ConfigError(
                f"plugin module {name!r} failed to load",
                [
                    Issue(
                        "error",
                        f"plugin module {name!r} (plugins: in the config) failed to load: {type(exc).__name__}: {exc}",
                    )
                ],
            ) from exc
    return metrics, warnings


@contextlib.contextmanager
def _import_path(folder: Path | None) -> Iterator[None]:
    if folder is None:
        yield
        return
    sys.path.insert(0, str(folder))
    try:
        yield
    finally:
        sys.path.remove(str(folder))
