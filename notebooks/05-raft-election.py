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
# # 05 · Raft: leader election (Leader 選舉)
#
# Raft (Ongaro & Ousterhout, 2014) splits consensus into three smaller problems — the
# chapter's *Raft 的三個子問題*: **leader election**, **log replication** and **safety**.
# This notebook is the first one. You will see the three roles and the **terms** (任期)
# that number the leaders, read the real code of the vote, watch a first election on five
# nodes, crash the leader, cut it off with a partition, and measure why the election
# timeout must be *random*: with timeouts that are too close, candidates split the votes
# (分票) again and again. Last, a player lets you break elections yourself, RaftScope
# style: crash, pause, partition, force a time-out, drop a vote.
#
# It follows the chapter's section *1. Leader 選舉* and §5.1–5.2 of the Raft paper
# (Figures 2 and 4). Previous: [04 · consensus and FLP](04-consensus-and-flp.ipynb). Next:
# [06 · log replication](06-raft-replication.ipynb).

# %%
import pandas as pd
pd.set_option("display.max_colwidth", None)   # show long table cells in full

# %%
from dataclasses import asdict

from consensus_lab.nb import show
from consensus_lab.raft import CANDIDATE, RaftConfig, RaftNode, check_one_leader, raft_cluster
from consensus_lab.raft import RaftProtocol, rules
from consensus_lab.raft.state import TRANSITIONS
from consensus_lab.raft.scenarios import first_election, submit_to_leader
from consensus_lab.viz import raft_logs, raft_table, role_diagram, term_timeline, to_dataframe
from consensus_lab.widgets import raft_player

# %% [markdown]
# ## Vocabulary (詞彙)

# %%
from consensus_lab.glossary import glossary_table
glossary_table("raft").query("notebook == '05-raft-election'")

# %% [markdown]
# ## The rules
#
# From Figure 2 of the paper, the part that concerns elections:
#
# - **Terms.** Time is cut into terms 1, 2, 3, … Each term begins with an election and has
#   *at most one* leader. Every message carries its sender's term.
# - **All servers.** A message with a higher term than mine: adopt that term, forget my
#   vote, become a follower. A message with a lower term is stale: refuse it.
# - **Follower.** Answer leaders and candidates. If the **election timeout** passes without
#   a message from the current leader (and without granting a vote), become a candidate.
# - **Candidate.** Increment the term, vote for myself, restart the timer, send
#   **RequestVote** to every other server. Votes from a majority → leader. An AppendEntries
#   from a leader of this term → follower. Timeout again → a new election, a new term.
# - **Leader.** Send **heartbeats** (empty AppendEntries) at once and every 50 ms, so that
#   no follower times out.
# - **Voting.** Refuse a candidate of an older term. Otherwise grant the vote if I have not
#   voted for someone else in this term *and* the candidate's log is at least as up to date
#   as mine (the *election restriction*, the subject of notebook 07). Granting a vote
#   restarts my election timer.
#
# The election timeout is random, 150–300 ms in the chapter and here: the first follower
# to time out usually collects its votes before anyone else wakes up.
#
# The roles form a small state machine (the paper's Figure 4). Here it is as the table in
# `consensus_lab/raft/node.py` that the `become_*` methods implement — a test checks the
# code against it — and drawn from that same table:

# %%
pd.DataFrame(TRANSITIONS, columns=["from", "event", "to"])

# %%
role_diagram(highlight=CANDIDATE)

# %% [markdown]
# ## The library's code
#
# Every experiment below runs this code, the same code `tests/raft/` checks. A timer fires:
# a follower (or a candidate whose election failed) stands for election.

# %%
show(RaftProtocol.on_timer, RaftProtocol.become_candidate)

# %% [markdown]
# `step(state, input)` is a pure function: it returns the next state and the effects
# (Persist, Send, SetTimer ...) in the order the paper needs. Every message goes through
# `on_message`: first the rule all servers share (a higher term makes
# me a follower of that term), then the step function of my current role:

# %%
show(RaftProtocol.on_message)

# %% [markdown]
# The vote. `log_up_to_date` compares the *last term* first and the length only when the
# last terms are equal (the chapter's simplified `request_vote` compares only the lengths;
# notebook 07 shows why the term must come first):

# %%
show(rules.grant_vote, rules.log_up_to_date)

# %% [markdown]
# A candidate counts the votes of its own term; a majority (3 of 5) makes it the leader:

# %%
show(RaftProtocol.step_candidate, RaftProtocol.step_candidate_vote, RaftProtocol.maybe_win)

