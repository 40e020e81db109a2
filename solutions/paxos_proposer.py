"""Exercise: the Paxos proposer's choice (提議者 Proposer) — reference solution.

Rule P2c (Lamport, "Paxos Made Simple" §2.2): propose the value of the
highest-numbered proposal among the promises' accepted proposals; your own
value only if none of them reports one.

Check with ``consensus-lab check paxos_proposer --answers solutions``.
"""

from __future__ import annotations

from typing import Any

from consensus_lab.paxos import Promise


def choose_value(promises: list[Promise], own_value: Any) -> Any:
    """The value to propose in phase 2, given a majority's promises (rule P2c)."""
    reported = [p.accepted for p in promises if p.accepted is not None]
    if not reported:
        return own_value
    _ballot, value = max(reported, key=lambda proposal: proposal[0])
    return value
