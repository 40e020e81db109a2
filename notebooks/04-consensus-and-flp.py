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
# # 04 · Consensus and the FLP result (共識 · FLP 不可能結果)
#
# **Consensus** (共識) means getting several nodes to agree on one value. It sounds easy —
# and it would be, on a network that never loses a message, with nodes that never crash
# or stall and a clock everyone shares. This notebook follows the chapter's sections
# *什麼是共識?* and *共識問題的形式化定義*. You will:
#
# 1. see **why agreement is hard**: a lost message, a slow message, a crash, a paused node
#    and the missing global clock, each happening in a small simulated cluster, each drawn
#    as a space-time diagram;
# 2. turn the definition — **agreement, validity, termination** — into three checks on a
#    run, and watch a correct run pass them, a buggy protocol break agreement and a crashed
#    majority stall termination without breaking safety;
# 3. read the **FLP result** precisely, then watch two proposers **livelock** (活鎖) in a
#    player you can step: ballots climb, nothing is ever chosen;
# 4. break the tie with **randomized backoff** and measure P(decided within T) over many
#    seeds;
# 5. see how real systems live with FLP: timeouts, Raft's random election timeouts, leaders
#    and leases.
#
# Previous: [03 · causality](03-causality.ipynb). Next:
# [05 · Raft leader election](05-raft-election.ipynb).

# %%
import matplotlib.pyplot as plt
import pandas as pd
pd.set_option("display.max_colwidth", None)   # show long table cells in full

# %%
from consensus_lab.nb import show
from consensus_lab.paxos import (PREPARING, ProposerProtocol, config_for, decided,
                                 learned, paxos_sim, proposers_of)
from consensus_lab.paxos.properties import check_agreement, check_termination
from consensus_lab.paxos.scenarios import adversary_pick, duel, ignored_accepted_value
from consensus_lab.viz.experiments import backoff_experiment, properties_table
from consensus_lab.sim import Network
from consensus_lab.viz import spacetime_diagram, to_dataframe
from consensus_lab.widgets.paxos import ballots_readout, duel_player, paxos_label

# %% [markdown]
# ## Vocabulary (詞彙)

# %%
from consensus_lab.glossary import glossary_table
glossary_table(("basics", "consensus")).query("notebook == '04-consensus-and-flp'")

# %% [markdown]
# ## What consensus is for
#
# The chapter lists where systems need nodes to agree on exactly one answer:
#
# | use (應用) | what must be agreed | in this lab |
# |---|---|---|
# | leader election (Leader 選舉) | who the one leader is | [05 · election](05-raft-election.ipynb) |
# | atomic commit (原子提交) | commit or abort, the same everywhere | [09](09-atomic-commit.ipynb) |
# | replicated log (複製日誌) | the order of entries | [06](06-raft-replication.ipynb), [08][p] |
# | lock service (鎖服務) | who holds the lock | [11](11-etcd-and-locks.ipynb), [13][lock] |
# | configuration management (配置管理) | the current configuration | [11](11-etcd-and-locks.ipynb) |
#
# [p]: 08-paxos.ipynb
# [lock]: 13-exercise-distributed-lock.ipynb
#
# Each of them reduces to the same problem: several nodes propose values, and all must
# settle on one of them.
#
# ## The cluster we use
#
# To see the difficulties we need a real consensus protocol, so every run here uses the
# library's **single-decree Paxos** (Lamport, *Paxos Made Simple*; notebook 08 takes it
# apart). Its roles are separate nodes whose ids name them:
#
# - **proposers** `p1`, `p2` each want their own value (`v-p1`, `v-p2`) chosen. A proposer
#   numbers each attempt with a **ballot** `round.proposer` (`3.p2`), higher than any it
#   has seen; it asks the acceptors to `Prepare` for it, and with a majority of `Promise`s
#   sends `Accept(ballot, value)`;
# - **acceptors** `a1`–`a3` promise to ignore lower ballots and accept proposals; a refused
#   message gets a `Nack` naming the higher ballot;
# - a value is **chosen** once a majority of acceptors (2 of 3) have accepted the same
#   ballot; the **learner** `l1` finds out from their `Accepted` messages.
#
# First, one proposer and nothing going wrong: every message takes exactly 10 ms.

