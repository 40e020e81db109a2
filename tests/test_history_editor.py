"""The history editor: its model (edits, undo, refused edits) and its widget, without a browser."""

from __future__ import annotations

import math

import pytest

from consensus_lab.consistency import History, check, naive_check
from consensus_lab.widgets import EditError, HistoryEditor, HistoryEdits
from consensus_lab.widgets.history_edits import MAX_OPS, PRESETS, parse_value


def ops_by_id(model: HistoryEdits) -> dict[int, tuple]:
    return {op.id: (op.process, op.f, op.value, op.output, op.call, op.ret, op.status)
            for op in model.history}


# ------------------------------------------------------------------ presets


@pytest.mark.parametrize(("name", "verdict", "naive"), [
    ("good read", "ok", True),
    ("stale read", "illegal", False),
    ("stale read, slow write", "illegal", False),
    ("naive says no but linearizable", "ok", False),
    ("concurrent writes", "illegal", False),
    ("timed-out write", "ok", False),
])
def test_presets_have_the_verdicts_their_hints_promise(name: str, verdict: str,
                                                       naive: bool) -> None:
    """Each preset's verdicts, recomputed here with the checkers themselves."""
    model = HistoryEdits(name)
    history = PRESETS[name].history()
    assert model.result.verdict == verdict == check(history, "register").verdict
    assert model.naive is naive is naive_check(history)
    assert model.disagree is (naive != (verdict == "ok"))
    assert model.preset == name and not model.can_undo
    assert PRESETS[name].focus in ops_by_id(model)


def test_unknown_preset_lists_the_presets() -> None:
    with pytest.raises(EditError, match="no preset 'fresh read'.*good read, stale read"):
        HistoryEdits("fresh read")


def test_start_from_a_history_and_refuse_other_models() -> None:
    model = HistoryEdits(History.build([("a", "write", 3, 0, 1), ("b", "read", 3, 2, 4)]))
    assert model.preset is None and model.result.verdict == "ok" and len(model.history) == 2
    with pytest.raises(EditError, match="register with read and write.*'cas'"):
        HistoryEdits(History.build([("a", "cas", (1, 2), 0, 1)]))


# ------------------------------------------------------------------ the experiments


def test_moving_the_stale_read_until_it_overlaps_the_write_makes_it_linearizable() -> None:
    """The chapter's stale read [2, 3] after write(1) [0, 1]: illegal until the read's call
    reaches the write's return (t=1), then ok with the read first in the witness; the toy
    checker still says no, so the editor flags the disagreement."""
    model = HistoryEdits("stale read")
    model.shift(1, -0.5)
    assert model.result.verdict == "illegal" and not model.disagree
    model.shift(1, -0.5)
    assert model.op(1).call == 1 and model.op(1).ret == 2
    assert model.result.verdict == "ok"
    assert [op.id for op in model.result.witness] == [1, 0]  # read nil, then the write
    assert model.naive is False and model.disagree


def test_slow_write_c3_overlapping_c2_becomes_linearizable() -> None:
    """c3's nil read moved to overlap c2's read of 1: read nil, write, read 1 works."""
    model = HistoryEdits("stale read, slow write")
    assert model.result.verdict == "illegal"
    assert {op.id for op in model.result.culprit} >= {1, 2}
    model.move(2, call=3)
    assert model.result.verdict == "ok"
    assert [op.process for op in model.result.witness] == ["c3", "c1", "c2"]


def test_concurrent_writes_read_moved_into_the_second_write() -> None:
    model = HistoryEdits("concurrent writes")
    assert model.result.verdict == "illegal"
    model.move(3, call=2, ret=4)
    assert model.result.verdict == "ok"
    assert [op.value or op.output for op in model.result.witness] == [1, 1, 2, 2]


def test_changing_the_read_value_flips_the_good_read() -> None:
    model = HistoryEdits("good read")
    model.set_value(1, "nil")
    assert model.op(1).output is None and model.result.verdict == "illegal"
    model.set_value(1, "1")
    assert model.op(1).output == 1 and model.result.verdict == "ok"


def test_status_changes_fail_and_info() -> None:
    """A failed write did not happen; an info write may or may not have; back to ok needs a
    return time, one after the call by default."""
    model = HistoryEdits("timed-out write")
    assert model.op(0).status == "info" and model.result.verdict == "ok"
    model.set_status(0, "fail")
    assert model.op(0).ret == 1.0  # a failed op has a return time again
    assert model.result.verdict == "illegal"  # c3 read 1 that nobody wrote
    model.set_status(0, "info")
    assert model.op(0).ret == math.inf and model.result.verdict == "ok"
    model.set_status(0, "ok", ret=3)
    assert model.op(0).ret == 3 and model.result.verdict == "ok"


