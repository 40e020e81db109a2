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
# # 01 · Consistency models: linearizability and weaker guarantees (一致性模型 · 線性一致性)
#
# When several replicas serve one piece of data, what may a read return? A *consistency
# model* is the contract. This notebook follows the chapter's section *一致性模型*: the
# spectrum from strongest to weakest (一致性光譜), then **linearizability** (線性一致性) up
# close, then two weaker contracts.
#
# What you will learn:
#
# - the **consistency spectrum** — linearizable → sequential → causal → eventual — as
#   stores you can run, and which anomalies each one lets through;
# - what **linearizable** means, stated with **real-time order**: every operation seems to
#   take effect at one instant between its call and its return;
# - how to write the chapter's **good read** and **stale read** as *histories* and let a
#   real checker give a verdict, with a **witness** order or the **culprit** operations;
# - a **history editor**: move, edit, add and delete operations and watch both verdicts
#   change live;
# - why the chapter's **toy checker** (sort by end time, replay) is wrong, in both
#   directions, and what that says about concurrent operations;
# - **sequential consistency** (順序一致性) and the **session guarantees** such as
#   Read-Your-Writes, each with a small example.
#
# Previous: [00 · start here](00-start-here.ipynb). Next: [02 · CAP](02-cap.ipynb) — what a
# network partition forces a store to give up.

# %%
from dataclasses import replace

from consensus_lab.consistency import (
    History, Result, check, check_sequential, check_sessions, naive_check, read_your_writes)
from consensus_lab.nb import show
from consensus_lab.viz import history_timeline
from consensus_lab.widgets import HistoryEditor

# %% [markdown]
# ## Vocabulary (詞彙)

# %%
from consensus_lab.glossary import glossary_table
glossary_table("consistency").query("notebook == '01-consistency-models'")

# %% [markdown]
# ## The spectrum (一致性光譜)
#
# The chapter draws consistency as a line from strong to weak, with a price tag at each
# end: **linearizable → sequential → causal → eventual**, "stronger = higher latency". Here
# are the four promises, strongest first:
#
# - **Linearizable** (線性一致性) — as if there were one copy: a read sees every write that
#   *finished before the read began*.
# - **Sequential** (順序一致性) — everyone sees one order of all operations, with each
#   client's operations in its own program order; but that order may run *behind* real
#   time (Lamport 1979).
# - **Causal** (因果一致性) — if one operation could have influenced another (the same client
#   did it earlier, or the client had read its result), everyone sees them in that order;
#   *concurrent* writes may be seen in different orders.
# - **Eventual** (最終一致性) — once writes stop, the replicas end up equal; nothing is
#   promised meanwhile.
#
# Each model is a toy store in `consensus_lab.stores`, all on the same simulator. Each
# client talks to its own nearby replica:
#
# | store | node class | a read | a write |
# |-------|------------|--------|---------|
# | linearizable | `QuorumNode` (ABD) | ask a majority, store at a majority | the same |
# | sequential | `SequentialNode` | local | via the sequencer n1 and back |
# | causal | `CausalNode` | local | local, then causal broadcast |
# | eventual | `DynamoNode`, R = W = 1, LWW | local | local, then sent to all |
#
# The sequential store in two rules — a replica applies writes strictly in the sequencer's
# order, and a client's write is answered only when *its own* replica has applied it (so it
# reads its own writes):

# %%
from consensus_lab.consistency import check, check_sequential
from consensus_lab.consistency.causal import check_causal
from consensus_lab.nb import show
from consensus_lab.stores import spectrum_runs, spectrum_workload
from consensus_lab.stores.causal import CausalStore
from consensus_lab.stores.sequential import SequentialStore
from consensus_lab.viz.experiments import plot_spectrum, spectrum_table
from consensus_lab.stores.spectrum import DEFAULT_SEED
from consensus_lab.viz import history_timeline

show(SequentialStore.on_apply, SequentialStore.apply)

# %% [markdown]
# The causal store *is* causal broadcast plus a dictionary: `CausalStore` keeps the
# hold-back queue and delivery rule of notebook 03's `CausalBroadcastNode` and only adds
# what a write does to the data. Concurrent writes to one key are settled by
# last-write-wins on a stamp that is always higher than anything the writer had seen — so
# an effect never loses to its cause:

