#!/usr/bin/env python3
"""Write notebooks/01-consistency-models.ipynb (cells only, no outputs).

Usage:
    .venv/bin/python tools/nb01.py
    .venv/bin/python tools/run_notebooks.py notebooks/01-consistency-models.ipynb

The cells are the list ``CELLS`` below, ("md" | "code", text) as in
tools/raft_nb05.py; the spectrum section (linearizable → sequential → causal →
eventual, run on the toy stores) is ``CELLS`` of tools/nb01_spectrum.py,
written separately and inserted after the vocabulary. Without that file the
notebook is written without the section, and a warning says so. Prose quotes
verdicts of the histories below; check them against the executed notebook.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat

TOOLS = Path(__file__).resolve().parent
sys.path.insert(0, str(TOOLS))
from raft_notebooks import build  # noqa: E402

try:
    from nb01_spectrum import CELLS as SPECTRUM  # noqa: E402
except ImportError:  # written by another change; the notebook works without it
    SPECTRUM = None

PATH = TOOLS.parent / "notebooks" / "01-consistency-models.ipynb"

INTRO: list[tuple[str, str]] = [
    ("md", r"""
# 01 · Consistency models: linearizability and weaker guarantees (一致性模型 · 線性一致性)

When several replicas serve one piece of data, what may a read return? A *consistency
model* is the contract. This notebook follows the chapter's section *一致性模型*: the
spectrum from strongest to weakest (一致性光譜), then **linearizability** (線性一致性) up
close, then two weaker contracts.

What you will learn:

- the **consistency spectrum** — linearizable → sequential → causal → eventual — as
  stores you can run, and which anomalies each one lets through;
- what **linearizable** means, stated with **real-time order**: every operation seems to
  take effect at one instant between its call and its return;
- how to write the chapter's **good read** and **stale read** as *histories* and let a
  real checker give a verdict, with a **witness** order or the **culprit** operations;
- a **history editor**: move, edit, add and delete operations and watch both verdicts
  change live;
- why the chapter's **toy checker** (sort by end time, replay) is wrong, in both
  directions, and what that says about concurrent operations;
- **sequential consistency** (順序一致性) and the **session guarantees** such as
  Read-Your-Writes, each with a small example.

Next: [02 · CAP](02-cap.ipynb) — what a network partition forces a store to give up.
"""),
    ("code", r"""
from dataclasses import replace

from consensus_lab.consistency import (
    History, Result, check, check_sequential, check_sessions, naive_check, read_your_writes)
from consensus_lab.nb import show
from consensus_lab.viz import history_timeline
from consensus_lab.widgets import HistoryEditor
"""),
    ("md", r"""
## Vocabulary (詞彙)
"""),
    ("code", r"""
from consensus_lab.glossary import glossary_table
glossary_table("consistency").query("notebook == '01-consistency-models'")
"""),
]

LINEARIZABILITY: list[tuple[str, str]] = [
    ("md", r"""
## Linearizability (線性一致性): the rules

The chapter's definition: the system behaves **as if there were one copy of the data**,
and every operation takes effect **at one instant**. Clients only see their own calls
and replies, so we state it over a **history**: each operation has a *call* time and a
*return* time, and between the two it is in flight.

A history is **linearizable** if its operations fit **one total order** (全局順序) such
that

1. **the order respects real time** (實時性): if operation A *returned* before
   operation B was *called*, A comes before B;
2. **the order is a legal run of one register**: every read returns the value of the
   latest write before it in the order (讀取最新值); before any write the register holds
   nil (Python's `None`, the chapter's "X = 0").

Operations whose intervals **overlap** are *concurrent*: rule 1 says nothing about them,
so they may go in either order. Equivalently, pick a *linearization point* inside each
interval; the points, read left to right, must tell a legal story. Such an order is a
**witness** that the history is linearizable. Here (as in Knossos and Porcupine) an
operation called exactly when another returns counts as overlapping it.

Statuses, as in Jepsen: `ok` happened; `fail` certainly did not happen; `info` means the
client gave up waiting — the operation may take effect at any time after its call, or
never.
"""),
    ("md", r"""
## The chapter's good read and stale read, as histories

The chapter draws two sequence diagrams. In both, client 1 writes `X = 1` and gets `OK`;
*after that*, client 2 reads X. In the good one the read returns 1; in the stale one it
returns the old value. As a history, each request/reply pair becomes one bar from its call
to its return. A row is `(client, operation, value, call, return)`; for a read, the value
is what it returned.
"""),
    ("code", r"""
