"""The Typer app: global options and command registration, no logic.

Heavy modules (polars, rich tables, the engine) are imported inside the
commands, so ``csmkpi --help`` and ``--version`` stay instant.
"""

from __future__ import annotations

from typing import Annotated

import typer
from typer.core import TyperGroup

from csmkpi import __version__
from csmkpi.cli.commands.cache import app as cache_app
from csmkpi.cli.commands.drivers import drivers
from csmkpi.cli.commands.explain import explain
from csmkpi.cli.commands.init import init
from csmkpi.cli.commands.metrics import metrics
from csmkpi.cli.commands.reasons import reasons
from csmkpi.cli.commands.report import report
from csmkpi.cli.commands.score import score
from csmkpi.cli.commands.trend import trend
from csmkpi.cli.commands.validate import validate


class SuggestingGroup(TyperGroup):
    """Click's group, with ``Did you mean --period?`` for a mistyped option instead of a list of possibilities."""

    def invoke(self, ctx):  # type: ignore[no-untyped-def]  # noqa: D102 - Click's
        try:
            return super().invoke(ctx)
        except Exception as exc:
            _suggest_option(exc)
            raise


def _suggest_option(exc: Exception) -> None:
    """Turn Click's ``(Possible options: --from, --period)`` into ``Did you mean --period or --from?``."""
    import difflib

    possibilities = getattr(exc, "possibilities", None)
    if type(exc).__name__ != "NoSuchOption" or not possibilities:
        return
    name = str(getattr(exc, "option_name", "")).lower()
    ordered = difflib.get_close_matches(name, list(possibilities), n=3, cutoff=0.0)
    exc.possibilities = None  # type: ignore[attr-defined]
    exc.message = f"{exc.message}. Did you mean {' or '.join(ordered)}?"  # type: ignore[attr-defined]


app = typer.Typer(
    name="csmkpi",
    cls=SuggestingGroup,
    help="Customer Success KPIs (NRR, GRR, churn, CSAT, NPS, FCR, expansion...) per CSM, team, manager, segment "
    "or region, straight from CRM and billing CSV exports.",
    epilog="Examples:\n\n\b\n  csmkpi score --period 2026-Q3 --as-of 2026-10-15\n"
    "  csmkpi score --period last-month --output reports/{period}.csv --quiet\n"
    "  csmkpi validate\n  csmkpi metrics",
    no_args_is_help=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"csmkpi {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")
    ] = False,
) -> None:
    """Customer Success KPIs per CSM, from CSV exports."""


app.command(epilog="See README.md for the metric definitions.")(score)
app.command()(explain)
app.command()(trend)
app.command()(drivers)
app.command()(reasons)
app.command()(report)
app.command()(validate)
app.command()(init)
app.command()(metrics)
app.add_typer(cache_app, name="cache")


def main() -> None:
    """Console-script entry point."""
    app()
