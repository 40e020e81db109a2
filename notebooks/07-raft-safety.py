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
# # 07 · Raft: safety (安全性保證)
#
# Elections and replication are not enough: Raft must also guarantee that an entry, once
# committed, is never lost — the chapter's **Leader Completeness (Leader 完整性)**: an
# entry committed in some term is in the log of every leader of every later term. Two
# small rules carry that weight: the **election restriction** (vote only for a log at least
# as up to date as yours) and the **commit rule** (count replicas only for entries of the
# leader's *current* term). In this notebook you turn each off and watch a committed entry
# disappear: first by a seed search over a fault schedule, then in the paper's famous
# **Figure 8**, stage by stage. Both failures replay in the player, where every step can be
# inspected.
#
# It follows the chapter's section *3. 安全性保證* and §5.4 of the Raft paper (Figures 3
# and 8). Previous: [06 · log replication](06-raft-replication.ipynb).

# %%
import pandas as pd
pd.set_option("display.max_colwidth", None)   # show long table cells in full

# %%
from functools import partial

from consensus_lab.nb import show
from consensus_lab.raft import (RaftConfig, RaftInvariants, RaftNode, RequestVote,
                                RequestVoteReply)
from consensus_lab.raft import rules
from consensus_lab.raft.scenarios import Figure8, lose_committed_entry, search_seeds
from consensus_lab.sim import InvariantViolation
from consensus_lab.viz import raft_logs, raft_table, schedule_spacetime
from consensus_lab.widgets import raft_player

# %% [markdown]
# ## Vocabulary (詞彙)

# %%
from consensus_lab.glossary import glossary_table
glossary_table("raft").query("notebook == '07-raft-safety'")

# %% [markdown]
# ## The rules: five safety properties (Figure 3 of the paper)
#
# 1. **Election Safety** — at most one leader per term.
# 2. **Leader Append-Only** — a leader never overwrites or deletes entries in its own log.
# 3. **Log Matching** — if two logs hold an entry with the same index and term, the logs
#    are identical up to that index.
# 4. **Leader Completeness** — an entry committed in a term is in the logs of the leaders
#    of all later terms.
# 5. **State Machine Safety** — no two servers apply different commands at the same index.
#
# Property 5 is what clients need; it follows from 4, and 4 rests on two rules:
#
# - **Election restriction** (§5.4.1): a voter refuses a candidate whose log is less up to
#   date than its own — a lower last term, or the same last term and a shorter log. A
#   committed entry sits on a majority; a winner needs votes from a majority; the two
#   majorities share a server, which refuses any candidate lacking the entry.
# - **Commit rule** (§5.4.2): a leader counts replicas only for entries *of its current
#   term*; older entries become committed with them (Log Matching carries them along).
#
# The simulator checks all five properties after every event. Each is a small function of
# `RaftInvariants` that remembers what it has seen across the run, e.g.:

# %%
show(RaftInvariants.election_safety, RaftInvariants.state_machine_safety)

# %% [markdown]
# The switches that turn the two rules off exist only for this notebook (and the model
# checker); in `RaftConfig` they are marked *buggy when False*:

# %%
show(rules.grant_vote, rules.commit_index)

# %% [markdown]
# ## Experiment 1 — without the election restriction, a committed entry is lost
#
# The fault schedule (three nodes): elect a leader; cut one follower off — the *lagger*;
# a client writes three values, which the leader commits with the other follower; crash
# the leader and heal the partition; run two seconds. The lagger missed the writes. If it
# times out first and asks for votes, will the up-to-date follower vote for it?

# %%
show(lose_committed_entry)

# %% [markdown]
# Search the seeds with the restriction **off** until the invariants catch a violation:

# %%
for seed in range(100):
    try:
        lose_committed_entry(seed, election_restriction=False)
    except InvariantViolation as violation:
        found = violation
        break
print(found)

# %% [markdown]
# The search stops at the first seed that breaks it (printed above). Read the trace from
# the bottom: the lagger n3 times out and asks for votes in term 2 with an **empty log**
# (`last=0/0`). Then n1 — whose log holds the three committed writes (`log=1 1 1 c=3`) — votes **yes**, because
# with the restriction off only the term and its one vote per term count. The crashed
# leader cannot vote, so n3 has 2 of 3 votes and becomes leader of term 2 without the
# committed entries: *Leader Completeness* fails at once. Had the run gone on, n3's
# AppendEntries would have made n1 delete them too.
#
# How often does this schedule break, with and without the restriction? 30 seeds each:

# %%
outcomes = {restriction: search_seeds(
                partial(lose_committed_entry, election_restriction=restriction), range(30))
            for restriction in (False, True)}
