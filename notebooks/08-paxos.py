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
# # 08 · Paxos (Paxos 算法)
#
# Raft (notebooks 05–07) was designed to be understandable; **Paxos** (Lamport, *Paxos Made
# Simple*, 2001) came first and still runs Google's Chubby. It reaches consensus in **two
# phases** (分兩階段達成共識). In this notebook you will:
#
# 1. meet the three roles and four messages, and run one decision **phase by phase**,
#    looking at every acceptor's state in between;
# 2. crash a **minority** of acceptors (a value is still chosen) and a **majority** (nothing
#    is chosen — but nothing wrong either);
# 3. see why two rules matter — the acceptor's **promise** and the proposer's **"adopt the
#    highest accepted value"** — by breaking each one and watching two values get chosen;
# 4. let the **model checker** find those bugs from scratch, and check every schedule of the
#    correct protocol;
# 5. run **Multi-Paxos**: a stable leader that skips phase 1, the slot log on every server,
#    a leader crash and a no-op filling a gap, histories checked linearizable;
# 6. make the chapter's **Paxos vs Raft** table concrete: messages per committed command,
#    measured on the same workload.
#
# Previous: [07 · Raft safety](07-raft-safety.ipynb). This notebook also builds on
# [04 · consensus and FLP](04-consensus-and-flp.ipynb) (the duel of two proposers).

# %%
import pandas as pd
pd.set_option("display.max_colwidth", None)
from consensus_lab.nb import show
from consensus_lab.paxos import (AcceptorProtocol, ProposerProtocol, chosen_values, decided,
                                 learned, paxos_sim, proposers_of)
from consensus_lab.paxos.lessons import step_phase
from consensus_lab.sim import Network
from consensus_lab.viz import spacetime_diagram
from consensus_lab.widgets.paxos import ballots_rows, paxos_label, paxos_player

# %% [markdown]
# ## Roles and messages (角色與訊息)
#
# | English | 繁體中文 (the chapter) | what it does |
# |---|---|---|
# | proposer | 提議者 | picks a ballot number `n`, runs both phases for a value |
# | acceptor | 接受者 | promises and accepts; a majority (多數派) of them decides |
# | learner | 學習者 | finds out which value was chosen |
# | phase 1: Prepare | 階段 1: Prepare | `Prepare(n)` → `Promise(n, accepted)`: "nothing below `n`" |
# | phase 2: Accept | 階段 2: Accept | `Accept(n, v)` → `Accepted(n, v)` |
# | chosen value | 值被選定 | a majority of acceptors accepted the same proposal `(n, v)` |
# | Multi-Paxos | Multi-Paxos | one leader runs phase 1 once, then phase 2 per log slot |
#
# The library writes a ballot as `round.proposer` (`1.p1`, `2.p2`): rounds are compared
# first, the proposer's id breaks ties, so two proposers never use the same ballot.
# A refused message gets a `Nack` naming the higher ballot.

# %% [markdown]
# ## One decision, phase by phase
#
# Three acceptors, one proposer, one learner; every message takes exactly 10 ms. The
# player below is stepped by the next cells, one **phase** at a time (`step_phase` steps
# until every message of one type in flight has been delivered); after each, a table of
# every node. The rules, from the library (each returns the new state and the effects, in
# order, each citing the sentence of the paper it carries out):

# %%
show(AcceptorProtocol.on_prepare, AcceptorProtocol.on_accept, ProposerProtocol.pick_value)

# %%
NET = Network(latency=(10, 10))
def nodes(sim):                        # every node's Paxos state, one row each
    return pd.DataFrame(ballots_rows(sim)).set_index("node").drop(columns="status")
player = paxos_player(3, 1, 1, network=NET, views=("cluster", "spacetime"))
step_phase(player, "Prepare")          # p1's start timer, then the three Prepare(1.p1)
nodes(player.sim)

# %% [markdown]
# **Phase 1a/1b.** Each acceptor has **promised** `1.p1`: from now on it refuses any ballot
# below. The promise is written to disk before the `Promise` leaves (a restart must not
# forget it). Nothing is accepted yet, so every `Promise` reports `accepted = —`.

# %%
step_phase(player, "Promise")
nodes(player.sim)