# %%
NET = Network(latency=(10, 10))     # every message: 10 ms, no loss
def notes(sim):                     # what the nodes noted, in order
    print(*sim.trace.filter(kind="note"), sep="\n")
def draw(sim):                      # the space-time diagram, with short Paxos labels
    return spacetime_diagram(sim.trace, label=paxos_label)


# %%
sim = paxos_sim(3, 1, 1, network=NET)
sim.run(until=decided)
smooth_decision = sim.now           # when the run without trouble decided
notes(sim)

# %%
draw(sim)

# %% [markdown]
# One lane per node, time flowing right, one arrow per message. Each dot is an event,
# labelled with the node's state after it: a proposer's phase and ballot, an acceptor's
# promise (`prom 1.p1`) or accepted proposal (`acc 1.p1:v-p1`), what the learner learned.
# Two round trips — `Prepare`/`Promise`, then `Accept`/`Accepted` — of 10 ms per message,
# and the learner has heard from a majority (the last note above). Now let things go wrong.

# %% [markdown]
# ## Why agreement is hard (為什麼困難?)
#
# The chapter names three sources of trouble: an **unreliable network** (messages lost or
# delayed), **nodes that fail** (crash or pause) and **no global clock**. Each cell below
# makes one of them happen.
#
# ### 1. A lost message (訊息丟失)
#
# p1's `Prepare` to a1 and a2 is lost in the network (`sim.drop`). Only a3 answers — one
# promise of the two needed.

# %%
sim = paxos_sim(3, 1, 1, network=NET)
sim.run(until=5)                      # p1 has sent Prepare(1.p1) to a1, a2 and a3
for event in sim.pending():
    if event.kind == "deliver" and event.node in ("a1", "a2"):
        sim.drop(event.id)            # lost on the way
sim.run(until=decided)
notes(sim)

# %%
draw(sim)

# %%
from IPython.display import Markdown

Markdown(f"Chosen at t={sim.now}, against t={smooth_decision} when nothing was lost.")

# %% [markdown]
# The red crosses are the lost messages. p1 cannot know what happened: were they lost? Is
# a1 slow, or crashed? All it can do is **wait and try again** — its retry timeout (100 ms)
# fired, it prepared a higher ballot, `2.p1`, and that one got through, one timeout later
# than the run without losses (just above).
#
# ### 2. A delayed message (訊息延遲)
#
# Now nothing is lost, but the links from p1 to a1 and from p1 to a2 are slow: a message
# on them takes 150 ms instead of 10 (the answers come back in 10). p1 still gives up
# after 100 ms.

# %%
slow = NET.with_link("p1", "a1", latency=(150, 150)).with_link("p1", "a2", latency=(150, 150))
sim = paxos_sim(3, 1, 1, network=slow)
sim.run(until=250)
draw(sim)

# %%
sim.run(until=1000)
p1 = proposers_of(sim)[0]
decided(sim), p1.ballots_tried, p1.ballot

# %% [markdown]
# Every promise arrives 160 ms after its `Prepare` — after p1 has given up on that ballot
# and started the next. The late `Promise(1.p1 …)` is for a ballot p1 no longer runs, so it
# is ignored: ballot numbers are how a node recognises an old message. A timeout shorter
# than the real delay makes p1 abandon every attempt just before it would succeed — by
# t=1000 it had tried the number of ballots shown above and decided nothing. With a patient timeout (400 ms) the very
# same network decides in one ballot:

