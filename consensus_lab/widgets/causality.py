"""HappensBeforeExplorer: pick two events of a causal-broadcast run, see how they relate and why.

Theory of operation: the explorer lists the run's application events
(:func:`consensus_lab.clocks.causal_events`: every broadcast and every
delivery, with its vector clock) in two dropdowns. Whenever either changes,
it recomputes :func:`~consensus_lab.clocks.relation` and draws the two
clocks side by side, entry by entry, marking where ``a`` is smaller (<),
equal (=) or larger (>): all ``<=`` with one ``<`` means happens-before,
a ``<`` and a ``>`` means concurrent. No browser is needed to test it:
setting ``explorer.a.value`` runs the same code as a click.

CSS classes: ``cl-hb`` (the whole widget), ``cl-hb-a`` and ``cl-hb-b`` (the
dropdowns), ``cl-hb-answer`` (the HTML answer; inside it ``cl-hb-verdict``).
"""

from __future__ import annotations

import html
from typing import Any

import ipywidgets as widgets

from ..clocks import CausalEvent, causal_events, compare_entries, explain_relation, relation
from ..clocks.broadcast import format_stamp

MEANING = {"a → b": "a happened before b", "b → a": "b happened before a",
           "a ‖ b": "concurrent: neither happened before the other",
           "same event": "the same event"}
MARK_COLOR = {"<": "#1565c0", ">": "#c62828", "=": "#616161"}
CSS = ("<style>.cl-hb-answer table{border-collapse:collapse;font-size:13px;margin:4px 0}"
       ".cl-hb-answer th,.cl-hb-answer td{border:1px solid #ddd;padding:2px 8px;"
       "text-align:center}.cl-hb-verdict{font-size:16px;margin:4px 0}</style>")


class HappensBeforeExplorer:
    """Two dropdowns over a run's events and an answer: ``a → b``, ``b → a``, ``a ‖ b``.

    ``a`` and ``b`` are event ids (``"Alice.1"``) selected at the start
    (default: the first two events).
    """

    def __init__(self, sim: Any, a: str | None = None, b: str | None = None) -> None:
        self.events: list[CausalEvent] = causal_events(sim)
        if not self.events:
            raise ValueError("the run has no application events yet: broadcast something first")
        self.by_id = {e.id: e for e in self.events}
        options = [(f"{e.id}  {e.what}", e.id) for e in self.events]
        ids = [e.id for e in self.events]
        self.a = self._dropdown("event a", options, a or ids[0], "cl-hb-a")
        self.b = self._dropdown("event b", options, b or ids[min(1, len(ids) - 1)], "cl-hb-b")
        self.answer = widgets.HTML()
        self.answer.add_class("cl-hb-answer")
        self.widget = widgets.VBox([widgets.HBox([self.a, self.b],
                                                 layout=widgets.Layout(flex_flow="row wrap")),
                                    self.answer])
        self.widget.add_class("cl-hb")
        for dropdown in (self.a, self.b):
            dropdown.observe(lambda _change: self.refresh(), names="value")
        self.refresh()

    def _dropdown(self, label: str, options: list[tuple[str, str]], value: str,
                  css: str) -> widgets.Dropdown:
        if value not in self.by_id:
            raise ValueError(f"no event {value!r}; events: {', '.join(self.by_id)}")
        dropdown = widgets.Dropdown(options=options, value=value, description=label,
                                    style={"description_width": "initial"},
                                    layout=widgets.Layout(width="380px"))
        dropdown.add_class(css)
        return dropdown

    @property
    def relation(self) -> str:
        """The relation between the selected events: ``"a → b"``, ``"b → a"``, ``"a ‖ b"``..."""
        return relation(self.by_id[self.a.value], self.by_id[self.b.value])

    def select(self, a: str, b: str) -> str:
        """Select events ``a`` and ``b`` (ids) and return their relation."""
        self.a.value, self.b.value = a, b
        return self.relation

    def refresh(self) -> None:
        """Redraw the answer for the selected pair."""
        self.answer.value = CSS + answer_html(self.by_id[self.a.value], self.by_id[self.b.value])

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)

    def __repr__(self) -> str:
        return f"<HappensBeforeExplorer a={self.a.value} b={self.b.value}: {self.relation}>"


def answer_html(a: CausalEvent, b: CausalEvent) -> str:
    """The verdict, the two clocks compared entry by entry, and the one-line reason."""
    verdict = relation(a, b)
    shown = {"a → b": f"{a.id} → {b.id}", "b → a": f"{b.id} → {a.id}",
             "a ‖ b": f"{a.id} ‖ {b.id}"}.get(verdict, f"{a.id} = {b.id}")
    head = (f'<div class="cl-hb-verdict"><b>{html.escape(shown)}</b> &nbsp;'
            f"({html.escape(MEANING[verdict])})</div>")
    rows = "".join(
        f"<tr><td>{html.escape(node)}</td><td>{x}</td>"
        f'<td style="color:{MARK_COLOR[mark]};font-weight:bold">{html.escape(mark)}</td>'
        f"<td>{y}</td></tr>"
        for node, x, y, mark in compare_entries(a, b))
    table = (f"<table><tr><th>entry</th><th>a = {html.escape(a.id)}</th><th></th>"
             f"<th>b = {html.escape(b.id)}</th></tr>{rows}</table>")
    events = "".join(f"<div><b>{name}</b> = {html.escape(str(e.id))}: {html.escape(e.what)} "
                     f"at {html.escape(e.node)}, t={e.time}, clock "
                     f"<code>{html.escape(format_stamp(e.vc))}</code></div>"
                     for name, e in (("a", a), ("b", b)))
    why = f'<div class="cl-hb-why">{html.escape(explain_relation(a, b))}</div>'
    return head + events + table + why
