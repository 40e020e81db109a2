"""HistoryEditor: move, edit, add and delete operations, and watch the checkers' verdicts live.

Theory of operation
-------------------
The editor is a thin ipywidgets face on
:class:`~consensus_lab.widgets.history_edits.HistoryEdits`, which keeps the
history, the undo stack and the verdicts. Every control calls a public
method of the editor (``select``, ``move``, ``shift``, ``set_value``,
``set_status``, ``add``, ``delete``, ``undo``, ``load``, ``restart``), each of which
edits the model and ends with :meth:`refresh`: the op list, the controls of
the selected op, the timeline (:func:`~consensus_lab.viz.history_timeline`
with the live result: witness order numbered, culprit outlined in red), the
real checker's verdict and, beside it, the toy checker's, flagged when they
disagree. So a test or a notebook cell drives the editor exactly as clicks
do, without a browser.

Errors never escape a click: a bad edit (a return before its call, a write
of nil, ...) leaves the history unchanged and shows a kind message in the
notice line. Called from Python, a bad edit raises
:class:`~consensus_lab.widgets.history_edits.EditError`.

CSS classes for browser tests: ``cl-hed`` (the whole editor),
``cl-hed-preset``, ``cl-hed-restart``, ``cl-hed-undo``, ``cl-hed-op``,
``cl-hed-status``, ``cl-hed-value``, ``cl-hed-delete``, ``cl-hed-call``,
``cl-hed-ret``, ``cl-hed-earlier``, ``cl-hed-later``, ``cl-hed-new-*`` and
``cl-hed-add`` (the add row), ``cl-hed-hint``, ``cl-hed-notice``,
``cl-hed-timeline``, ``cl-hed-verdict`` and ``cl-hed-toy`` (inside it
``cl-hed-disagree`` when the checkers disagree).
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable
from typing import Any

import ipywidgets as widgets

from ..consistency import History, Op
from ..viz import history_timeline, op_label
from .history_edits import (
    FUNCTIONS,
    PRESETS,
    STATUSES,
    TIME_LIMIT,
    EditError,
    HistoryEdits,
    describe,
)

STEP = 0.5  # slider step and the shift buttons' move, in time units
SHORT = {"description_width": "initial"}
CSS = ("<style>.cl-hed-panel{font-size:13px;line-height:1.4;padding:4px 8px;"
       "border-left:4px solid #ccc;margin:4px 0}.cl-hed-panel ol{margin:2px 0 2px 1.2em;"
       "padding:0}.cl-hed-ok{border-color:#2e7d32}.cl-hed-illegal{border-color:#c62828}"
       ".cl-hed-disagree{color:#b71c1c;font-weight:bold;margin-top:4px}</style>")


def _tag(widget: widgets.Widget, name: str) -> widgets.Widget:
    widget.add_class(f"cl-hed-{name}")
    return widget


def _row(children: list[widgets.Widget]) -> widgets.HBox:
    return widgets.HBox(children, layout=widgets.Layout(flex_flow="row wrap",
                                                        align_items="center"))


def _button(name: str, label: str, tooltip: str) -> widgets.Button:
    return _tag(widgets.Button(description=label, tooltip=tooltip,
                               layout=widgets.Layout(width="auto")), name)


def _slider(name: str, label: str) -> widgets.FloatSlider:
    return _tag(widgets.FloatSlider(value=0, min=0, max=TIME_LIMIT, step=STEP, description=label,
                                    continuous_update=False, readout_format=".1f", style=SHORT,
                                    layout=widgets.Layout(width="300px")), name)


def _ops_html(ops: list[Op]) -> str:
    return "<ol>" + "".join(f"<li>{html.escape(describe(op))}</li>" for op in ops) + "</ol>"


class HistoryEditor:
    """A history, its timeline and both checkers' verdicts, with controls to edit it.

    ``start`` is a :class:`History` of register reads and writes or a preset
    name (``HistoryEditor.presets``).
    """

    presets = tuple(PRESETS)

    def __init__(self, start: History | str = "stale read", *, width: int = 760) -> None:
        self.model = HistoryEdits(start)
        self.width = width
        self.notice = ""  # the last refused edit, kindly worded
        self.selected: int | None = None
        self._quiet = False
        self.w = self._build()
        self.widget: widgets.VBox = self.w["editor"]
        self._wire()
        self._focus_preset()
        self.refresh()

    # ------------------------------------------------------------ layout
    def _build(self) -> dict[str, Any]:
        w: dict[str, Any] = {}
        w["preset"] = _tag(widgets.Dropdown(options=[(name, name) for name in PRESETS],
                                            value=self.model.preset, description="preset",
                                            style=SHORT, layout=widgets.Layout(width="340px")),
                           "preset")
        w["restart"] = _button("restart", "↺ restart", "back to the history as loaded")
        w["undo"] = _button("undo", "⟲ undo", "take back the last edit")
        w["op"] = _tag(widgets.Dropdown(options=[], description="operation", style=SHORT,
                                        layout=widgets.Layout(width="340px")), "op")
        w["status"] = _tag(widgets.ToggleButtons(options=STATUSES, style={"button_width": "48px"},
                                                 tooltips=["it happened", "unknown outcome",
                                                           "it did not happen"]), "status")
        w["value"] = _tag(widgets.Text(description="value", continuous_update=False, style=SHORT,
                                       layout=widgets.Layout(width="150px")), "value")
        w["delete"] = _button("delete", "✕ delete", "remove this operation")
        w["call"] = _slider("call", "call")
        w["ret"] = _slider("ret", "return")
        w["earlier"] = _button("earlier", f"◀ earlier {STEP:g}", "move the whole operation earlier")
        w["later"] = _button("later", f"later {STEP:g} ▶", "move the whole operation later")
        w["new-process"] = _tag(widgets.Text(value="c9", description="add: client", style=SHORT,
                                             layout=widgets.Layout(width="150px")), "new-process")
        w["new-f"] = _tag(widgets.Dropdown(options=FUNCTIONS, value="read",
                                           layout=widgets.Layout(width="80px")), "new-f")
        w["new-value"] = _tag(widgets.Text(value="nil", description="value", style=SHORT,
                                           layout=widgets.Layout(width="120px")), "new-value")
        w["new-call"] = _tag(widgets.BoundedFloatText(value=0, min=0, max=TIME_LIMIT, step=STEP,
                                                      description="call", style=SHORT,
                                                      layout=widgets.Layout(width="110px")),
                             "new-call")
        w["new-ret"] = _tag(widgets.BoundedFloatText(value=1, min=0, max=TIME_LIMIT, step=STEP,
                                                     description="return", style=SHORT,
                                                     layout=widgets.Layout(width="120px")),
                            "new-ret")
        w["add"] = _button("add", "+ add", "add this operation to the history")
        for name in ("hint", "notice", "timeline", "verdict", "toy"):
            w[name] = _tag(widgets.HTML(value=""), name)
        w["timeline"].layout = widgets.Layout(width="100%")
        for name in ("verdict", "toy"):
            w[name].layout = widgets.Layout(width="50%")
        rows = [_row([w["preset"], w["restart"], w["undo"]]), w["hint"],
                _row([w["op"], w["status"], w["value"], w["delete"]]),
                _row([w["call"], w["ret"], w["earlier"], w["later"]]),
                _row([w["new-process"], w["new-f"], w["new-value"], w["new-call"], w["new-ret"],
                      w["add"]]),
                w["notice"], w["timeline"], widgets.HBox([w["verdict"], w["toy"]])]
        w["editor"] = widgets.VBox([widgets.HTML(CSS), *rows])
        w["editor"].add_class("cl-hed")
        return w

    def _wire(self) -> None:
        w = self.w
        on = self._guarded
        w["preset"].observe(on(lambda v: self.load(v) if v else None), names="value")
        w["op"].observe(on(self.select), names="value")
        w["call"].observe(on(lambda v: self.move(self.selected, call=v)), names="value")
        w["ret"].observe(on(lambda v: self.move(self.selected, ret=v)), names="value")
        w["status"].observe(on(lambda v: self.set_status(self.selected, v)), names="value")
        w["value"].observe(on(lambda v: self.set_value(self.selected, v)), names="value")
        w["restart"].on_click(self._click(self.restart))
        w["undo"].on_click(self._click(self.undo))
        w["delete"].on_click(self._click(lambda: self.delete(self.selected)))
        w["earlier"].on_click(self._click(lambda: self.shift(self.selected, -STEP)))
        w["later"].on_click(self._click(lambda: self.shift(self.selected, STEP)))
        w["add"].on_click(self._click(lambda: self.add(
            w["new-process"].value, w["new-f"].value, w["new-value"].value, w["new-call"].value,
            w["new-ret"].value)))

    def _guarded(self, fn: Callable[[Any], object]) -> Callable[[dict[str, Any]], None]:
        """An observer that ignores the editor's own updates and shows refused edits."""
        def observer(change: dict[str, Any]) -> None:
            if not self._quiet:
                self._safely(fn, change["new"])
        return observer

    def _click(self, fn: Callable[[], object]) -> Callable[[Any], None]:
        return lambda _button: self._safely(fn)

    def _safely(self, fn: Callable[..., object], *args: Any) -> None:
        try:
            fn(*args)
        except EditError as exc:
            self.notice = str(exc)
            self.refresh()

    # ------------------------------------------------------------ edits (API)
    def _edit(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        self.notice = ""
        try:
            return fn(*args, **kwargs)
        finally:
            self.refresh()

    def select(self, op_id: int | None) -> None:
        """Select the operation the controls edit."""
        if op_id is not None:
            self.model.op(op_id)
        self.selected = op_id
        self.refresh()

    def move(self, op_id: int | None, *, call: float | None = None,
             ret: float | None = None) -> Op:
        """Set the call and/or return time of an operation."""
        return self._edit(self.model.move, self._id(op_id), call=call, ret=ret)

    def shift(self, op_id: int | None, by: float) -> Op:
        """Move a whole operation by ``by`` time units (negative: earlier)."""
        return self._edit(self.model.shift, self._id(op_id), by)

    def set_value(self, op_id: int | None, value: Any) -> Op:
        """What a write writes or a read returned (text is parsed: ``nil``, ``3``, ``x``)."""
        return self._edit(self.model.set_value, self._id(op_id), value)

    def set_status(self, op_id: int | None, status: str) -> Op:
        """ok, info or fail."""
        return self._edit(self.model.set_status, self._id(op_id), status)

    def add(self, process: str, f: str, value: Any = None, call: float = 0,
            ret: float = 1, status: str = "ok") -> Op:
        """Add an operation and select it."""
        op = self._edit(self.model.add, process, f, value, call, ret, status)
        self.select(op.id)
        return op

    def delete(self, op_id: int | None) -> Op:
        """Remove an operation."""
        op = self._edit(self.model.delete, self._id(op_id))
        self.selected = None
        self.refresh()
        return op

    def undo(self) -> bool:
        """Take back the last edit."""
        if not self.model.can_undo:
            raise EditError("nothing to undo yet")
        return self._edit(self.model.undo)

    def load(self, start: History | str) -> None:
        """Start over from a preset name or a history (undo brings the old one back)."""
        self._edit(self.model.load, start)
        self._focus_preset()
        self.refresh()

    def restart(self) -> None:
        """Back to the history as it was loaded, before any edit (undoable)."""
        self._edit(self.model.restart)

    def _id(self, op_id: int | None) -> int:
        if op_id is None:
            raise EditError("select an operation first (the 'operation' list)")
        return op_id

    def _focus_preset(self) -> None:
        preset = PRESETS.get(self.model.preset or "")
        ops = self.model.ops
        if preset is not None:
            self.selected = preset.focus
        elif ops:
            self.selected = ops[-1].id

    # ------------------------------------------------------------ drawing
    def refresh(self) -> None:
        """Copy the model into the controls and redraw the timeline and the verdicts."""
        self._quiet = True
        try:
            self._sync_controls()
        finally:
            self._quiet = False
        model = self.model
        preset = PRESETS.get(model.preset or "")
        hint, notice = html.escape(preset.hint if preset else "", quote=False), \
            html.escape(self.notice, quote=False)
        self.w["hint"].value = f"<i>{hint}</i>" if hint else ""
        self.w["notice"].value = (f'<div style="color:#b71c1c">Edit refused: {notice}</div>'
                                  if notice else "")
        self.w["timeline"].value = history_timeline(model.history, model.result, width=self.width,
                                                    caption=False)._repr_html_()
        self.w["verdict"].value = verdict_html(model)
        self.w["toy"].value = toy_html(model)

    def _sync_controls(self) -> None:
        w, model = self.w, self.model
        ids = [op.id for op in model.ops]
        if self.selected not in ids:
            self.selected = ids[-1] if ids else None
        w["op"].options = [(describe(op), op.id) for op in model.ops]
        w["op"].value = self.selected
        w["preset"].value = model.preset
        w["undo"].disabled = not model.can_undo
        op = None if self.selected is None else model.op(self.selected)
        for name in ("status", "value", "delete", "call", "ret", "earlier", "later"):
            w[name].disabled = op is None
        if op is None:
            return
        w["status"].value = op.status
        w["value"].value = "nil" if _shown(op) is None else str(_shown(op))
        w["value"].description = "read →" if op.f == "read" else "writes"
        w["call"].value = op.call
        if op.ret != math.inf:
            w["ret"].value = op.ret
        w["ret"].disabled = op.status == "info"

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)

    def __repr__(self) -> str:
        return (f"<HistoryEditor {len(self.model.history)} ops: {self.model.result.verdict}, "
                f"toy says {'yes' if self.model.naive else 'no'}>")


