"""Atomic commit: two-phase commit, three-phase commit, a replicated coordinator, a saga.

DDIA ch. 9, "Distributed Transactions and Consensus". Every role is a
pure step protocol (:mod:`consensus_lab.sim.step`): ``start`` and ``step``
return an immutable state value and the effects to carry out, in order,
each tagged with the rule it follows (``Persist`` of the log record
before the ``Send`` that depends on it). The 2PC/3PC roles and the saga
orchestrator are driven by **transition tables** (:mod:`.machine`) —
``(state, event) -> (new state, actions)`` — that the notebook also draws
(:func:`consensus_lab.viz.commit.state_diagram`). The node classes
(:class:`Coordinator`, :class:`Participant`, …) run the protocols in the
simulator and expose their state as read-only attributes;
:func:`commit_protocols` gives the protocol of each node id.

* :mod:`.twopc` — 2PC with presumed abort: write-ahead log through
  ``ctx.persist``, locks held while prepared, in-doubt participants that
  ask, coordinator and participant recovery.
* :mod:`.threepc` — 3PC with the termination protocol: non-blocking with
  crashes only; atomicity lost under a partition.
* :mod:`.replicated` — 2PC whose decision is chosen by single-decree Paxos
  among three coordinator replicas (Gray & Lamport's point: 2PC is Paxos
  Commit with F = 0; Spanner's coordinator is a Paxos group).
* :mod:`.saga` — forward steps and compensations, without isolation.
* :mod:`.invariants` — atomicity and not-blocked checks, in-doubt and
  lock-holding times; :mod:`.scenarios` — the seeded runs;
  :data:`VARIANTS` — the known-buggy 2PC rules.

Node ids: ``c1`` (``c1 c2 c3`` replicated) coordinators, ``p1…``
participants; the saga uses ``o1`` and services ``s1…``.
"""

from .cluster import (
    DEFAULT_NETWORK,
    PROTOCOLS,
    CommitFactory,
    commit_ids,
    commit_protocols,
    commit_sim,
)
from .config import VARIANTS, CommitConfig, config_for
from .invariants import (
    CommitMonitor,
    all_decided,
    atomicity,
    atomicity_of,
    blocked,
    in_doubt_of,
    logged_outcome,
    monitor_of,
    not_blocked,
    outcome_of,
    outcomes,
)
from .machine import Table, TableNode, TableProtocol
from .messages import (
    ABORT,
    COMMIT,
    Ack,
    CanCommit,
    Decision,
    DecisionRequest,
    PreCommit,
    Prepare,
    StateReport,
    StateRequest,
    StepRequest,
    StepResult,
    Vote,
)
from .replicated import CoordinatorReplica, ReplicaProtocol, ReplicaState
from .saga import (
    ORCHESTRATOR_TABLE,
    Orchestrator,
    OrchestratorProtocol,
    OrchestratorState,
    SagaResult,
    Service,
    ServiceProtocol,
    ServiceState,
    run_saga,
    saga_sim,
)
from .scenarios import (
    CRASH_POINTS,
    SCENARIOS,
    CommitRun,
    all_yes,
    coordinator_crash,
    one_no,
    participant_crash,
    threepc_coordinator_crash,
    threepc_partition,
)
from .threepc import (
    ThreePCCoordinator,
    ThreePCCoordinatorProtocol,
    ThreePCCoordinatorState,
    ThreePCParticipant,
    ThreePCParticipantProtocol,
    ThreePCParticipantState,
    termination_event,
)
from .twopc import (
    COORDINATOR_TABLE,
    PARTICIPANT_TABLE,
    Coordinator,
    CoordinatorProtocol,
    CoordinatorState,
    Participant,
    ParticipantProtocol,
    ParticipantState,
    coordinator_recovery_event,
    in_doubt_event,
    participant_recovery_event,
    vote_event,
)

__all__ = [
    "ABORT", "COMMIT", "COORDINATOR_TABLE", "CRASH_POINTS", "DEFAULT_NETWORK",
    "ORCHESTRATOR_TABLE", "PARTICIPANT_TABLE", "PROTOCOLS", "SCENARIOS", "VARIANTS", "Ack",
    "CanCommit", "CommitConfig", "CommitFactory", "CommitMonitor", "CommitRun", "Coordinator",
    "CoordinatorProtocol", "CoordinatorReplica", "CoordinatorState", "Decision",
    "DecisionRequest", "Orchestrator", "OrchestratorProtocol", "OrchestratorState",
    "Participant", "ParticipantProtocol", "ParticipantState", "PreCommit", "Prepare",
    "ReplicaProtocol", "ReplicaState", "SagaResult", "Service", "ServiceProtocol",
    "ServiceState", "StateReport", "StateRequest", "StepRequest", "StepResult", "Table",
    "TableNode", "TableProtocol", "ThreePCCoordinator", "ThreePCCoordinatorProtocol",
    "ThreePCCoordinatorState", "ThreePCParticipant", "ThreePCParticipantProtocol",
    "ThreePCParticipantState", "Vote", "all_decided", "all_yes", "atomicity", "atomicity_of",
    "blocked", "commit_ids", "commit_protocols", "commit_sim", "config_for",
    "coordinator_crash", "coordinator_recovery_event", "in_doubt_event", "in_doubt_of",
    "logged_outcome", "monitor_of", "not_blocked", "one_no", "outcome_of", "outcomes",
    "participant_crash", "participant_recovery_event", "run_saga", "saga_sim",
    "termination_event", "threepc_coordinator_crash", "threepc_partition", "vote_event",
]
