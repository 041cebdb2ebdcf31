"""Insights beside the engine (SPEC §8): control limits, drivers of retention, churn reasons.

Each module is plain functions of the frames the engine already makes (scorecards, unit rows,
the churn cohort); the engine imports none of them.
"""
