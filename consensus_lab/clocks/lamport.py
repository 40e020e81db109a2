"""Lamport clocks: one counter per process that orders events consistently with causality.

Theory of operation (Lamport, "Time, Clocks, and the Ordering of Events in a
Distributed System", CACM 1978, implementation rules IR1 and IR2):

* **IR1** — each process increments its counter between any two successive
  events. Here: :meth:`LamportClock.tick` for a local event, and
  :meth:`LamportClock.send`, which ticks and returns the timestamp to put in
  the outgoing message.
* **IR2** — a message carries the sender's timestamp ``Tm``; on receipt the
  receiver sets its counter to something greater than both its own value and
  ``Tm``. Here: :meth:`LamportClock.receive` sets ``time = max(time, Tm) + 1``.

The result is the *clock condition*: if event ``a`` happens before ``b``
(a → b), then ``C(a) < C(b)``. The converse does not hold — ``C(a) < C(b)``
says nothing about whether ``a`` caused ``b``. Detecting concurrency needs a
vector clock (:mod:`consensus_lab.clocks.vector`, 向量時鐘).

Ties between processes are broken by node id to get a total order:
:meth:`LamportClock.stamp` returns ``(time, node_id)`` pairs, which compare
lexicographically.
"""

from __future__ import annotations

from consensus_lab.clocks.errors import check_counter, check_node_id

#: Lamport 1978, implementation rule IR1, as effects and tests cite it.
IR1 = ("Lamport 1978, IR1: each process Pi increments Ci between any two successive events")
#: Lamport 1978, implementation rule IR2.
IR2 = ("Lamport 1978, IR2: a message m carries Tm = Ci(a); on receiving it, Pj sets Cj "
       "greater than or equal to its present value and greater than Tm")


class LamportClock:
    """A Lamport logical clock owned by one node (Lamport 1978, IR1 and IR2).

    >>> a, b = LamportClock("A"), LamportClock("B")
    >>> ts = a.send()          # IR1: tick, then stamp the message
    >>> b.receive(ts)          # IR2: max(own, received) + 1
    2
    """

    __slots__ = ("node_id", "time")

    def __init__(self, node_id: str = "n1", time: int = 0) -> None:
        self.node_id: str = check_node_id(node_id)
        # Invariant: time >= 0 and never decreases.
        self.time: int = check_counter(time, what="Lamport time")

    def tick(self) -> int:
        """Record a local event: increment the counter (IR1); return the new time."""
        self.time += 1
        return self.time

    def send(self) -> int:
        """Record a send event (IR1) and return the timestamp the message must carry."""
        return self.tick()

    def receive(self, timestamp: int) -> int:
        """Record receiving a message stamped ``timestamp``: ``time = max(time, Tm) + 1`` (IR2)."""
        check_counter(timestamp, what="received Lamport timestamp")
        self.time = max(self.time, timestamp) + 1
        return self.time

    def stamp(self) -> tuple[int, str]:
        """Return ``(time, node_id)``: a total order on events, ties broken by node id."""
        return (self.time, self.node_id)

    def __repr__(self) -> str:
        return f"LamportClock({self.node_id!r}, time={self.time})"

    def __str__(self) -> str:
        return f"{self.node_id}@{self.time}"
