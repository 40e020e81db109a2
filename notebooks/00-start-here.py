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
# # 00 · Start here: how to use consensus-lab
#
# This lab turns the chapter *一致性與共識 (Consistency and Consensus)* — Designing
# Data-Intensive Applications, chapter 9 — into simulations you can run, break and check.
# In this notebook you run a first simulation, take the tour of the **SimulationPlayer**
# (the widget every notebook uses to step, rewind and inject faults), see how a **seed**
# makes every run repeatable, and learn how the **exercises** are graded. The full bilingual
# glossary (English / 繁體中文) is at the end.

# %% [markdown]
# ## What the lab is
#
# - **One simulator** (`consensus_lab.sim`): nodes exchange messages over a simulated network
#   with integer virtual time (1 tick ≈ 1 ms). Messages can be delayed, lost, duplicated and
#   reordered; nodes can crash, restart and pause; the network can be partitioned.
# - **Protocols as library code** (`consensus_lab.clocks`, and later Raft, Paxos, 2PC, …).
#   Notebooks never re-implement a protocol in a cell: they *show* the library's code with
#   `show(...)`, so what you read is exactly what the tests check.
# - **Widgets** to play with a run, **diagrams** to see it, **pandas tables** to inspect it.
# - **Exercises**: small functions you write yourself in `exercises/`, graded by the same
#   kind of tests that check the library.

# %% [markdown]
# ## The map of notebooks
#
# Each notebook covers a section of the chapter (the chapter's own heading in 繁體中文).
# The table is built from the lab's notebook map, `consensus_lab.nb.NOTEBOOKS`, the same
# list the tests check every notebook's "Previous" and "Next" links against:

# %%
from IPython.display import Markdown
from consensus_lab.nb import NOTEBOOKS, PLANNED, notebook_index

Markdown(f"{len(NOTEBOOKS)} notebooks are available (this one included) and "
         f"{len(PLANNED)} is planned.\n\n" + notebook_index("00-start-here"))

# %% [markdown]
# ## A first simulation (seed 1)
#
# Three nodes gossip a rumour: every 10 ticks (from a random start) each node bumps its rumour
# version and sends it to the next two peers in turn; a node that hears a higher version
# adopts it. The protocol is a class in the library (`consensus_lab.sim.bench.Gossiper`);
# here is its real code.

# %%
import pandas as pd
pd.set_option("display.max_colwidth", None)   # show long table cells in full

# %%
from consensus_lab.sim.bench import Gossiper
from consensus_lab.nb import show
from consensus_lab.sim import Network, Simulation
from consensus_lab.viz import cluster_diagram, nodes_table
from consensus_lab.widgets import SimulationPlayer

# %%
show(Gossiper.start, Gossiper.step)

# %% [markdown]
# A protocol is two pure functions over an immutable state: `start` (boot, or recover
# from what was persisted) and `step(state, input)`, where the input is a message
# delivered (`Deliver`), a timer fired (`Fire`) or a client request (`Request`), each
# carrying `now`, the node's own clock. Both return the next state and the *effects*
# (`Send`, `SetTimer`, `Persist`, `Reply`, `Note`), which the simulator carries out
# in order. A node never touches a socket, the wall clock or a global random generator
# (a `SetTimer` with a range is drawn from the node's seeded stream). That is why the
# simulator can run it, pause it, crash it and replay it. Let us run 30 ticks with seed 1
# and read the end of the trace:

# %%
sim = Simulation(Gossiper(), 3, seed=1, network=Network(latency=(1, 20)))
sim.run(until=30)
print(sim.trace.tail(6))

# %%
nodes_table(sim)

# %%
cluster_diagram(sim)

# %% [markdown]
# The cluster diagram shows each node with its state and the messages in flight (arrows,
# labelled near the receiver).
#
# ## The SimulationPlayer tour
#
# Every notebook hands you a **SimulationPlayer**. Its controls, row by row:
#
# 1. **▶ play / ⏸ pause**, **◀ back**, **step ▶** (fire the next event), the **step**
#    scrubber (drag to any earlier step: the run is rebuilt by replaying), **steps/s**, the
#    **seed** box and **restart run** (a fresh run with that seed).
# 2. **node** + **crash** (the node loses everything it did not persist), **restart**,
#    **pause** (a GC pause: its events wait) and **resume**; the **drop rate** slider (the
#    chance that any message is lost).
# 3. **group A** + **partition A | rest** (cut every link between group A and the others),
#    **heal**, and **cut one way** (block only *from → to*).
# 4. **pending** + **deliver next**: pick any message or timer that is waiting and fire it
#    *now*, out of turn — you decide the order of delivery.
# 5. The **status line** (time, step, seed, pending events; violations and rejected clicks in
#    red) and the last lines of the trace; then the **cluster** diagram, the **tables**
#    (node states and pending events) and the **space-time** diagram (one lane per node,
#    one arrow per message).
#
# Going back and then acting (crash, deliver next, …) **forks** history: the old future is
# forgotten. Try it on the gossip run (seed 1):

