"""Cells of the section "The spectrum (一致性光譜)" of notebooks/01-consistency-models.ipynb.

tools/nb01.py inserts ``CELLS`` after the notebook's vocabulary. The section
does its own imports and, besides them, binds only names that start with ``spectrum``,
``SPECTRUM``, ``seq_``, ``causal_`` or ``eventual_``, so it depends on no
other cell and no later cell depends on it. Numbers quoted in the prose come
from the seeded runs (``DEFAULT_SEED``); tests/stores/test_spectrum.py checks
the same picture.
"""

from __future__ import annotations

CELLS: list[tuple[str, str]] = [
    ("md", r"""
## The spectrum (一致性光譜)

The chapter draws consistency as a line from strong to weak, with a price tag at each
end: **linearizable → sequential → causal → eventual**, "stronger = higher latency". Here
are the four promises, strongest first:

- **Linearizable** (線性一致性) — as if there were one copy: a read sees every write that
  *finished before the read began*.
- **Sequential** (順序一致性) — everyone sees one order of all operations, with each
  client's operations in its own program order; but that order may run *behind* real
  time (Lamport 1979).
- **Causal** (因果一致性) — if one operation could have influenced another (the same client
  did it earlier, or the client had read its result), everyone sees them in that order;
  *concurrent* writes may be seen in different orders.
- **Eventual** (最終一致性) — once writes stop, the replicas end up equal; nothing is
  promised meanwhile.

Each model is a toy store in `consensus_lab.stores`, all on the same simulator. Each
client talks to its own nearby replica:

| store | node class | a read | a write |
|-------|------------|--------|---------|
| linearizable | `QuorumNode` (ABD) | ask a majority, store at a majority | the same |
| sequential | `SequentialNode` | local | via the sequencer n1 and back |
| causal | `CausalNode` | local | local, then causal broadcast |
| eventual | `DynamoNode`, R = W = 1, LWW | local | local, then sent to all |

The sequential store in two rules — a replica applies writes strictly in the sequencer's
order, and a client's write is answered only when *its own* replica has applied it (so it
reads its own writes):
"""),
    ("code", r"""
from consensus_lab.consistency import check, check_sequential
from consensus_lab.consistency.causal import check_causal
from consensus_lab.nb import show
from consensus_lab.stores import CausalNode, SequentialNode, spectrum_runs, spectrum_workload
from consensus_lab.viz.experiments import plot_spectrum, spectrum_table
from consensus_lab.stores.spectrum import DEFAULT_SEED
from consensus_lab.viz import history_timeline

show(SequentialNode._on_apply, SequentialNode._apply)
"""),
    ("md", r"""
The causal store *is* causal broadcast plus a dictionary: `CausalNode` inherits the
hold-back queue of notebook 03's `CausalBroadcastNode` and only adds what a write does to
the data. Concurrent writes to one key are settled by last-write-wins on a stamp that is
always higher than anything the writer had seen — so an effect never loses to its cause:
"""),
    ("code", r"""
show(CausalNode.write, CausalNode._apply)
"""),
    ("md", r"""
### One workload, four stores

Three replicas `n1`–`n3` sit far apart (10–50 ticks between them); each client sits next
to its own replica (1–3 ticks): `c1` talks to `n1`, and so on. The seed fixes a script for
every client — eight reads and writes of keys `x` and `y`, with a short think time before
each; every written value names its writer (`"c1:2"` is c1's second write). **Every store
runs the same scripts.** One more fact of life: `n1`'s clock runs 100 ticks ahead (real
clocks are never quite in sync); only a store that stamps writes with its clock notices.
"""),
    ("code", r"""
SPECTRUM_SEED = DEFAULT_SEED   # 46: a seed on which every store shows its typical anomaly
spectrum_workload(SPECTRUM_SEED)["c1"]
"""),
    ("code", r"""
spectrum_results = spectrum_runs(SPECTRUM_SEED)      # one run per store, strongest first
spectrum = spectrum_table(spectrum_results)
spectrum.T
"""),
    ("md", r"""
How to read it (one column per store):

- **Latency** (ticks from call to answer, mean and 95th percentile): the linearizable
  store pays two round trips to a majority for *every* operation (about 110 ticks); the
  sequential store pays only for writes (≈ 49: a trip to n1 and back — c1, next to the
  sequencer, is fast); causal and eventual answer everything locally (≈ 4).
- **Models** (`yes` = the checker accepts the history): read it as a staircase. Each store
  keeps its own promise and every weaker one, and breaks the next stronger one.
- **Anomalies**: `stale_reads` — reads that missed a write which had finished before they
  began; `lost_writes` — acknowledged writes whose value was later replaced by an older
  one; `converged` — do the replicas hold the same values after settling.

Stronger costs latency; weaker lets anomalies through:
"""),
    ("code", r"""
spectrum_figure = plot_spectrum(spectrum)
"""),
    ("md", r"""
### Sequential, not linearizable: a stale read

The sequential store answered one read stale: c2 read `x` at its replica `n2` and got
`'c2:2'` at t=335, although c3's write of `'c3:4'` had finished at t=325 — n3 had applied
it, n2 had not yet. The linearizability checker's culprit, in red:
"""),
    ("code", r"""
seq_run = spectrum_results[1]
seq_verdict = check(seq_run.history, "register")
print(seq_verdict.explanation)
history_timeline(seq_run.history, seq_verdict, caption=False)
"""),
    ("md", r"""
Yet one order of all 24 operations keeps every client's program order and explains every
read: put c2's read *before* c3's write. Nobody can tell the store was behind — unless
clients compare notes by another channel (a phone call, another service), which is exactly
what linearizability protects against.
"""),
    ("code", r"""
check_sequential(seq_run.history, max_ops=24).explanation
"""),
    ("md", r"""
### Causal, not sequential: replicas disagree on concurrent writes

In the causal store each replica applied the writes to `x` in its *own* order — every
replica first applies its own clients' writes, then the others' as they arrive. Writes that
did not see each other are concurrent, so causal consistency allows any order:
"""),
    ("code", r"""
causal_run = spectrum_results[2]
{node_id: node.applied_order("x") for node_id, node in sorted(causal_run.sim.nodes.items())}
"""),
    ("md", r"""
Last-write-wins makes the replicas *end* with the same value; what breaks sequential
consistency is what the clients saw. The first five operations (called before t=28)
already have no single order: c1 wrote `y` and then read `x` as never written, while c3
wrote `x` and then read `y` as never written — each replica answered before the other's
write arrived (the pattern of Dekker's mutual-exclusion algorithm). In any one order, one
of the two writes comes first, and the other client would have seen it:
"""),
    ("code", r"""
from consensus_lab.consistency import History

causal_start = History([op for op in causal_run.history if op.call < 28])
causal_verdict = check_sequential(causal_start)
print(causal_verdict.explanation)
history_timeline(causal_start, causal_verdict, caption=False)
"""),
    ("md", r"""
### Eventual, not causal: an effect loses to its cause

The eventual store stamps each write with its replica's clock, and the highest stamp
wins. c2 read `y = 'c1:1'`, then wrote `y = 'c2:3'` — a write made *after seeing*
`'c1:1'`. But n1 had stamped `'c1:1'` at t=4 with its fast clock — stamp 104 — and n2
stamped c2's write at t=77 with stamp 77. The higher stamp won, and c2's next read brought
the old value back: its own write vanished (DDIA ch. 8 tells the same story about
last-write-wins and clock skew). The causal checker finds the pattern; the culprit is in
red:
"""),
    ("code", r"""
eventual_run = spectrum_results[3]
eventual_verdict = check_causal(eventual_run.history)
print(eventual_verdict.explanation)
history_timeline(eventual_run.history, eventual_verdict, caption=False)
"""),
    ("md", r"""
The session-guarantee rows judge each client against the order *the store* uses (for
last-write-wins, the stamps). By that order `'c1:1'` is the newer value, so formally c2
"read its write and then something newer" — read-your-writes holds — and the table
blames **writes-follow-reads** instead: c2 wrote after reading `'c1:1'`, yet the store put
its write *before* `'c1:1'`. The causal store cannot do this: its stamps are always higher
than anything the writer had seen.

### Over twenty seeds

One seed is an anecdote. Over seeds 0–19 a cell says in how many runs the history
satisfies the model:
"""),
    ("code", r"""
spectrum_table(range(20)).T
"""),
    ("md", r"""
Every store keeps its own promise, and every weaker one, on all twenty seeds (20/20); the
anomalies depend on timing. The sequential store is stale on most seeds, the causal store
breaks sequential consistency on a few, and the eventual store breaks causality rarely —
it takes a client that overwrites a value stamped by the fast clock and then reads it
again — but loses acknowledged writes on 17 of the 20 seeds. The causal store loses a few
writes too: among *concurrent* writes last-write-wins keeps the higher stamp, and n1's fast
clock stamps high, so a concurrent write made later in real time can lose. Causality
allows that (neither write saw the other); linearizability would not.

**Try it** (each call takes a second or two):

- `spectrum_table(range(20), clock_skew=None)` — clocks in sync: the eventual store now
  loses no writes and keeps causality on these seeds. Last-write-wins is only as good as
  the clocks.
- `spectrum_table(range(20), replica_latency=(1, 5))` — replicas close together: quorums
  get cheap and stale reads rare, but the 100-tick skew now dominates the eventual store.
- `spectrum_table(range(20), keys=("x",))` — one key: the causal store never breaks
  sequential consistency here. Why does it take two keys?

**What to notice**

- Latency falls as the promise weakens: a linearizable read waits for a majority; the
  others answer from the nearest replica.
- Each store breaks only the models *above* it: sequential reads go stale, causal
  replicas disagree on the order of concurrent writes, eventual stores can even let a
  cause overwrite its effect.
- The checkers work from the client history alone: the same history can be judged
  against every model.
"""),
]