good = History.build([("c1", "write", 1, 0, 1), ("c2", "read", 1, 2, 3)])
print(good)
"""),
    ("code", r"""
good_result = check(good, "register")
good_result.verdict, good_result.explanation
"""),
    ("md", r"""
The timeline draws one lane per client. For an `ok` verdict the green numbered markers are
the witness: one order, respecting real time, in which every read sees the latest write.
"""),
    ("code", r"""
history_timeline(good, good_result)
"""),
    ("md", r"""
The stale read: the write returned at t=1, the read was called at t=2, and it still
returned nil.
"""),
    ("code", r"""
stale = History.build([("c1", "write", 1, 0, 1), ("c2", "read", None, 2, 3)])
stale_result = check(stale, "register")
stale_result.verdict, stale_result.explanation
"""),
    ("code", r"""
history_timeline(stale, stale_result)
"""),
    ("md", r"""
Illegal. Real time forces the write before the read (it returned before the read was
called), and after the write the register holds 1, not nil. The **culprit** — the
operations that no order can explain — is outlined in red; `result.culprit` lists them.
A checker's answer is a `Result`, never a bare `False`:
"""),
    ("code", r"""
show(Result)
"""),
    ("code", r"""
[str(op) for op in stale_result.culprit]
"""),
    ("md", r"""
### A subtler stale read: the write is still running

Now the write is slow (t=0 to t=10). c2 reads 1 while it runs — fine, the write may take
effect early — and *later* c3 reads nil. Each read alone could be explained, but not
both: once c2 has seen 1, the write has taken effect, and c3 (called after c2 returned)
must see it too. This is DDIA's Alice-and-Bob example (Figure 9-1): Alice sees the final
score, tells Bob, and Bob's later request still shows the game running.
"""),
    ("code", r"""
slow = History.build([("c1", "write", 1, 0, 10), ("c2", "read", 1, 1, 3),
                      ("c3", "read", None, 4, 5)])
slow_result = check(slow, "register")
print(slow_result.explanation)
history_timeline(slow, slow_result)
"""),
    ("md", r"""
