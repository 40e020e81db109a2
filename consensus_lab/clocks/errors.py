"""Errors raised by the logical clocks on bad input.

Each message names the value that was wrong and says what is allowed, so a
learner who passes ``-1`` or ``3`` as a node id sees exactly why it failed.
"""

from __future__ import annotations


class ClockError(ValueError):
    """A clock was given a value it cannot hold (negative counter, empty id)."""


class ClockTypeError(ClockError, TypeError):
    """A clock was given a value of the wrong type (node id not a str, counter not an int).

    It is both a :class:`ClockError` and a :class:`TypeError`, so either can be caught.
    """


def check_node_id(node: object) -> str:
    """Return ``node`` if it is a valid node id (a non-empty ``str``), else raise."""
    if not isinstance(node, str):
        raise ClockTypeError(
            f"node id must be a non-empty str, got {node!r} ({type(node).__name__})"
        )
    if not node:
        raise ClockError("node id must be a non-empty str, got ''")
    return node


def check_counter(value: object, *, what: str = "counter") -> int:
    """Return ``value`` if it is a valid counter (an ``int`` >= 0, not a bool), else raise."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ClockTypeError(
            f"{what} must be an int >= 0, got {value!r} ({type(value).__name__})"
        )
    if value < 0:
        raise ClockError(f"{what} must be an int >= 0, got {value!r}")
    return value