def test_add_and_delete() -> None:
    model = HistoryEdits("good read")
    op = model.add("c3", "read", "nil", 5, 6)
    assert op.id == 2 and op.output is None and model.result.verdict == "illegal"
    assert model.add("c4", "write", "7", 7, 8).value == 7
    model.delete(op.id)
    assert sorted(ops_by_id(model)) == [0, 1, 3] and model.result.verdict == "ok"
    again = model.add("c5", "read", 7, 9, 10)
    assert again.id == 4  # ids are never reused


# ------------------------------------------------------------------ undo


def test_undo_takes_back_each_edit_in_turn() -> None:
    model = HistoryEdits("stale read")
    start = ops_by_id(model)
    model.shift(1, -1)
    moved = ops_by_id(model)
    model.set_value(1, 1)
    model.load("good read")
    assert model.preset == "good read"
    assert model.undo() and model.preset == "stale read" and model.op(1).output == 1
    assert model.undo() and ops_by_id(model) == moved and model.result.verdict == "ok"
    assert model.undo() and ops_by_id(model) == start and model.result.verdict == "illegal"
    assert model.undo() is False and not model.can_undo


def test_an_edit_that_changes_nothing_is_not_an_undo_step() -> None:
    model = HistoryEdits("good read")
    model.move(1, call=2)
    model.set_value(1, "1")
    assert not model.can_undo


# ------------------------------------------------------------------ refused edits


@pytest.mark.parametrize(("edit", "message"), [
    (lambda m: m.move(1, ret=1), r"c2's read would return \(t=1\) before it is called "
                                 r"\(t=1.5\).*at or after its call"),
    (lambda m: m.move(1, call=4), r"return \(t=2.5\) before it is called \(t=4\)"),
    (lambda m: m.shift(0, -0.5), r"c1's write would be called at t=-0.5; time starts at t=0"),
    (lambda m: m.move(1, ret=25), r"return at t=25; .*ends at t=20"),
    (lambda m: m.move(7, call=1), r"no operation #7; the operations are #0, #1"),
    (lambda m: m.set_value(0, "nil"), r"a write needs a value"),
    (lambda m: m.set_status(1, "lost"), r"one of ok, info, fail; got 'lost'"),
    (lambda m: m.add("c 3", "read", 1, 0, 1), r"one word such as c4; got 'c 3'"),
    (lambda m: m.add("c3", "cas", 1, 0, 1), r"read and write; got 'cas'"),
    (lambda m: m.add("c3", "write", None, 0, 1), r"a write needs a value"),
    (lambda m: m.add("c3", "read", 1, 4, 2), r"return \(t=2\) before it is called \(t=4\)"),
    (lambda m: m.load("nonsense"), r"no preset 'nonsense'"),
])
def test_bad_edits_explain_and_change_nothing(edit, message: str) -> None:
    model = HistoryEdits("stale read")
    model.shift(1, -0.5)
    before, undo_depth, result = ops_by_id(model), len(model.undo_stack), model.result
    with pytest.raises(EditError, match=message):
        edit(model)
    assert ops_by_id(model) == before
    assert len(model.undo_stack) == undo_depth and model.result is result


def test_moving_the_return_of_an_unknown_outcome_is_refused() -> None:
    model = HistoryEdits("timed-out write")
    with pytest.raises(EditError, match="unknown outcome \\(info\\).*set its status"):
        model.move(0, ret=3)
    model.move(0, call=1)  # its call can move
    assert model.op(0).call == 1


def test_histories_stay_small() -> None:
    model = HistoryEdits("good read")
    for i in range(MAX_OPS - 2):
        model.add(f"c{i + 3}", "read", 1, 4, 5)
    with pytest.raises(EditError, match=f"at most {MAX_OPS} operations"):
        model.add("c99", "read", 1, 4, 5)


def test_parse_value() -> None:
    assert [parse_value(t) for t in ("", " nil ", "None", "3", "2.5", "'x'", "x", "True")] == \
        [None, None, None, 3, 2.5, "x", "x", "True"]


# ------------------------------------------------------------------ the widget


@pytest.fixture
def editor() -> HistoryEditor:
    return HistoryEditor("stale read")


