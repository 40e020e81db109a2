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
# # 03 · Causality: Lamport clocks, vector clocks and causal delivery (因果一致性 · 向量時鐘)
#
# Alice asks "How high is Everest?", Bob answers "8849 m", and Charlie remarks "nice
# weather". Anyone who sees the answer must have seen the question first — the answer is
# *caused* by it — while the weather remark is unrelated and may appear anywhere. This
# notebook follows the chapter's section *因果一致性 (Causal Consistency)*: you will track
# causality with **Lamport** and **vector clocks**, ask whether two events are
# **causally related or concurrent**, and watch **causal delivery** hold Bob's answer back at
# Charlie until the question arrives. (New to the lab? Start with [00-start-here](00-start-here.ipynb).)
#
# Previous: [02 · CAP](02-cap.ipynb). Next: [04 · consensus and FLP](04-consensus-and-flp.ipynb).

# %%
from functools import partial

import pandas as pd

from consensus_lab.nb import show
from consensus_lab.viz import spacetime_diagram
from consensus_lab.widgets import HappensBeforeExplorer, SimulationPlayer
pd.set_option("display.max_colwidth", None)   # show long table cells in full

# %%
from consensus_lab.clocks import (
    ANSWER, EVEREST_NETWORK, EVEREST_NODES, CausalBroadcast, CausalBroadcastNode, LamportClock,
    NaiveBroadcastNode, VectorClock, blocking_reason, can_deliver, causal_events,
    causal_order_invariant, delivered_texts, delivery_label, event_labels,
    everest, everest_nodes, held_back_notes, random_broadcasts, relation, submit_everest,
    vector_text)
from consensus_lab.viz.experiments import events_table

# %% [markdown]
# ## Vocabulary (詞彙)

# %%
from consensus_lab.glossary import glossary_table
glossary_table("causality")

# %% [markdown]
# ## The rules
#
# **Happens-before (發生在…之前).** Event *a* happens before event *b* (a → b) when *a* could
# have influenced *b*: *a* came earlier on the same node, or *a* sent a message that was
# received at or before *b*, or a chain of such steps links them. If neither a → b nor
# b → a, the events are **concurrent** (a ‖ b): no information flowed between them.
#
# **Lamport clock** — one counter per node (Lamport 1978):
# 1. before each event (a local step or a send) increment the counter; a message carries it;
# 2. on receiving a message stamped *t*, set the counter to max(own, *t*) + 1.
#
# Then a → b implies C(a) < C(b). The converse is false: C(a) < C(b) does *not* tell you
# whether a caused b or the two were concurrent.
#
# **Vector clock (向量時鐘)** — one counter *per node* in every clock:
# 1. **increment**: a local event or a send at node *i* does V[i] += 1;
# 2. **update** on receiving a message stamped W: *merge* (V[k] = max(V[k], W[k]) for every
#    k), *then* tick V[i] += 1 — receiving is an event too;
# 3. **compare**: a → b exactly when V(a) ≤ V(b) entry by entry and V(a) ≠ V(b); a ‖ b when
#    neither V(a) ≤ V(b) nor V(b) ≤ V(a). A missing entry counts as 0.
#
# **Causal delivery (因果傳遞)** — a broadcast protocol (Birman, Schiper & Stephenson 1991)
# uses vectors that count *delivered broadcasts*: V[k] = how many of k's broadcasts have been
# delivered here. A sender *j* increments its own entry and stamps the message with its
# vector V. A receiver with vector *local* may deliver it only when
# 1. **V[j] = local[j] + 1** — it is the very next message from *j* (no gap, no duplicate), and
# 2. **V[k] ≤ local[k] for every other k** — everything *j* had delivered before sending it
#    has been delivered here too.
#
# Otherwise the message waits in a **hold-back** buffer; each delivery may release others.

# %% [markdown]
# ## The library's code
#
# Every experiment below runs this code — the same code the tests in `tests/` check.
# The Lamport clock's two rules:

# %%
show(LamportClock.send, LamportClock.receive)

# %% [markdown]
# The vector clock's rules 1 and 2 (`increment`, and `update` = `merge` then tick):

# %%
show(VectorClock.merge, VectorClock.update)

# %% [markdown]
# Rule 3: happens-before and concurrent (`<=` compares entry by entry, missing = 0):