# %%
show(CausalStore.write, CausalStore.apply)

# %% [markdown]
# ### One workload, four stores
#
# Three replicas `n1`–`n3` sit far apart (10–50 ticks between them); each client sits next
# to its own replica (1–3 ticks): `c1` talks to `n1`, and so on. The seed fixes a script for
# every client — eight reads and writes of keys `x` and `y`, with a short think time before
# each; every written value names its writer (`"c1:2"` is c1's second write). **Every store
# runs the same scripts.** One more fact of life: `n1`'s clock runs 100 ticks ahead (real
# clocks are never quite in sync); only a store that stamps writes with its clock notices.

# %%
SPECTRUM_SEED = DEFAULT_SEED   # a seed on which every store shows its typical anomaly
spectrum_workload(SPECTRUM_SEED)["c1"]

# %%
spectrum_results = spectrum_runs(SPECTRUM_SEED)      # one run per store, strongest first
spectrum = spectrum_table(spectrum_results)
spectrum.T

# %%
from IPython.display import Markdown

Markdown("Mean latency (ticks), read / write: " + "; ".join(
    f"**{store}** {row.read_mean:.0f} / {row.write_mean:.0f}" for store, row in spectrum.iterrows()))

# %% [markdown]
# How to read it (one column per store):
#
# - **Latency** (ticks from call to answer, mean and 95th percentile): the linearizable
#   store pays two round trips to a majority for *every* operation; the sequential store
#   pays only for writes (a trip to n1 and back — c1, next to the sequencer, is fast);
#   causal and eventual answer everything locally (the means are just below the table).
# - **Models** (`yes` = the checker accepts the history): read it as a staircase. Each store
#   keeps its own promise and every weaker one, and breaks the next stronger one.
# - **Anomalies**: `stale_reads` — reads that missed a write which had finished before they
#   began; `lost_writes` — acknowledged writes whose value was later replaced by an older
#   one; `converged` — do the replicas hold the same values after settling.
#
# Stronger costs latency; weaker lets anomalies through:

# %%
spectrum_figure = plot_spectrum(spectrum)

# %% [markdown]
# ### Sequential, not linearizable: a stale read
#
# The sequential store answered a read stale (the table's `stale_reads`): a client read `x`
# at its own replica after another client's write had finished at *its* replica — which had
# applied the write, while the reader's replica had not yet. The linearizability checker's
# explanation names both operations and their times; the culprit is in red:

# %%
seq_run = spectrum_results[1]
seq_verdict = check(seq_run.history, "register")
print(seq_verdict.explanation)
history_timeline(seq_run.history, seq_verdict, caption=False)

# %% [markdown]
# Yet one order of all the operations keeps every client's program order and explains every
# read: put the stale read *before* the write it missed. Nobody can tell the store was behind — unless
# clients compare notes by another channel (a phone call, another service), which is exactly
# what linearizability protects against.

# %%
check_sequential(seq_run.history, max_ops=24).explanation

# %% [markdown]
# ### Causal, not sequential: replicas disagree on concurrent writes
#
# In the causal store each replica applied the writes to `x` in its *own* order — every
# replica first applies its own clients' writes, then the others' as they arrive. Writes that
# did not see each other are concurrent, so causal consistency allows any order:

# %%
causal_run = spectrum_results[2]
{node_id: node.applied_order("x") for node_id, node in sorted(causal_run.sim.nodes.items())}

# %% [markdown]
# Last-write-wins makes the replicas *end* with the same value; what breaks sequential
# consistency is what the clients saw. The first few operations (those called before t=28,
# the cut-off in the cell below) already have no single order: c1 wrote `y` and then read `x` as never written, while c3
# wrote `x` and then read `y` as never written — each replica answered before the other's
# write arrived (the pattern of Dekker's mutual-exclusion algorithm). In any one order, one
# of the two writes comes first, and the other client would have seen it:

# %%
from consensus_lab.consistency import History

causal_start = History([op for op in causal_run.history if op.call < 28])
causal_verdict = check_sequential(causal_start)
print(causal_verdict.explanation)
history_timeline(causal_start, causal_verdict, caption=False)

