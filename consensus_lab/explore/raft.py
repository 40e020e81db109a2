"""Raft under the model checker: small start states, and what the search may do.

Raft's state space is far too big to exhaust from a cold start (every
node may time out at any moment, every heartbeat adds messages), so each
search starts from a short scripted prefix that sets the scene of a
known hazard, and explores every schedule from there, within a bound on
terms. Three servers, as in the chapter.

Scenes
------
``figure-8``
    Figure 8 of the Raft paper, (a) to (c), on three servers (partitions
    stand in for the paper's crashes): n1 led term 1 and appended ``x=1``
    that nobody else got; n3 won term 2 with n2's vote and appended ``x=2``
    that nobody else got; n1 won term 3 with n2's vote, found n2's log
    empty and has ``x=1`` (of term 1) on its way to n2; n3 heard of term 3
    and refused its vote (its log is newer). From here a leader that counts
    an old-term entry towards a commit can lose it to n3, which the rule of
    §5.4.2 forbids (``commit_current_term_only``).
``leader``
    n1 has won term 1 and every vote is counted; nothing else has
    happened. A client may hand ``x=1`` to whichever node leads, at any
    moment (the search's ``calls``, see :data:`CLIENT_CALLS`). The search
    must find the command, its replication, the commit and the election
    that loses it by itself (the no-election-restriction variant starts
    here).
``committed-entry``
    n1 leads term 1 and has committed ``x=1``, stored on n1 and n2; its copy
    for n3 is still in flight. From here a node without the entry may win
    an election, which the election restriction of §5.4.1 forbids
    (``election_restriction``).

Each scene but ``leader`` is a short script of the simulator's own moves (``fire`` this
event, ``partition``, ``submit``), settled so that only the messages the
story needs are in flight; the script is part of the recorded run, so a
counterexample replays from the very start.

What the search may do
----------------------
Every pending event may fire next, in any order (message delivery in any
order, timers racing messages), except the leader's periodic
``heartbeat`` timer: it only repeats AppendEntries that a new leader and
every reply already send, and each firing would add a fresh copy of every
message to the state. Client commands arrive only from the search's
``calls`` list, and only at a node that believes it leads
(:func:`leaders_only`; a follower would refuse them). States
where a term exceeds ``max_term`` are checked but not expanded (a TLC-style
state constraint). These are the bounds under which ``complete: true``
holds; they are not claims about runs with more terms, heartbeat
retransmissions after message loss, or new commands.

The invariants are Figure 3's five properties (:class:`RaftInvariants`),
with their memory of the run (leaders per term, every entry ever seen,
committed and applied entries) in the state key, so that two states are
merged only when the invariants would judge their futures alike.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from functools import partial

from ..raft import LEADER, RaftConfig, RaftInvariants, RaftNode
from ..sim import ConfigError, Network, PendingEvent, Simulation
from .actions import describe

#: The variants of Raft the checker knows, and the switch each one flips.
VARIANTS: dict[str, RaftConfig] = {
    "correct": RaftConfig(),
    "no-election-restriction": RaftConfig(election_restriction=False),
    "figure-8": RaftConfig(commit_current_term_only=False),
}
SCENES = ("figure-8", "committed-entry", "leader")
#: What a client may submit during a search from the ``leader`` scene.
CLIENT_CALLS: tuple[tuple[str, tuple[str, ...]], ...] = (("submit", ("x=1",)),)
#: Message latency is irrelevant to the search (it ignores time): one tick.
NETWORK = Network(latency=(1, 1))


class ExploredRaftNode(RaftNode):
    """A :class:`RaftNode` whose state key leaves out what cannot matter.

    Behaviour is RaftNode's own; only :meth:`state_key` differs. Left
    out: the configuration and peers (the same in every state), the log's
    ``rewrites`` counter (a cache key of the invariants), the key-value
    store (a function of the applied commands, which are kept), the votes
    unless a candidate, and ``next_index`` / ``match_index`` / ``probing``
    unless leader (become_candidate and become_leader reset them before
    they are read again).
    """

    def state_key(self) -> Hashable:
        """Figure 2's state plus what this implementation keeps besides."""
        log = self.log
        key: tuple[Hashable, ...] = (
            self.role, self.current_term, self.voted_for, self.leader_id,
            tuple(log.entries), log.snapshot_index, log.snapshot_term, self.snapshot_data,
            self.commit_index, self.last_applied, tuple(self.applied), self.log_dirty,
            frozenset(self.pending),
        )
        if self.role == LEADER:
            return (*key, tuple(sorted(self.next_index.items())),
                    tuple(sorted(self.match_index.items())), frozenset(self.probing))
        if self.votes and self.role != "follower":
            return (*key, frozenset(self.votes))
        return key


