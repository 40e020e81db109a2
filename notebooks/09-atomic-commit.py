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
# # 09 · Atomic commit: 2PC, 3PC and sagas (原子提交: 兩階段提交 · 三階段提交)
#
# A transaction that writes on several machines must end the same way on all of them:
# **all commit or all abort** (原子提交, atomic commit). The chapter's answer is two-phase
# commit — and its warning is that 2PC **blocks** when the coordinator fails. Here every
# protocol runs on the lab's simulator, so you can make that happen and measure it. You will:
#
# 1. read 2PC's two roles as **state diagrams drawn from the very tables that run them**;
# 2. watch both phases as **sequence diagrams of real runs**: all Yes → commit, one No → abort;
# 3. crash the coordinator after the votes and see participants **in doubt, holding their
#    locks**, for as long as it is down — then recover from its **log** (presumed abort);
# 4. try **three-phase commit**: it survives crashes, but a **partition** makes one side
#    commit and the other abort — shown by a scenario and found by the model checker;
# 5. remove the blocking the way real systems do: **2PC whose decision is chosen by Paxos**;
# 6. run a **saga** with compensations and see what other readers see half-way;
# 7. break any of them yourself in an **explorer widget**.
#
# Previous: [08 · Paxos](08-paxos.ipynb) (used in part 5). This notebook also builds on
# [04 · consensus and FLP](04-consensus-and-flp.ipynb) (why a timeout cannot tell a crash
# from a slow network).

# %%
import pandas as pd
pd.set_option("display.max_colwidth", None)
from consensus_lab.nb import show
from consensus_lab.commit import (COORDINATOR_TABLE, PARTICIPANT_TABLE, ORCHESTRATOR_TABLE,
                                  all_yes, one_no, coordinator_crash, participant_crash,
                                  threepc_coordinator_crash, threepc_partition, run_saga,
                                  vote_event, coordinator_recovery_event,
                                  participant_recovery_event, in_doubt_event,
                                  termination_event)
from consensus_lab.commit import threepc
from consensus_lab.viz.commit import state_diagram
from consensus_lab.viz.commit_runs import (sequence_diagram, run_table, saga_label,
                                           participant_table, highlight_in_doubt)
from consensus_lab.widgets.commit import CommitSettings, run_commit

# %% [markdown]
# ## Vocabulary (詞彙)
#
# | English | 繁體中文 | meaning here |
# |---|---|---|
# | atomic commit | 原子提交 | every participant commits, or every participant aborts |
# | distributed transaction | 分散式事務 | one transaction writing on several nodes (`T1` here) |
# | two-phase commit (2PC) | 兩階段提交 | Prepare → votes → Commit / Abort |
# | coordinator | 協調者 | `c1`: asks, collects votes, decides |
# | participant | 參與者 | `p1 p2 p3`: each holds part of the transaction's writes |
# | vote Yes ("prepared") | 準備好 | a promise: "I have logged my writes and will commit if told" |
# | in doubt | 不確定 (存疑) | voted Yes, outcome not yet known: may neither commit nor abort alone |
# | blocking | 阻塞 | in doubt with nobody alive who can decide: wait, holding the locks |
# | single point of failure | 單點故障 | the one coordinator |
# | write-ahead log | 預寫日誌 | what a node forces to disk *before* it acts (a `Persist` effect) |
# | presumed abort | 推定中止 | no commit record in the coordinator's log means abort |
# | rollback / abort | 回滾 / 中止 | undo the transaction's writes |
# | three-phase commit (3PC) | 三階段提交 | CanCommit → PreCommit → DoCommit, with timeouts |
# | network partition | 網路分區 | links cut; a timeout cannot tell it from a crash |
# | saga, compensation | Saga 模式, 補償事務 | local commits, undone if a later step fails |
#
# The first terms (原子提交 … 回滾, 三階段提交, 網路分區, Saga) are the chapter's own; the
# others are the usual translations. Time is in simulator ticks, **1 tick = 1 ms**; each
# message takes 2–10 ms.

