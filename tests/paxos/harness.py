"""Helpers shared by the Paxos tests (not part of the library).

* :class:`FakeContext` records every effect a node emits, in order, so a
  paper-rule test can assert the exact effects of one message.
* :func:`kv_history` (the library's, from :mod:`consensus_lab.paxos.lessons`)
  turns a run's client history into the checker's form.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from consensus_lab.paxos.lessons import kv_history
from tests.fake_context import FakeContext as RecordingContext

__all__ = ["FakeContext", "kv_history"]


class FakeContext(RecordingContext):
    """:class:`tests.fake_context.FakeContext` with a Paxos acceptor's id and peers by default."""

    def __init__(self, node_id: str = "a1", peers: tuple[str, ...] = ("a2", "a3", "l1", "p1"),
                 stored: Mapping[str, Any] | None = None, seed: int = 0) -> None:
        super().__init__(node_id, peers, stored, seed)
