"""The Multi-Paxos acceptor (PMMC Fig. 4), one instance per server.

One promise covers every slot (``promised``, PMMC's ``ballot_num``); per
slot it keeps only the highest-ballot pvalue it accepted (PMMC §3's state
reduction: a lower one can never be the "highest accepted" again).

* ``P1a(b, from)``: if ``b`` is above the promise, promise ``b``; answer
  ``P1b`` with the promise and the accepted pvalues from slot ``from`` on.
* ``P2a(b, s, c)``: unless a higher ballot is promised, accept ``(b, s, c)``;
  answer ``P2b`` with the promise (equal to ``b`` exactly when accepted).

Both are persisted before the answer leaves: the promise under
``"promised"`` and each slot under ``"accepted/<slot>"``, so a write costs
one slot, not the whole table.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..ballot import Ballot
from .messages import P1a, P1b, P2a, P2b, PValue
from .outbox import Outbox


class Acceptor:
    """Promise and accepted pvalues of one server; they survive crashes."""

    def __init__(self) -> None:
        # Persistent.  Invariant: every accepted ballot <= promised.
        self.promised: Ballot | None = None
        self.accepted: dict[int, tuple[Ballot, Any]] = {}  # slot -> highest (ballot, command)
        self.journal: list[PValue] = []  # ghost: every accept in order (for the invariants)

    def restore(self, stored: Mapping[str, Any]) -> None:
        """Reload what a previous incarnation persisted."""
        self.promised = stored.get("promised")
        for key, pvalue in stored.items():
            if key.startswith("accepted/"):
                self.accepted[int(key.split("/", 1)[1])] = pvalue

    def on_p1a(self, out: Outbox, src: str, msg: P1a) -> None:
        """Phase 1b: promise a higher ballot; report what we accepted from ``from_slot`` on."""
        if self.promised is None or msg.ballot > self.promised:
            self.promised = msg.ballot
            out.ctx.persist("promised", self.promised, immutable=True)
        assert self.promised is not None
        report = tuple((slot, b, c) for slot, (b, c) in sorted(self.accepted.items())
                       if slot >= msg.from_slot)
        out.send(src, P1b(ballot=self.promised, accepted=report))

    def on_p2a(self, out: Outbox, src: str, msg: P2a) -> None:
        """Phase 2b: accept unless a higher ballot is promised; answer with the promise."""
        if self.promised is None or msg.ballot >= self.promised:
            if msg.ballot != self.promised:
                self.promised = msg.ballot
                out.ctx.persist("promised", self.promised, immutable=True)
            self.accepted[msg.slot] = (msg.ballot, msg.command)
            self.journal.append((msg.slot, msg.ballot, msg.command))
            out.ctx.persist(f"accepted/{msg.slot}", (msg.ballot, msg.command), immutable=True)
        assert self.promised is not None
        out.send(src, P2b(ballot=self.promised, slot=msg.slot))

    def state_key(self) -> tuple[Any, ...]:
        """Promise and accepted pvalues (not the journal)."""
        return (self.promised, tuple(sorted(self.accepted.items())))