# %% [markdown]
# ## 2PC: the rules (規則)
#
# **Phase 1.** The coordinator logs the transaction and sends `Prepare` to every participant.
# A participant that can commit forces a *prepared* record (its writes, its locks) to its log,
# then votes **Yes** — from now on it is **in doubt**. It may vote **No** instead, or abort on
# its own at any time *before* it votes Yes.
# **Phase 2.** With a Yes from *every* participant the coordinator forces `commit` to its log —
# the **commit point** — then sends `Commit`. One No, or a vote missing at the timeout, means
# `Abort`.
#
# The coordinator's rule for one incoming vote, from the library (the function the
# `two_phase_commit` exercise asks you to write):

# %%
show(vote_event)

# %% [markdown]
# ## 2PC: the state diagrams (狀態圖)
#
# Each role is a **transition table** `(state, event) → (new state, actions)`; the node looks
# up the row, moves, and runs the actions in order. The diagrams below are drawn *from those
# tables*, row for row — change a row and the picture changes. The coordinator:

# %%
state_diagram(COORDINATOR_TABLE, name="coordinator")

# %% [markdown]
# And a participant. The orange state is where 2PC can block: `prepared` = voted Yes, locks
# held, outcome unknown. Its only ways out are the coordinator's `Commit` or `Abort` (the row
# `give up: commit` belongs to a *buggy* variant, kept in the table so the model checker can
# show why it is wrong).

# %%
state_diagram(PARTICIPANT_TABLE, name="participant", highlight="prepared")

# %% [markdown]
# ## One step, as a value (一步，作為值)
#
# A role is a pure function: `step(state, input)` returns the next state and the **effects**
# to carry out, in order, each naming the rule it follows. Here a participant gets `Prepare`:
# the prepared record is written *before* the Yes leaves — the promise behind the vote.

# %%
from consensus_lab.commit import ParticipantProtocol, Prepare
from consensus_lab.sim.step import Deliver
participant = ParticipantProtocol()
state, _ = participant.start("p1", ("c1", "p2", "p3"), {})
state, effects = participant.step(state, Deliver("c1", Prepare(tx="T1")))
pd.DataFrame([{"effect": type(e).__name__, "rule": e.rule} for e in effects])

# %% [markdown]
# ## Both phases, from a real run (序列圖)
#
# Seed 0, everyone votes Yes. In the sequence diagram time runs left to right, one lane per
# node; labels show the state a node moves to; the **orange band** is a participant in doubt.

# %%
ok = all_yes(seed=0)
sequence_diagram(ok.sim.trace)

# %%
print(ok.outcomes, "decided by t =", ok.decided_at)
run_table(ok)

# %%
from IPython.display import Markdown


def span(ms):
    """ "9–13" for {"p1": 9, "p2": 13, "p3": 11}: the range of a run's per-participant figures."""
    low, high = min(ms.values()), max(ms.values())
    return f"{low}" if low == high else f"{low}–{high}"


Markdown(f"Locks held {span(ok.locks_held)} ms; in doubt {span(ok.in_doubt)} ms.")

# %% [markdown]
# **What to notice.** Two round trips: `Prepare` out, votes back, `Commit` out. Each
# participant holds its lock for the whole of both and is in doubt from its Yes until its
# `Commit` arrives (the figures above). That is the normal cost of 2PC — the chapter's
# "two rounds of network communication".
#
# ### One No aborts everyone
#
# `p2` cannot commit (a constraint fails, say) and votes No:

# %%
no = one_no(seed=0, voter="p2")
print(no.outcomes)
sequence_diagram(no.sim.trace)

# %% [markdown]
# `p2` aborts at once — it never voted Yes, so it was never in doubt — and releases its lock.
# The coordinator aborts on the first No without waiting for the others; `p1` and `p3`, who
# voted Yes, roll back when `Abort` arrives.

