"""Counts, targets and reports."""