# %%
sim = paxos_sim(3, 1, 1, network=slow, config=config_for(retry_timeout=400))
sim.run(until=decided)
sim.now, learned(sim), proposers_of(sim)[0].ballots_tried

# %% [markdown]
# A lost message and a slow one look the same from the inside. A timeout is only a
# *guess* that something went wrong — too short and the node gives up on work that would
# have finished; too long and it waits for a reply that will never come.
#
# ### 3. A crash (節點崩潰)
#
# a3 crashes at the start. A majority — a1 and a2 — is still there:

# %%
sim = paxos_sim(3, 1, 1, network=NET)
sim.crash("a3")
sim.run(until=decided)
notes(sim)

# %%
draw(sim)

# %% [markdown]
# a3's lane is empty and the messages to it end in crosses: with 3 acceptors Paxos survives
# one crash, because any two majorities share an acceptor. Two crashes stop it — we come
# back to that under *termination*.
#
# ### 4. A paused node (節點暫停)
#
# A garbage-collection pause, a VM migration, a swapped-out process: the node stops for a
# while and then carries on as if nothing had happened. Here p1 sends its `Prepare(1.p1)`
# and is frozen; p2 runs on.

# %%
sim = paxos_sim(3, 2, 1, network=NET)
sim.run(until=lambda s: s.nodes["p1"].phase == PREPARING)    # p1 has sent its Prepares
sim.pause("p1")
sim.run(until=100)
sim.resume("p1")
sim.run(until=300)
notes(sim)

# %%
draw(sim)

# %%
print(*[r for r in sim.trace if r.node == "p1" and 100 <= r.time <= 125], sep="\n")

# %% [markdown]
# While p1 slept, p2 had `v-p2` chosen (the notes above). At t=100 p1 woke up and found three
# `Promise(1.p1)` waiting — by its own account it held a majority, so it sent
# `Accept(1.p1 v-p1)` at once. Its view of the world was 100 ms old: every acceptor had
# since promised `1.p2`, so all three answered `Nack`. p1 tried ballot `2.p1`, whose
# promises reported the accepted `v-p2`, and proposed that instead (the rule notebook 08
# explains). A paused node cannot tell that it was paused; only the ballot numbers stop it
# from acting on stale knowledge.
#
# ### 5. No global clock (無全局時鐘)
#
# Back to the chapter's default network: every message takes 2–10 ms, at random (seed 1).
# Both proposers send `Prepare` at t=0. Which came first? Each acceptor saw its own order:

# %%
sim = paxos_sim(3, 2, 1, seed=1)
sim.run(until=decided)
trace = to_dataframe(sim.trace)
prepares = trace[(trace.kind == "deliver") & (trace.message_type == "Prepare")]
prepares.groupby("node")["peer"].agg(" then ".join).rename("Prepare arrived from")

# %%
learned(sim)

# %% [markdown]
# The acceptors do not agree on who came first (the table above). "First come, first
# served" would have them choose different values. Timestamps cannot settle it either: every node
# has its own clock, and clocks are skewed. Give three nodes wildly wrong clocks — a1 5
# seconds ahead, a2 0.8 s behind, p1 250 ms ahead:

# %%
skewed = paxos_sim(3, 2, 1, seed=1)
for node, skew in {"a1": 5000, "a2": -800, "p1": 250}.items():
    skewed.set_clock(node, skew=skew)
skewed.run(until=decided)
def deliveries(s):
    return [str(r) for r in s.trace.filter(kind="deliver")]
learned(skewed), deliveries(skewed) == deliveries(sim)

# %% [markdown]
# The very same run, message for message. Paxos never asks *when* something happened: it
# orders proposals by ballot number (`1.p2` beats `1.p1` whoever arrived first) and uses
# the clock only to time its retries, so wrong clocks can slow it down but never make it
# choose two values. Protocols that do trust clocks — leases, Spanner's commit wait — must
# bound the skew (notebooks 10 and 11).