# %%
player = SimulationPlayer(Gossiper(), 3, seed=1, network=Network(latency=(1, 20)))
player

# %% [markdown]
# Every button is also a method, so a cell can drive the same player (and a test can too).
# This cell takes 8 steps, crashes `n2`, and takes 4 more steps; scroll up and the widget
# shows the same state as the table below:

# %%
player.step(8)
player.crash("n2")
player.step(4)
nodes_table(player.sim)


# %% [markdown]
# ## Seeds and replay (種子)
#
# Every random decision — message latency, when each node first gossips, drops — comes
# from the run's **seed**. Same seed and same actions → the same run, event for event, on every
# machine. `trace.digest()` is a SHA-256 fingerprint of the whole trace; compare digests to
# check that you and a classmate saw the same run.

# %%
def digest(seed):
    sim = Simulation(Gossiper(), 3, seed=seed, network=Network(latency=(1, 20), drop=0.1))
    sim.run(until=200)
    return sim.trace.digest()[:16]


# %%
{"seed 7": digest(7), "seed 7 again": digest(7), "seed 8": digest(8)}

# %% [markdown]
# A run can also be replayed without its seed, from the list of choices it recorded
# (`sim.choices`) — this is how a failing run found by a random sweep is kept and replayed:

# %%
original = Simulation(Gossiper(), 3, seed=7, network=Network(latency=(1, 20), drop=0.1))
original.run(until=200)
again = Simulation.replay(Gossiper(), 3, original.choices, original.steps,
                         network=original.network)
again.trace.digest() == original.trace.digest()

# %% [markdown]
# From a terminal, `consensus-lab demo clocks --seed 3` runs a scripted demo and prints its
# trace digest; run it twice and the digest is the same.
#
# ## How exercises work
#
# - `exercises/NAME.py` is **your** file: a stub whose functions raise `NotImplementedError`,
#   with the rules in its docstring and a `TODO` where your code goes.
#   (`solutions/NAME.py` holds reference answers — try first!)
# - `consensus-lab list` lists the exercises; `consensus-lab check NAME` grades your file
#   from a terminal, and `check("NAME")` does the same in a notebook. Each check runs in its
#   own process with a time limit, so an infinite loop is reported, not hung.
# - A failing check says which rule failed, on which input, and gives a hint.
#
# The exercises so far:

# %%
from consensus_lab.cli.check import list_main
from consensus_lab.exercises import check, load_answers
list_main([]);

# %% [markdown]
# Here is one method of the `vector_clock` stub exactly as shipped — it only raises:

# %%
show(load_answers("vector_clock").VectorClock.merge)

# %% [markdown]
# So the report below fails: that is what an unfinished exercise looks like. It turns green
# once you write the four methods in `exercises/vector_clock.py` (notebook 03 explains the
# rules). Re-run the cell after saving your file — it always grades the file on disk.

# %%
check("vector_clock")

# %% [markdown]
# ## Glossary (詞彙表)
#
# Every notebook shows the rows it teaches; here is the whole list.

# %%
from consensus_lab.glossary import glossary_table
glossary_table()

# %% [markdown]
# ## Summary
#
# - The lab is one deterministic simulator plus protocols written as library code; notebooks
#   show that code with `show(...)` and run experiments on it.
# - The **SimulationPlayer** steps, rewinds and forks a run; it crashes, pauses and
#   partitions nodes, drops messages, and lets you choose which message is delivered next.
# - A **seed** fixes a run; `trace.digest()` proves two runs are the same.
# - Exercises live in `exercises/`; `consensus-lab check NAME` or `check("NAME")` grades them.
#
# Next: **[01 · consistency models](01-consistency-models.ipynb)** — one workload on stores of
# four strengths, and how to check a history for linearizability. (Or jump to
# [03 · causality](03-causality.ipynb): why "8849 m" must not arrive before "How high is
# Everest?".)
