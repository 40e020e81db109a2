# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     notebook_metadata_filter: -jupytext.text_representation
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 12 · Exercise: pick the consistency model (練習 1: 分析一致性需求)
#
# The chapter ends its consistency part with a question: for three applications, which
# consistency model is right? Here you answer it — and the answer is checked the way an
# engineer would check it: **by running each application's workload** on stores of each
# strength, with a network partition and a crash, and looking at what happened. A model
# that is too weak shows the anomaly that breaks the application; a model that is too
# strong shows the price it paid for nothing: requests refused during the partition,
# slower answers, more metadata.
#
# You will see: the three scenarios and their requirements, what each of the five
# strengths costs, a cell to try a choice, the grader, and then every scenario against
# every strength in one table, with the run behind each verdict.
#
# Previous: [11 · etcd and Chubby](11-etcd-and-locks.ipynb). This exercise builds on
# [02 · CAP](02-cap.ipynb) (a partition forces a choice),
# [03 · causality](03-causality.ipynb) (vector clocks, causal delivery) and
# [01 · consistency models](01-consistency-models.ipynb) (the spectrum and the checkers).

# %%
import pandas as pd
pd.set_option("display.max_colwidth", None)   # show long table cells in full
pd.set_option("display.width", 200)

# %%
from consensus_lab.exercises import check, load_answers
from consensus_lab.glossary import glossary_table
from consensus_lab.grading.choice_scenarios import (SCENARIOS, STRENGTH_SETUPS, STRENGTHS,
                                                   run_scenario)
from consensus_lab.grading.consistency_choice import (judge, spectrum_table,
                                                      strength_costs)
from consensus_lab.nb import show

# %% [markdown]
# ## Vocabulary (詞彙)
#
# The spectrum from the strongest to the weakest guarantee (一致性光譜). One more term the
# chapter uses for scenario A: **read-your-writes (讀己之寫)** — a *session guarantee*
# (Terry et al. 1994): a client always sees its own earlier writes, while other clients
# may see them later.

# %%
terms = glossary_table(("basics", "consistency", "causality"))
terms[terms.index.str.contains("consistency|linearizability|partition")]

# %% [markdown]
# ## The three applications
#
# - **A — social post (社群貼文).** `c4` posts, then refreshes the page. Never: the
#   author's refresh misses their own post. Tolerated: other people see it a little later.
#   But posting must keep working for the author (at least 95% answered).
# - **B — bank transfer (銀行轉帳).** `c1` debits the account; `c2`–`c5` (an app, ATMs)
#   query the balance. Never: anyone reads the old balance after the debit was
#   acknowledged. Tolerated: no answer at all during a partition.
# - **C — DNS update (DNS 更新).** `c1` updates a record; every client resolves it. Never:
#   a resolver still sees the old record a TTL after the update. Tolerated: old answers
#   within the TTL. But lookups must be answered (at least 99%).
#
# The models to choose from, strongest first: `linearizable` (線性一致性), `sequential`
# (順序一致性), `causal` (因果一致性), `read-your-writes` (讀己之寫), `eventual` (最終一致性).
# Rule of thumb from the chapter: the *weakest* model that meets the requirement — each
# step up the spectrum costs latency or availability.

# %%
pd.DataFrame([{"scenario": s.name, "application": s.title, "requirement": s.requirement,
               "cost measured on": s.measured,
               "must answer": "-" if s.budget is None else f"{s.budget:.0%}"}
              for s in SCENARIOS.values()]).set_index("scenario")

# %% [markdown]
# ## Five strengths, five stores
#
# Each strength is a real store from `consensus_lab.stores`, plus how clients reach it.
# Client `c1` … `c5` lives next to node `n1` … `n5`, its *home*. A **sticky** client sends
# every request to its home node (that is what makes the Dynamo-style store
# read-your-writes, and what the sequential and causal stores assume); a **balanced**
# client goes through a load balancer that picks any live node it can reach — so it can
# fail over, but two requests may land on different replicas.

# %%
pd.DataFrame([{"strength": s.name, "中文": s.zh, "store": s.store, "clients": s.routing}
              for s in STRENGTH_SETUPS.values()]).set_index("strength")

# %% [markdown]
# Every run has the same faults, on a network where a client is 1–4 ticks from its node and
# nodes are 5–25 ticks apart: from t=300 to t=900 the **partition** (網路分區) cuts `n4, n5`
# off from `n1, n2, n3` (a balanced client reaches only its own side), and at t=1000 node
# **`n5` crashes** for good. Clients stop at t=1400. This is the code that drives a run:

# %%
from consensus_lab.grading import choice_scenarios
show(choice_scenarios._drive, choice_scenarios._route)

# %% [markdown]
# ## What each strength costs
#
# Before judging any application, the price list. The same workload (scenario B's: one
# client writes now and then, everyone reads often) on each store, seed 1:

# %%
costs = strength_costs(seed=1)
costs.drop(columns="store")

# %%
from IPython.display import Markdown

Markdown(f"Read latency: **linearizable** {costs.loc['linearizable', 'read latency']:.0f} ticks, "
         f"**eventual** {costs.loc['eventual', 'read latency']:.0f} — "
         f"{costs.loc['linearizable', 'read latency'] / costs.loc['eventual', 'read latency']:.0f}× "
         "the latency, with no fault involved.")