# %% [markdown]
# ## Consensus defined (共識問題的形式化定義)
#
# A consensus protocol must guarantee, in every run:
#
# 1. **Agreement** (一致性): all nodes decide the same value.
# 2. **Validity** (合法性): the decided value was proposed by some node. (This rules out
#    the useless protocol "always decide 0", which trivially agrees and terminates.)
# 3. **Termination** (終止性): every correct — not crashed — node eventually decides.
#
# The first two are **safety** properties (安全性): *nothing bad ever happens*. A finite run
# can break them, at one precise event. Termination is a **liveness** property (活性):
# *something good eventually happens*. A finite run can only show that it has happened
# *yet* — a run that has not decided by t=1000 might decide at t=1001.
#
# `consensus_lab.paxos.properties` checks the three on a run. Agreement reads the
# acceptors, not just the learners: a value is chosen the moment a majority accepts it,
# even before anyone has heard.

# %%
show(check_agreement, check_termination)

# %% [markdown]
# Four runs:
#
# - **correct** — two proposers competing on the chapter's network (seed 1);
# - **ignores-accepted** — a buggy proposer that always proposes its own value, ignoring
#   an accepted value reported in a `Promise`. The scripted schedule below (the library's
#   `ignored_accepted_value`) gets `v-p1` chosen by a1, a2 and then lets p2 run a higher
#   ballot through a2, a3;
# - **same schedule, correct** — that schedule on correct Paxos;
# - **crashed majority** — a1 and a2 crash at t=0; the proposers retry for 1000 ms.

# %%
show(ignored_accepted_value)

# %%
correct = paxos_sim(3, 2, 1, seed=1)
correct.run(until=decided)
buggy = ignored_accepted_value("ignores-accepted")
fixed = ignored_accepted_value("correct")
fixed.sim.run(until=decided)
blocked = paxos_sim(3, 2, 1, seed=1)
blocked.crash("a1")
blocked.crash("a2")
blocked.run(until=1000);

# %%
table = properties_table({"correct": correct, "ignores-accepted": buggy.sim,
                          "same schedule, correct": fixed.sim,
                          "crashed majority": blocked})
table

# %% [markdown]
# Read the table row by row:
#
# - **correct** passes all three.
# - **ignores-accepted** breaks **agreement** — at the event that made a2, a3 accept
#   `v-p2`, `v-p1` had already been chosen by a1, a2. The invariant stopped the run there
#   (`buggy.violation`), so the learner never decided either. Its space-time diagram:

# %%
print(buggy.violation)
draw(buggy.sim)

# %% [markdown]
# - **same schedule, correct**: p2's promise from a2 reported `(1.p1, v-p1)`, so p2 proposed
#   `v-p1` again — one value, and the learner decided it.
# - **crashed majority** breaks **termination, not safety**: nothing is chosen, so nothing
#   disagrees; the two proposers kept trying, a ballot every 100 ms, and no majority ever
#   answered. Paxos prefers to wait rather than risk two values. Restart one acceptor and it
#   finishes:

# %%
blocked_ballots = sum(p.ballots_tried for p in proposers_of(blocked))
print(blocked_ballots, "ballots tried by t=1000")
blocked.restart("a2")
blocked.run(until=decided)
check_termination(blocked)

