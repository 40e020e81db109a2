"""Event kinds of the simulator's heap, shared by its modules.

Heap entries are ``(time, priority, seq, kind, node, data)``; kinds are small
ints so the hot path compares ints, and ``KIND_NAMES`` names them for people.
"""

DELIVER, TIMER, REQUEST, REPLY, TIMEOUT, NEMESIS = range(6)
KIND_NAMES = ("deliver", "timer", "request", "reply", "timeout", "nemesis")
_URGENT, _NORMAL = 0, 1  # priorities: scheduled nemesis actions go first at equal times

# Builds a TraceRecord without NamedTuple's Python-level __new__ (hot path).
_new_record = tuple.__new__