# %% [markdown]
# ### Eventual, not causal: an effect loses to its cause
#
# The eventual store stamps each write with its replica's clock, and the highest stamp
# wins. c2 read `y = 'c1:1'`, then wrote `y = 'c2:3'` — a write made *after seeing*
# `'c1:1'`. But n1 had stamped `'c1:1'` with its fast clock, 100 ticks ahead, and n2
# stamped c2's later write with its own clock — a lower stamp. The higher stamp won, and c2's next read brought
# the old value back: its own write vanished (DDIA ch. 8 tells the same story about
# last-write-wins and clock skew). The causal checker finds the pattern; the culprit is in
# red:

# %%
eventual_run = spectrum_results[3]
eventual_verdict = check_causal(eventual_run.history)
print(eventual_verdict.explanation)
history_timeline(eventual_run.history, eventual_verdict, caption=False)

# %% [markdown]
# The session-guarantee rows judge each client against the order *the store* uses (for
# last-write-wins, the stamps). By that order `'c1:1'` is the newer value, so formally c2
# "read its write and then something newer" — read-your-writes holds — and the table
# blames **writes-follow-reads** instead: c2 wrote after reading `'c1:1'`, yet the store put
# its write *before* `'c1:1'`. The causal store cannot do this: its stamps are always higher
# than anything the writer had seen.
#
# ### Over twenty seeds
#
# One seed is an anecdote. Over seeds 0–19 a cell says in how many runs the history
# satisfies the model:

# %%
SEEDS = range(20)
seed_runs = spectrum_runs(SEEDS)
spectrum_table(seed_runs).T

# %%
def seeds_with(store, anomaly):
    """On how many seeds ``store``'s run had at least one ``anomaly``."""
    return sum(1 for run in seed_runs if run.store == store and getattr(run.anomalies(), anomaly))


Markdown(f"Of the {len(SEEDS)} seeds: the sequential store read stale on "
         f"{seeds_with('sequential', 'stale_reads')}; acknowledged writes were lost on "
         f"{seeds_with('eventual', 'lost_writes')} by the eventual store and on "
         f"{seeds_with('causal', 'lost_writes')} by the causal store.")

# %% [markdown]
# Every store keeps its own promise, and every weaker one, on every seed (the `k/n` cells
# say so); the anomalies depend on timing. The sequential store is often stale, the causal
# store breaks sequential consistency on a few seeds, and the eventual store breaks
# causality rarely — it takes a client that overwrites a value stamped by the fast clock and
# then reads it again — but it loses acknowledged writes on most seeds (the counts above).
# The causal store loses some writes too: among *concurrent* writes last-write-wins keeps the higher stamp, and n1's fast
# clock stamps high, so a concurrent write made later in real time can lose. Causality
# allows that (neither write saw the other); linearizability would not.
#
# **Try it** (each call takes a second or two):
#
# - `spectrum_table(range(20), clock_skew=None)` — clocks in sync: the eventual store now
#   loses no writes and keeps causality on these seeds. Last-write-wins is only as good as
#   the clocks.
# - `spectrum_table(range(20), replica_latency=(1, 5))` — replicas close together: quorums
#   get cheap and stale reads rare, but the 100-tick skew now dominates the eventual store.
# - `spectrum_table(range(20), keys=("x",))` — one key: the causal store never breaks
#   sequential consistency here. Why does it take two keys?
#
# **What to notice**
#
# - Latency falls as the promise weakens: a linearizable read waits for a majority; the
#   others answer from the nearest replica.
# - Each store breaks only the models *above* it: sequential reads go stale, causal
#   replicas disagree on the order of concurrent writes, eventual stores can even let a
#   cause overwrite its effect.
# - The checkers work from the client history alone: the same history can be judged
#   against every model.

# %% [markdown]
# ## Linearizability (線性一致性): the rules
#
# The chapter's definition: the system behaves **as if there were one copy of the data**,
# and every operation takes effect **at one instant**. Clients only see their own calls
# and replies, so we state it over a **history**: each operation has a *call* time and a
# *return* time, and between the two it is in flight.
#
# A history is **linearizable** if its operations fit **one total order** (全局順序) such
# that
#
# 1. **the order respects real time** (實時性): if operation A *returned* before
#    operation B was *called*, A comes before B;
# 2. **the order is a legal run of one register**: every read returns the value of the
#    latest write before it in the order (讀取最新值); before any write the register holds
#    nil (Python's `None`, the chapter's "X = 0").
#
# Operations whose intervals **overlap** are *concurrent*: rule 1 says nothing about them,
# so they may go in either order. Equivalently, pick a *linearization point* inside each
# interval; the points, read left to right, must tell a legal story. Such an order is a
# **witness** that the history is linearizable. Here (as in Knossos and Porcupine) an
# operation called exactly when another returns counts as overlapping it.
#
# Statuses, as in Jepsen: `ok` happened; `fail` certainly did not happen; `info` means the
# client gave up waiting — the operation may take effect at any time after its call, or
# never.