# %% [markdown]
# **Promises from a majority.** p1 needed 2 of 3 and got 3. None reported an accepted value,
# so rule P2c lets p1 propose its own, `v-p1`: it is now `accepting`.

# %%
step_phase(player, "Accept")
nodes(player.sim)

# %% [markdown]
# **Phase 2a/2b.** The acceptors accepted `(1.p1, v-p1)`. At the moment the second one did,
# **`v-p1` was chosen** — before anybody knows it. `chosen_values` reads it off the acceptors:

# %%
chosen_values(player.sim), learned(player.sim)

# %%
step_phase(player, "Accepted")
nodes(player.sim)

# %% [markdown]
# Now the proposer and the learner know it too. The whole run in the player — step back
# and forth, or use **node → crash** and **deliver next** to try other schedules:

# %%
player

# %% [markdown]
# ## Crash acceptors: a minority, then a majority
#
# Any two majorities of 3 acceptors share one, which is what keeps a second value from being
# chosen. So Paxos needs a live majority to make **progress**, and nothing at all to stay
# **safe**. Two proposers this time, on the chapter's network (2–10 ms, seed 0).

# %%
minority = paxos_sim(3, 2, 1, seed=0)
minority.crash("a3")
minority.run(until=decided)
minority.now, chosen_values(minority), learned(minority)

# %%
majority = paxos_sim(3, 2, 1, seed=0)
for a in ("a2", "a3"):
    majority.crash(a)
majority.run(until=1000)
tried = sum(p.ballots_tried for p in proposers_of(majority))
tried, chosen_values(majority), learned(majority)

# %% [markdown]
# With a3 down, a value is chosen as fast as ever. With a2 and a3 down, the proposers keep
# trying higher ballots (a retry every 100 ms) and nothing is chosen in 1000 ms — **blocked,
# but safe**: no two values, no value without a majority. Bring one acceptor back and the
# run finishes:

# %%
majority.restart("a3")
majority.run(until=decided)
majority.now, chosen_values(majority), learned(majority)

# %% [markdown]
# ## Duelling proposers (競爭的提議者), briefly
#
# Two proposers can outbid each other for ever: each `Prepare` makes the acceptors refuse the
# other's `Accept`. Notebook [04](04-consensus-and-flp.ipynb#The-FLP-result-(FLP-不可能結果))
# plays that **livelock** step by step under an adversary and measures how randomized
# backoff ends it (the FLP result). Here only the two outcomes, seed 0:

# %%
from consensus_lab.paxos import duel
print(duel(seed=0, backoff=False, horizon=1000))
print(duel(seed=0, backoff=True, horizon=1000))

# %% [markdown]
# Multi-Paxos avoids most duels by electing one **leader** that alone proposes — below.

# %% [markdown]
# ## Why the promise matters, and why "adopt the highest accepted value" matters
#
# Each buggy variant of the library runs the very same code with one rule switched off
# (`consensus_lab.paxos.VARIANTS`). Two classic schedules, scripted with `sim.pending()` /
# `sim.fire()`, show what each rule prevents; the invariant `agreement` (at most one value
# chosen) stops the run at the first event that breaks it.
#
# ### Without the promise: `forgetful-acceptor`
#
# p1 finishes phase 1 but its `Accept` reaches only a1; p2 prepares a higher ballot with a2
# and a3 and gets `v-p2` chosen; then p1's late `Accept(1.p1)` reaches a2. A correct a2
# refuses it — it promised `1.p2`. A forgetful one accepts it, and `v-p1` is chosen too
# (by a1 and a2).

# %%
from consensus_lab.paxos.scenarios import forgotten_promise, ignored_accepted_value
def draw(sim):
    return spacetime_diagram(sim.trace, label=paxos_label)
forgot = forgotten_promise("forgetful-acceptor")
print(forgot.chosen, forgot.violation, sep="\n")
draw(forgot.sim)

# %%
forgotten_promise("correct").chosen

# %% [markdown]
# ### Without P2c: `ignores-accepted`
#
# `v-p1` is chosen by a1 and a2. p2 prepares `1.p2` with a2 and a3; a2's `Promise` reports
# `(1.p1, v-p1)`. A correct p2 must propose `v-p1` (the value of the highest-ballot proposal
# reported); one that ignores the report proposes its own `v-p2`, and a2, a3 accept it.

