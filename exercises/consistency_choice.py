"""Exercise: pick the consistency model for three applications (練習 1: 分析一致性需求).

The chapter's first exercise (DDIA ch. 9). For each application, choose the
*weakest* model that still meets its requirement — a stronger one costs
availability during a partition, latency, or metadata, and buys nothing the
application needs.

* **A — social post (社群貼文).** A user publishes a post; after refreshing
  the page, *they* must see it. Other people may see it a little later.
* **B — bank transfer (銀行轉帳).** After a debit, a balance query — from
  anywhere — must reflect it at once.
* **C — DNS update (DNS 更新).** An updated DNS record may take effect some
  time later (its TTL), but lookups must always be answered.

The models, strongest first (一致性光譜): ``"linearizable"`` (線性一致性),
``"sequential"`` (順序一致性), ``"causal"`` (因果一致性),
``"read-your-writes"`` (讀己之寫, a session guarantee) and ``"eventual"``
(最終一致性).

What to do: replace each ``None`` in ``CHOICES`` by one of those names and
write a one-line reason in ``REASONS`` (TODO).

Check your choices with ``consensus-lab check consistency_choice`` (or
``check("consistency_choice")`` in notebook 12). The check does not compare
your answer with a string: it runs each application's workload in the
simulator — five nodes, a partition that cuts off n4 and n5, then a crash of
n5 — against a store of the strength you chose, and reports what happened:
the requirement broken (with the operation that broke it), or the price paid
(requests refused, latency), compared with the other strengths. Each report
names the seed and the call that replays the run.
"""

CHOICES: dict[str, str | None] = {
    "A": None,  # TODO: social post — the author must see their own post after a refresh
    "B": None,  # TODO: bank transfer — the balance must reflect the debit at once
    "C": None,  # TODO: DNS update — may take effect later, lookups always answered
}

REASONS: dict[str, str] = {
    "A": "",  # TODO: one line — why this model, and why not a weaker or a stronger one
    "B": "",  # TODO
    "C": "",  # TODO
}