# %% [markdown]
# ## Experiment 1 — the first election (5 nodes, seed 1)
#
# Five servers start as followers of term 0, each with its own random election timeout.
# `check_one_leader` runs the simulation until exactly one leader holds the highest term:

# %%
sim = raft_cluster(5, seed=1)
leader = check_one_leader(sim)
leader.node_id, leader.current_term

# %% [markdown]
# The nodes' notes in the trace tell the story in two lines; the full trace shows the
# votes:

# %%
for record in sim.trace.filter(kind="note"):
    print(record)

# %%
print(sim.trace.tail(22))

# %% [markdown]
# The leader printed above is the node whose timer fired first: it became a candidate of
# term 1, voted for itself and sent `Vote?(t=1 last=0/0)` (term 1, its last log entry:
# term 0 at index 0 — an empty log) to the four others. Each had not voted in term 1, so
# each answered `Vote(t=1 yes)`; the second *yes* to arrive gave it three votes out of five,
# and it at once sent heartbeats (`App(… n=0 …)`: no entries). The votes that arrived
# later came after it had won. The trace above has the times.
#
# The **term timeline** draws the same run: one lane per node, the bar's colour is the term
# (grey = term 0) and its height the role — thin for a follower, middle for a candidate,
# thick for the leader:

# %%
term_timeline(sim)

# %%
raft_table(sim)

# %% [markdown]
# Every follower now has voted for the leader in term 1 (`voted_for`) and knows it
# (`leader_id`).
# `match` and `next` are the leader's bookkeeping for each follower, used in notebook 06.
#
# ## Experiment 2 — crash the leader (seed 1, continued)
#
# At t=400 we crash the leader. The followers stop receiving heartbeats; the first whose timer
# expires starts term 2.

# %%
sim.run(until=400)
sim.crash(leader.node_id)
second = check_one_leader(sim)
second.node_id, second.current_term

# %%
for record in sim.trace.filter(kind="note"):
    print(record)

# %%
term_timeline(sim)

# %% [markdown]
# The notes show two followers becoming candidates of term 2, the second before the
# first one's request reached it. Each voted for itself, so the second refused the first —
# yet the first still collected three votes (its own and two others') and won. A split vote
# needs the votes to be spread so that *nobody* reaches a majority; experiment 5 makes that
# happen on purpose. The crashed old leader is a dotted lane: it keeps only what it
# persisted (term 1, its vote).
#
# ## Experiment 3 — partition the leader away (seed 4)
#
# Now the leader is not dead but cut off, together with one follower: a minority of two
# against a majority of three. A client `c1` that still talks to the old leader writes
# `X=stale`; later a client `c2` writes `X=fresh` to whoever leads the majority.

# %%
sim = raft_cluster(5, seed=4)
old = check_one_leader(sim).node_id
sim.run(until=500)
buddy = next(n for n in sim.node_ids if n != old)
sim.partition([old, buddy])                    # {old leader, buddy} | the other three
sim.submit(old, "put", key="X", value="stale", timeout=800)
sim.run(until=1200)
submit_to_leader(sim, "put", key="X", value="fresh", client="c2")   # the highest term
sim.run(until=1500)
raft_table(sim)

# %% [markdown]
# **Two nodes believe they lead**, one in term 1 and one in term 2. That does not break
# *election safety* — at most one leader *per term* — and the old leader cannot do harm:
# its buddy still follows it (its heartbeats arrive), but to commit anything it needs three
# of five servers. `X=stale` sits in two logs, not committed (pale, hatched, dashed);
# `X=fresh` is committed on the majority side (solid, the bar marks the commit index):

# %%
raft_logs(sim)

# %% [markdown]
# Heal the partition. The old leader keeps thinking it leads *until it hears a higher
# term*: the first heartbeat from the new leader (term 2) turns it into a follower. The
# new leader's AppendEntries then find a conflict at index 1 (term 1 there, term 2 at the leader): the
# follower deletes its entry and takes the leader's (notebook 06 has the rules).

# %%
sim.heal()
sim.run(until=sim.now + 300)
raft_table(sim)[["role", "term", "leader_id", "commit", "last_index"]]

# %%
raft_logs(sim)

# %%
term_timeline(sim)

# %% [markdown]
# `c1` never got an answer: after 800 ms it gave up, and the history records `info` —
# *outcome unknown*. Here the write was lost; in general a client cannot tell (notebook 06
# shows one that took effect although the client heard nothing). `c2` got `ok`.

# %%
to_dataframe(sim.history)