# %% [markdown]
# ## The chapter's good read and stale read, as histories
#
# The chapter draws two sequence diagrams. In both, client 1 writes `X = 1` and gets `OK`;
# *after that*, client 2 reads X. In the good one the read returns 1; in the stale one it
# returns the old value. As a history, each request/reply pair becomes one bar from its call
# to its return. A row is `(client, operation, value, call, return)`; for a read, the value
# is what it returned.

# %%
good = History.build([("c1", "write", 1, 0, 1), ("c2", "read", 1, 2, 3)])
print(good)

# %%
good_result = check(good, "register")
good_result.verdict, good_result.explanation

# %% [markdown]
# The timeline draws one lane per client. For an `ok` verdict the green numbered markers are
# the witness: one order, respecting real time, in which every read sees the latest write.

# %%
history_timeline(good, good_result)

# %% [markdown]
# The stale read: the write returned at t=1, the read was called at t=2, and it still
# returned nil.

# %%
stale = History.build([("c1", "write", 1, 0, 1), ("c2", "read", None, 2, 3)])
stale_result = check(stale, "register")
stale_result.verdict, stale_result.explanation

# %%
history_timeline(stale, stale_result)

# %% [markdown]
# Illegal. Real time forces the write before the read (it returned before the read was
# called), and after the write the register holds 1, not nil. The **culprit** — the
# operations that no order can explain — is outlined in red; `result.culprit` lists them.
# A checker's answer is a `Result`, never a bare `False`:

# %%
show(Result)

# %%
[str(op) for op in stale_result.culprit]

# %% [markdown]
# ### A subtler stale read: the write is still running
#
# Now the write is slow (t=0 to t=10). c2 reads 1 while it runs — fine, the write may take
# effect early — and *later* c3 reads nil. Each read alone could be explained, but not
# both: once c2 has seen 1, the write has taken effect, and c3 (called after c2 returned)
# must see it too. This is DDIA's Alice-and-Bob example (Figure 9-1): Alice sees the final
# score, tells Bob, and Bob's later request still shows the game running.

# %%
slow = History.build([("c1", "write", 1, 0, 10), ("c2", "read", 1, 1, 3),
                      ("c3", "read", None, 4, 5)])
slow_result = check(slow, "register")
print(slow_result.explanation)
history_timeline(slow, slow_result)

# %% [markdown]
# How does `check` decide? It searches for a witness depth first (Wing & Gong's algorithm
# with Lowe's memo, as in Porcupine): at each step it may place any pending operation that
# was *called* no later than the earliest *return* among the operations not yet placed —
# placing a later one would break real-time order — if the register allows it, and it
# backtracks when stuck. It gives up only after every such order has failed.

# %% [markdown]
# ## The history editor: break it and fix it
#
# Pick a **preset**, select an **operation**, and change it: drag its **call** and
# **return** sliders, shift the whole bar with **◀ earlier** / **later ▶**, type a new
# **value** (`nil` for no value) and press Enter, switch its **status** between `ok`,
# `info` and `fail`, **+ add** an operation, **✕ delete** one, **⟲ undo** any edit, or
# **↺ restart** from the history as loaded.
# Every change re-runs both checkers. Left: the real checker's verdict with the witness or
# the culprit. Right: the chapter's toy checker — with a red ⚠ when it is wrong. An
# impossible edit (a return before its call) is refused with a message; nothing changes.
#
# Experiments to try:
#
# 1. **stale read** — move c2's read earlier until it overlaps c1's write. At which call
#    time does the verdict flip? Where is the read in the witness order?
# 2. **good read** — change the read's value to `nil`; then to `2`. Why is `2` illegal even
#    when the read overlaps the write?
# 3. **stale read, slow write** — move c3's read earlier until it overlaps c2's read. c3
#    still reads nil, and c2's read of 1 still starts first; why is that now fine?
# 4. **concurrent writes** — both writes are done before the reads, so the reads must agree.
#    Move c4's read earlier until it overlaps c2's write.
# 5. **timed-out write** — c1 gave up waiting (`info`). Set it to `fail`, then to `ok`: which
#    status makes the history legal?
# 6. Add a third client that reads 1 at t=12 to a linearizable history. Then delete it, or
#    press undo.