# %% [markdown]
# ## The coordinator crashes after Prepare: in doubt (不確定), blocked (阻塞)
#
# Now crash `c1` once every participant has voted Yes, and restart it 500 ms later.
# The Yes votes arrive at a dead node and are lost. Each participant is in doubt: it
# promised to commit if told, so it **must not abort** (the coordinator might have decided
# commit); others may have voted No, so it **must not commit**. It keeps its lock and asks
# `c1` every 50 ms:

# %%
show(in_doubt_event)

# %%
crash = coordinator_crash(seed=0, when="after-prepare", down_for=500)
sequence_diagram(crash.sim.trace)

# %%
run_table(crash)

# %%
Markdown(f"In doubt {span(crash.in_doubt)} ms and holding the lock {span(crash.locks_held)} ms, "
         f"instead of {span(ok.in_doubt)} and {span(ok.locks_held)} without the crash.")

# %% [markdown]
# The participants were in doubt, holding their locks, for the whole outage. Any other transaction that needs those rows waits as long. **Blocked** is
# a stricter measure — in doubt while *nothing alive* could decide (no coordinator up that
# knows the outcome, no decision on its way). The explorer's model steps the same run and
# adds that up:

# %%
blocked = run_commit(CommitSettings(fault="crash", target="c1", at_step=3, down_for=500))
print(blocked.verdict())
pd.DataFrame(blocked.rows()).set_index("node")

# %%
Markdown(f"Blocked up to {max(blocked.blocked.values())} ms; `c1` was down 500 ms.")

# %% [markdown]
# Blocked for as long as `c1` was down: nothing the participants can do shortens
# it. Make the outage longer and the blocking grows with it. If `c1` never comes back
# (`down_for=0`), they wait for ever, each holding its lock — in doubt, in orange:

# %%
forever = run_commit(CommitSettings(fault="crash", target="c1", at_step=3, down_for=0))
print(forever.verdict())
highlight_in_doubt(participant_table(forever.sim))

# %% [markdown]
# ## Recovery from the log (從日誌恢復), presumed abort (推定中止)
#
# What `c1` does when it restarts depends only on what it had **forced to its log** before
# the crash (its `Persist` effects, which survive a crash; everything else is lost):

# %%
show(coordinator_recovery_event)

# %%
print("c1's log after the crash:", crash.sim.stored("c1"))
print("so on restart:", coordinator_recovery_event(crash.sim.stored("c1")))
print("outcome:", crash.outcomes)

# %% [markdown]
# `c1` had logged that `T1` began, and no decision: it never told anyone to commit, so
# **abort is safe** — that is **presumed abort** (Mohan, Lindsay & Obermarck 1986). It does
# not even log the abort: "no commit record" *means* abort, so answering an in-doubt
# participant's question costs no disk write.
#
# The other crash point: `c1` logs commit and crashes before its `Commit` messages leave.
# Now the log says commit, and on restart `c1` sends `Commit` again — the participants,
# blocked just as long, end up committed:

# %%
late = coordinator_crash(seed=0, when="after-commit", down_for=500)
print(late.sim.stored("c1"), "->", coordinator_recovery_event(late.sim.stored("c1")))
print(late.outcomes, "max in doubt:", late.max_in_doubt, "ms")

# %% [markdown]
# ### A participant crashes after voting Yes
#
# The participant's log matters as much. `p1` crashes right after its Yes and is down for
# 300 ms; when it restarts it finds its *prepared* record, takes its lock back and asks:

# %%
show(participant_recovery_event)
p1_crash = participant_crash(seed=0, who="p1", down_for=300)
print(p1_crash.outcomes)
run_table(p1_crash)

# %% [markdown]
# The others commit as quickly as without the crash; `p1` learns "commit" after it
# restarts and commits too — in doubt for about as long as it was down (the table). Without the prepared record it would have
# forgotten its Yes and aborted: the `forgetful-participant` variant, which the model checker
# (`consensus-lab explore 2pc --variant forgetful-participant`) catches breaking atomicity.