# %%
ignored = ignored_accepted_value("ignores-accepted")
print(ignored.chosen, ignored.violation, sep="\n")
draw(ignored.sim)

# %%
ignored_accepted_value("correct").chosen

# %% [markdown]
# The promise keeps an **old** proposal from landing after a newer one was chosen; P2c makes
# a **new** proposal carry the value that may already be chosen. Together they give Paxos
# Made Simple's P2: once `v` is chosen, every higher-ballot proposal has value `v`.
# (A third variant, `amnesiac-acceptor`, keeps its promises in memory only: the library's
# `amnesia()` schedule restarts a2 and gets two values chosen the same way.)

# %% [markdown]
# ## The model checker finds the bugs from scratch
#
# The schedules above were written by someone who knew the bug. The model checker
# (`consensus_lab.explore`) is told nothing: it starts from the initial state and tries
# **every** order of delivering the messages in flight, breadth first, checking agreement and
# validity after each move; the first violation it meets is a **shortest** counterexample.
#
# It searches world values: each node's state is an immutable value, so a whole cluster is
# one hashable tuple, and the search files every state it meets by its own hash. Its bounds
# (`consensus_lab.explore.paxos_scene`): 2 proposers, no learners, each proposer runs one
# ballot (`1.p1`, `1.p2` — enough for both bugs); a reply its proposer will ignore for ever
# leaves the network at once; acceptors are interchangeable (a renaming of them is one
# state); and deliveries to two different nodes are tried in one order only (they commute):

# %%
from consensus_lab.explore.paxos_scene import check_command, model_check, one_ballot
from consensus_lab.viz import schedule_spacetime
show(one_ballot)

# %%
found = {v: model_check(v, acceptors=3, time_limit=60)
         for v in ("forgetful-acceptor", "ignores-accepted")}
def figures(results):
    return pd.DataFrame([{"variant": v, "states": r.states, "seconds": round(r.elapsed, 1),
                          "complete": r.complete,
                          "counterexample moves": len(r.violation) if r.violation else None}
                         for v, r in results.items()]).set_index("variant")
figures(found)

# %% [markdown]
# Each search stopped at its first violation. The forgetful acceptor's counterexample, move by
# move and drawn:

# %%
print(found["forgetful-acceptor"].violation)

# %%
schedule_spacetime(found["forgetful-acceptor"].violation, label=paxos_label)

# %% [markdown]
# Read it against the rule: p1 finishes phase 1 with a1 and a2 and its `Accept(1.p1)`
# lands at a1; p2's `Prepare(1.p2)` (a higher ballot) reaches a2, and *then* p1's
# `Accept(1.p1)` lands at a2 too — `v-p1` chosen; p2 finishes phase 1 with a2 and a3, and
# its `Accept(1.p2, v-p2)` lands at a1 and a2 as well: the checker found the same hole as
# the script, a different schedule. (A *correct* a2 would have refused `Accept(1.p1)` after
# promising `1.p2`.) The `ignores-accepted` counterexample:

# %%
print(found["ignores-accepted"].violation)
schedule_spacetime(found["ignores-accepted"].violation, label=paxos_label)

# %% [markdown]
# The key move: a2's `Promise` to p2 reports `acc=1.p1:v-p1`, and p2 ignores it.
#
# ### And the correct protocol: every schedule checked
#
# With the same bounds on 3 acceptors the correct protocol has more states; the search
# still checks them all (`complete: True`) in seconds, and the commands printed below run
# it in a terminal. Two acceptors are exhausted in a moment, and so is the
# `amnesiac-acceptor` variant there —
# which, interestingly, is **not** a bug on 2 acceptors: every majority is both of them, so
# the one that remembers is always asked.

# %%
small = {v: model_check(v, acceptors=2, time_limit=30)
         for v in ("correct", "amnesiac-acceptor", "forgetful-acceptor", "ignores-accepted")}
figures(small)

# %%
print(check_command("correct", acceptors=3))
print(check_command("amnesiac-acceptor", acceptors=3))