sweep = pd.DataFrame({f"restriction {'on' if r else 'off'}": [o.violated for o in runs]
                      for r, runs in outcomes.items()}, index=range(30))
sweep.sum()   # runs that lost a committed entry

# %%
sweep[~sweep["restriction off"]]   # the seeds that were lucky without the restriction

# %% [markdown]
# Without the restriction most seeds lose the writes; the lucky ones are those where the
# up-to-date follower timed out first and won (it was in the majority that stored the
# entries). With the restriction, no seed does (the sums above): n1 answers `Vote(t=2 no)` to the
# empty log, and wins an election of its own a little later. Seed 0 with the restriction on:

# %%
safe = lose_committed_entry(0, election_restriction=True)
for record in safe.trace:
    if record.kind == "note" or (record.kind == "send"
                                 and isinstance(record.message, RequestVoteReply)):
        print(record)

# %%
raft_logs(safe)

# %% [markdown]
# ### Replay the failure in the player (seed 0)
#
# `found.choices["inputs"]` holds every external input of the failing run (partition,
# client writes, crash, heal, with the step at which each happened). `player.load` applies
# them to a player built with the same seed and configuration; `goto` jumps to the step of
# the violation. The status line shows it in red; step back with **◀ back** to watch n1
# grant its vote, or fork history: **restart** the crashed leader earlier, or **drop** the
# `Vote(t=2 yes)` before it arrives.

# %%
replay = raft_player(3, seed=found.seed, config=RaftConfig(election_restriction=False),
                     spacetime_last=40)
replay.load(found.choices["inputs"])
replay.goto(found.step)
replay

# %%
replay.violation.message

# %% [markdown]
# ## Experiment 2 — the Figure 8 case: committing an old-term entry by counting
#
# The election restriction alone is not enough. Figure 8 of the paper shows a leader that
# commits an entry of an *earlier* term because a majority stores it — and that entry is
# later overwritten. `Figure8` scripts the five stages on servers n1…n5 (the paper's
# S1…S5). Its election timeouts are long (1–2 s), so nothing happens by itself: every
# election is forced by firing the candidate's election timer (the player's **time out**),
# and partitions decide who hears whom. First with the **buggy** rule,
# `RaftConfig(commit_current_term_only=False)`. The start: n1 led term 1 and committed
# entry 1 everywhere.

# %%
f8 = Figure8(commit_current_term_only=False)
raft_logs(f8.sim)

# %% [markdown]
# **(a)** n1 crashes and restarts, wins term 2, and replicates a new entry at index 2 only
# to n2 (a partition keeps n3–n5 away). n1 restarted with commit index 0: the commit index
# is volatile, and under the correct rule a new leader learns it only by committing an
# entry of its own term.

# %%
f8.a()
raft_logs(f8.sim)

# %% [markdown]
# **(b)** n1 crashes. n5 wins term 3 with votes from n3, n4 and itself (their logs end at
# index 1, term 1, like its own), and accepts a *different* entry at index 2 — then crashes
# before replicating it.

# %%
f8.b()
raft_logs(f8.sim)

# %% [markdown]
# **(c)** n1 restarts and wins term 4 with n2 and n3 (its first attempt, term 3, fails: n3
# had voted for n5 in term 3). As leader it continues replicating: n3 receives entry 2 of
# term 2, which is now on **three of five** servers. With the buggy rule n1 counts three
# replicas and **commits index 2** — look at its commit bar. It also takes a new command,
# index 3 of term 4, that reaches nobody yet.

# %%
f8.c()
raft_logs(f8.sim)

# %% [markdown]
# **(d)** n1 crashes. n5 restarts and stands for election. In term 4 n2 and n3 refuse
# (they voted for n1), but in term 5 n2, n3 and n4 all grant: n5's last entry is of term 3,
# *more up to date* than their term 2. The election restriction is satisfied — and the new
# leader overwrites index 2 on everyone with its own term-3 entry. An entry that n1 had
# committed, and even applied, is gone.

# %%
f8.d()
raft_logs(f8.sim)

# %%
pd.DataFrame([{"property": v.name, "step": v.step, "t": v.time, "what": v.message}
              for v in f8.log.found])

# %% [markdown]
# Two properties broke: **Leader Completeness** the moment n5 won term 5 without entry 2,
# and **State Machine Safety** once n5 committed its own entry 2: n1 had applied `x=2` at
# index 2, n5 applied `x=3` there. (`Figure8` records violations instead of stopping, so
# the run can go on to the end.)
#
# ### Leader Completeness, read from the trace
#
# Why did the voters accept n5? Here is everything n5 asked and was answered (terms 3, 4
# and 5):