# %% [markdown]
# ## Three-phase commit (三階段提交)
#
# 2PC blocks because an in-doubt participant cannot tell "someone committed" from "nobody
# committed". 3PC (Skeen 1981) adds a round so that no state sits next to both outcomes:
# **CanCommit** → votes → **PreCommit** ("everyone voted Yes") → Acks → **DoCommit**.
# An *uncertain* participant (voted Yes, no PreCommit) knows nobody has committed; a
# *pre-committed* one knows everybody voted Yes. So when the coordinator goes silent
# (a **timeout**, 超時), the participants can finish alone: one becomes a backup coordinator,
# collects the others' states and applies the termination rules:

# %%
show(termination_event)

# %%
state_diagram(threepc.PARTICIPANT_TABLE, name="3pc-participant", self_loops=False)

# %% [markdown]
# ### Crashes only: no blocking
#
# `c1` crashes after its PreCommit reached only `p1`, and stays down. The participants time
# out, a backup asks the others' states, sees a pre-committed one, brings the uncertain ones
# to pre-committed and commits:

# %%
t3 = threepc_coordinator_crash(seed=0)
print(t3.outcomes, "decided by t =", t3.decided_at, "| violation:", t3.violation)
sequence_diagram(t3.sim.trace)

# %% [markdown]
# Everyone commits (the `decided by` time above) with `c1` still down: in doubt for a
# timeout and a round, not for the whole outage. (Under the model checker, `consensus-lab explore 3pc
# --variant correct` tries every order of messages, with one crash of any node, in the model
# 3PC was designed for — a synchronous network and a failure detector that is never wrong —
# and finds no violation; it takes a few seconds, so it is left to the terminal.)
#
# ### A partition: one side commits, the other aborts (網路分區)
#
# The catch is that the termination rules trust the timeout: "silent" must mean "crashed".
# Cut `{c1, p1}` from `{p2, p3}` right after `p1` received its PreCommit. `c1` times out
# waiting for Acks and — since everyone had voted Yes — commits with `p1`. On the other side
# `p2` and `p3` see only *uncertain* states and, by rule TR3, abort — `p2` first, and the
# run stops there:

# %%
split = threepc_partition(seed=0)
print(split.violation)
print(split.outcomes)
sequence_diagram(split.sim.trace)

# %% [markdown]
# Atomicity is checked after every event: `p1` committed and `p2` aborted — exactly the
# inconsistency the chapter warns about. Nothing crashed; each side did the right thing for
# the world it could see.
#
# The scenario was scripted. The **model checker** (`consensus_lab.explore`) is told nothing
# about partitions: it starts from the first state of a 3PC cluster (`c1`, `p1`, `p2`) and
# lets any message or timer go next — a timer may fire while the other side is alive and
# merely slow, which is what a partition looks like from inside. It searches breadth-first,
# so the schedule it returns is a shortest one:

# %%
from consensus_lab.explore import get_spec
search = get_spec("3pc", "partition").run()
print(f"{search.states} states searched")
print(search.violation)

# %%
sequence_diagram(search.violation.sim.trace)

# %% [markdown]
# The moves, as listed above: both vote Yes, then `c1`'s timer fires before any PreCommit arrives (as if
# the Acks were lost), so `c1` commits and tells `p1`; `p2`, hearing nothing, becomes a
# backup, finds itself alone and uncertain, and aborts. The same search finds 2PC blocking
# in even fewer moves (`get_spec("2pc", "coordinator-crash")`, below). A command line does both:
# `consensus-lab explore 3pc --variant partition`.

# %% [markdown]
# ## 2PC over consensus: no blocking (以共識取代單一協調者)
#
# 2PC blocks because **one node** holds the decision — a single point of failure (單點故障).
# Gray & Lamport ("Consensus on Transaction Commit", 2006) point out that deciding commit or
# abort *is* a consensus problem, so let a consensus group decide it. Spanner does this: each
# participant and the coordinator are Paxos groups. The lab's smallest version: three
# coordinator replicas `c1 c2 c3` choose the outcome with single-decree Paxos (notebook 08's
# rules). Participants send votes to all three and ask all three.
#
# Same crash as before — `c1` dies after the votes, down 500 ms:

