"""Ballot numbers: totally ordered, and unique to the proposer that uses them.

Paxos Made Simple (§2.2) only asks that proposal numbers be totally ordered
and that no two proposers ever use the same one; "Paxos Made Moderately
Complex" (§3) builds them as ``(round, leader id)`` pairs compared
lexicographically. Two proposers can pick the same round, but never the same
ballot, and a proposer that wants to outbid ballot ``b`` picks round
``b.round + 1``.
"""

from __future__ import annotations

from ..sim.step import Value, frozen


@frozen(order=True)
class Ballot(Value):
    """A proposal number ``(round, proposer_id)``, ordered by round, then by id.

    >>> Ballot(1, "p2") > Ballot(1, "p1") and Ballot(2, "p1") > Ballot(1, "p2")
    True
    """

    round: int
    proposer_id: str

    def __post_init__(self) -> None:
        if not isinstance(self.round, int) or self.round < 0:
            raise ValueError(f"a ballot round must be an int >= 0, got {self.round!r}")
        if not isinstance(self.proposer_id, str) or not self.proposer_id:
            raise ValueError(f"a ballot needs its proposer's id, got {self.proposer_id!r}")

    def next_for(self, proposer_id: str) -> Ballot:
        """A ballot of ``proposer_id`` in the next round: higher than this one."""
        return Ballot(self.round + 1, proposer_id)

    def __str__(self) -> str:
        return f"{self.round}.{self.proposer_id}"
