"""Raft as a world-value search, from a cold start: five servers that have never run.

Figure 8 of the Raft paper (§5.4.2) is a schedule in which a leader that
counts replicas to commit an entry of an *earlier* term (the ``figure-8``
variant) commits something a later leader overwrites. The search finds it
with no scripted prefix: from five fresh servers, every order of
deliveries and timeouts within these bounds (each one a choice, stated
so that a reader can judge what is left out):

* **Elections**: at most ``elections`` (4 by default) election timeouts in
  all, and **terms up to** ``max_term`` (4): a world in which some server
  is past it is checked, not expanded. Figure 8 needs four elections.
* **Client commands**: ``x=1`` then ``y=2``, each handed once, at any
  moment, to any server that is leader then (6.5840's ``Start``).
* **No heartbeat timer**: a leader sends AppendEntries when it is elected
  and when a command arrives (the ``replicate`` timer), never on a tick —
  a heartbeat only repeats what those sent. Election timers fire at any
  moment, racing every message (the asynchronous model).
* **No loss or duplication** by default (the CLI's ``--drops``/``--dups``
  add them) and no crashes (``--crashes`` adds reboots): a message not yet
  delivered is a message delayed, and a leader that stops hearing is
  deposed by a higher term, which is all Figure 8 needs.

Reductions, each sound for the invariants below: server symmetry (all
five start alike), sleep sets, and dead messages (:func:`dead`): a reply
for a term its addressee has left, a vote reply to a server no longer a
candidate of that term, an AppendEntries reply to a server no longer its
leader. Terms only grow and a server is candidate or leader of a term at
most once, so such a reply is ignored now and forever.

The invariants are Figure 3's, checked on every world from the
observer's ghost (every leader ever elected and every entry ever
committed, with the term it was committed in): Election Safety, Log
Matching, Leader Completeness and State Machine Safety.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from ..raft.config import RaftConfig
from ..raft.messages import AppendEntriesReply, RequestVoteReply
from ..raft.protocol import RaftProtocol
from ..raft.state import CANDIDATE, LEADER, RaftState, Submit
from ..sim import ConfigError
from ..sim.step import Effects
from ..sim.world import Model, Move, Packet, World
from .space import Scene, WorldFilter

__all__ = ["COMMANDS", "VARIANTS", "dead", "raft_scene"]

VARIANTS: dict[str, RaftConfig] = {
    "correct": RaftConfig(keep_applied=False),
    "no-election-restriction": RaftConfig(keep_applied=False, election_restriction=False),
    "figure-8": RaftConfig(keep_applied=False, commit_current_term_only=False),
}
COMMANDS = (Submit("x=1"), Submit("y=2"))
MAX_TERM = 4
ELECTIONS = 4
COLD_START_SCENE = (f"5 servers that have never run, no scripted prefix; every delivery order "
                    f"and timer race; at most {ELECTIONS} elections, terms <= {MAX_TERM}, "
                    "commands x=1 and y=2 to leaders, no heartbeat timer, no loss; server "
                    "symmetry, dead replies left out, sleep sets")

#: The ghost: ("leader", term, node) for every election won, ("commit", index, entry
#: term, term it was committed in) for every entry a server counted as committed.
Ghost = frozenset[tuple[Any, ...]]


def observe(ghost: Ghost, node: str, state: Any, effects: Effects) -> Ghost:
    """Remember elections won and entries committed (what the invariants ask about)."""
    if type(state) is not RaftState:
        return ghost
    added: list[tuple[Any, ...]] = []
    if state.role == LEADER and ("leader", state.current_term, node) not in ghost:
        added.append(("leader", state.current_term, node))
    log = state.log
    for index in range(log.snapshot_index + 1, state.commit_index + 1):
        fact = ("commit", index, log.term_at(index))
        if not any(f[:3] == fact for f in ghost if f[0] == "commit"):
            added.append((*fact, state.current_term))
    return ghost | frozenset(added) if added else ghost


def _facts(model: Model, world: World, kind: str) -> list[tuple[Any, ...]]:
    return [f for f in model.observed(world) if f[0] == kind]


def election_safety(model: Model, world: World) -> str | None:
    """Figure 3: at most one leader can be elected in a given term."""
    by_term: dict[int, set[str]] = {}
    for _kind, term, node in _facts(model, world, "leader"):
        by_term.setdefault(term, set()).add(node)
    two = sorted(t for t, who in by_term.items() if len(who) > 1)
    return f"two leaders in term {two[0]}: {sorted(by_term[two[0]])}" if two else None


def log_matching(model: Model, world: World) -> str | None:
    """Figure 3: logs with an entry of the same index and term agree up to it."""
    logs = [(n, s.log) for n, s in zip(model.ids, world.states, strict=True) if s is not None]
    for i, (a, log_a) in enumerate(logs):
        for b, log_b in logs[i + 1:]:
            top = min(log_a.last_index, log_b.last_index)
            for index in range(top, 0, -1):
                if log_a.term_at(index) == log_b.term_at(index) is not None:
                    if log_a.as_tuple()[:index] != log_b.as_tuple()[:index]:
                        return f"{a} and {b} agree at {index} but differ before it"
                    break
    return None


def leader_completeness(model: Model, world: World) -> str | None:
    """Figure 3: an entry committed in a term is in the log of every later leader."""
    commits = _facts(model, world, "commit")
    for node, state in zip(model.ids, world.states, strict=True):
        if state is None or state.role != LEADER:
            continue
        for _kind, index, term, in_term in commits:
            if state.current_term > in_term and state.log.term_at(index) != term:
                return (f"{node}, leader of term {state.current_term}, lacks entry {index} "
                        f"(term {term}), committed in term {in_term}")
    return None


def state_machine_safety(model: Model, world: World) -> str | None:
    """Figure 3: no two servers apply different entries at one index."""
    seen: dict[int, int] = {}
    for _kind, index, term, _in_term in sorted(_facts(model, world, "commit")):
        if seen.setdefault(index, term) != term:
            return f"index {index} committed with term {seen[index]} and with term {term}"
    return None


INVARIANTS = {"election_safety": election_safety, "log_matching": log_matching,
              "leader_completeness": leader_completeness,
              "state_machine_safety": state_machine_safety}


def no_heartbeat(model: Model, world: World, move: Move) -> bool:
    """Every move but a heartbeat timer."""
    return move.kind != "fire" or move.name != "heartbeat"


def leaders_only(model: Model, world: World, node: str) -> bool:
    """Client commands go to a leader."""
    state = model.node(world, node)
    return state is not None and state.role == LEADER


def dead(model: Model, world: World, packet: Packet) -> bool:
    """A reply its addressee ignores now and forever (see the module docstring)."""
    dst, _src, msg = packet
    state = model.node(world, dst)
    if state is None or not isinstance(msg, RequestVoteReply | AppendEntriesReply):
        return False
    if msg.term < state.current_term:
        return True
    if msg.term > state.current_term:
        return False
    wanted = CANDIDATE if isinstance(msg, RequestVoteReply) else LEADER
    return bool(state.role != wanted)


def terms_above(limit: int) -> WorldFilter:
    """A prune: worlds where some server's term passed ``limit`` are not expanded."""
    def beyond(model: Model, world: World) -> bool:
        return any(s is not None and s.current_term > limit for s in world.states)
    return beyond