# %% [markdown]
# Read it row by row:
#
# - **linearizable** pays twice: every operation needs two round trips to a majority
#   (the latency just above), and the minority side gets *no* answer during the
#   partition. Its balanced clients do fail over when `n5` crashes.
# - **sequential**, **causal** and **read-your-writes** answer reads from the home replica:
#   fast, and available on both sides of the partition. But they are *sticky*: when `n5`
#   crashes, its client `c5` has nowhere to go without losing its guarantee (Bailis et al.
#   call this "sticky availability"). Sequential writes also travel to the sequencer `n1` —
#   cheap here only because the writer `c1` sits next to it. Causal writes carry a whole
#   vector clock.
# - **eventual** is the cheapest on every column: any live node answers.
#
# What the cheap ones give up is what each application's requirement is about.
#
# ## Your answer
#
# Open `exercises/consistency_choice.py` and fill in `CHOICES` — one model per scenario — and
# a one-line reason each in `REASONS`. Here is what the file holds now:

# %%
mine = load_answers("consistency_choice")
mine.CHOICES, mine.REASONS

# %% [markdown]
# To try an idea before writing it down, ask the runs directly. Change the two names and
# re-run the cell: `judge` runs the scenario on the store of that strength (and on the
# others, to compare) and says what happened, with the seed that replays it.

# %%
scenario, choice = "A", "eventual"        # try other pairs
verdict = judge(scenario, choice)
print(verdict.verdict.upper(), "—", verdict.message, "\nreplay:", verdict.replay)

# %% [markdown]
# ## Check your answer
#
# The grader runs the three scenarios with **your** `CHOICES` (re-run after saving the file).
# Until you fill them in, every check fails with "not implemented yet" — that is expected.

# %%
check("consistency_choice")

# %% [markdown]
# ## Every scenario against every strength
#
# Spoiler ahead — answer first. This is the table the grader draws its verdicts from, for
# seed 1: did the requirement hold, how many violations, how many of the requests that
# matter were answered, how fast, and the verdict.

# %%
table = spectrum_table(seed=1)
table

# %% [markdown]
# Each verdict comes from one run you can replay and inspect. **A with `eventual`:** the
# load balancer sends the author's refresh to another replica, which has not received the
# post yet (replication takes 5–25 ticks; the author's refresh arrives after 2–8):

# %%
run = run_scenario("A", "eventual", seed=1)
print(len(run.violations), "violations; the first three:", *run.violations[:3], sep="\n  ")

# %%
from consensus_lab.viz import to_dataframe
author = to_dataframe(run.history).query("process == 'c4'").head(8)
author.assign(node=[run.served_by[i] for i in author["id"]])

# %% [markdown]
# **B with `read-your-writes`:** every client sees its *own* writes, but the balance is
# written by `c1` and read by everyone else — a session guarantee says nothing about other
# sessions. The library's linearizability checker agrees:

# %%
from consensus_lab.consistency import check as lincheck
run = run_scenario("B", "read-your-writes", seed=1)
print(run.violations[0])
print(lincheck(run.history, "register").explanation)

# %% [markdown]
# **C with `linearizable`:** the record hardly ever changes, yet every lookup from the
# minority side is refused during the partition — to protect a freshness that DNS, with its
# TTL, never promised:

# %%
print(judge("C", "linearizable").message)

# %% [markdown]
# The verdicts hold for other seeds too (the tests check seeds 1–3); change `seed=` above
# to see other runs.
#
# ## What to notice
#
# - The right model is a property of the **requirement**, not of the data's importance:
#   the bank needs linearizability because *other* clients must see the debit at once; the
#   author only needs *their own* session to see the post.
# - "Stronger is safer" is not free. Linearizability refused the minority side during the
#   partition (CAP) and cost many times the latency even without a fault (the price list). Session guarantees
#   (read-your-writes, causal) need sticky clients, so a crashed home node makes them
#   unavailable unless the client gives up the guarantee.
# - Causal consistency meets A's requirement too — it includes read-your-writes — but
#   every write carries a vector clock and replicas hold writes back until their causes
#   arrive; A's requirement only concerns the author's own session, so that buys nothing.
# - The checks behind the table are the library's: `read_your_writes` (Terry et al.) for A,
#   stale reads and the linearizability checker for B, a TTL rule on lookups for C.
#
# ## Summary
#
# - A, social post → **read-your-writes**: the author's refreshes always showed their post
#   (sticky session); with `eventual`, some of the author's refreshes missed it (the
#   violations printed for A above, seed 1).
# - B, bank balance → **linearizable**: the only store with no stale balance; the minority
#   side got no answer during the partition, which a bank accepts.
# - C, DNS → **eventual**: every lookup answered, from the nearest replica; linearizable refused every
#   minority lookup during the partition, and the sticky models lost `c5`'s lookups after
#   `n5` crashed.
#
# Next: [13 · exercise: a distributed lock](13-exercise-distributed-lock.ipynb) —
# where linearizability *is* the requirement.