# %% [markdown]
# `complete: True` means every reachable state within the bounds was checked — a proof for
# this small configuration and these bounds, not for all of Paxos (TLA+ model checking of
# Paxos works the same way). The buggy variants break with 2 acceptors too, in far fewer
# states. The amnesiac acceptor on 3 acceptors needs a crash budget of 1 (a reboot), and
# the crashes multiply the states: the second command above searches a few seconds before
# it finds its counterexample — an acceptor promises `1.p2` and accepts `v-p2`, crashes,
# restarts with no memory of its promise, and accepts p1's old `Accept(1.p1 v-p1)`.

# %% [markdown]
# ## Multi-Paxos (多 Paxos): a log of decisions
#
# A replicated log needs a decision per **slot** (log index). Running both phases per slot
# would cost two round trips per command. Multi-Paxos (here after van Renesse & Altinbuken,
# *Paxos Made Moderately Complex*) elects a **leader** whose phase 1 covers *all* slots at
# once; while it stays leader, each command costs only phase 2: `P2a` (Accept) → `P2b`
# (Accepted), then a `Decision` to every replica. Three servers `n1`–`n3`, each a replica,
# a leader and an acceptor:

# %%
from consensus_lab.consistency import check
from consensus_lab.paxos import multipaxos_sim
from consensus_lab.paxos.lessons import kv_history, message_counts, slot_table
from consensus_lab.paxos.multi import run_until_answered, wait_for_leader
sim = multipaxos_sim(3, seed=0)
leader = wait_for_leader(sim)
elected_at = sim.now
leader, elected_at, message_counts(sim)

# %%
for i in range(5):
    sim.submit(leader, "append", "log", f"c{i} ", client="c1", timeout=2_000)
    run_until_answered(sim)
message_counts(sim, start=elected_at + 1)

# %% [markdown]
# Five commands after the election: **no `P1a`/`P1b`** — the stable leader skipped phase 1 —
# and `P2a`, `P2b`, `Decision` to each of the two other servers per command (plus heartbeats).
# The slot log on every server:

# %%
pd.DataFrame(slot_table(sim)).T

# %% [markdown]
# ### Leader crash and a gap filled with a no-op
#
# `gap_filling()`: the leader proposes slots 1–3, but slot 2's `P2a` never reaches another
# acceptor; slots 1 and 3 are chosen, then the leader crashes. The next leader's phase 1
# learns slots 1 and 3 from the acceptors, finds slot 2 empty and proposes a **no-op** for it,
# so every replica can perform 1, 2, 3 in order (Paxos Made Simple §3).

# %%
from consensus_lab.paxos.multi.scenarios import gap_filling, leader_failover
gap = gap_filling(seed=0)
pd.DataFrame(slot_table(gap.sim)).T

# %%
fail = leader_failover(seed=0)
print(f"{fail.old_leader} led with ballot {fail.old_ballot}; crashed; "
      f"{fail.new_leader} took over with {fail.new_ballot} after {fail.takeover_ms} ms")
pd.DataFrame(slot_table(fail.sim)).T

# %% [markdown]
# The new leader's ballot is higher, so its phase 1 would have found any command the old
# one got chosen. What clients saw is checked by the linearizability checker (notebook
# [01](01-consistency-models.ipynb)) — for the failover run and for a busier one, six
# clients writing through all three servers:

# %%
busy = multipaxos_sim(3, seed=3)
wait_for_leader(busy)
for c in range(12):
    f = ("put", "get", "append")[c % 3]
    busy.submit(f"n{1 + c % 3}", f, f"k{c % 2}", str(c), client=f"c{c % 6}", timeout=3_000)
run_until_answered(busy)
{"failover": check(kv_history(fail.sim), "kv").verdict,
 "busy": check(kv_history(busy), "kv").verdict}

# %% [markdown]
# ## Paxos vs Raft, measured
#
# The chapter's table:

# %%
from consensus_lab.paxos.lessons import CHAPTER_TABLE
pd.DataFrame(CHAPTER_TABLE).set_index("property")

# %% [markdown]
# The "performance" row can be measured. `compare_with_raft` runs this Multi-Paxos and the
# lab's Raft on the same network (2–10 ms), same seed, 3 nodes; elects a leader (not
# counted); then sends 100 commands, either **one at a time** (each after the previous
# answer) or in a **burst** (all at once), and counts every message sent until the last
# answer, heartbeats included.