# %%
show(VectorClock.happens_before, VectorClock.concurrent)

# %% [markdown]
# The causal delivery condition, as a pure function. `blocking_reason` returns `None` when
# the message may be delivered, or one line saying what it waits for:

# %%
show(blocking_reason)

# %% [markdown]
# And the node that uses it, as a step function (`CausalBroadcast`): it takes the node's
# state and one received message and returns the next state and the effects to carry out.
# It holds the message back, then delivers whatever the condition allows, repeating until
# nothing more can go:

# %%
show(CausalBroadcast.on_receive, CausalBroadcast.deliver_ready)

# %% [markdown]
# ## Experiment 1 — the chapter's vector clocks (no randomness, no seed needed)
#
# Alice sends a message; Bob receives it, then replies; Charlie receives the reply. We keep
# one `VectorClock` per person and snapshot all three after each step (entries in the order
# Alice, Bob, Charlie).

# %%
NAMES = ("Alice", "Bob", "Charlie")
alice, bob, charlie = (VectorClock(nodes=NAMES) for _ in NAMES)
steps = []
def snapshot(step):
    clocks = (alice, bob, charlie)
    steps.append({"step": step} | {n: vector_text(c.as_dict()) for n, c in zip(NAMES, clocks)})


# %%
alice.increment("Alice");         snapshot("Alice sends")         # [1,0,0]
bob.update(alice, "Bob");         snapshot("Bob receives")        # [1,1,0]
bob.increment("Bob");             snapshot("Bob replies")         # [1,2,0]
charlie.update(bob, "Charlie");   snapshot("Charlie receives")    # [1,2,1]
pd.DataFrame(steps).set_index("step")

# %% [markdown]
# Charlie's clock [1,2,1] is ≥ Alice's [1,0,0] in every entry, so Alice's send happened
# before Charlie's receive. Now Alice does something else *without hearing back*:

# %%
first_send = alice.copy()
alice.increment("Alice")          # Alice's next event: [2,0,0]
alice.happens_before(charlie), charlie.happens_before(alice), alice.concurrent(charlie)

# %% [markdown]
# [2,0,0] vs [1,2,1]: Alice is ahead in her entry, Charlie in the others — neither is ≤ the
# other, so the two events are **concurrent**.
#
# ## Experiment 2 — a Lamport clock cannot tell concurrency (no seed needed)
#
# The same story with one counter per person:

# %%
la, lb, lc = LamportClock("Alice"), LamportClock("Bob"), LamportClock("Charlie")
ask = la.send()                         # Alice sends: 1
lb.receive(ask); reply = lb.send()      # Bob receives (2) and replies (3)
heard = lc.receive(reply)               # Charlie receives: 4
later = la.tick()                       # Alice's next event: 2

# %%
pd.DataFrame([
    {"pair": "Alice sends / Charlie receives", "Lamport": f"{ask} < {heard}",
     "vector clocks": relation(first_send, charlie)},
    {"pair": "Alice's next event / Charlie receives", "Lamport": f"{later} < {heard}",
     "vector clocks": relation(alice, charlie)},
]).set_index("pair")

# %% [markdown]
# Both pairs look alike to Lamport (a smaller number first), but only the first is causal:
# the vector clocks say *a → b* for the first pair and *a ‖ b* for the second.
#
# ## Experiment 3 — Everest on the simulator (seed 0)
#
# Now three simulated nodes run a broadcast protocol. Alice broadcasts the question; Bob's
# application answers as soon as it delivers the question; Charlie broadcasts "nice weather"
# at the same time as Alice asks. Links take 5 ticks, except **Alice → Charlie, 40 ticks**
# (the question is late) and Charlie → Bob, 20 ticks. First, nodes that deliver every message
# the moment it arrives (`NaiveBroadcastNode`); each column is one node's delivery order:

# %%
naive = everest(NaiveBroadcastNode, seed=0)
pd.DataFrame(delivered_texts(naive))

# %% [markdown]
# Charlie shows **"8849 m" before "How high is Everest?"** — an answer to a question he has
# not seen. Now the same run with causal delivery (`CausalBroadcastNode`, seed 0):

# %%
causal = everest(seed=0)
pd.DataFrame(delivered_texts(causal))

# %%
for record in held_back_notes(causal):
    print(record)