# %%
editor = HistoryEditor("stale read")
editor

# %% [markdown]
# The same from Python — every control is a method (a refused edit raises `EditError`):
# load experiment 3 and move c3's read (op #2) to start at t=3, when c2's read returns.
# The editor above follows.

# %%
editor.load("stale read, slow write")
editor.move(2, call=3)
editor.model.result.verdict, [str(op) for op in editor.model.result.witness]

# %% [markdown]
# The witness puts c3's nil read first, then the write, then c2's read of 1. c3 was called
# (t=3) before c2's read returned (t=3 counts as overlapping), so c3 may come first — even
# though c2's read was *called* earlier.

# %% [markdown]
# ## The toy checker, caught out
#
# The chapter's `LinearizabilityChecker` sorts the operations by end time and replays them
# against the register. The library keeps it as `naive_check`, to be caught out:

# %%
show(naive_check)

# %% [markdown]
# The completion order always respects real time (if A returned before B was called, A also
# returned before B returned), so it is a fair *candidate*. But it is only one candidate
# out of many: **it ignores that overlapping operations can be linearized in either
# order.**
#
# ### Wrong answer 1: "no" to a linearizable history (a false alarm)
#
# A slow write and a fast read of its value. The read *returns* first, so the toy replays
# it first, finds nil, and says no. Yet the write may have taken effect at t=2, before the
# read returned.

# %%
early = History.build([("c1", "write", 1, 0, 10), ("c2", "read", 1, 1, 3)])
early_result = check(early, "register")
naive_check(early), early_result.verdict

# %%
history_timeline(early, early_result)

# %% [markdown]
# Concurrent writes trip it the same way: c2's write returns first, so the toy replays
# `write(2)` then `write(1)`, and c3's read of 2 fails — though the writes overlap and may
# take effect in the other order.

# %%
writes = History.build([("c1", "write", 1, 0, 6), ("c2", "write", 2, 1, 5),
                        ("c3", "read", 2, 7, 8)])
naive_check(writes), check(writes, "register").verdict

# %% [markdown]
# Both are the **same flaw**: the toy fixes each operation's effect at its *return*, while
# linearizability allows any instant in the interval. A real store answers a write only
# after it took effect somewhere — often well before the reply reaches the client.
#
# ### Wrong answer 2: "yes" to a history that is not linearizable
#
# For operations that completed this cannot happen: a successful replay of the completion
# order *is* a witness (it respects real time and is legal), so the toy's "yes" is then
# right. `tests/consistency/test_naive.py` checks that on 300 random concurrent histories
# per run. The toy's "yes" goes wrong when it trusts operations that **did not happen**.
# The chapter's `add_operation` has no outcome: every recorded write counts. Here c2 reads
# 1 *while* c1's write is in flight, and then the write **fails** — c2 saw a value that
# was never written (an *aborted read*):

# %%
aborted = History.build([("c1", "write", 1, 0, 4, "fail"), ("c2", "read", 1, 1, 5)])
as_the_chapter_records_it = History([replace(op, status="ok") for op in aborted])
naive_check(as_the_chapter_records_it), check(aborted, "register").verdict

# %% [markdown]
# The toy says yes; the history is illegal: nobody wrote 1. The library's `naive_check`
# drops `fail` operations and so gets this one right (`naive_check(aborted)` is `False`) —
# but it then has no way to say "maybe": it drops `info` operations too, and the editor's
# **timed-out write** preset is another false alarm. The real checker treats an `info`
# write as *optional*: it may take effect at any point after its call, or never.

# %%
naive_check(aborted)

# %% [markdown]
# ## Weaker models
#
# ### Sequential consistency (順序一致性)
#
# Keep rule 2 (one legal order for everyone) and each client's **own** order, but drop
# real time *between* clients (Lamport, 1979). The chapter's stale read is sequentially
# consistent: order c2's read before c1's write. Every client sees the same story; it may
# just be behind.

