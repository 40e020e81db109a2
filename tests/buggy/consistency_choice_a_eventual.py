"""Buggy: eventual for the social post — the author's refresh may miss their own post."""

CHOICES = {"A": "eventual", "B": "linearizable", "C": "eventual"}
REASONS = {"A": "posts may show up late", "B": "money", "C": "TTL"}
