"""The protocols and variants ``consensus-lab explore`` knows, with their bounds.

Each variant is a :class:`Spec`: how to build its :class:`~.space.Scene`
(the start, scripted or cold, and the bounds that make its space small
enough; see :mod:`.raft_scripted`, :mod:`.raft_scene`, :mod:`.paxos_scene`
and :mod:`.commit_scenes` for what each bound leaves out and why), searched
on world values by :func:`~.replay.explore_scene`. ``buggy`` says whether
the variant is known to break an invariant, so ``bench explore`` can tell
a checker that finds too little (or too
much) from one that works.

Each entry imports its protocol only when used.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

from ..sim import ConfigError
from .replay import explore_scene
from .result import ExploreResult
from .space import Scene

#: ``explore()``'s budget options and the :class:`~.space.Scene` fields they set.
SCENE_BUDGETS = {"drop_budget": "drops", "dup_budget": "duplicates", "crash_budget": "crashes"}
SEARCH_BOUNDS = ("max_depth", "max_states", "time_limit", "progress")


@dataclass(frozen=True)
class Spec:
    """One protocol variant as the checker runs it: ``world()`` builds its scene."""

    protocol: str
    variant: str
    summary: str  # what the variant changes, in one line
    scene: str  # the start state and the bounds, in one line
    buggy: bool
    world: Callable[[], Scene]

    def run(self, **overrides: Any) -> ExploreResult:
        """Search the scene; ``overrides`` (None: keep) set budgets and search bounds."""
        given = {k: v for k, v in overrides.items() if v is not None}
        strategy = given.pop("strategy", "bfs")
        if strategy != "bfs":
            raise ConfigError(f"{self.protocol} is searched breadth-first on world values; "
                              f"strategy must be 'bfs', got {strategy!r}")
        scene = self.world()
        budgets = {SCENE_BUDGETS[k]: given.pop(k) for k in list(given) if k in SCENE_BUDGETS}
        if budgets:
            scene = replace(scene, **budgets)
        bounds = {k: given.pop(k) for k in list(given) if k in SEARCH_BOUNDS}
        if given:
            raise ConfigError(f"unknown options for a world search: {', '.join(sorted(given))}; "
                              f"allowed: {', '.join((*SCENE_BUDGETS, *SEARCH_BOUNDS))}")
        return explore_scene(scene, **bounds)


@dataclass(frozen=True)
class Protocol:
    """A protocol: its variants (name -> summary) and how to build a spec of one."""

    name: str
    variants: Callable[[], Mapping[str, str]]
    build: Callable[[str], Spec]

    def spec(self, variant: str = "correct") -> Spec:
        """The spec of ``variant``; a ConfigError names the allowed ones."""
        known = self.variants()
        if variant not in known:
            raise ConfigError(f"unknown {self.name} variant {variant!r}; allowed: "
                              f"{', '.join(known)}")
        return self.build(variant)


# ------------------------------------------------------------------ Raft
RAFT_SUMMARIES = {
    "correct": "Raft as in the paper (Figure 2)",
    "no-election-restriction": "voters ignore how up to date the candidate's log is (§5.4.1): "
                               "a committed entry can be lost",
    "figure-8": "a leader commits entries of earlier terms by counting replicas (§5.4.2, "
                "Figure 8): a committed entry can be overwritten",
}


def _raft_variants() -> Mapping[str, str]:
    return RAFT_SUMMARIES


def _raft_spec(variant: str) -> Spec:
    from .raft_scripted import MAX_TERM, scripted_scene

    bounds = "; every delivery order and timer race, no heartbeat timer"
    if variant == "no-election-restriction":
        return Spec(
            protocol="raft", variant=variant, summary=RAFT_SUMMARIES[variant],
            scene="n1 has just won term 1 on 3 servers; a client may submit x=1 to the leader "
                  f"at any moment{bounds}, terms <= 2",
            buggy=True, world=partial(scripted_scene, variant, "leader", 2))
    return Spec(
        protocol="raft", variant=variant, summary=RAFT_SUMMARIES[variant],
        scene="Figure 8 (a)-(c) on 3 servers: n1 leads term 3 and sends x=1 (term 1) to n2; "
              f"n3 holds x=2 (term 2){bounds}, terms <= {MAX_TERM}, no new commands",
        buggy=variant != "correct", world=partial(scripted_scene, variant, "figure-8"))


# ------------------------------------------------------------------ Paxos
def _paxos_variants() -> Mapping[str, str]:
    from ..paxos import VARIANTS

    return VARIANTS


def _paxos_spec(variant: str) -> Spec:
    from .paxos_scene import paxos_scene

    crashes = 1 if variant == "amnesiac-acceptor" else 0
    scene = ("3 acceptors, 2 proposers (one ballot each), from the start; every delivery "
             "order, no loss" + (f", {crashes} acceptor reboot" if crashes else "")
             + "; acceptor symmetry, dead replies left out, sleep sets")
    return Spec(protocol="paxos", variant=variant, summary=_paxos_variants()[variant],
                scene=scene, buggy=variant != "correct", world=partial(paxos_scene, variant))


# ------------------------------------------------------------------ atomic commit
def _commit_protocol(name: str) -> Protocol:
    """2PC, 3PC or replicated 2PC on world values (:mod:`.commit_scenes`, imported on use)."""
    def variants() -> Mapping[str, str]:
        from .commit_scenes import commit_variants

        return commit_variants(name)

    def build(variant: str) -> Spec:
        from .commit_scenes import TABLES, commit_scene

        summaries, scenes = TABLES[name]
        return Spec(protocol=name, variant=variant, summary=summaries[variant],
                    scene=scenes[variant], buggy=variant != "correct",
                    world=partial(commit_scene, name, variant))

    return Protocol(name, variants, build)


PROTOCOLS: dict[str, Protocol] = {
    "raft": Protocol("raft", _raft_variants, _raft_spec),
    "paxos": Protocol("paxos", _paxos_variants, _paxos_spec),
    "2pc": _commit_protocol("2pc"),
    "3pc": _commit_protocol("3pc"),
    "2pc-replicated": _commit_protocol("2pc-replicated"),
}


def get_spec(protocol: str, variant: str = "correct", cold_start: bool = False) -> Spec:
    """The spec of ``protocol``'s ``variant``; a ConfigError names what is allowed.

    ``cold_start`` (Raft only): five servers that have never run, on a settled
    network (:func:`.raft_scene.settled_scene`), instead of the scripted start
    (:mod:`.raft_scripted`).
    """
    if protocol not in PROTOCOLS:
        raise ConfigError(f"unknown protocol {protocol!r}; allowed: {', '.join(PROTOCOLS)}")
    spec = PROTOCOLS[protocol].spec(variant)
    if not cold_start:
        return spec
    if protocol != "raft":
        raise ConfigError(f"--cold-start is for raft (the other protocols start cold "
                          f"already), got {protocol!r}")
    from .raft_scene import SETTLED_SCENE, settled_scene

    return Spec(protocol="raft", variant=variant, summary=spec.summary,
                scene=SETTLED_SCENE, buggy=spec.buggy,
                world=partial(settled_scene, variant))


def all_specs() -> list[Spec]:
    """Every variant of every protocol, in registry order."""
    return [p.spec(v) for p in PROTOCOLS.values() for v in p.variants()]
