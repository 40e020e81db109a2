"""The one deterministic simulator every protocol in the lab runs on.

See :mod:`consensus_lab.sim.simulation` for the theory of operation and
``docs/sim-api.md`` for the API at a glance.
"""

from .choices import ChoicePoint, ChoiceRandom
from .clock import NodeClock
from .errors import (
    ConfigError,
    InvariantViolation,
    ReplayDivergence,
    SimulationError,
    UnknownNodeError,
)
from .history import ClientRequest, History, Operation
from .nemesis import NEMESIS_ACTIONS
from .network import LinkFaults, Network
from .node import Node
from .simulation import PendingEvent, Simulation
from .step import (
    Call,
    CancelTimer,
    Deliver,
    Effect,
    Effects,
    Fire,
    Input,
    Note,
    Persist,
    Reply,
    Request,
    Send,
    SetTimer,
    StepNode,
    StepProtocol,
    Value,
    broadcast,
    frozen,
    timer,
)
from .trace import Trace, TraceRecord

__all__ = [
    "Call", "CancelTimer", "Deliver", "Effect", "Effects", "Fire", "Input", "Note", "Persist",
    "Reply", "Request", "Send", "SetTimer", "StepNode", "StepProtocol", "Value", "broadcast",
    "frozen", "timer",
    "ChoicePoint", "ChoiceRandom", "ClientRequest", "ConfigError", "History",
    "InvariantViolation", "LinkFaults", "NEMESIS_ACTIONS", "Network", "Node", "NodeClock",
    "Operation", "PendingEvent", "ReplayDivergence", "Simulation", "SimulationError",
    "Trace", "TraceRecord", "UnknownNodeError",
]
