"""Find metrics: built-ins, the ``csmkpi.metrics`` entry-point group, and config plugins.

Built-ins are loaded through the same path as third-party plugins: a module
that exposes ``METRIC`` (or a list ``METRICS``).
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from importlib.metadata import entry_points
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


def discover(
    plugins: Iterable[str] = (), *, use_entry_points: bool = True
) -> tuple[dict[str, Metric[Any]], list[Issue]]:
    """Return every available metric and warnings about plugins that failed to load.

    ``plugins`` are importable module names from the config's ``plugins:`` list;
    a broken one there is a config error, a broken installed package a warning.
    """
    metrics = builtin_metrics()
    warnings: list[Issue] = []
    if use_entry_points:
        for entry in entry_points(group=ENTRY_POINT_GROUP):
            if entry.value.startswith("csmkpi.metrics."):
                continue
            package = entry.dist.name if entry.dist else entry.value
            try:
                loaded = entry.load()
                found = loaded if isinstance(loaded, Metric) else _metrics_of(loaded, entry.value)
                for metric in [found] if isinstance(found, Metric) else found:
                    metrics[metric.name] = metric
            except Exception as exc:  # a broken plugin must not stop the built-ins
                warnings.append(
                    Issue("warning", f"metric plugin {entry.name!r} from package {package!r} failed to load: {exc}")
                )
    for name in plugins:
        try:
            for metric in _metrics_of(importlib.import_module(name), name):
                metrics[metric.name] = metric
        except Exception as exc:
            raise ConfigError(
                f"plugin module {name!r} failed to load",
                [Issue("error", f"plugin module {name!r} failed to load: {type(exc).__name__}: {exc}")],
            ) from exc
    return metrics, warnings
