"""What the two Paxos exercises share: nodes that run the learner's rules, sweeps, the checker.

Theory of operation: the learner writes pure functions — the acceptor's
``handle_prepare(state, ballot)`` and ``handle_accept(state, ballot, value)``
over an :class:`AcceptorState` (the library acceptor's own state value),
the proposer's ``choose_value(promises, own_value)`` — and the grading
modules plug them into the library's step protocols through two small
subclasses (:func:`rule_protocols`):

* :class:`RuleAcceptorProtocol` — the acceptor protocol whose answers to
  ``Prepare`` and ``Accept`` come from the learner's functions (it still
  persists its state before answering, and tells the learners what it
  accepted, as the library's acceptor does);
* :class:`RuleProposerProtocol` — the proposer protocol whose phase-2 value
  (rule P2c) comes from ``choose_value``.

Two ways to run them, both checking agreement and validity after every
event (:class:`~consensus_lab.paxos.PaxosInvariants`):

* :func:`sweep` — seeded random runs on a lossy, reordering network with
  three proposers that retry, so phases of different ballots interleave;
* :func:`model_check` — :func:`~consensus_lab.explore.explore_scene` over
  *every* schedule of 3 acceptors and 2 proposers (on world values) from a
  short scripted start (:func:`leftover_setup`, :func:`contested_setup`),
  each proposer trying a bounded number of ballots. :class:`Bounds` keeps
  the search to a few thousand states by leaving out moves that cannot
  matter for safety (replies a proposer would ignore, ``Accepted`` and
  ``Nack``). A violation
  comes back as a :class:`~consensus_lab.grading.base.GradingFailure` whose
  message lists the counterexample's moves and whose trace is the replayed
  run (:meth:`~consensus_lab.explore.Counterexample.trace_text`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from consensus_lab.explore import Counterexample, ExploreResult, Scene, explore_scene
from consensus_lab.explore.paxos_scene import agreement, record_accepted, validity
from consensus_lab.explore.paxos_scene import dead as scene_dead
from consensus_lab.explore.scripted import Script, ScriptStuck
from consensus_lab.grading.base import INVARIANT, GradingFailure, fail
from consensus_lab.paxos import (
    Accept,
    Accepted,
    Acceptor,
    Ballot,
    Learner,
    Nack,
    PaxosConfig,
    Prepare,
    Promise,
    Proposer,
    install_invariants,
    paxos_ids,
    role_of,
)
from consensus_lab.paxos.acceptor import (
    P1B_PROMISE,
    P1B_REFUSE,
    P2B_REFUSE,
    AcceptorProtocol,
    AcceptorState,
)
from consensus_lab.paxos.proposer import ProposerProtocol, ProposerState
from consensus_lab.paxos.protocols import PaxosProtocols, paxos_protocols
from consensus_lab.sim import InvariantViolation, Network, Node, Simulation
from consensus_lab.sim.step import Effects, Send, StepProtocol
from consensus_lab.sim.world import Model, Move, Packet, World

__all__ = ["AcceptorState", "RuleAcceptorProtocol", "RuleProposerProtocol", "Rules",
           "WrongAnswer", "build", "check_scene", "factory", "model_check", "rule_protocols",
           "search",
           "storm", "sweep"]

TRACE_TAIL = 15
SWEEP_SEEDS = range(300)
#: Stop the model checker after this many distinct states (the setups need fewer).
MAX_STATES = 20_000
SWEEP_NETWORK = Network(latency=(1, 20), drop=0.1, duplicate=0.05, reorder=0.2,
                        reorder_delay=40)
#: Proposers retry soon and often, so ballots overlap; backoff keeps some runs deciding.
SWEEP_CONFIG = PaxosConfig(retry_after=2, retry_timeout=25, backoff_max=6, learner_poll=60)
CHECK_CONFIG = PaxosConfig(backoff_max=0, learner_poll=0)


class WrongAnswer(Exception):
    """The learner's function returned something a node cannot act on (wrong types)."""


HandlePrepare = Callable[[AcceptorState, Ballot], tuple[AcceptorState, Any]]
HandleAccept = Callable[[AcceptorState, Ballot, Any], tuple[AcceptorState, Any]]
ChooseValue = Callable[[list[Promise], Any], Any]


# -- the nodes ---------------------------------------------------------------------------


