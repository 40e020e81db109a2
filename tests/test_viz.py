"""Diagrams and tables: the DOT source and SVG say what the simulation holds.

The cluster diagram is checked on its DOT source (node status styles,
messages in flight, cut links); rendering is checked with the system
``dot`` and with ``graphviz-pure`` forced; the space-time diagram is parsed
as XML and its marks counted.
"""

from __future__ import annotations

import shutil
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from graphviz.backend import dot_command

from consensus_lab.sim import Effects, Network, Simulation, StepNode, broadcast
from consensus_lab.viz import (
    GraphvizUnavailable,
    SvgDiagram,
    cluster_diagram,
    ensure_backend,
    nodes_table,
    pending_table,
    render,
    spacetime_diagram,
    to_svg,
    trace_table,
)
from tests.simnodes import Greeter, GreeterProtocol, Hello

SVG = "{http://www.w3.org/2000/svg}"


def make_sim(**kwargs: Any) -> Simulation:
    return Simulation(Greeter, 3, seed=1, network=Network(latency=(5, 5)), **kwargs)


@pytest.fixture
def no_dot_on_path(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No `dot` on PATH and DOT_BINARY back at its default (restored afterwards)."""
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(dot_command, "DOT_BINARY", Path("dot"))


# ------------------------------------------------------------- cluster
def test_cluster_shows_every_node_with_its_status_style() -> None:
    sim = make_sim()
    sim.crash("n2")
    sim.pause("n3")
    source = cluster_diagram(sim).source
    assert "<b>n1</b> up" in source and "got=0" in source
    assert "<b>n2</b> crashed" in source and 'style="dotted"' in source
    assert "<b>n3</b> paused" in source and 'style="dashed"' in source
    assert 'pos="' in source  # pinned positions: nodes never move between steps


def test_cluster_draws_messages_in_flight_per_link_in_delivery_order() -> None:
    sim = make_sim()
    source = cluster_diagram(sim).source
    for src in ("n1", "n2", "n3"):
        for dst in ("n1", "n2", "n3"):
            if src != dst:
                assert f"{src} -> {dst} [" in source
    assert 'headlabel="Hello(1)"' in source
    assert "timers: tick@50" in source


class ChattyProtocol(GreeterProtocol):
    """Greets every peer five times at start."""

    def start(self, node_id: str, peers: tuple[str, ...],
              stored: Mapping[str, Any]) -> tuple[int, Effects]:
        return 0, tuple(e for n in range(5) for e in broadcast(peers, Hello(n=n)))


def Chatty(node_id: str, peers: tuple[str, ...]) -> StepNode[int]:  # noqa: N802 (a factory)
    """A node running :class:`ChattyProtocol`."""
    return StepNode(node_id, peers, ChattyProtocol())


def test_cluster_caps_the_messages_listed_on_one_link() -> None:
    sim = Simulation(Chatty, 2, seed=1)
    source = cluster_diagram(sim, max_messages=2).source
    assert 'headlabel="Hello(0)\nHello(1)\n+3 more"' in source


def test_cluster_marks_a_symmetric_partition_and_names_the_groups() -> None:
    sim = make_sim()
    sim.partition(["n1"])
    source = cluster_diagram(sim).source
    assert "n1 -> n2 [label=cut arrowhead=tee arrowtail=tee" in source
    assert "n1 -> n3 [label=cut" in source
    assert "n2 -> n3 [label=cut" not in source
    assert "dir=both" in source and "style=dashed" in source
    assert 'label="partition: n1 | n2 n3"' in source
    assert 'color="#9e9e9e"' in source  # the greetings on cut links will be dropped


def test_cluster_marks_a_one_way_cut_in_its_direction() -> None:
    sim = make_sim()
    sim.partition_one_way("n3", "n1")
    source = cluster_diagram(sim).source
    assert 'n3 -> n1 [label="one-way cut" arrowhead=tee arrowtail=none' in source
    assert "dir=forward" in source
    assert 'label="cut: n3->n1"' in source


def test_cluster_highlights_a_pending_message_and_a_node() -> None:
    sim = make_sim()
    chosen = [e for e in sim.pending() if e.kind == "deliver"][-1]
    source = cluster_diagram(sim, highlight=[chosen.id, "n2"]).source
    assert f'headlabel="> {chosen.msg}"' in source
    assert 'border="3"' in source


def test_cluster_source_is_deterministic() -> None:
    first, second = make_sim(), make_sim()
    for sim in (first, second):
        sim.run(max_steps=3)
        sim.partition(["n2"], ["n1", "n3"])
    assert cluster_diagram(first).source == cluster_diagram(second).source


# ------------------------------------------------------------ rendering
@pytest.mark.skipif(shutil.which("dot") is None, reason="no system Graphviz")
def test_render_svg_with_system_dot(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dot_command, "DOT_BINARY", Path("dot"))
    assert ensure_backend() == "dot"
    svg = to_svg(cluster_diagram(make_sim()))
    assert svg.startswith("<svg") and "Hello(1)" in svg


def test_render_svg_with_graphviz_pure_when_dot_is_missing(no_dot_on_path: None) -> None:
    pure = render.find_graphviz_pure()
    assert pure is not None, "graphviz-pure is a dependency of consensus-lab"
    assert shutil.which("dot") is None
    assert ensure_backend() == str(pure)
    assert pure == dot_command.DOT_BINARY
    sim = make_sim()
    sim.partition(["n1"])
    svg = to_svg(cluster_diagram(sim))
    assert svg.startswith("<svg") and "Hello(1)" in svg and "partition: n1 | n2 n3" in svg


def test_graphviz_pure_can_be_forced_even_with_dot(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dot_command, "DOT_BINARY", Path("dot"))
    assert ensure_backend("pure") == str(render.find_graphviz_pure())
    assert "<svg" in to_svg(cluster_diagram(make_sim()))


def test_no_graphviz_at_all_warns_then_rendering_says_how_to_fix(
    no_dot_on_path: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(render, "find_graphviz_pure", lambda: None)
    assert ensure_backend() == "dot"  # never raises just because dot is missing
    with pytest.raises(GraphvizUnavailable, match="pip install graphviz-pure"):
        to_svg(cluster_diagram(make_sim()))


def test_ensure_backend_rejects_an_unknown_choice() -> None:
    with pytest.raises(ValueError, match="prefer must be one of auto, dot, pure"):
        ensure_backend("wasm")


# ------------------------------------------------------------ space-time
def parse(diagram: SvgDiagram) -> ET.Element:
    return ET.fromstring(diagram.data)


def marks(root: ET.Element, kind: str) -> list[ET.Element]:
    return [g for g in root.iter(f"{SVG}g") if f"cl-ev-{kind}" in g.get("class", "")]


def texts(root: ET.Element) -> list[str]:
    return [t.text or "" for t in root.iter(f"{SVG}text")]


def test_spacetime_has_a_lane_per_node_and_a_point_per_event() -> None:
    sim = make_sim()
    sim.stabilize()
    root = parse(spacetime_diagram(sim.trace, sim.node_ids))
    assert {"n1", "n2", "n3"} <= set(texts(root))
    assert len(marks(root, "start")) == 3
    assert len(marks(root, "send")) == 6
    assert len(marks(root, "deliver")) == 6
    assert len(marks(root, "timer")) == 3
    assert "got=2" in texts(root)  # the default label: the state after the event


def test_spacetime_joins_send_and_deliver_by_msg_id_with_arrows() -> None:
    sim = make_sim()
    sim.stabilize()
    root = parse(spacetime_diagram(sim.trace, sim.node_ids))
    arrows = [g for g in root.iter(f"{SVG}g") if g.find(f"{SVG}polygon") is not None
              and "deliver" in (g.findtext(f"{SVG}title") or "")]
    assert len(arrows) == 6
    assert "Hello(1)" in texts(root)


def test_spacetime_draws_a_dropped_message_as_an_arrow_ending_in_a_cross() -> None:
    sim = make_sim()
    sim.crash("n3")
    sim.stabilize()
    root = parse(spacetime_diagram(sim.trace, sim.node_ids))
    drops = [g for g in root.iter(f"{SVG}g") if "drop" in (g.findtext(f"{SVG}title") or "")]
    assert len(drops) == 2  # n1 -> n3 and n2 -> n3 arrive at a crashed node
    for g in drops:
        assert len(g.findall(f"{SVG}line")) == 3  # the arrow and the two strokes of the cross
    assert "crash n3" in texts(root)


def test_spacetime_shows_messages_still_in_flight_and_respects_until_step() -> None:
    sim = make_sim()
    sim.stabilize()
    root = parse(spacetime_diagram(sim.trace, sim.node_ids, until_step=0))
    titles = [g.findtext(f"{SVG}title") or "" for g in root.iter(f"{SVG}g")]
    assert sum(t.startswith("in flight") for t in titles) == 6
    assert not marks(root, "deliver")


def test_spacetime_uses_a_custom_label_and_keeps_the_last_events() -> None:
    sim = make_sim()
    sim.stabilize()
    diagram = spacetime_diagram(sim.trace, sim.node_ids, label=lambda r: f"#{r.step}", last=5)
    root = parse(diagram)
    events = sum(len(marks(root, k)) for k in ("start", "send", "deliver", "timer", "note"))
    assert events == 5
    assert any(t.startswith("#") for t in texts(root))


def test_spacetime_shows_network_wide_nemesis_and_lane_status() -> None:
    sim = make_sim()
    sim.partition(["n1"])
    sim.pause("n2")
    sim.stabilize()
    svg = spacetime_diagram(sim.trace, sim.node_ids).data
    assert "partition n1 | n2 n3" in svg
    assert 'stroke="#ef6c00" stroke-width="3"' in svg  # n2's lane: paused


def test_spacetime_stays_readable_for_fifty_events() -> None:
    sim = Simulation(Greeter, 5, seed=2)
    sim.stabilize()
    assert len(sim.trace) >= 50
    root = parse(spacetime_diagram(sim.trace, sim.node_ids, last=50))
    assert float(root.get("width", 0)) < 2000
    assert spacetime_diagram(sim.trace, sim.node_ids).data == \
        spacetime_diagram(sim.trace, sim.node_ids).data


def test_svg_diagram_displays_inline_and_scrolls() -> None:
    diagram = spacetime_diagram(make_sim().trace)
    assert diagram._repr_svg_().startswith("<svg")
    assert 'overflow-x:auto' in diagram._repr_html_()
    assert to_svg(diagram) == diagram.data


# ---------------------------------------------------------------- tables
def test_nodes_table_has_status_and_view_per_node() -> None:
    sim = make_sim()
    sim.crash("n2")
    frame = nodes_table(sim)
    assert list(frame.index) == ["n1", "n2", "n3"]
    assert list(frame["status"]) == ["up", "crashed", "up"]
    assert frame.loc["n1", "got"] == 0 and frame.loc["n2", "got"] == ""


def test_pending_table_lists_events_in_firing_order() -> None:
    sim = make_sim()
    frame = pending_table(sim)
    assert len(frame) == len(sim.pending()) == 9
    assert list(frame["id"]) == [e.id for e in sim.pending()]
    assert "Hello(1)" in set(frame["message"])


def test_trace_table_keeps_the_last_records() -> None:
    sim = make_sim()
    sim.stabilize()
    assert len(trace_table(sim.trace)) == len(sim.trace)
    tail = trace_table(sim.trace, last=4)
    assert list(tail["step"]) == [r.step for r in sim.trace.records[-4:]]
    assert len(trace_table(sim.trace, last=0)) == 0