# %% [markdown]
# ## Experiment 4 — a follower alone cannot win (seed 4)
#
# A minority cannot elect a leader: a candidate needs votes from a majority, and they are
# on the other side. Cut one follower off and let the cluster commit a write meanwhile:

# %%
sim = raft_cluster(5, seed=4)
leader = check_one_leader(sim).node_id
loner = next(n for n in sim.node_ids if n != leader)
sim.partition([loner])
sim.submit(leader, "put", key="X", value=1)
sim.run(until=1500)
raft_table(sim)[["role", "term", "voted_for", "leader_id", "commit", "last_index"]]

# %% [markdown]
# Every election timeout, the loner became a candidate of a new term, voted for itself and
# heard nothing: its term climbed while the rest stayed in term 1. Now heal:

# %%
sim.heal()
sim.run(until=sim.now + 600)
raft_table(sim)[["role", "term", "voted_for", "leader_id", "commit", "last_index"]]

# %%
term_timeline(sim)

# %% [markdown]
# The loner's high term reached the leader in the answer to a heartbeat (an
# `AppendEntriesReply` carrying that term): the healthy leader **stepped down**, and
# elections followed. When the loner asked for votes everyone refused: its log lacks the
# committed write (the election restriction, notebook 07). Another node won the next term
# (the table and the timeline above). The loner cannot win, but
# its return cost the cluster an election and a leaderless moment. Real systems add a
# *Pre-Vote* round (§9.6 of Ongaro's thesis; etcd's `PreVote` option): a candidate first
# asks whether it *could* win, without raising anyone's term. Our `RaftNode` has no
# Pre-Vote, so you can watch the disruption.
#
# ## Experiment 5 — why the timeout is random: split votes (seeds 0–49)
#
# If timeouts were nearly equal, several followers would stand at once, each vote for
# itself, and nobody would reach three votes: a **split vote**. The term then ends without
# a leader and everyone waits for the next timeout — which again fires at nearly the same
# moment. The paper's fix: a random timeout in a range much wider than a message delay
# (here 2–10 ms). `first_election` runs a fresh cluster until its first leader and counts:

# %%
show(first_election)

# %%
ranges = {"150–300 ms (default)": (150, 300), "150–200 ms": (150, 200),
          "150–155 ms (narrow)": (150, 155)}
rows = [asdict(first_election(seed, config=RaftConfig(election_timeout=timeout)))
        | {"timeouts": name} for name, timeout in ranges.items() for seed in range(50)]
runs = pd.DataFrame(rows)

# %%
summary = runs.groupby("timeouts", sort=False).agg(
    runs=("seed", "size"), first_round_wins=("term", lambda t: (t == 1).sum()),
    mean_rounds=("term", "mean"), max_rounds=("term", "max"),
    mean_elected_at_ms=("elected_at", "mean"), mean_vote_messages=("vote_messages", "mean"))
summary.round(1)

# %%
counts = runs.groupby(["term", "timeouts"]).size().unstack(fill_value=0)
ax = counts[list(ranges)].sort_index().plot.bar(figsize=(9, 3.2), width=0.8, rot=0)
ax.set_xlabel("term of the first leader (= election rounds)")
ax.set_ylabel("runs (of 50)");

# %%
from IPython.display import Markdown

wide, narrow = summary.loc["150–300 ms (default)"], summary.loc["150–155 ms (narrow)"]
Markdown(f"150–300 ms: {wide.first_round_wins:.0f} of {wide.runs:.0f} runs elected a leader in term 1, "
         f"at t = {wide.mean_elected_at_ms:.0f} ms on average. 150–155 ms: the first leader "
         f"came in term {narrow.mean_rounds:.1f} on average ({narrow.max_rounds:.0f} at worst), "
         f"at t = {narrow.mean_elected_at_ms:.0f} ms on average, with "
         f"{narrow.mean_vote_messages / wide.mean_vote_messages:.0f} times the vote messages.")

# %% [markdown]
# With the default range a leader comes in term 1 (the line above says in how many runs);
# a second candidate sometimes starts, as in experiment 2, but it does not split the vote.
# With 150–155 ms the five timeouts fall within 5 ms of each other — less than one message
# delay — so the votes split round after round: more rounds, a later leader and many more
# messages. Nothing in a new round ends the split by itself; only the randomness does.
#
# ## Experiment 6 — what an election costs (3 to 9 nodes, seeds 0–9)
#
# One candidacy is n−1 RequestVotes and up to n−1 replies: 2(n−1) messages. Extra
# candidates in the same term add their own.

