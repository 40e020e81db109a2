"""The Multi-Paxos acceptor (PMMC Fig. 4), one per server, as pure functions.

One promise covers every slot (``promised``, PMMC's ``ballot_num``); per
slot it keeps only the highest-ballot pvalue it accepted (PMMC §3's state
reduction: a lower one can never be the "highest accepted" again).

* ``P1a(b, from)``: if ``b`` is above the promise, promise ``b``; answer
  ``P1b`` with the promise and the accepted pvalues from slot ``from`` on.
* ``P2a(b, s, c)``: unless a higher ballot is promised, accept ``(b, s, c)``;
  answer ``P2b`` with the promise (equal to ``b`` exactly when accepted).

Both are persisted before the answer leaves (the effects are ``Persist``
then ``Send``): the promise under ``"promised"`` and each slot under
``"accepted/<slot>"``, so a write costs one slot, not the whole table.
:func:`restore` rebuilds the state from those keys alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...sim.step import Value, frozen
from ..ballot import Ballot
from .messages import P1a, P1b, P2a, P2b
from .outbox import Outbox
from .pmap import EMPTY, PMap

PROMISE = ("PMMC Fig. 4 / PMS §2.2 phase 1b: on p1a(b), if b > ballot_num then "
           "ballot_num := b; reply p1b(ballot_num, accepted)")
ACCEPT = ("PMMC Fig. 4 / PMS §2.2 phase 2b: on p2a(b, s, c), if b >= ballot_num then "
          "accept (b, s, c); reply p2b(ballot_num, s) either way")
REMEMBER = ("PMS §2.2: an acceptor must remember its promise and what it accepted even if "
            "it fails and restarts, so it writes them to stable storage before answering")
ACCEPTED_KEY = "accepted/"


@frozen
class AcceptorState(Value):
    """Promise and accepted pvalues of one server (both durable).

    Invariant: every accepted ballot <= ``promised``.
    """

    promised: Ballot | None = None
    accepted: PMap = EMPTY  # slot -> the highest (ballot, command) accepted there


def restore(stored: Mapping[str, Any]) -> AcceptorState:
    """What a previous incarnation persisted: ``promised`` and every ``accepted/<slot>``."""
    accepted = PMap.of((int(key[len(ACCEPTED_KEY):]), pvalue) for key, pvalue in stored.items()
                       if key.startswith(ACCEPTED_KEY))
    return AcceptorState(stored.get("promised"), accepted)


def on_p1a(acc: AcceptorState, out: Outbox, src: str, msg: P1a) -> AcceptorState:
    """Phase 1b: promise a higher ballot; report what we accepted from ``from_slot`` on."""
    if acc.promised is None or msg.ballot > acc.promised:
        acc = AcceptorState(msg.ballot, acc.accepted)
        out.persist("promised", msg.ballot, REMEMBER)
    assert acc.promised is not None
    report = tuple((slot, b, c) for slot, (b, c) in acc.accepted.items_from(msg.from_slot))
    out.send(src, P1b(ballot=acc.promised, accepted=report), PROMISE)
    return acc


def on_p2a(acc: AcceptorState, out: Outbox, src: str, msg: P2a) -> AcceptorState:
    """Phase 2b: accept unless a higher ballot is promised; answer with the promise."""
    if acc.promised is None or msg.ballot >= acc.promised:
        if msg.ballot != acc.promised:
            out.persist("promised", msg.ballot, REMEMBER)
        pvalue = (msg.ballot, msg.command)
        acc = AcceptorState(msg.ballot, acc.accepted.set(msg.slot, pvalue))
        out.persist(f"{ACCEPTED_KEY}{msg.slot}", pvalue, REMEMBER)
    assert acc.promised is not None
    out.send(src, P2b(ballot=acc.promised, slot=msg.slot), ACCEPT)
    return acc
