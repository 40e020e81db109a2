"""Buggy: linearizable everywhere — "strongest is safest", paying for it in A and C."""

CHOICES = {"A": "linearizable", "B": "linearizable", "C": "linearizable"}
REASONS = {"A": "strong is safe", "B": "strong is safe", "C": "strong is safe"}