# %%
from consensus_lab.viz.experiments import compare_with_raft
bill = compare_with_raft(100, seed=0)
bill.pivot(index="workload", columns="protocol", values="per_command").round(2)

# %%
bill.set_index(["workload", "protocol"]).filter(like="msgs:")

# %% [markdown]
# One at a time, a command costs Multi-Paxos `P2a` + `P2b` + `Decision` per other server,
# 3(n−1) = 6, against Raft's AppendEntries + reply, 2(n−1) = 4 (followers learn the commit
# index from the next AppendEntries); heartbeats add the rest. In a burst Raft's leader
# packs many entries into each AppendEntries, while this Multi-Paxos (like the paper's) runs
# one commander per slot: the gap widens by an order of magnitude. That is the chapter's
# "needs optimization": production Multi-Paxos batches, pipelines and piggybacks decisions —
# and once it does, it looks much like Raft.
#
# Where each family runs (the chapter):
#
# - **Paxos family**: **Google Chubby** (a lock service; 5 replicas elect a master with
#   Multi-Paxos), **ZooKeeper** (ZAB, a Paxos-like atomic broadcast with a primary).
#   A leader is optional in basic Paxos; slots are decided independently, gaps become no-ops.
# - **Raft**: **etcd**, **Consul**, **CockroachDB** (one Raft group per data range). A leader
#   is required and only a server with an up-to-date log can win; the log has no gaps.

# %% [markdown]
# ## What to notice
#
# - Two round trips decide a value; it is **chosen** the moment a majority accepts, before
#   anyone hears about it.
# - A crashed minority changes nothing; a crashed majority stops progress, never safety.
# - The **promise** stops an old proposal from landing after a new one was chosen; **P2c**
#   makes every new proposal carry the value that may already be chosen. Switch off either
#   and two values get chosen — on a short schedule the checker finds in seconds.
# - Multi-Paxos pays phase 1 once per leader; a new leader fills holes with no-ops.
#
# ## Exercises
#
# Two exercises grade your own acceptor and proposer rules (`exercises/paxos_acceptor.py`,
# `exercises/paxos_proposer.py`); `consensus-lab check paxos_acceptor` in a terminal does
# the same as the cells below.

# %%
from consensus_lab.exercises import check
check("paxos_acceptor")

# %%
check("paxos_proposer")

# %% [markdown]
# ## Summary
#
# - Paxos: proposers, acceptors, learners; `Prepare(n)` → `Promise` → `Accept(n, v)` →
#   `Accepted`; chosen = accepted by a majority in one ballot.
# - Multi-Paxos: phase 1 once per leader; slot logs agree on every server; a gap became a
#   no-op; client histories were linearizable.
#
# On our runs:

# %%
from IPython.display import Markdown

forgetful, ignores = found["forgetful-acceptor"], found["ignores-accepted"]
per_command = bill.pivot(index="workload", columns="protocol", values="per_command")
Markdown(f"""
- One proposer decided after four 10 ms hops; with a3 crashed a value was still chosen at
  t={minority.now}; with a2 and a3 crashed the proposers tried {tried} ballots in 1000 ms and
  chose nothing, then decided at t={majority.now} once a3 came back.
- The forgetful acceptor and the proposer that ignores accepted values each chose two values
  on their scripted schedules; the model checker found each from scratch ({forgetful.states:,}
  and {ignores.states:,} states, counterexamples of {len(forgetful.violation)} and
  {len(ignores.violation)} moves) and exhausted the correct protocol on 2 acceptors
  ({small['correct'].states:,} states).
- Messages per command (3 nodes, 100 commands): one at a time
  {per_command.loc['sequential', 'multi-paxos']:.2f} for Multi-Paxos against
  {per_command.loc['sequential', 'raft']:.2f} for Raft; in a burst
  {per_command.loc['burst', 'multi-paxos']:.2f} against {per_command.loc['burst', 'raft']:.2f}
  — Raft batches entries, this Multi-Paxos does not.
""")

# %% [markdown]
# Next: [09 · atomic commit](09-atomic-commit.ipynb).
# Back to [04](04-consensus-and-flp.ipynb) for FLP.