# %% [markdown]
# ## The FLP result (FLP 不可能結果)
#
# Fischer, Lynch and Paterson, *Impossibility of Distributed Consensus with One Faulty
# Process* (J. ACM, 1985):
#
# > In an **asynchronous** system — messages are always delivered, but with no bound on how
# > long they take, no bound on how slowly a node runs, and no clocks — **no deterministic
# > protocol** solves consensus if even **one node may crash**.
#
# Precisely: take any deterministic protocol that always keeps agreement and is not
# trivial (some runs can decide 0, others 1). Then there is an admissible run — every
# message to a live node eventually delivered, at most one node crashing — in which no node
# ever decides. The proof keeps the system *undecided* ("bivalent"): whenever one message
# would settle the outcome, the scheduler delays it, which in an asynchronous system nobody
# can tell apart from a crash of its sender. The never-deciding run needs no actual crash:
# the mere *possibility* of one forces the protocol to go on without hearing from everyone,
# and that is what the scheduler exploits. Note what the theorem does **not** say:
# it does not say consensus usually fails, or that safety must be given up. It says
# **termination cannot be guaranteed** — some schedule can postpone the decision for ever.
#
# Paxos is deterministic (with backoff off) and always safe, so such a schedule must exist
# for it. Here is one, played by an **adversary** that controls the order of delivery but
# is *fair*: every message still arrives within the network's 10 ms bound, nobody crashes.
# (Paxos does not rely on that bound — it retries 3 ms after a `Nack` — so for Paxos this
# network is as good as asynchronous.) The adversary's rule:

# %%
show(adversary_pick)

# %% [markdown]
# And the proposer's reaction to a `Nack`: wait `retry_after` (3 ms), plus, with backoff
# on, a random extra wait:

# %%
show(ProposerProtocol.on_nack, ProposerProtocol.backoff)

# %% [markdown]
# ### Duelling proposers (seed 0, 1000 ms)
#
# `duel(seed, backoff)` runs p1 and p2 under the adversary until a learner learns or the
# horizon passes.

# %%
stuck = duel(seed=0, backoff=False, horizon=1000, sample_every=20)
calm = duel(seed=0, backoff=True, horizon=1000, sample_every=20)
print(stuck, calm, sep="\n")

# %%
fig, ax = plt.subplots(figsize=(8, 3))
for result, name in ((stuck, "no backoff"), (calm, "random backoff ≤ 20 ms")):
    t, rounds = zip(*result.rounds_over_time)
    ax.step(t, rounds, where="post", label=name)
ax.plot(calm.decided_at, calm.highest_round, "*", markersize=14, color="C1")
ax.annotate(f"{calm.value} chosen at t={calm.decided_at}", (calm.decided_at, calm.highest_round),
            xytext=(60, 60), textcoords="offset points", arrowprops={"arrowstyle": "->"})
ax.set_xlabel("time (ms)")
ax.set_ylabel("highest ballot round")
ax.set_title("Duelling proposers (seed 0)")
ax.legend();

# %% [markdown]
# Without backoff the ballot round climbs by one every 3 ms — a new `Prepare` each time
# the other proposer's arrives — and after 1000 ms nothing is decided: a **livelock**
# (活鎖). Every node is busy, every message is delivered, and no progress is made.
# Randomized backoff ended it: the second line printed above, and the star in the chart.
#
# ## Step the duel yourself: the player (seed 0, no backoff)
#
# The player below runs that duel with **the adversary as the scheduler**: each **step ▶**
# delivers what the adversary picks (a `Prepare`, `Promise` or `Nack` at once, or an
# `Accept` that is doomed) or, when it holds everything back, lets time pass to the next
# event. Under the cluster diagram, the **ballots** view shows the highest ballot round,
# the values chosen and learned, and every node's promise, accepted proposal and ballot.
# Things to try:
#
# - **step ▶** a dozen times and follow the ping-pong in the space-time diagram:
#   `Prepare(2.p1)` → `Promise` → p1 sends `Accept`… which the adversary holds, while
#   p2's `Prepare(2.p2)` overtakes it, so the `Accept` meets a higher promise and gets a
#   `Nack`. The round goes up; **chosen** stays `—`.
# - **▶ play** for a few seconds: the round keeps climbing, for ever.
# - **Be the network yourself**: pick one of p1's pending `Accept`s in **pending** and press
#   **deliver next** before p2's next `Prepare` lands, then the second one — a value is
#   chosen. One lucky schedule is enough; the adversary just never offers it.
# - Untick **adversary schedules the network**: the plain network delivers in time order and
#   the next accept round wins.
# - **crash** p2 (node → crash): with one proposer left, does p1 finish? FLP's crash is
#   this kind of event — the survivors cannot tell a crash from a delay.