# %% [markdown]
# The note above is the moment Charlie received the answer: its stamp counts Alice's question
# and Bob's answer, while Charlie's own vector counts only his weather remark. Rule 1 holds
# for Bob (the answer is Bob's next message), but rule 2 fails for Alice: Bob had delivered
# Alice's message #1 before answering, and Charlie has not. The pure function, given the two
# vectors of that note, says so:

# %%
blocking_reason("Bob", {"Alice": 1, "Bob": 1, "Charlie": 0},
                       {"Alice": 0, "Bob": 0, "Charlie": 1})

# %% [markdown]
# ## The run as a space-time diagram (seed 0)
#
# One lane per node, time flowing right, one arrow per message. Every *application event* —
# a broadcast, or the delivery of someone else's message — is labelled with an id
# (`Charlie.2` = Charlie's second event) and its vector clock computed by the rules of
# experiment 1 (a broadcast ticks; a delivery merges the broadcast's clock, then ticks).
# `held Bob#1` marks where the answer arrived at Charlie and was held back.
#
# *Two kinds of vector:* the protocol's stamps (in the message labels) count delivered
# broadcasts only, because rule 1 needs "the next message from j"; the event clocks here
# also tick on deliveries, so that no two events share a clock.

# %%
events = causal_events(causal)
spacetime_diagram(causal.trace, label=event_labels(events))

# %%
events_table(events)

# %% [markdown]
# ## Ask the clocks: the happens-before explorer (seed 0)
#
# Pick any two events of the run. The explorer compares their vector clocks entry by entry
# and says which relation holds and why. Try: the question `Alice.1` and the answer `Bob.2`;
# the weather `Charlie.1` and the answer `Bob.2`; the two deliveries of the answer, at Alice
# (`Alice.3`) and at Charlie (`Charlie.3`).

# %%
HappensBeforeExplorer(causal, "Alice.1", "Bob.2")


# %% [markdown]
# ## Break it yourself: the Everest player (seed 0)
#
# The same scenario in a **SimulationPlayer**. The cluster view shows each node's protocol
# vector (`vc`), its hold-back buffer (`held`) and the messages it has delivered, in order —
# `Alice#1` is the question, `Bob#1` the answer, `Charlie#1` the weather. The space-time
# diagram labels each delivery with the message and the node's vector after it.
# An invariant checks after every event that no node delivers a message before its causes.
# Things to try:
#
# - **Deliver in any order**: pick a message in **pending** and press **deliver next**. Send
#   Bob's answer to Charlie as early as you can, and watch it sit in `held` until the
#   question arrives; deliver the question to Charlie early instead and nothing is held.
# - **Crash** Charlie (node → crash) before the question reaches him, or **pause** him and
#   resume later: what does each do to the held-back answer?
# - Change the **seed** and restart the run — this network has fixed latencies, so only your
#   own choices change the order.
# - Replace `everest_nodes()` with `everest_nodes(NaiveBroadcastNode)` below and step: the
#   status line turns red when Charlie delivers the answer first.

# %%
def setup(sim):
    submit_everest(sim)
    sim.add_invariant("causal order", causal_order_invariant())


# %%
player = SimulationPlayer(everest_nodes(), EVEREST_NODES, seed=0, network=EVEREST_NETWORK,
                          setup=setup, views=("cluster", "spacetime"),
                          spacetime_label=delivery_label)
player

# %% [markdown]
# The same from Python: after 3 steps Bob's answer is on its way; deliver it to Charlie at
# once, out of turn, and look at Charlie:

# %%
player.step(3)
answer = next(e for e in player.sim.pending()
              if e.node == "Charlie" and getattr(e.msg, "text", None) == ANSWER)
player.fire(answer.id)
print(player.sim.nodes["Charlie"].describe(), *player.sim.nodes["Charlie"].held_back, sep="\n")

# %% [markdown]
# The answer is in Charlie's hold-back buffer. Scroll up: the player shows the same state.
# Step on and it is delivered right after the question.
#
# ## Seed sweep — many random runs (seeds 0–19)
#
# `random_broadcasts(seed)` makes 3 nodes broadcast 8 messages at random times over a network
# that reorders 30 % of the messages and duplicates 10 %. The causal-order invariant is
# checked after every event (a violation would raise). We run the same 20 seeds with naive
# nodes too and check their deliveries afterwards:

