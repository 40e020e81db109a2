"""The three properties of consensus as checks on one run of single-decree Paxos.

The chapter (*共識問題的形式化定義*) asks three things of a consensus protocol:

* **Agreement** (一致性): all nodes decide the same value.
* **Validity** (合法性): the decided value was proposed by some node.
* **Termination** (終止性): every correct (not crashed) node eventually decides.

The first two are *safety* properties — "nothing bad ever happens" — so a
finite run can break them, and :func:`check_agreement` /
:func:`check_validity` say exactly where. Termination is a *liveness*
property — "something good eventually happens" — so a finite run can only
show it has happened *yet*: :func:`check_termination` reports "not yet at
t=…", never "never". That asymmetry is what FLP is about (Fischer, Lynch
and Paterson 1985): a deterministic protocol can keep the first two for
ever, but no such protocol can promise the third in an asynchronous
network where one node may crash.

Who "decides" in Paxos: a learner decides when it learns a value; a
proposer that saw its ballot accepted by a majority (phase ``done``) knows
the value too. Agreement also reads the acceptors (the ghost record of
:mod:`.invariants`): a value is *chosen* once a majority accepted one
ballot with it, even if no learner has heard of it yet.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..sim import Simulation
from .cluster import learned, learners_of, proposers_of
from .config import LEARNER, role_of
from .invariants import agreement, chosen_record, chosen_values, validity
from .proposer import DONE

SAFETY, LIVENESS = "safety", "liveness"
PROPERTIES = ("agreement", "validity", "termination")


@dataclass(frozen=True, slots=True)
class Verdict:
    """One property checked on one run: does it hold, and why."""

    name: str  # one of PROPERTIES
    kind: str  # SAFETY or LIVENESS
    holds: bool
    why: str

    def __str__(self) -> str:
        return f"{self.name} ({self.kind}): {'holds' if self.holds else 'BROKEN'} — {self.why}"


def decisions(sim: Simulation) -> dict[str, Any]:
    """Node id -> the value it decided: learners that learned, proposers that are done."""
    found = dict(learned(sim))
    found.update({p.node_id: p.chosen for p in proposers_of(sim) if p.phase == DONE})
    return dict(sorted(found.items()))


def check_agreement(sim: Simulation) -> Verdict:
    """At most one value chosen by the acceptors, and every decision is that value."""
    broken = agreement(sim)
    if broken:
        return Verdict("agreement", SAFETY, False, broken)
    decided = decisions(sim)
    values = list(dict.fromkeys([*chosen_values(sim), *decided.values()]))
    if len(values) > 1:
        who = ", ".join(f"{node}={value!r}" for node, value in decided.items())
        return Verdict("agreement", SAFETY, False, f"nodes decided different values: {who}")
    if not values:
        return Verdict("agreement", SAFETY, True, "nothing chosen, so nothing to disagree on")
    return Verdict("agreement", SAFETY, True,
                   f"one value chosen, {values[0]!r}; decided by {_names(decided) or 'no one yet'}")


def check_validity(sim: Simulation) -> Verdict:
    """Every chosen or decided value is one that some proposer proposed."""
    broken = validity(sim)
    if broken:
        return Verdict("validity", SAFETY, False, broken)
    proposed = chosen_record(sim).proposed
    for node, value in decisions(sim).items():
        if value not in proposed:
            return Verdict("validity", SAFETY, False,
                           f"{node} decided {value!r}, which no proposer proposed")
    values = chosen_values(sim)
    if not values:
        return Verdict("validity", SAFETY, True, "nothing chosen yet")
    chosen = ", ".join(repr(v) for v in values)
    return Verdict("validity", SAFETY, True, f"chosen {chosen}: proposed "
                   f"({'each' if len(values) > 1 else 'it'} is among "
                   f"{_names(sorted(map(repr, proposed)))})")


def check_termination(sim: Simulation) -> Verdict:
    """Every live learner has learned a value *by now* (a finite run cannot show "never")."""
    learners = [i for i in sim.node_ids if role_of(i) == LEARNER]
    live = [n.node_id for n in learners_of(sim)]
    if not learners:
        return Verdict("termination", LIVENESS, False, "the cluster has no learner to decide")
    if not live:
        return Verdict("termination", LIVENESS, False, f"no live learner at t={sim.now}")
    waiting = [i for i in live if i not in learned(sim)]
    if waiting:
        return Verdict("termination", LIVENESS, False,
                       f"not yet: {_names(waiting)} had learned nothing at t={sim.now}")
    at = decided_at(sim)
    when = f" by t={at}" if at is not None else ""
    return Verdict("termination", LIVENESS, True, f"every live learner decided{when}")


def decided_at(sim: Simulation) -> int | None:
    """When the last live learner learned, read from the trace's notes (None if unknown)."""
    live = {n.node_id for n in learners_of(sim)}
    times = {r.node: r.time for r in sim.trace.filter(kind="note")
             if r.node in live and str(r.detail).startswith("learned")}
    return max(times.values()) if times and set(times) == live else None


def consensus_properties(sim: Simulation) -> tuple[Verdict, Verdict, Verdict]:
    """Agreement, validity and termination of ``sim`` as it stands now."""
    return check_agreement(sim), check_validity(sim), check_termination(sim)


def properties_rows(runs: Mapping[str, Simulation]) -> list[dict[str, Any]]:
    """One row per named run, a ✓/✗ column and a reason per property
    (:func:`consensus_lab.viz.properties_table` makes them a DataFrame)."""
    if not runs:
        raise ValueError("properties_table needs at least one run, got an empty mapping")
    rows = []
    for name, sim in runs.items():
        row: dict[str, Any] = {"run": name, "t": sim.now}
        for verdict in consensus_properties(sim):
            row[verdict.name] = "✓" if verdict.holds else "✗"
            row[f"{verdict.name}: why"] = verdict.why
        rows.append(row)
    return rows


def _names(items: Any) -> str:
    return ", ".join(str(i) for i in items)