class RuleAcceptorProtocol(AcceptorProtocol):
    """The acceptor protocol whose promise and accept rules are the learner's pure functions.

    It still persists its state before answering, and tells the learners what
    it accepted, as the library's acceptor does.
    """

    def __init__(self, config: PaxosConfig | None = None, learners: tuple[str, ...] = (), *,
                 handle_prepare: HandlePrepare, handle_accept: HandleAccept) -> None:
        super().__init__(config, learners)
        self._handle_prepare = handle_prepare
        self._handle_accept = handle_accept

    def on_prepare(self, state: AcceptorState, src: str,
                   msg: Prepare) -> tuple[AcceptorState, Effects]:
        """Phase 1b by ``handle_prepare``: the new state, persisted, then the answer."""
        call = f"handle_prepare({state}, {msg.ballot!r})"
        new, reply = _checked(call, self._handle_prepare(state, msg.ballot),
                              (Promise, Nack), msg.ballot)
        rule = P1B_PROMISE if isinstance(reply, Promise) else P1B_REFUSE
        return new, (*self.persist(new), Send(src, reply, rule))

    def on_accept(self, state: AcceptorState, src: str,
                  msg: Accept) -> tuple[AcceptorState, Effects]:
        """Phase 2b by ``handle_accept``; an Accepted also goes to every learner."""
        call = f"handle_accept({state}, {msg.ballot!r}, {msg.value!r})"
        new, reply = _checked(call, self._handle_accept(state, msg.ballot, msg.value),
                              (Accepted, Nack), msg.ballot)
        sends = self.tell(src, reply) if isinstance(reply, Accepted) else (
            Send(src, reply, P2B_REFUSE),)
        return new, (*self.persist(new), *sends)


def _checked(call: str, answer: Any, kinds: tuple[type, ...],
             ballot: Ballot) -> tuple[AcceptorState, Any]:
    """``answer`` as (state, reply) once its shape is checked; WrongAnswer if it is wrong."""
    names = " or ".join(k.__name__ for k in kinds)
    if not (isinstance(answer, tuple) and len(answer) == 2
            and isinstance(answer[0], AcceptorState) and isinstance(answer[1], kinds)):
        raise WrongAnswer(f"{call} returned {answer!r}; it must return a pair "
                          f"(AcceptorState, {names})")
    state, reply = answer
    if reply.ballot != ballot:
        raise WrongAnswer(f"{call} answered with {reply!r}: a reply names the ballot it "
                          f"answers, {ballot!r}")
    return state, reply


class RuleProposerProtocol(ProposerProtocol):
    """The proposer protocol whose phase-2 value comes from the learner's ``choose_value``."""

    def __init__(self, config: PaxosConfig | None = None, acceptors: tuple[str, ...] = (),
                 values: Mapping[str, Any] | None = None, *, choose_value: ChooseValue) -> None:
        super().__init__(config, acceptors, values)
        self._choose_value = choose_value

    def pick_value(self, state: ProposerState) -> Any:
        """Rule P2c by ``choose_value``, given the majority's promises in arrival order."""
        assert state.ballot is not None
        promises = [Promise(ballot=state.ballot, accepted=acc) for _src, acc in state.promises]
        return self._choose_value(promises, state.value)


@dataclass(frozen=True)
class Rules:
    """The functions a cluster runs: the learner's, or the library's where None."""

    handle_prepare: HandlePrepare | None = None
    handle_accept: HandleAccept | None = None
    choose_value: ChooseValue | None = None

    @classmethod
    def of(cls, module: ModuleType) -> Rules:
        """The rules an answers module defines (an acceptor's pair, a proposer's one)."""
        return cls(getattr(module, "handle_prepare", None), getattr(module, "handle_accept", None),
                   getattr(module, "choose_value", None))


def factory(rules: Rules, config: PaxosConfig, values: dict[str, Any] | None = None
            ) -> Callable[[str, tuple[str, ...]], Node]:
    """Build each role, with the learner's rules where given; ``values`` per proposer."""
    values = values or {}
    made: dict[tuple[str, ...], PaxosProtocols] = {}

    def protocols(ids: tuple[str, ...]) -> PaxosProtocols:
        ids = tuple(sorted(ids))
        if ids not in made:
            made[ids] = rule_protocols(rules, config, ids, values)
        return made[ids]

    def make(node_id: str, peers: tuple[str, ...]) -> Node:
        role, chosen = role_of(node_id), protocols((node_id, *peers))
        if role == "acceptor":
            return Acceptor(node_id, peers, config, chosen.acceptor)
        if role == "proposer":
            return Proposer(node_id, peers, config, values.get(node_id), chosen.proposer)
        return Learner(node_id, peers, config, chosen.learner)
    return make