def raft_scene(variant: str = "figure-8", servers: int = 5, max_term: int = MAX_TERM,
               commands: int = 2, elections: int = ELECTIONS) -> Scene:
    """Five fresh servers and the bounds of the module docstring."""
    if variant not in VARIANTS:
        raise ConfigError(f"unknown Raft variant {variant!r}; allowed: {', '.join(VARIANTS)}")
    if not 1 <= servers <= 7 or not 1 <= max_term <= 8 or not 0 <= commands <= len(COMMANDS):
        raise ConfigError(f"servers 1-7, max_term 1-8 and commands 0-{len(COMMANDS)}; got "
                          f"{servers}, {max_term}, {commands}")
    protocol = RaftProtocol(replace(VARIANTS[variant]))
    ids = tuple(f"n{i}" for i in range(1, servers + 1))
    model = Model(dict.fromkeys(ids, protocol), observe=observe, ghost=frozenset())
    return Scene(model, invariants=INVARIANTS, allow=no_heartbeat, allow_is_local=True,
                 dead=dead, prune=terms_above(max_term), inputs=COMMANDS[:commands],
                 input_to=leaders_only, symmetry=ids, budgeted=frozenset({"election"}),
                 fires=elections)


CHANGES = 4
SETTLED_SCENE = (f"5 servers that have never run, no scripted prefix; a settled network "
                 f"(every message delivered unless a nemesis cut separates its ends, a "
                 f"heartbeat round after every move); at most {ELECTIONS} elections, terms <= "
                 f"{MAX_TERM}, {CHANGES} nemesis changes isolating one server at a time, "
                 "commands x=1 and y=2 to leaders; server symmetry")


def settled_scene(variant: str = "figure-8", servers: int = 5, max_term: int = MAX_TERM,
                  commands: int = 2, elections: int = ELECTIONS, changes: int = CHANGES,
                  nemesis: str = "isolate") -> Scene:
    """Five fresh servers on a settled network (:mod:`.settled`): Figure 8 in 9 moves.

    A move is an election timeout, a client command to a leader, or the
    nemesis isolating a server (``nemesis="any"``: any cut in two) or
    healing; between moves every message arrives unless the cut drops it,
    and every leader sends one round of heartbeats (§5.6: broadcast time
    is far below the election timeout). Figure 8 is then: n1 wins term 1;
    n1 is isolated and takes x=1; n2 wins term 2 without it; n2 is isolated
    (n1 hears of term 2) and takes y=2; n1 wins term 3 and, counting
    replicas, commits x=1 of term 1; n1 is isolated (n2 hears of term 3); n2
    wins term 4 with y=2 of term 2, the newer last term, and overwrites x=1.
    """
    from .settled import SettledModel

    if not 1 <= servers <= 7 or not 1 <= max_term <= 8 or not 0 <= commands <= len(COMMANDS):
        raise ConfigError(f"servers 1-7, max_term 1-8 and commands 0-{len(COMMANDS)}; got "
                          f"{servers}, {max_term}, {commands}")
    if variant not in VARIANTS:
        raise ConfigError(f"unknown Raft variant {variant!r}; allowed: {', '.join(VARIANTS)}")
    protocol = RaftProtocol(replace(VARIANTS[variant]))
    ids = tuple(f"n{i}" for i in range(1, servers + 1))
    model = SettledModel(dict.fromkeys(ids, protocol), observe=observe, ghost=frozenset(),
                         prompt=frozenset({"replicate"}), rounds=frozenset({"heartbeat"}),
                         changes=changes, nemesis=nemesis)
    return Scene(model, invariants=INVARIANTS, prune=terms_above(max_term),
                 inputs=COMMANDS[:commands], input_to=leaders_only, symmetry=ids,
                 budgeted=frozenset({"election"}), fires=elections)
