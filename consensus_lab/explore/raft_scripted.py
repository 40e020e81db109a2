"""Raft from scripted starts on world values: three servers, a story, then every schedule.

Each scene is a short :class:`~.scripted.Script` of world moves that sets
up a known hazard (partitions stand in for the paper's crashes), and the
search explores every schedule from there, with the bounds and the
invariants of :mod:`.raft_scene` (no heartbeat timer, terms up to
``max_term``, dead replies left out, Figure 3's properties on the ghost).

``figure-8``
    Figure 8 of the Raft paper, (a) to (c): n1 led term 1 and appended
    ``x=1`` that nobody else got; n3 won term 2 with n2's vote and appended
    ``x=2`` that nobody else got; n1 won term 3 with n2's vote and has
    ``x=1`` (of term 1) on its way to n2; n3 heard of term 3 and refused
    its vote (its log is newer). From here a leader that counts an
    old-term entry towards a commit can lose it to n3, which the rule of
    §5.4.2 forbids (``commit_current_term_only``).
``committed-entry``
    n1 leads term 1 and has committed ``x=1``, stored on n1 and n2; its
    copy for n3 is still in flight.
``leader``
    n1 has won term 1 and every vote is counted; nothing else has
    happened. A client may hand ``x=1`` to whichever server leads, at any
    moment (the scene's ``inputs``): the search must find the command, its
    replication, the commit and the election that loses it by itself (the
    no-election-restriction variant starts here).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from ..raft.messages import AppendEntries, RequestVote, RequestVoteReply
from ..raft.protocol import RaftProtocol
from ..raft.state import Submit
from ..sim import ConfigError
from ..sim.world import Model, Packet
from .raft_scene import INVARIANTS, VARIANTS, dead, leaders_only, no_heartbeat, observe, terms_above
from .scripted import Script
from .space import Scene

__all__ = ["SCENES", "committed_entry", "figure_8", "leader", "raft_model", "scripted_scene"]

IDS = ("n1", "n2", "n3")
MAX_TERM = 4


def raft_model(variant: str = "correct") -> Model:
    """Three servers running the library's Raft ``variant``, the observer watching."""
    if variant not in VARIANTS:
        raise ConfigError(f"unknown Raft variant {variant!r}; allowed: {', '.join(VARIANTS)}")
    protocol = RaftProtocol(replace(VARIANTS[variant]))
    return Model(dict.fromkeys(IDS, protocol), observe=observe, ghost=frozenset())


def elect(script: Script, candidate: str, voters: tuple[str, ...]) -> None:
    """``candidate`` times out and wins with the votes of ``voters``."""
    script.fire(candidate, "election")
    for voter in voters:
        script.deliver(candidate, voter, RequestVote)
        script.deliver(voter, candidate, RequestVoteReply)


def _held(*routes: tuple[str, str, Callable[[Packet], bool]]) -> Callable[[Packet], bool]:
    """A ``keep`` test for :meth:`Script.settle`: AppendEntries on these routes wait."""
    def keep(packet: Packet) -> bool:
        dst, src, msg = packet
        return isinstance(msg, AppendEntries) and any(
            (src, dst) == (s, d) and test(packet) for s, d, test in routes)
    return keep


def _any(packet: Packet) -> bool:
    return True


def _from_the_start(packet: Packet) -> bool:
    return bool(packet[2].term == 3 and packet[2].prev_log_index == 0)


def figure_8(script: Script) -> None:
    """Figure 8 (a)-(c) on three servers (see the module docstring)."""
    elect(script, "n1", ("n2", "n3"))  # (a) n1 leads term 1
    script.settle()
    script.partition(["n1"])  # n1 is cut off ...
    script.input("n1", Submit("x=1"))  # ... as it appends x=1,
    script.fire("n1", "replicate")  # so its AppendEntries are lost
    elect(script, "n3", ("n2",))  # (b) n3 leads term 2
    script.settle()
    script.partition(["n1"], ["n3"])  # n3 is cut off too ...
    script.input("n3", Submit("x=2"))  # ... as it appends x=2,
    script.fire("n3", "replicate")  # which is lost as well
    script.heal()
    script.fire("n1", "heartbeat")  # n1 hears of term 2 in the answers and steps down
    script.settle()
    elect(script, "n1", ("n2",))  # (c) n1 leads term 3; n3 refuses (its log is newer)
    script.settle(keep=_held(("n1", "n3", _any), ("n1", "n2", _from_the_start)))


def committed_entry(script: Script) -> None:
    """n1 leads term 1 and committed ``x=1`` on n1 and n2; n3 lacks it."""
    elect(script, "n1", ("n2", "n3"))
    script.settle()
    script.input("n1", Submit("x=1"))
    script.fire("n1", "replicate")
    script.settle(keep=_held(("n1", "n3", _any)))  # x=1 reaches n2 and is committed


def leader(script: Script) -> None:
    """n1 leads term 1, every vote counted; no command yet (the search hands it in)."""
    elect(script, "n1", ("n2", "n3"))
    script.settle()


SCENES: dict[str, Callable[[Script], None]] = {
    "figure-8": figure_8, "committed-entry": committed_entry, "leader": leader,
}
#: What a client may submit during a search from the ``leader`` scene.
COMMANDS = (Submit("x=1"),)


def scripted_scene(variant: str = "correct", scene: str = "figure-8",
                   max_term: int = MAX_TERM, commands: int | None = None) -> Scene:
    """The search from ``scene``'s script (:data:`SCENES`) for Raft ``variant``.

    ``commands`` (default: one from ``leader``, none elsewhere) is how many of
    :data:`COMMANDS` the search may hand to a leader.
    """
    if scene not in SCENES:
        raise ConfigError(f"unknown Raft scene {scene!r}; allowed: {', '.join(SCENES)}")
    script = Script(raft_model(variant))
    SCENES[scene](script)
    wanted = (1 if scene == "leader" else 0) if commands is None else commands
    return Scene(script.model, invariants=INVARIANTS, allow=no_heartbeat, allow_is_local=True,
                 dead=dead, prune=terms_above(max_term), inputs=COMMANDS[:wanted],
                 input_to=leaders_only, prefix=script.prefix)