# %%
cost = pd.DataFrame([asdict(first_election(seed, nodes=n)) | {"nodes": n}
                     for n in (3, 5, 7, 9) for seed in range(10)])
table = cost.groupby("nodes")[["candidacies", "vote_messages"]].mean()
table.assign(**{"2(n-1)": [2 * (n - 1) for n in table.index]})

# %% [markdown]
# ## Break it yourself: the Raft player (5 nodes, seed 1)
#
# The player runs seed 1 of experiment 1 with the five safety properties checked after
# every event (a violation would turn the status line red). Under the cluster diagram is
# the live term timeline. Things to try:
#
# - **step ▶** until someone leads; watch `Vote?` and `Vote` in flight.
# - **Crash the leader**: choose it in **node**, press **crash**, then **play**: who wins
#   term 2? **restart** it: it comes back as a follower of its old term and adopts the new
#   one at the first heartbeat.
# - **time out** (RaftScope's button): fire the chosen node's election timer *now*. Do it on
#   a follower of a healthy cluster — it starts a new term and takes over, because the
#   others' logs are no more up to date than its own.
# - **Pause** the leader (a GC pause) for a while, then **resume**: it still believes it
#   leads, until the first message of a higher term.
# - **Drop** votes: pick a `Vote(…yes)` in **pending** and press **drop** (next to
#   **deliver next**). Drop three of the four and the candidate cannot reach a majority: it
#   times out and stands again in a new term.
# - **Partition** groups as in experiments 3 and 4; **◀ back** and the scrubber replay.

# %%
player = raft_player(5, seed=1, terms=True, logs=False)
player

# %% [markdown]
# The same from Python: go to step 30 (a leader of term 1 is elected by then), then force
# n4's election timeout.
# Scroll up: the player shows the same state.

# %%
player.goto(30)
player.time_out("n4")
player.step(20)
raft_table(player.sim)[["role", "term", "voted_for", "leader_id"]]

# %% [markdown]
# n4 started term 2; its `Vote?(t=2 …)` made the old leader adopt term 2 and step down; with empty
# logs everyone could vote for n4, and it won. A forced time-out is an election like any
# other.
#
# ## What to notice
#
# - **At most one leader per term**, but two nodes may *believe* they lead at the same
#   moment, in different terms. The stale one cannot commit (it lacks a majority) and steps
#   down as soon as it hears the higher term.
# - **Terms are a logical clock**: every message carries one, the higher term wins, and a
#   server's term only grows — which is why it is persisted before anything is sent.
# - **Random timeouts** make split votes rare; make the range narrower than a message delay
#   and elections take many rounds.
# - **A minority cannot elect**, but a node cut off for long returns with a high term and
#   forces one extra election (Pre-Vote avoids that).
# - An election costs 2(n−1) messages per candidate — cheap next to the heartbeats that
#   follow (n−1 every 50 ms).
#
# ## Exercise — write the vote (`raft_request_vote`)
#
# In `exercises/raft_request_vote.py` write `log_up_to_date(...)` (compare the last terms,
# then the lengths) and `grant_vote(...)` (stale term, one vote per term, the election
# restriction). The checker plugs your functions into `RaftNode` and runs elections, the
# schedule of notebook 07, and clusters with crashes and partitions. From a terminal:
# `consensus-lab check raft_request_vote`, or here:

# %%
from consensus_lab.exercises import check
check("raft_request_vote")

# %% [markdown]
# ## Summary
#
# - A Raft server is a follower, a candidate or the leader; terms number the leaders, and
#   any message with a higher term turns its receiver into a follower of that term.
# - A follower that hears no heartbeat for its random election timeout (150–300 ms) starts
#   a new term and asks for votes; a majority makes it the leader. Each server votes once
#   per term, only for a log at least as up to date as its own.

# %%
seed1 = first_election(1)
Markdown(f"""
- Seed 1: {seed1.leader} won term {seed1.term} at t={seed1.elected_at} with
  {seed1.vote_messages} vote messages; after its crash {second.node_id} won term
  {second.current_term}.
- Over 50 seeds, 150–300 ms timeouts elected a leader in the first round in
  {wide.first_round_wins:.0f} runs; 150–155 ms needed {narrow.mean_rounds:.1f} rounds on average.
""")

# %% [markdown]
# - Seed 4: a partitioned old leader kept leading a minority until it heard term 2, and its
#   client's write was lost (`info`).
#
# Next: [06 · log replication](06-raft-replication.ipynb) — what the leader does with
# client commands.