How does `check` decide? It searches for a witness depth first (Wing & Gong's algorithm
with Lowe's memo, as in Porcupine): at each step it may place any pending operation that
was *called* no later than the earliest *return* among the operations not yet placed —
placing a later one would break real-time order — if the register allows it, and it
backtracks when stuck. It gives up only after every such order has failed.
"""),
]

EDITOR: list[tuple[str, str]] = [
    ("md", r"""
## The history editor: break it and fix it

Pick a **preset**, select an **operation**, and change it: drag its **call** and
**return** sliders, shift the whole bar with **◀ earlier** / **later ▶**, type a new
**value** (`nil` for no value) and press Enter, switch its **status** between `ok`,
`info` and `fail`, **+ add** an operation, **✕ delete** one, **⟲ undo** any edit, or
**↺ restart** from the history as loaded.
Every change re-runs both checkers. Left: the real checker's verdict with the witness or
the culprit. Right: the chapter's toy checker — with a red ⚠ when it is wrong. An
impossible edit (a return before its call) is refused with a message; nothing changes.

Experiments to try:

1. **stale read** — move c2's read earlier until it overlaps c1's write. At which call
   time does the verdict flip? Where is the read in the witness order?
2. **good read** — change the read's value to `nil`; then to `2`. Why is `2` illegal even
   when the read overlaps the write?
3. **stale read, slow write** — move c3's read earlier until it overlaps c2's read. c3
   still reads nil, and c2's read of 1 still starts first; why is that now fine?
4. **concurrent writes** — both writes are done before the reads, so the reads must agree.
   Move c4's read earlier until it overlaps c2's write.
5. **timed-out write** — c1 gave up waiting (`info`). Set it to `fail`, then to `ok`: which
   status makes the history legal?
6. Add a third client that reads 1 at t=12 to a linearizable history. Then delete it, or
   press undo.
"""),
    ("code", r"""
editor = HistoryEditor("stale read")
editor
"""),
    ("md", r"""
The same from Python — every control is a method (a refused edit raises `EditError`):
load experiment 3 and move c3's read (op #2) to start at t=3, when c2's read returns.
The editor above follows.
"""),
    ("code", r"""
editor.load("stale read, slow write")
editor.move(2, call=3)
editor.model.result.verdict, [str(op) for op in editor.model.result.witness]
"""),
    ("md", r"""
The witness puts c3's nil read first, then the write, then c2's read of 1. c3 was called
(t=3) before c2's read returned (t=3 counts as overlapping), so c3 may come first — even
though c2's read was *called* earlier.
"""),
]

TOY: list[tuple[str, str]] = [
    ("md", r"""
## The toy checker, caught out

The chapter's `LinearizabilityChecker` sorts the operations by end time and replays them
against the register. The library keeps it as `naive_check`, to be caught out:
"""),
    ("code", r"""
show(naive_check)
"""),
    ("md", r"""
The completion order always respects real time (if A returned before B was called, A also
returned before B returned), so it is a fair *candidate*. But it is only one candidate
out of many: **it ignores that overlapping operations can be linearized in either
order.**

### Wrong answer 1: "no" to a linearizable history (a false alarm)

A slow write and a fast read of its value. The read *returns* first, so the toy replays
it first, finds nil, and says no. Yet the write may have taken effect at t=2, before the
read returned.
"""),
    ("code", r"""
early = History.build([("c1", "write", 1, 0, 10), ("c2", "read", 1, 1, 3)])
early_result = check(early, "register")
naive_check(early), early_result.verdict
"""),
    ("code", r"""
history_timeline(early, early_result)
"""),
    ("md", r"""
Concurrent writes trip it the same way: c2's write returns first, so the toy replays
`write(2)` then `write(1)`, and c3's read of 2 fails — though the writes overlap and may
take effect in the other order.
"""),
    ("code", r"""
writes = History.build([("c1", "write", 1, 0, 6), ("c2", "write", 2, 1, 5),
                        ("c3", "read", 2, 7, 8)])
naive_check(writes), check(writes, "register").verdict
"""),
    ("md", r"""
Both are the **same flaw**: the toy fixes each operation's effect at its *return*, while
linearizability allows any instant in the interval. A real store answers a write only
after it took effect somewhere — often well before the reply reaches the client.

### Wrong answer 2: "yes" to a history that is not linearizable

For operations that completed this cannot happen: a successful replay of the completion
order *is* a witness (it respects real time and is legal), so the toy's "yes" is then
right. `tests/consistency/test_naive.py` checks that on 300 random concurrent histories
per run. The toy's "yes" goes wrong when it trusts operations that **did not happen**.
The chapter's `add_operation` has no outcome: every recorded write counts. Here c2 reads
1 *while* c1's write is in flight, and then the write **fails** — c2 saw a value that
was never written (an *aborted read*):
"""),
    ("code", r"""
aborted = History.build([("c1", "write", 1, 0, 4, "fail"), ("c2", "read", 1, 1, 5)])
as_the_chapter_records_it = History([replace(op, status="ok") for op in aborted])
naive_check(as_the_chapter_records_it), check(aborted, "register").verdict
"""),
    ("md", r"""
The toy says yes; the history is illegal: nobody wrote 1. The library's `naive_check`
drops `fail` operations and so gets this one right (`naive_check(aborted)` is `False`) —
but it then has no way to say "maybe": it drops `info` operations too, and the editor's
**timed-out write** preset is another false alarm. The real checker treats an `info`
write as *optional*: it may take effect at any point after its call, or never.
"""),
    ("code", r"""
naive_check(aborted)
"""),
]

WEAKER: list[tuple[str, str]] = [
    ("md", r"""
## Weaker models

### Sequential consistency (順序一致性)

Keep rule 2 (one legal order for everyone) and each client's **own** order, but drop
real time *between* clients (Lamport, 1979). The chapter's stale read is sequentially
consistent: order c2's read before c1's write. Every client sees the same story; it may
just be behind.
"""),
    ("code", r"""
sc = check_sequential(stale)
sc.verdict, [str(op) for op in sc.witness]
"""),
    ("md", r"""
It still forbids two readers that disagree about the order of two writes: c3 sees 1 then
2, c4 sees 2 then 1. No single order explains both.
"""),
    ("code", r"""
flip_flop = History.build([
    ("c1", "write", 1, 0, 1), ("c2", "write", 2, 0, 1),
    ("c3", "read", 1, 2, 3), ("c3", "read", 2, 4, 5),
    ("c4", "read", 2, 2, 3), ("c4", "read", 1, 4, 5)])
print(check_sequential(flip_flop).explanation)
"""),
    ("md", r"""
The editor also shows this verdict under the linearizability one: try the stale-read
presets there, and see how often "not linearizable" is still "sequentially consistent".

### Session guarantees: Read-Your-Writes and friends

Weaker still, the four session guarantees of Terry et al. (1994) only promise things to
**one client's session**: *Read-Your-Writes* (see your own earlier writes), *Monotonic
Reads* (never go back to an older value), *Monotonic Writes* and *Writes-Follow-Reads*.
The chapter's exercise 1, scenario A is Read-Your-Writes: the author of a post must see it
after a refresh; nobody else needs to, yet.
"""),
    ("code", r"""
post = History.build([("author", "write", "post 1", 0, 1), ("author", "read", "post 1", 2, 3),
                      ("friend", "read", None, 4, 5)])
read_your_writes(post), check(post, "register").verdict
"""),
    ("md", r"""
No Read-Your-Writes violation — the author sees the post — though the friend's stale read
makes the history not linearizable. Break the guarantee: the author refreshes and the post
is gone; and the friend, after seeing the post once, loses it again (Monotonic Reads).
"""),
    ("code", r"""
lost = History.build([("author", "write", "post 1", 0, 1), ("author", "read", None, 2, 3),
                      ("friend", "read", "post 1", 2, 3), ("friend", "read", None, 4, 5)])
{name: [str(v) for v in found] for name, found in check_sessions(lost).items()}
"""),
]

EXERCISE: list[tuple[str, str]] = [
    ("md", r"""
## Exercise: write the register's model (`register_model`)

The checker knows nothing about registers: it only calls a *step function* that says
whether one operation, with the output the client saw, is a legal next step from a state.
Open `exercises/register_model.py` and write `cas_step` for the compare-and-set register
(read, write, cas; nil at the start; a cas that timed out may or may not have happened),
then, if you like, `brute_force_linearizable`: the definition of linearizability as code,
trying every order of a tiny history.

The grader tries each rule, then runs the real checker with **your** model on hand-made
histories and on real Jepsen etcd histories, and compares your brute-force checker with the
real one on hundreds of random tiny histories. Until you fill the file in, every check
reports "not implemented yet" — that is expected.
"""),
    ("code", r"""
from consensus_lab.exercises import check

check("register_model")
"""),
]


SUMMARY: list[tuple[str, str]] = [
    ("md", r"""
## What to notice

- A verdict needs **intervals**, not timestamps: concurrency is overlap, and overlapping
  operations may take effect in either order.
- "Not linearizable" comes with a **culprit**, "linearizable" with a **witness**; both
  can be checked by eye on the timeline.
- A checker that tries only one order gives **false alarms**; one that believes every
  recorded operation happened can **accept** an impossible history.
- Weaker models keep a global or per-session order but let reads fall behind real time:
  the chapter's stale read is sequentially consistent.

## Summary

- **Linearizable** (線性一致性): one order of all operations that respects real time and
  is a legal run of one copy. The good read is linearizable; the stale read is not, and
  its culprit is the write and the read that came after it.
- The real checker searches every real-time-respecting order (Wing & Gong, Lowe);
  `check` returns a `Result` with `verdict`, `witness` or `culprit`, and `explanation`.
- The chapter's toy checker sorts by end time: wrong "no" whenever the explanation needs
  overlapping operations in another order; wrong "yes" when it trusts operations that
  failed.
- **Sequential consistency** (順序一致性) drops real time between clients;
  **session guarantees** such as Read-Your-Writes constrain only one client's view.

Next: [02 · CAP](02-cap.ipynb) — under a network partition, a store must refuse requests
(CP) or give up exactly the guarantee checked here (AP).
"""),
]


def cells() -> list[tuple[str, str]]:
    """The notebook's cells, with the spectrum section when tools/nb01_spectrum.py exists."""
    spectrum = list(SPECTRUM) if SPECTRUM is not None else []
    return INTRO + spectrum + LINEARIZABILITY + EDITOR + TOY + WEAKER + EXERCISE + SUMMARY


def main() -> int:
    """Write the notebook (without outputs)."""
    if SPECTRUM is None:
        print("warning: tools/nb01_spectrum.py not found; written without the spectrum "
              "section", file=sys.stderr)
    nbformat.write(build(cells()), PATH)
    print(f"{PATH}: written (run tools/run_notebooks.py on it to add outputs)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
