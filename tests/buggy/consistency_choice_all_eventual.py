"""Buggy: eventual everywhere — "fastest is best", showing stale balances in B."""

CHOICES = {"A": "eventual", "B": "eventual", "C": "eventual"}
REASONS = {"A": "fast", "B": "fast", "C": "fast"}