def test_widget_shows_verdict_toy_and_timeline(editor: HistoryEditor) -> None:
    w = editor.w
    assert "✘ illegal" in w["verdict"].value and "Culprit" in w["verdict"].value
    assert "Sequentially consistent (順序一致): yes" in w["verdict"].value
    assert "Toy checker (naive_check): no" in w["toy"].value
    assert "cl-hed-disagree" not in w["toy"].value
    assert w["timeline"].value.count("cl-culprit") == 2
    assert w["op"].value == 1 and w["call"].value == 2 and w["ret"].value == 3
    assert w["value"].value == "nil" and w["status"].value == "ok"
    assert w["undo"].disabled and "overlaps the write" in w["hint"].value


def test_widget_clicks_move_recheck_and_flag_the_toy(editor: HistoryEditor) -> None:
    w = editor.w
    w["earlier"].click()
    w["earlier"].click()
    assert (w["call"].value, w["ret"].value) == (1, 2)
    assert "✔ ok" in w["verdict"].value and "Witness" in w["verdict"].value
    assert 'class="cl-lin"' in w["timeline"].value
    assert "cl-hed-disagree" in w["toy"].value and "false alarm" in w["toy"].value
    w["undo"].click()
    assert "✘ illegal" in w["verdict"].value and w["call"].value == 1.5


def test_widget_bad_slider_edit_shows_a_notice_and_resets(editor: HistoryEditor) -> None:
    w = editor.w
    w["call"].value = 5
    assert "before it is called" in w["notice"].value
    assert w["call"].value == 2 and editor.model.op(1).call == 2  # unchanged
    w["later"].click()
    assert w["notice"].value == "" and editor.model.op(1).call == 2.5


def test_widget_value_status_select_add_delete_preset(editor: HistoryEditor) -> None:
    w = editor.w
    w["value"].value = "1"
    assert "✔ ok" in w["verdict"].value
    w["op"].value = 0
    assert w["value"].description == "writes" and w["value"].value == "1"
    w["status"].value = "fail"
    assert "✘ illegal" in w["verdict"].value and w["ret"].disabled is False
    w["status"].value = "info"
    assert w["ret"].disabled
    w["new-process"].value, w["new-f"].value, w["new-value"].value = "c7", "write", "5"
    w["new-call"].value, w["new-ret"].value = 4, 6
    w["add"].click()
    assert w["op"].value == 2 and "c7 write(5)" in w["op"].label
    w["delete"].click()
    assert [op.id for op in editor.model.ops] == [0, 1]
    w["preset"].value = "concurrent writes"
    assert editor.model.preset == "concurrent writes" and w["op"].value == 3
    assert "c4's read earlier" in w["hint"].value
    w["undo"].click()
    assert editor.model.preset == "stale read" and w["preset"].value == "stale read"


def test_widget_python_calls_raise_clicks_do_not(editor: HistoryEditor) -> None:
    with pytest.raises(EditError, match="select an operation first"):
        editor.move(None, call=1)
    editor.delete(1)
    editor.delete(0)
    assert editor.selected is None and editor.w["call"].disabled
    editor.w["earlier"].click()  # nothing selected: a notice, no exception
    assert "select an operation first" in editor.w["notice"].value
    assert "nothing" in editor.w["toy"].value
    assert repr(editor) == "<HistoryEditor 0 ops: ok, toy says yes>"


def test_css_classes_for_browser_tests(editor: HistoryEditor) -> None:
    assert "cl-hed" in editor.widget._dom_classes
    for name in ("preset", "undo", "op", "call", "ret", "earlier", "later", "verdict", "toy",
                 "notice", "timeline", "add", "delete", "value", "status"):
        assert f"cl-hed-{name}" in editor.w[name]._dom_classes


def test_restart_goes_back_to_the_loaded_history_and_can_be_undone() -> None:
    custom = History.build([("a", "write", 3, 0, 1), ("b", "read", 3, 2, 4)])
    editor = HistoryEditor(custom)
    assert editor.w["preset"].value is None and editor.selected == 1
    editor.set_value(1, "nil")
    editor.add("c", "read", "nil", 5, 6)
    editor.w["restart"].click()
    model = editor.model
    assert model.history == custom and model.preset is None and model.result.verdict == "ok"
    editor.w["undo"].click()
    assert len(model.history) == 3 and model.op(1).output is None
    model.load("good read")
    model.set_value(1, "nil")
    model.restart()
    assert model.history == PRESETS["good read"].history() and model.preset == "good read"
    model.restart()  # already there: not another undo step
    assert model.undo() and model.op(1).output is None
