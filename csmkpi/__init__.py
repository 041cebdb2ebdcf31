"""csmkpi: Customer Success KPIs per CSM, team and segment, straight from CSV exports."""

__version__ = "0.1.0"