# %%
sc = check_sequential(stale)
sc.verdict, [str(op) for op in sc.witness]

# %% [markdown]
# It still forbids two readers that disagree about the order of two writes: c3 sees 1 then
# 2, c4 sees 2 then 1. No single order explains both.

# %%
flip_flop = History.build([
    ("c1", "write", 1, 0, 1), ("c2", "write", 2, 0, 1),
    ("c3", "read", 1, 2, 3), ("c3", "read", 2, 4, 5),
    ("c4", "read", 2, 2, 3), ("c4", "read", 1, 4, 5)])
print(check_sequential(flip_flop).explanation)

# %% [markdown]
# The editor also shows this verdict under the linearizability one: try the stale-read
# presets there, and see how often "not linearizable" is still "sequentially consistent".
#
# ### Session guarantees: Read-Your-Writes and friends
#
# Weaker still, the four session guarantees of Terry et al. (1994) only promise things to
# **one client's session**: *Read-Your-Writes* (see your own earlier writes), *Monotonic
# Reads* (never go back to an older value), *Monotonic Writes* and *Writes-Follow-Reads*.
# The chapter's exercise 1, scenario A is Read-Your-Writes: the author of a post must see it
# after a refresh; nobody else needs to, yet.

# %%
post = History.build([("author", "write", "post 1", 0, 1), ("author", "read", "post 1", 2, 3),
                      ("friend", "read", None, 4, 5)])
read_your_writes(post), check(post, "register").verdict

# %% [markdown]
# No Read-Your-Writes violation — the author sees the post — though the friend's stale read
# makes the history not linearizable. Break the guarantee: the author refreshes and the post
# is gone; and the friend, after seeing the post once, loses it again (Monotonic Reads).

# %%
lost = History.build([("author", "write", "post 1", 0, 1), ("author", "read", None, 2, 3),
                      ("friend", "read", "post 1", 2, 3), ("friend", "read", None, 4, 5)])
{name: [str(v) for v in found] for name, found in check_sessions(lost).items()}

# %% [markdown]
# ## Exercise: write the register's model (`register_model`)
#
# The checker knows nothing about registers: it only calls a *step function* that says
# whether one operation, with the output the client saw, is a legal next step from a state.
# Open `exercises/register_model.py` and write `cas_step` for the compare-and-set register
# (read, write, cas; nil at the start; a cas that timed out may or may not have happened),
# then, if you like, `brute_force_linearizable`: the definition of linearizability as code,
# trying every order of a tiny history.
#
# The grader tries each rule, then runs the real checker with **your** model on hand-made
# histories and on real Jepsen etcd histories, and compares your brute-force checker with the
# real one on hundreds of random tiny histories. Until you fill the file in, every check
# reports "not implemented yet" — that is expected.

# %%
from consensus_lab.exercises import check

check("register_model")

# %% [markdown]
# ## What to notice
#
# - A verdict needs **intervals**, not timestamps: concurrency is overlap, and overlapping
#   operations may take effect in either order.
# - "Not linearizable" comes with a **culprit**, "linearizable" with a **witness**; both
#   can be checked by eye on the timeline.
# - A checker that tries only one order gives **false alarms**; one that believes every
#   recorded operation happened can **accept** an impossible history.
# - Weaker models keep a global or per-session order but let reads fall behind real time:
#   the chapter's stale read is sequentially consistent.
#
# ## Summary
#
# - **Linearizable** (線性一致性): one order of all operations that respects real time and
#   is a legal run of one copy. The good read is linearizable; the stale read is not, and
#   its culprit is the write and the read that came after it.
# - The real checker searches every real-time-respecting order (Wing & Gong, Lowe);
#   `check` returns a `Result` with `verdict`, `witness` or `culprit`, and `explanation`.
# - The chapter's toy checker sorts by end time: wrong "no" whenever the explanation needs
#   overlapping operations in another order; wrong "yes" when it trusts operations that
#   failed.
# - **Sequential consistency** (順序一致性) drops real time between clients;
#   **session guarantees** such as Read-Your-Writes constrain only one client's view.
#
# Next: [02 · CAP](02-cap.ipynb) — under a network partition, a store must refuse requests
# (CP) or give up exactly the guarantee checked here (AP).