class ExploredRaftInvariants(RaftInvariants):
    """Figure 3's properties, with a state key made of what they remember of the run."""

    def state_key(self) -> Hashable:
        """Leaders per term, every (index, term) seen, commits and applies.

        The rest of RaftInvariants' memory (log watches, mirrors, positions)
        only caches what was already checked in this run.
        """
        return (frozenset(self.leader_of_term.items()), frozenset(self.entry_ids.items()),
                frozenset(self.committed.items()), frozenset(self.commit_term.items()),
                frozenset(self.applied.items()))


def raft_sim(config: RaftConfig) -> Simulation:
    """Three explored Raft nodes with the invariants installed (no prefix)."""
    sim = Simulation(partial(ExploredRaftNode, config=config), 3, network=NETWORK)
    ExploredRaftInvariants().install(sim)
    return sim


def fire(sim: Simulation, event: str) -> None:
    """Fire the first pending event whose description starts with ``event``."""
    for pending in sim.pending():
        if describe(pending).startswith(event):
            sim.fire(pending.id)
            return
    have = "; ".join(describe(e) for e in sim.pending())
    raise ConfigError(f"no pending event like {event!r}; pending: {have}")


def elect(sim: Simulation, candidate: str, voters: tuple[str, ...]) -> None:
    """``candidate`` times out and wins with the votes of ``voters``."""
    fire(sim, f"{candidate} timer election")
    for voter in voters:
        fire(sim, f"{candidate}->{voter} Vote?")
        fire(sim, f"{voter}->{candidate} Vote(")


def settle(sim: Simulation, keep: tuple[str, ...] = (), limit: int = 100) -> None:
    """Deliver every message in flight (and the answers) but those starting with ``keep``."""
    for _ in range(limit):
        ready = [e for e in sim.pending()
                 if e.kind == "deliver" and not describe(e).startswith(keep)]
        if not ready:
            return
        sim.fire(ready[0].id)
    raise ConfigError(f"still not settled after {limit} deliveries")


def figure_8(config: RaftConfig) -> Simulation:
    """Figure 8 (a)-(c) on three servers (see the module docstring)."""
    sim = raft_sim(config)
    elect(sim, "n1", ("n2", "n3"))  # (a) n1 leads term 1
    settle(sim)
    sim.partition(["n1"])  # n1 is cut off ...
    sim.call("n1", "submit", "x=1")  # ... as it appends x=1,
    fire(sim, "n1 timer replicate")  # so its AppendEntries are lost
    elect(sim, "n3", ("n2",))  # (b) n3 leads term 2
    settle(sim)
    sim.partition(["n1"], ["n3"])  # n3 is cut off too ...
    sim.call("n3", "submit", "x=2")  # ... as it appends x=2,
    fire(sim, "n3 timer replicate")  # which is lost as well
    sim.heal()
    fire(sim, "n1 timer heartbeat")  # n1 hears of term 2 in the answers and steps down
    settle(sim)
    elect(sim, "n1", ("n2",))  # (c) n1 leads term 3; n3 refuses (its log is newer)
    settle(sim, keep=("n1->n3 App", "n1->n2 App(t=3 prev=0/0"))
    return sim  # in flight: x=1 (term 1) to n2; n1's first AppendEntries to n3


def committed_entry(config: RaftConfig) -> Simulation:
    """n1 leads term 1 and committed ``x=1`` on n1 and n2; n3 lacks it."""
    sim = raft_sim(config)
    elect(sim, "n1", ("n2", "n3"))
    settle(sim)
    sim.call("n1", "submit", "x=1")
    fire(sim, "n1 timer replicate")
    settle(sim, keep=("n1->n3",))  # x=1 reaches n2, and n1 commits it; n3's copy waits
    return sim


def leader(config: RaftConfig) -> Simulation:
    """n1 leads term 1, every vote counted; no command yet (the search submits them)."""
    sim = raft_sim(config)
    elect(sim, "n1", ("n2", "n3"))
    settle(sim)
    return sim


SCENE_SETUPS: dict[str, Callable[[RaftConfig], Simulation]] = {
    "figure-8": figure_8, "committed-entry": committed_entry, "leader": leader,
}


def leaders_only(sim: Simulation, node_id: str) -> bool:
    """A client's command goes to a node that believes it leads (others refuse it)."""
    node = sim.nodes[node_id]
    return isinstance(node, RaftNode) and node.role == LEADER


def no_heartbeat(sim: Simulation, event: PendingEvent) -> bool:
    """Every event may fire but a leader's periodic heartbeat timer."""
    return not (event.kind == "timer" and event.name == "heartbeat")


def terms_above(max_term: int) -> Callable[[Simulation], bool]:
    """A state constraint: true (do not expand) once any node's term exceeds ``max_term``."""
    def beyond(sim: Simulation) -> bool:
        return any(isinstance(node, RaftNode) and node.current_term > max_term
                   for node in sim.nodes.values())
    beyond.__name__ = f"terms_above_{max_term}"
    return beyond