# %%
for record in f8.sim.trace.filter(kind="send"):
    asks = record.node == "n5" and isinstance(record.message, RequestVote)
    answers = record.peer == "n5" and isinstance(record.message, RequestVoteReply)
    if asks or answers:
        print(record)

# %% [markdown]
# `Vote?(t=5 last=3/2)`: n5's log ends with term 3 at index 2, while n2 and n3 end with
# term 2 at index 2 — the election restriction says n5 is more up to date, and it is right
# to say so. The restriction protects an entry only if the entry is on a majority *with its
# own leader's term*: then every voter in that majority has a last term at least that
# high, and a later candidate can only be as up to date if its log holds the entry too
# (Log Matching). Entry 2 of term 2 was on a majority, but the majority's last term (2) was
# older than a log that never had it (term 3). So "stored on a majority" is not
# "committed" for an entry of an old term.
#
# ### The correct rule: commit only entries of the current term
#
# The same script with `commit_current_term_only=True` (the default):

# %%
ok = Figure8()
ok.a(); ok.b(); ok.c()
raft_logs(ok.sim)

# %% [markdown]
# In (c) n1 does **not** commit index 2: it is of term 2 and n1 leads term 4 (its commit
# index stays 0). So when (d) overwrites it, nothing committed is lost:

# %%
ok.d()
raft_logs(ok.sim)

# %%
ok.log.found   # no violation

# %% [markdown]
# **(e)** — the paper's other future of (c): n1 does not crash yet. It replicates its
# term-4 entry (index 3) to a majority, which commits index 3 *and*, with it, index 2. Then
# it crashes. Can n5 still win? `e()` forces its election three times:

# %%
e8 = Figure8()
e8.a(); e8.b(); e8.c()
e8.e()   # True if n5 became leader

# %%
raft_logs(e8.sim)

# %% [markdown]
# No: n2, n3 and n4 now end with term 4, more up to date than n5's term 3, and refuse it
# in every term. The committed entries 2 and 3 are safe. With both rules in place, Leader
# Completeness holds (the proof in §5.4.3 of the paper uses exactly these two facts).
#
# ### Figure 8 in the player (seed 0, buggy rule)
#
# The buggy run replays in a player too: load its inputs (the forced time-outs are
# recorded as events fired out of turn). Scrub back to the step where n1 commits index 2,
# or to n5's election; the status line names the violation in red.

# %%
fig8_player = raft_player(5, seed=0, config=f8.config, spacetime_last=40)
fig8_player.load(f8.sim.choices["inputs"])
fig8_player

# %% [markdown]
# ## The model checker finds both bugs by itself (模型檢查)
#
# The seed search above found bad schedules by trying random runs. The model checker
# (`consensus_lab.explore`, shown in full in notebook 08) tries *every* schedule of a
# small cluster (三個伺服器): any pending message or timer may go next. Breadth-first,
# so the first counterexample it meets is a shortest one. For the election restriction
# the start is bare: n1 has just won term 1, nothing else has happened, and a client may
# hand `x=1` to whoever leads **at any moment** (the search decides when).

# %%
from consensus_lab.explore.protocols import get_spec

no_restriction = get_spec("raft", "no-election-restriction")
print(no_restriction.scene)
found = no_restriction.run()
print(found.summary())
print(found.violation)

# %% [markdown]
# The shortest counterexample (its moves are listed above): n2 times out *before* the
# command exists; n1 takes `x=1`, n3 stores it, and n3's acknowledgement lets n1 commit.
# Then n2's vote request reaches n1, which steps down and votes for n2 anyway (no
# election restriction): n2 becomes leader without a committed entry. The same run drawn:

# %%
schedule_spacetime(found.violation)

# %% [markdown]
# Figure 8 needs more: a command in term 1 that reaches nobody, a second leader with a
# command of its own, a third election, the old entry counted, a fourth election — about
# seventeen moves from a bare leader, too many states for a breadth-first search in
# pure Python. So this search starts from the paper's (a)–(c) (n1 leads term 3 and is
# sending `x=1` of term 1 to n2; n3 holds `x=2` of term 2) and finds the rest:

# %%
figure_8_found = get_spec("raft", "figure-8").run()
print(figure_8_found.summary())
print(figure_8_found.violation)

# %% [markdown]
# With the paper's rules, the bare-leader start shows no violation as deep as its
# counterexample goes, and the Figure 8 start is searched to the end: every reachable
# state within terms ≤ 4 (`consensus-lab explore raft` runs the same search). Each start
# is a short script of world moves (`explore.raft_scripted`), then the search:

# %%
from consensus_lab.explore import explore_scene
from consensus_lab.explore.raft_scripted import scripted_scene