# %%
paxos = coordinator_crash(seed=0, when="after-prepare", down_for=500, protocol="replicated")
print(paxos.outcomes, "decided by t =", paxos.decided_at)
sequence_diagram(paxos.sim.trace)

# %% [markdown]
# `c2`'s `decide` timer fires (after 120 ms), it proposes commit with `c3`, a majority
# accepts, and the decision goes out:

# %%
Markdown(f"In doubt {span(paxos.in_doubt)} ms: one timeout and a Paxos round.")

# %% [markdown]
# That holds however long `c1` stays down. Measured for three outage lengths:

# %%
rows = []
for down in (100, 500, 1500):
    for protocol in ("2pc", "replicated"):
        run = coordinator_crash(seed=0, down_for=down, protocol=protocol)
        rows.append({"c1 down (ms)": down, "protocol": protocol,
                     "max in doubt (ms)": run.max_in_doubt, "outcome": run.outcomes["p1"]})
pd.DataFrame(rows).pivot(index="c1 down (ms)", columns="protocol", values="max in doubt (ms)")

# %% [markdown]
# Plain 2PC's in-doubt time follows the outage; the replicated coordinator's does not.
# (A short outage can beat the 120 ms timeout; then plain 2PC recovers first.) It is also
# atomic in every schedule the model checker tries — from the moment plain 2PC blocks, with
# `c1` able to restart — while plain 2PC's blocking is found at once:

# %%
for protocol, variant in (("2pc", "coordinator-crash"), ("2pc-replicated", "correct")):
    result = get_spec(protocol, variant).run()
    found = result.violation.message if result.violation else "no violation"
    print(f"{protocol:15} {result.states:5} states, complete={result.complete}: {found}")

# %% [markdown]
# The price is the consensus round and a majority: with two of the three replicas down, the
# replicated coordinator blocks too. *No participant is blocked while a majority of
# coordinators is up* — for plain 2PC a "majority" of one.

# %% [markdown]
# ## A saga: compensate instead of lock (Saga 模式)
#
# The chapter's advice for distributed transactions is "avoid them, or use a saga"
# (Garcia-Molina & Salem 1987). A saga splits the work into local transactions, each
# committed at once by its own service — no locks held across services, nobody in doubt —
# and pairs each with a **compensating transaction** (補償事務) that undoes it. If step *k*
# fails, the orchestrator runs the compensations of steps *k−1 … 1*, in reverse. The
# orchestrator's table:

# %%
state_diagram(ORCHESTRATOR_TABLE, name="saga")

# %% [markdown]
# A trip: reserve a flight (`s1`), book a hotel (`s2`), rent a car (`s3`) — and the car
# rental fails:

# %%
trip = run_saga(3, fail_step=3, seed=0)
print("outcome:", trip.outcome)
sequence_diagram(trip.sim.trace, label=saga_label, legend=False)

# %% [markdown]
# **What other readers see.** Every state the three services showed, in order — anyone
# reading them at that moment saw exactly this row:

# %%
pd.DataFrame(trip.table()).set_index("t")

# %% [markdown]
# The end is atomic in its own way (everything done, or everything done undone), but the
# middle is **not isolated**: for most of the rows above a reader could see a flight
# reserved for a trip that never happens, and, near the end, a flight still held while the
# hotel was already released. 2PC would have hidden all of it behind locks. A saga trades isolation for never
# blocking; the application must tolerate these intermediate states (or show them as
# "pending").

