"""The network model, as a value.

A :class:`Network` says how every directed link behaves: a latency range,
and probabilities of dropping, duplicating and reordering a message. Per-link
overrides replace the defaults on one link; ``blocked`` holds the links cut by
a partition. Networks are frozen: every change returns a new value, so a
notebook can keep, compare and restore them.

Ordering: a link is FIFO (like a TCP connection) unless a message is picked
for reordering (probability ``reorder``); such a message is delayed by up to
``reorder_delay`` extra ticks and may be overtaken by later ones.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

from .errors import ConfigError

Link = tuple[str, str]


def _check_probability(name: str, value: float) -> None:
    if not isinstance(value, int | float) or not 0.0 <= value <= 1.0:
        raise ConfigError(f"{name} must be a probability in [0, 1], got {value!r}")


def _check_latency(latency: tuple[int, int]) -> None:
    ok_shape = isinstance(latency, tuple) and len(latency) == 2
    if not ok_shape or not all(isinstance(x, int) for x in latency):
        raise ConfigError(f"latency must be a pair of ints (min, max), got {latency!r}")
    low, high = latency
    if low < 0:
        raise ConfigError(f"latency must not be negative, got min={low}")
    if high < low:
        raise ConfigError(f"latency max must be >= min, got ({low}, {high})")


@dataclass(frozen=True, slots=True, kw_only=True)
class LinkFaults:
    """How one directed link behaves.

    ``latency`` is an inclusive (min, max) range of ticks; the probabilities
    are in [0, 1]; ``reorder_delay`` is the most extra delay a reordered
    message gets.
    """

    latency: tuple[int, int] = (1, 10)
    drop: float = 0.0
    duplicate: float = 0.0
    reorder: float = 0.0
    reorder_delay: int = 50

    def __post_init__(self) -> None:
        _check_latency(self.latency)
        for name in ("drop", "duplicate", "reorder"):
            _check_probability(name, getattr(self, name))
        if not isinstance(self.reorder_delay, int) or self.reorder_delay < 0:
            raise ConfigError(f"reorder_delay must be an int >= 0, got {self.reorder_delay!r}")


_FAULT_NAMES = frozenset(LinkFaults.__dataclass_fields__)


@dataclass(frozen=True, slots=True)
class Network:
    """Default link behaviour, per-link overrides and the cut links.

    >>> net = Network(latency=(5, 5)).with_link("n1", "n2", drop=1.0)
    >>> net.faults("n1", "n2").drop, net.faults("n2", "n1").drop
    (1.0, 0.0)
    """

    default: LinkFaults = field(default_factory=LinkFaults)
    links: Mapping[Link, LinkFaults] = field(default_factory=dict)
    blocked: frozenset[Link] = frozenset()

    def __init__(
        self,
        latency: tuple[int, int] = (1, 10),
        drop: float = 0.0,
        duplicate: float = 0.0,
        reorder: float = 0.0,
        reorder_delay: int = 50,
        links: Mapping[Link, LinkFaults] | None = None,
        blocked: Iterable[Link] = (),
    ) -> None:
        default = LinkFaults(
            latency=latency, drop=drop, duplicate=duplicate,
            reorder=reorder, reorder_delay=reorder_delay,
        )
        object.__setattr__(self, "default", default)
        object.__setattr__(self, "links", MappingProxyType(dict(links or {})))
        object.__setattr__(self, "blocked", frozenset(blocked))

    def _rebuilt(self, default: LinkFaults, links: Mapping[Link, LinkFaults],
                 blocked: frozenset[Link]) -> Network:
        fields = {name: getattr(default, name) for name in _FAULT_NAMES}
        return Network(**fields, links=links, blocked=blocked)

    def faults(self, src: str, dst: str) -> LinkFaults:
        """The behaviour of the link ``src -> dst``."""
        return self.links.get((src, dst), self.default)

    def is_blocked(self, src: str, dst: str) -> bool:
        """True when a partition cuts ``src -> dst``."""
        return (src, dst) in self.blocked

    def with_defaults(self, **faults: Any) -> Network:
        """A copy whose default link behaviour has ``faults`` changed."""
        _check_fault_names(faults)
        return self._rebuilt(replace(self.default, **faults), self.links, self.blocked)

    def with_link(self, src: str, dst: str, **faults: Any) -> Network:
        """A copy in which the link ``src -> dst`` has ``faults`` changed."""
        _check_fault_names(faults)
        links = dict(self.links)
        links[(src, dst)] = replace(self.faults(src, dst), **faults)
        return self._rebuilt(self.default, links, self.blocked)

    def without_link_overrides(self) -> Network:
        """A copy with every per-link override removed."""
        return self._rebuilt(self.default, {}, self.blocked)

    def with_blocked(self, blocked: Iterable[Link]) -> Network:
        """A copy whose cut links are exactly ``blocked``."""
        return self._rebuilt(self.default, self.links, frozenset(blocked))

    def to_dict(self) -> dict[str, object]:
        """A JSON-able description (the recorded form of a ``set_network`` input)."""
        def faults(f: LinkFaults) -> dict[str, object]:
            return {name: getattr(f, name) for name in sorted(_FAULT_NAMES)}

        return {"default": faults(self.default),
                "links": [[src, dst, faults(f)] for (src, dst), f in sorted(self.links.items())],
                "blocked": sorted(self.blocked)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Network:
        """The network ``to_dict`` described (lists accepted where tuples were)."""
        def faults(raw: Mapping[str, Any]) -> dict[str, Any]:
            fields = dict(raw)
            fields["latency"] = tuple(fields["latency"])
            return fields

        links = {(src, dst): LinkFaults(**faults(f)) for src, dst, f in data.get("links", [])}
        blocked: list[Link] = [tuple(link) for link in data.get("blocked", [])]
        return cls(**faults(data["default"]), links=links, blocked=blocked)

    def node_ids_mentioned(self) -> set[str]:
        """Every node id named by an override or a cut link."""
        ids: set[str] = set()
        for src, dst in list(self.links) + list(self.blocked):
            ids.update((src, dst))
        return ids


def _check_fault_names(faults: Mapping[str, Any]) -> None:
    unknown = sorted(set(faults) - _FAULT_NAMES)
    if unknown:
        raise ConfigError(
            f"unknown link fault {unknown[0]!r}; allowed: {', '.join(sorted(_FAULT_NAMES))}"
        )


def partition_links(groups: Iterable[Iterable[str]]) -> frozenset[Link]:
    """Every directed link between two different groups (a symmetric cut)."""
    sets = [sorted(set(g)) for g in groups]
    cut: set[Link] = set()
    for i, left in enumerate(sets):
        for right in sets[i + 1:]:
            for a in left:
                for b in right:
                    cut.add((a, b))
                    cut.add((b, a))
    return frozenset(cut)