def _shown(op: Op) -> Any:
    return op.output if op.f == "read" else op.value


def verdict_html(model: HistoryEdits) -> str:
    """The real checker's verdict: ok with the witness order, or illegal with the culprit."""
    result = model.result
    if result.verdict == "ok":
        head = "✔ ok — linearizable (線性一致)"
        body = ("<div>Witness: one order that respects real time (numbered in the timeline):"
                f"</div>{_ops_html(result.witness)}")
    elif result.verdict == "illegal":
        head = "✘ illegal — not linearizable"
        culprit = {op.id for op in result.culprit}
        body = ("<div>Culprit (outlined in red): no order of these operations works:</div>"
                + _ops_html([op for op in model.ops if op.id in culprit]))
    else:
        head, body = "? unknown", ""
    sc = model.sequential
    seq = ("yes: one order keeps each client's own order" if sc.verdict == "ok" else "no")
    return (f'<div class="cl-hed-panel cl-hed-{result.verdict}"><b>Linearizability checker: '
            f"{head}</b><div>{html.escape(result.explanation)}</div>{body}"
            f"<div>Sequentially consistent (順序一致): {seq}</div></div>")


def toy_html(model: HistoryEdits) -> str:
    """The toy checker's yes/no, the order it replays, and a flag when it is wrong."""
    answer = "yes (linearizable)" if model.naive else "no (not linearizable)"
    order = " → ".join(html.escape(f"{op.process} {op_label(op)} (t={op.ret:g})")
                       for op in model.toy_order) or "(nothing)"
    flag = ""
    if model.disagree:
        why = ("a false alarm: it replays only the order in which operations returned, but "
               "overlapping operations may take effect in either order"
               if model.linearizable else
               "it accepts a history the real checker rejects")
        flag = f'<div class="cl-hed-disagree">⚠ the toy checker is wrong here: {why}.</div>'
    return (f'<div class="cl-hed-panel"><b>Toy checker (naive_check): {answer}</b>'
            f"<div>It sorts the completed operations by return time and replays them: "
            f"{order}</div>{flag}</div>")
