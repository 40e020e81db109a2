"""The history timeline: bars per lane, culprit marking, witness order, offline HTML."""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET

from consensus_lab.consistency import History, check
from consensus_lab.consistency.commands import lincheck_main
from consensus_lab.consistency.formats import dump_jsonl
from consensus_lab.viz import history_timeline, op_label, write_timeline_html

NS = "{http://www.w3.org/2000/svg}"
GOOD = [("c1", "write", 1, 0, 10), ("c2", "read", 1, 1, 3), ("c3", "read", 1, 4, 5),
        ("c1", "write", 2, 11, 12), ("c10", "read", 2, 13, 15), ("c2", "write", 7, 5, 6, "fail"),
        ("c3", "write", 9, 6, None, "info")]
BAD = [("c1", "write", 1, 0, 10), ("c2", "read", 1, 1, 3), ("c3", "read", None, 4, 5),
       ("c4", "write", 5, 11, 12)]


def _svg(history: History, result=None) -> ET.Element:
    return ET.fromstring(history_timeline(history, result).data)


def _ops(root: ET.Element) -> list[ET.Element]:
    return [g for g in root.iter(NS + "g") if "cl-op" in g.get("class", "").split()]


def test_one_lane_per_process_sorted_and_bars_per_lane() -> None:
    root = _svg(History.build(GOOD))
    names = [t.text for t in root.iter(NS + "text") if t.get("class") == "cl-lane-name"]
    assert names == ["c1", "c2", "c3", "c10"]  # numbers sort as numbers
    per_lane: dict[str, int] = {}
    for g in _ops(root):
        per_lane[g.get("data-process")] = per_lane.get(g.get("data-process"), 0) + 1
    assert per_lane == {"c1": 2, "c2": 2, "c3": 2, "c10": 1}
    statuses = {g.get("data-op"): g.get("class") for g in _ops(root)}
    assert "cl-op-fail" in statuses["5"] and "cl-op-info" in statuses["6"]
    unknown = [t for t in root.iter(NS + "text") if t.get("class") == "cl-unknown"]
    assert [t.text for t in unknown] == ["?"]


def test_labels() -> None:
    h = History.build([("a", "write", 3, 0, 1), ("a", "read", 3, 2, 3),
                       ("a", "cas", (1, 2), 4, 5, "false"), ("a", "write", 4, 6, 7, "fail")])
    assert [op_label(op) for op in h] == ["write(3)", "read \u2192 3", "cas(1, 2) \u2192 false",
                                          "write(4) \u2717"]
    root = _svg(h)
    labels = [t.text for t in root.iter(NS + "text") if t.get("class") == "cl-op-label"]
    assert labels == [op_label(op) for op in h]


def test_illegal_marks_culprit_ops_and_captions_the_explanation() -> None:
    history = History.build(BAD)
    result = check(history, "register")
    assert result.verdict == "illegal"
    root = _svg(history, result)
    marked = {int(g.get("data-op")) for g in _ops(root) if "cl-culprit" in g.get("class")}
    assert marked == {op.id for op in result.culprit} and marked
    assert 3 not in marked  # the later write is not part of the culprit prefix
    for g in _ops(root):
        if "cl-culprit" in g.get("class"):
            assert g.find(NS + "rect").get("stroke") == "#c62828"
    caption = " ".join(t.text for t in root.iter(NS + "text") if t.get("class") == "cl-caption")
    assert caption == result.explanation
    assert not [g for g in root.iter(NS + "g") if g.get("class") == "cl-lin"]


def test_ok_witness_markers_in_order_inside_bars_and_monotonic() -> None:
    history = History.build(GOOD)
    result = check(history, "register")
    assert result.verdict == "ok"
    root = _svg(history, result)
    markers = [g for g in root.iter(NS + "g") if g.get("class") == "cl-lin"]
    assert [int(g.get("data-order")) for g in markers] == list(range(1, len(result.witness) + 1))
    assert [int(g.get("data-op")) for g in markers] == [op.id for op in result.witness]
    assert [g.find(NS + "text").text for g in markers] == [
        str(i) for i in range(1, len(markers) + 1)]
    xs = [float(g.find(NS + "circle").get("cx")) for g in markers]
    assert xs == sorted(xs) and len(set(xs)) == len(xs)
    bars = {g.get("data-op"): g.find(NS + "rect") for g in _ops(root)}
    for g, x in zip(markers, xs, strict=True):
        rect = bars[g.get("data-op")]
        assert float(rect.get("x")) <= x <= float(rect.get("x")) + float(rect.get("width"))
    (path,) = [p for p in root.iter(NS + "polyline") if p.get("class") == "cl-lin-path"]
    assert len(path.get("points").split()) == len(markers)
    assert not [g for g in _ops(root) if "cl-culprit" in g.get("class")]


def test_deterministic() -> None:
    for rows, model in ((GOOD, "register"), (BAD, "register")):
        a = history_timeline(History.build(rows), check(History.build(rows), model)).data
        b = history_timeline(History.build(rows), check(History.build(rows), model)).data
        assert a == b
    assert history_timeline(History()).data == history_timeline(History()).data
    ET.fromstring(history_timeline(History()).data)  # an empty history still draws


def test_html_is_standalone(tmp_path) -> None:
    for rows in (GOOD, BAD):
        history = History.build(rows)
        result = check(history, "register")
        page = write_timeline_html(history, result, tmp_path / "t.html").read_text()
        urls = re.findall(r"https?://[^\s\"'<>)]+", page)
        assert set(urls) == {"http://www.w3.org/2000/svg"}
        assert "<script" not in page and "<link" not in page and "@import" not in page
        assert "<svg" in page and "<style>" in page and 'class="legend"' in page
        assert html.escape(result.explanation) in page


def test_lincheck_html_option(tmp_path, capsys) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text(dump_jsonl(History.build(BAD)))
    out = tmp_path / "timeline.html"
    assert lincheck_main([str(bad), "--model", "register", "--html", str(out)]) == 1
    text = capsys.readouterr().out
    assert text.startswith("illegal: not linearizable") and "timeline written to" in text
    page = out.read_text()
    assert "cl-culprit" in page and "not linearizable" in page
    assert lincheck_main([str(bad), "--model", "register"]) == 1  # no --html: no file needed
    assert "timeline written" not in capsys.readouterr().out