# %%
player = duel_player(seed=0)
player.step(60)
player

# %% [markdown]
# The player has taken 60 steps. The same numbers from Python:

# %%
ballots_readout(player.sim)

# %% [markdown]
# In that short stretch of simulated time (the readout's time and round) the proposers
# climbed round after round and chose nothing. For
# comparison, the same duel **with** randomized backoff (≤ 20 ms, doubling after each
# `Nack` in a row) — step it and watch one proposer go quiet long enough for the other's
# `Accept` to land:

# %%
calm_player = duel_player(seed=0, backoff=True, views=("spacetime",))
calm_player.step(80)
calm_player

# %%
ballots_readout(calm_player.sim)

# %% [markdown]
# ## The backoff experiment: P(decided within T)
#
# How much randomness does it take? One duel per seed (0–39) for each backoff setting,
# measuring when a value was decided; without backoff the duel is deterministic, so one
# run stands for every seed. The maximum extra wait is `backoff_max` ms, and with
# **doublings** = 4 it doubles after each `Nack` in a row (exponential backoff), up to
# 16 × `backoff_max`.

# %%
HORIZONS = (10, 20, 30, 40, 50, 60, 80, 100, 150, 200)
sweep = pd.concat([
    backoff_experiment(seeds=[0], horizons=HORIZONS, backoffs=(False,)),
    backoff_experiment(seeds=range(40), horizons=HORIZONS, backoffs=(4, 8, 20),
                       doublings=(0, 4)),
], ignore_index=True)
sweep.pivot_table(index=["backoff_max", "doublings"], columns="horizon",
                  values="p_decided").round(2)

# %%
fig, ax = plt.subplots(figsize=(8, 4))
colors = {0: "black", 4: "C0", 8: "C1", 20: "C2"}
for (backoff, doublings), rows in sweep.groupby(["backoff_max", "doublings"]):
    name = ("no backoff" if not backoff else
            f"≤ {backoff} ms" + (", doubling" if doublings else ", fixed"))
    ax.plot(rows.horizon, rows.p_decided, marker="o", label=name, color=colors[backoff],
            linestyle="-" if doublings else "--", linewidth=4 if not backoff else 1.5)
ax.set_xlabel("T (ms)")
ax.set_ylabel("P(decided within T)")
ax.set_title("Duelling proposers under the adversary, 40 seeds per setting")
ax.set_ylim(-0.03, 1.03)
ax.legend(loc="lower right", fontsize=9);

# %%
def setting(backoff, doublings):
    if not backoff:
        return "no backoff"
    return f"≤ {backoff} ms" + (", doubling" if doublings else ", fixed")


def every_seed_by(rows):
    done = rows[rows.p_decided == 1].horizon
    return f"T = {done.min()} ms" if len(done) else f"not within {max(HORIZONS)} ms"


Markdown("Every seed decided by — " + "; ".join(
    f"**{setting(backoff, doublings)}**: {every_seed_by(rows)}"
    for (backoff, doublings), rows in sweep.groupby(["backoff_max", "doublings"])))

# %% [markdown]
# What the chart shows (seeds 0–39):
#
# - **No backoff**: nothing decided at any T — the livelock.
# - **≤ 4 ms, fixed**: nothing decided either. The longest wait, 3 + 4 = 7 ms, is shorter than the
#   10 ms an `Accept` takes, so the next `Prepare` always overtakes it: randomness that
#   cannot outlast a message delay does not help.
# - **≤ 4 ms, doubling**: the range grows after each `Nack` until one wait exceeds the
#   delay — every seed decides in the end (the line above says by when).
# - **≤ 8 ms** and **≤ 20 ms**: a single wait can already outlast the message; the wider
#   the range, the sooner the proposers fall out of step.
#
# Randomization does not contradict FLP: the protocol is no longer deterministic, and it
# terminates *with probability 1*, not in every run — an unlucky sequence of coin flips
# can still keep the duel going, just with vanishing probability (Ben-Or, 1983, gave the
# first randomized consensus protocol).