# %%
rows = []
for seed in range(20):
    sim = random_broadcasts(seed)
    naive_sim = random_broadcasts(seed, factory=NaiveBroadcastNode, check=False)
    rows.append({"seed": seed, "events": sim.steps, "duplicates": sim.stats["duplicated"],
                 "held back": len(held_back_notes(sim)),
                 "causal: order held": causal_order_invariant()(sim) is None,
                 "naive: order held": causal_order_invariant()(naive_sim) is None})
sweep = pd.DataFrame(rows).set_index("seed")
sweep

# %%
sweep.drop(columns="events").sum()   # True counts as 1

# %%
from IPython.display import Markdown

quiet = sweep.index[sweep["held back"] == 0].tolist()
lucky = sweep.index[sweep["naive: order held"]].tolist()
Markdown(f"Seeds on which the causal run held nothing back: {quiet}. Seeds on which naive "
         f"delivery kept causal order anyway: {lucky} — "
         + ("the same seeds." if quiet == lucky else "not the same seeds."))

# %% [markdown]
# ## What to notice
#
# - A **Lamport clock** orders events consistently with causality, but a smaller number does
#   not mean "caused": it cannot tell causal from concurrent. A **vector clock** can.
# - **Concurrent** is not "at the same time": it means no message chain links the events.
#   Charlie's weather remark is concurrent with both the question and the answer, although
#   Bob delivered it after both.
# - **Causal delivery** needs no global clock and no coordinator: each node checks two rules
#   against its own vector and holds back what arrives too early. Reordering is repaired by
#   the hold-back buffer; a duplicate is recognised and dropped (rule 1 would never accept it).
# - Causal delivery only steps in when the network actually reorders: in the sweep, the
#   seeds whose causal run held nothing back are those where the naive run kept causal order
#   by luck (the two lists under the sweep).
# - The price: a message waits for its causes. If a cause is lost (its sender crashed before
#   sending it to you), what depends on it waits forever — causal delivery still needs
#   reliable delivery underneath.
# - Causal order is weaker than a total order: Alice and Bob delivered the weather remark at
#   different points of their histories, and both are correct.
#
# ## Exercises
#
# 1. **`vector_clock`** — in `exercises/vector_clock.py`, write `VectorClock.merge`,
#    `VectorClock.update`, `VectorClock.happens_before` and `VectorClock.concurrent`.
#    Check: `consensus-lab check vector_clock`.
# 2. **`causal_delivery`** — in `exercises/causal_delivery.py`, write
#    `can_deliver(sender, msg_vc, local)`, the two rules above.
#    Check: `consensus-lab check causal_delivery`.
#
# The cells below grade **your** files in `exercises/` (re-run them after saving). Until you
# write the code, every check fails with "not implemented yet" — that is expected.

# %%
from consensus_lab.exercises import check, load_answers
check("vector_clock")

# %%
check("causal_delivery")

# %% [markdown]
# When your clock passes, plug it into the Everest run: the simulator then uses *your*
# `merge` on every delivery.

# %%
try:
    mine = load_answers("vector_clock").VectorClock
    run = everest(partial(CausalBroadcastNode, clock_cls=mine), seed=0)
    print("Charlie, with your VectorClock:", delivered_texts(run)["Charlie"])
except NotImplementedError:
    print("Your VectorClock is not finished yet: a method still raises NotImplementedError.\n"
          "Write it in exercises/vector_clock.py, then re-run check(...) and this cell.")
except Exception as exc:
    print(f"Your VectorClock raised {exc!r}; check('vector_clock') shows which rule fails.")

# %% [markdown]
# ## Summary
#
# - Happens-before (a → b): same node earlier, or linked by messages; otherwise concurrent.
# - Lamport clocks: a → b ⇒ C(a) < C(b), not the converse. Vector clocks: a → b ⇔ V(a) ≤ V(b)
#   and V(a) ≠ V(b); concurrent ⇔ neither is ≤ the other.
# - Causal delivery: deliver a message from j stamped V when V[j] = local[j] + 1 and
#   V[k] ≤ local[k] for every other k; otherwise hold it back. On the Everest run, Charlie
#   holds "8849 m" back until the question arrives.
# - 20 seeded runs with reordering and duplicates kept causal order; naive delivery broke it
#   in most of them.
#
# Next: [04 · consensus and FLP](04-consensus-and-flp.ipynb) — when order is not enough and nodes must agree.