def rule_protocols(rules: Rules, config: PaxosConfig, ids: tuple[str, ...],
                   values: Mapping[str, Any] | None = None) -> PaxosProtocols:
    """The library's role protocols for ``ids``, with the learner's rules plugged in."""
    base = paxos_protocols(config, ids, values)
    acceptor, proposer = base.acceptor, base.proposer
    if rules.handle_prepare is not None and rules.handle_accept is not None:
        acceptor = RuleAcceptorProtocol(config, acceptor.learners,
                                        handle_prepare=rules.handle_prepare,
                                        handle_accept=rules.handle_accept)
    if rules.choose_value is not None:
        proposer = RuleProposerProtocol(config, proposer.acceptors, values,
                                        choose_value=rules.choose_value)
    return PaxosProtocols(base.ids, acceptor, proposer, base.learner)


def build(rules: Rules, *, acceptors: int = 3, proposers: int = 2, learners: int = 0,
          seed: int = 0, network: Network | None = None,
          config: PaxosConfig = CHECK_CONFIG, values: dict[str, Any] | None = None
          ) -> Simulation:
    """A single-decree Paxos cluster running ``rules``, agreement and validity installed."""
    ids = paxos_ids(acceptors, proposers, learners)
    sim = Simulation(factory(rules, config, values), ids, seed=seed,
                     network=network or Network(latency=(1, 5)))
    install_invariants(sim)
    return sim


# -- the model checker ----------------------------------------------------------------------
#: The proposers' values in the checker: the two values a violation shows.
CHECK_VALUES = {"p1": "red", "p2": "green"}
CHECK_IDS = paxos_ids(3, 2, 0)


def check_model(rules: Rules) -> Model:
    """3 acceptors and 2 proposers (p1 wants "red", p2 "green") running ``rules``, on
    world values, the observer recording every proposal accepted."""
    chosen = rule_protocols(rules, CHECK_CONFIG, CHECK_IDS, CHECK_VALUES)
    protocols: dict[str, StepProtocol[Any]] = {
        i: chosen.acceptor if role_of(i) == "acceptor" else chosen.proposer for i in CHECK_IDS}
    return Model(protocols, observe=record_accepted, ghost=frozenset())


def start(script: Script) -> None:
    """Both proposers start: their first Prepares are in flight."""
    script.fire("p1", "retry")
    script.fire("p2", "retry")


def leftover_setup(script: Script) -> None:
    """p1's ballot 1.p1 was promised by a1 and a2, and its Accept reached a1 alone so far.

    Ballot 1.p1's other Accepts and Prepare, and p2's Prepares, are still in
    flight: the search delivers them in every order (the acceptor exercise).
    """
    start(script)
    for acceptor in ("a1", "a2"):
        script.deliver("p1", acceptor, Prepare)
        script.deliver(acceptor, "p1", Promise)
    script.deliver("p1", "a1", Accept)


def contested_setup(script: Script) -> None:
    """a1 holds 1.p1's "red" (ballot 1.p1's other messages were lost); a2 and a3 promised
    ballot 1.p2, whose Accepts of "green" are in flight; p1 may try ballot 2.p1
    (the proposer exercise)."""
    leftover_setup(script)
    for acceptor in ("a2", "a3"):
        script.deliver("p2", acceptor, Prepare)
        script.deliver(acceptor, "p2", Promise)
    for dst, src, msg in script.world.net:
        if isinstance(msg, Prepare) or (isinstance(msg, Accept) and msg.ballot == Ballot(1, "p1")):
            script.drop(src, dst, type(msg))


@dataclass(frozen=True)
class Bounds:
    """What the checker may do, for proposers that try ``rounds`` ballots each.

    * Every Prepare, Accept and live Promise may be delivered, in any order.
    * A proposer's retry timer may fire while it has ballots left: it gives up
      its ballot at any moment, which covers whatever a Nack would make it do.
    * ``Accepted`` and ``Nack`` replies are dead at once (safety is read off
      the acceptors; a proposer that never hears them may still retry), and so
      is a reply about a ballot its proposer has left
      (:func:`~consensus_lab.explore.paxos_scene.dead`).
    """

    rounds: tuple[tuple[str, int], ...]

    def allow(self, model: Model, world: World, move: Move) -> bool:
        """A proposer's retry timer fires while it has ballots left."""
        if move.kind != "fire":
            return True
        state = model.node(world, move.node)
        return not isinstance(state, ProposerState) or \
            state.max_round < dict(self.rounds).get(move.node, 1)

    @staticmethod
    def dead(model: Model, world: World, packet: Packet) -> bool:
        """Accepted and Nack replies, and replies about a ballot left for good."""
        return isinstance(packet[2], Accepted | Nack) or scene_dead(model, world, packet)


