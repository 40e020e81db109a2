"""Helpers shared by the Paxos tests (not part of the library).

* :class:`FakeContext` records every effect a node emits, in order, so a
  paper-rule test can assert the exact effects of one message.
* :func:`kv_history` turns a run's client history into the checker's form,
  with the KV model's conventions (a key never written reads as "").
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from consensus_lab.consistency import History
from consensus_lab.sim import Simulation
from tests.fake_context import FakeContext as RecordingContext


class FakeContext(RecordingContext):
    """:class:`tests.fake_context.FakeContext` with a Paxos acceptor's id and peers by default."""

    def __init__(self, node_id: str = "a1", peers: tuple[str, ...] = ("a2", "a3", "l1", "p1"),
                 stored: Mapping[str, Any] | None = None, seed: int = 0) -> None:
        super().__init__(node_id, peers, stored, seed)


def kv_history(sim: Simulation) -> History:
    """The run's history for the ``kv`` model: a get of a never-written key read ""."""
    ops = [dataclasses.replace(op, output="")
           if op.f == "get" and op.status == "ok" and op.output is None else op
           for op in History.from_sim(sim.history).ops]
    return History(ops)