# %% [markdown]
# ## Break it yourself: the commit explorer (動手試試)
#
# Choose a protocol, who votes No, and one fault — **crash** a node or **cut** `{c1, node}`
# from the rest — and *when*: the list names every step of the run without the fault
# ("after step 5 · t=12 · c1 got Vote(T1 Yes) from p3"), and the fault happens right after
# that step. The slider sets how long the node stays down or the cut lasts (0 = for ever);
# the checkbox makes a crash also lose the messages the node had sent that are still in
# flight. The table highlights in-doubt participants and the locks they hold; the last
# columns are the measured in-doubt, lock and blocked times.
#
# Things to try:
#
# * 2PC, crash `c1` after step 3, 4 or 5 (votes still arriving) — then after step 6, when
#   it has just decided: why does nobody block? Now tick "loses its messages in flight".
# * The same crash with **2PC over consensus**: how long are the participants in doubt now?
#   Crash `c2` instead of `c1`: does anyone notice?
# * **3PC**, partition with node `p3` after step 7 (only `p3` has its PreCommit): which side
#   commits? Then the same cut with node `p1`, whose PreCommit is still on its way.
# * **2PC**, partition with node `p1` after step 5: the others are in doubt for the whole cut,
#   yet "blocked" stays 0 — a live coordinator knows the outcome; only the network is in
#   the way.
# * Crash a participant instead, with the slider at 0: can the others still decide?

# %%
from consensus_lab.widgets.commit import CommitExplorer
explorer = CommitExplorer(protocol="2pc", fault="crash", target="c1", at_step=3, down_for=500)
explorer

# %% [markdown]
# ## Exercise: `two_phase_commit` (練習)
#
# Open `exercises/two_phase_commit.py` and write the four rules the nodes follow (the
# tables stay as they are):
#
# * `coordinator_decision(votes, participants, timed_out)` — `"commit"` only with a Yes from
#   *every* participant, `"abort"` on a No or on the timeout with votes missing, else `None`
#   (keep waiting);
# * `coordinator_recovery(log)` — the decision to send after a restart: presumed abort;
# * `participant_timeout(voted_yes)` — `"abort"`, `"commit"` or `"ask"`: before its Yes a
#   participant may give up; after it, it is in doubt;
# * `participant_recovery(log)` — the state it restarts in: a prepared record means in doubt
#   again.
#
# The checks try each rule on examples, then run your rules inside the coordinator and
# participants of simulated clusters with crashes and message loss, and let the model checker
# try every schedule of small ones; a failure shows the schedule, move by move. Run the cell
# (or `consensus-lab check two_phase_commit` in a terminal); the stub fails until you fill
# it in.

# %%
from consensus_lab.exercises import check
check("two_phase_commit")

# %% [markdown]
# ## Summary (總結)
#
# * **2PC**: Prepare → votes → Commit/Abort, two round trips; unanimity to commit, one No
#   aborts. Its roles are small transition tables, drawn above from the code that runs.
# * A participant that voted Yes is **in doubt** and keeps its locks. If the coordinator
#   crashes then, it is **blocked** for the whole outage (measured above: the coordinator
#   down 500 ms, the participants blocked as long).
# * **Write-ahead logs** make recovery possible: the coordinator's commit record is the
#   commit point; with none, **presumed abort** — abort is safe because nobody was told
#   commit. A participant's prepared record keeps its promise across a crash.
# * **3PC** finishes without the coordinator when nodes only crash and timeouts are
#   accurate; under a **partition** one side commits while the other aborts — a scenario
#   shows it, and the model checker finds it in a handful of moves.
# * **2PC over consensus** (Paxos Commit, Spanner) moves the decision to a majority: in doubt
#   for a timeout and a Paxos round, however long one coordinator is down.
# * A **saga** never blocks and never holds locks across services, but readers see its
#   intermediate states, and every step needs a compensation.
#
# Next: [10 · Spanner and TrueTime](10-spanner-truetime.ipynb) — Spanner's transactions are
# 2PC over Paxos groups, ordered by commit timestamps. Back to [08 · Paxos](08-paxos.ipynb)
# for the consensus that made the coordinator safe to lose, or to
# [00 · start here](00-start-here.ipynb) for the map.