def check_scene(rules: Rules, setup: Callable[[Script], None],
                rounds: dict[str, int]) -> Scene:
    """The grading's scene: ``setup``'s script, then every schedule within :class:`Bounds`."""
    script = Script(check_model(rules))
    setup(script)
    bounds = Bounds(tuple(sorted(rounds.items())))
    return Scene(script.model, invariants={"agreement": agreement, "validity": validity},
                 allow=bounds.allow, allow_is_local=True, dead=bounds.dead,
                 prefix=script.prefix)


@dataclass(frozen=True, slots=True)
class CheckerFigures:
    """How much a model-checking run covered."""

    states: int
    complete: bool
    depth: int


def model_check(rules: Rules, setup: Callable[[Script], None],
                rounds: dict[str, int], *, max_states: int = MAX_STATES
                ) -> tuple[Counterexample | None, CheckerFigures]:
    """Every schedule from ``setup``'s script, each proposer trying at most ``rounds``
    ballots."""
    result = search(rules, setup, rounds, max_states=max_states)
    return result.violation, CheckerFigures(result.states, result.complete, result.max_depth)


def search(rules: Rules, setup: Callable[[Script], None], rounds: dict[str, int], *,
           max_states: int = MAX_STATES) -> ExploreResult:
    """The grading's search itself: :func:`~consensus_lab.explore.explore_scene` of
    :func:`check_scene`."""
    return explore_scene(check_scene(rules, setup, rounds), max_states=max_states)


def run_model_check(rules: Rules, setup: Callable[[Script], None],
                    rounds: dict[str, int], *, what: str, story: str, replay: str) -> None:
    """:func:`model_check`; GradingFailure with the counterexample if it finds one.

    A learner function that raised during the search is raised again here (a
    stub's NotImplementedError, a TypeError) so the report names it; one that
    returned the wrong kind of answer is a failure saying so.
    """
    try:
        found, _figures = model_check(rules, setup, rounds)
    except ScriptStuck as exc:
        fail(f"{story} Setting that up got stuck: {exc} — with {what}.", replay=replay)
    except WrongAnswer as exc:
        fail(f"{story} During the search, {exc}", replay=replay)
    if found is not None:
        raise counterexample_failure(found, what, story, replay)


def counterexample_failure(found: Counterexample, what: str, story: str,
                           replay: str) -> GradingFailure:
    """The GradingFailure for a violation the model checker found: the moves, the trace."""
    moves = "; ".join(f"({i}) {a}" for i, a in enumerate(found.path, 1))
    return GradingFailure(
        f"{story} The model checker tried every schedule from there with {what}, and this "
        f"one, {len(found)} moves long, breaks {found.invariant} — {found.message}. The "
        f"moves: {moves}.", prop=found.invariant, kind=INVARIANT,
        trace=found.trace_text(), replay=replay)


# -- seeded sweeps --------------------------------------------------------------------------


def sweep(rules: Rules, *, what: str, replay: str, seeds: Iterable[int] = SWEEP_SEEDS) -> None:
    """Seeded runs with three proposers on a lossy network; GradingFailure on a violation."""
    for seed in seeds:
        try:
            storm(rules, seed)
        except InvariantViolation as exc:
            fail(f"with {what}, seed {seed}, t={exc.time}: {exc.name} broke — {exc.message}",
                 prop=exc.name, kind=INVARIANT, seed=seed, trace=exc.trace.tail(TRACE_TAIL),
                 replay=replay.format(seed=seed))
        except WrongAnswer as exc:
            fail(f"with {what}, seed {seed}: {exc}", seed=seed,
                 replay=replay.format(seed=seed))


def storm(rules: Rules, seed: int, *, until: int = 400) -> Simulation:
    """One seeded run: 3 acceptors, 3 proposers and a learner, with faults, for ``until`` ticks."""
    sim = build(rules, acceptors=3, proposers=3, learners=1, seed=seed, network=SWEEP_NETWORK,
                config=SWEEP_CONFIG)
    pick = sim.rng("nemesis")
    for _ in range(until // 50):
        sim.run(until=sim.now + 50)
        if pick.random() < 0.3:
            node = pick.choice([i for i in sim.node_ids if i.startswith("a")])
            if node in sim.crashed:
                sim.restart(node)
            else:
                sim.crash(node)
    return sim


def load_learner(exercise: str, answers: str = "exercises") -> ModuleType:
    """The learner's answers file for ``exercise`` (for the replay helpers)."""
    from consensus_lab.grading.answers import load_answers

    return load_answers(exercise, answers)