# %% [markdown]
# ## How real systems live with FLP
#
# The chapter's practical answer (實務解決方案) is *timeouts and heuristics that give up
# determinism* — never safety. Every production protocol keeps agreement and validity in
# every run, and buys termination with an assumption about time or with randomness:
#
# - **Timeouts (partial synchrony).** Dwork, Lynch and Stockmeyer (1988) showed that
#   consensus terminates once the network *eventually* behaves — messages arrive within
#   some bound, even one nobody knows. A timeout is a failure detector that can be wrong:
#   a wrong guess costs time (the slow-message run above), never a second value.
# - **Randomized election timeouts in Raft.** A Raft follower that hears no leader waits
#   a random 150–300 ms before standing for election — the same trick as the backoff here.
#   [05 · Raft election](05-raft-election.ipynb) (experiment 5) narrows the range to
#   150–155 ms and watches split votes repeat round after round, exactly like this duel.
# - **One leader, so no duel.** Multi-Paxos elects a distinguished proposer (a leader) and
#   lets only it propose; two proposers compete only during a change of leader, and
#   randomized backoff settles that ([notebook 08](08-paxos.ipynb) runs Multi-Paxos).
# - **Leader leases.** Chubby's master holds a lease: for a bounded time no one else may
#   lead, so it can answer reads without a round of messages (etcd's Raft offers the same
#   for reads, `ReadOnlyLeaseBased`). A lease trusts bounded clock drift — an explicit
#   timing assumption: if clocks drift more than assumed, a read can be stale, but the
#   agreement of the log never depends on it (notebooks
#   [11](11-etcd-and-locks.ipynb) and [13](13-exercise-distributed-lock.ipynb)).
#
# ## What to notice
#
# - Lost, delayed, crashed and paused all look alike from inside a node: *no answer yet*.
#   A timeout is a guess.
# - Ballot numbers, not clocks or arrival order, decide which proposal wins; they are also
#   how a node recognises a stale message.
# - Safety (agreement, validity) can be checked on any finite run; termination cannot —
#   a run can only show that the decision has not happened *yet*.
# - A crashed majority blocks Paxos: it waits rather than risk two values.
# - FLP is about termination. A fair scheduler — every message delivered within 10 ms,
#   nobody crashed — kept deterministic Paxos undecided for 1000 ms; a little randomness
#   that can outlast one message delay ended the duel within tens of milliseconds.
#
# ## Summary
#
# - Consensus: nodes agree on one value despite lost and delayed messages, crashes, pauses
#   and the lack of a global clock. Agreement and validity are safety; termination is
#   liveness.
# - FLP (1985): no deterministic protocol guarantees termination in an asynchronous system
#   with one crash fault.
#
# On our runs:

# %%
Markdown(f"""
- Correct Paxos passed all three properties; the `ignores-accepted` variant chose `v-p1`
  and `v-p2` on its scripted schedule; with a crashed majority the proposers tried
  {blocked_ballots} ballots in 1000 ms and chose nothing, then finished at t={blocked.now}
  once an acceptor came back.
- The duel without backoff reached round {stuck.highest_round} in {stuck.horizon} ms with
  nothing chosen; with random backoff ≤ {calm.backoff_max} ms it decided at t={calm.decided_at}.
""")

# %% [markdown]
# - Over 40 seeds, backoff that can outlast a message delay decides with probability → 1;
#   a backoff too small to do so (≤ 4 ms, fixed) never does.
#
# Next: [05 · Raft leader election](05-raft-election.ipynb) — randomized timeouts at work.
