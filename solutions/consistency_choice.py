"""Exercise: pick the consistency model for three applications (練習 1) — reference answers.

The chapter's answers (DDIA ch. 9, 練習 1 參考答案): the weakest model that
meets each requirement. Check with
``consensus-lab check consistency_choice --answers solutions``.
"""

CHOICES: dict[str, str | None] = {
    "A": "read-your-writes",
    "B": "linearizable",
    "C": "eventual",
}

REASONS: dict[str, str] = {
    "A": "only the author's own session must see the post; others may see it later",
    "B": "every reader, anywhere, must see the debit once it is acknowledged",
    "C": "DNS tolerates staleness up to the TTL, but lookups must always be answered",
}
