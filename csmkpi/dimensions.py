"""Names of the grouping dimensions and special groups (kept import-light for the CLI)."""

DIMENSIONS = ("csm", "team", "manager", "segment", "region")
UNASSIGNED = "(unassigned)"
ALL = "ALL"