safe_from_leader = explore_scene(scripted_scene("correct", "leader", max_term=2), max_depth=7)
safe_from_figure_8 = explore_scene(scripted_scene("correct", "figure-8"))
print(safe_from_leader.summary())
print(safe_from_figure_8.summary())

# %% [markdown]
# ### Figure 8 from a cold start
#
# Now with no script at all: five servers that have never run (冷啟動). Every schedule of
# five servers is far too many for a breadth-first search, so this one runs on a
# **settled network**, as Jepsen runs its tests: after every move, each message in
# flight arrives unless a network cut separates its two ends (then it is lost), and
# each leader sends one round of heartbeats (§5.6 asks that broadcast time be far
# below the election timeout). A move is then an election timeout, a client command
# handed to a leader, or the nemesis isolating one server. Every settled run is also
# an ordinary asynchronous run, so the counterexample replays message by message.

# %%
from consensus_lab.explore.raft_scene import SETTLED_SCENE, settled_scene

print(SETTLED_SCENE)
cold_start = explore_scene(settled_scene("figure-8"))
print(cold_start.summary())
for number, move in enumerate(cold_start.violation_moves, 1):
    print(f"{number:2d}. {move}")
print(cold_start.violation.message)

# %% [markdown]
# Nine moves: the shape of the paper's Figure 8, grown from nothing. n1 wins term 1 and is isolated;
# the other four elect n2 in term 2 (1–3). The isolated n1 still leads term 1 and takes
# `x=1`, which reaches nobody (4). Then n2 is isolated instead: n1 hears
# of term 2, steps down, and wins term 3; it sends `x=1` to a majority and, counting
# replicas, commits an entry of term 1 (5–6, the buggy rule). The isolated n2
# still leads term 2 and takes `y=2` (7). Last, n1 is isolated and n2 rejoins: its last
# entry has term 2, newer than everyone's term 1, so it wins term 4 (8–9) and would
# overwrite the committed `x=1`: Leader Completeness is broken. The counterexample the
# player opens on is those nine moves as single deliveries, drops and heartbeats; the
# status line names the broken invariant in red.
#
# With the paper's rule, the same bounds hold no violation: `consensus-lab explore raft
# --variant correct --cold-start` explores every settled state (about 67,000; more than
# a minute, so it is not run here).

# %%
from consensus_lab.widgets.schedule import schedule_player

cold_player = schedule_player(cold_start.violation, spacetime_last=40)
cold_player

# %% [markdown]
# ## What to notice
#
# - Safety is a property of *all* runs. A fault schedule that loses data may need a
#   particular timing — here, the lagger timing out first — so we search seeds, and the
#   simulator's invariants stop at the first bad event with its seed, trace and inputs.
# - The **election restriction** keeps a server that missed committed entries from
#   leading: any majority of voters contains a server that has them.
# - The **commit rule** makes "committed" mean what the election restriction protects:
#   on a majority, *in the leader's own term*. Counting replicas of an older term's entry
#   is the Figure 8 bug.
# - A new leader cannot know at once which old entries are committed; it finds out when an
#   entry of its own term commits. Real implementations append a no-op entry at the start
#   of each term for that (§8 of the paper); the lab's `RaftNode` does not, so Figure 8
#   can be shown as drawn.
#
# ## Exercise — the commit rule (`raft_commit_rule`)
#
# In `exercises/raft_commit_rule.py` write `new_commit_index(...)`: the highest N above the
# commit index stored on a majority (the leader counts) whose entry is of the current term.
# The checker tries your rule on the Figure 8 schedule and on clusters with crashes and
# partitions. From a terminal: `consensus-lab check raft_commit_rule`, or here:

# %%
from consensus_lab.exercises import check
check("raft_commit_rule")

# %% [markdown]
# ## Summary
#
# - The five safety properties are checked after every simulated event; a violation stops
#   the run with its seed, trace and recorded inputs, and replays in the player.

# %%
from IPython.display import Markdown

lost = sweep.sum()
Markdown(f"""- Without the election restriction, the schedule "cut a follower off, commit, crash
  the leader, heal" lost committed writes on {lost['restriction off']} of {len(sweep)} seeds
  (seed {sweep.index[sweep['restriction off']][0]} first); with it, on
  {lost['restriction on'] or 'none'}.""")

# %% [markdown]
# - Figure 8: with the commit rule off, n1 committed an entry of term 2 in term 4 by
#   counting replicas; n5 then won term 5 legitimately and overwrote it — Leader
#   Completeness and State Machine Safety both failed. With the rule on, nothing committed
#   was lost, and in (e) n5 could not win.
#
# Next: [08 · Paxos](08-paxos.ipynb) — the chapter moves on to Paxos: the same problems,
# solved with proposal numbers instead of terms.
