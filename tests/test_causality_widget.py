"""HappensBeforeExplorer without a browser: setting a dropdown redraws the answer."""

from __future__ import annotations

import pytest

from consensus_lab.clocks import everest
from consensus_lab.widgets import HappensBeforeExplorer


@pytest.fixture
def explorer() -> HappensBeforeExplorer:
    return HappensBeforeExplorer(everest(), "Alice.1", "Bob.2")


def test_initial_answer_question_happens_before_answer(explorer: HappensBeforeExplorer) -> None:
    """Alice's question and Bob's answer: a → b, with the deciding entry."""
    assert explorer.relation == "a → b"
    html = explorer.answer.value
    assert "Alice.1 → Bob.2" in html and "happened before" in html
    assert "Bob (0 &lt; 2)" in html


def test_changing_a_dropdown_recomputes(explorer: HappensBeforeExplorer) -> None:
    """Selecting the weather remark makes the pair concurrent; swapping reverses the arrow."""
    explorer.a.value = "Charlie.1"
    assert explorer.relation == "a ‖ b"
    assert "Charlie.1 ‖ Bob.2" in explorer.answer.value
    assert "concurrent" in explorer.answer.value
    assert explorer.select("Bob.2", "Alice.1") == "b → a"
    assert "Alice.1 → Bob.2" in explorer.answer.value
    assert explorer.select("Bob.2", "Bob.2") == "same event"


def test_answer_compares_every_entry(explorer: HappensBeforeExplorer) -> None:
    """One table row per node, with <, = or >."""
    html = explorer.answer.value
    for node in ("Alice", "Bob", "Charlie"):
        assert f"<td>{node}</td>" in html
    assert html.count("<tr>") == 4


def test_css_classes_and_options(explorer: HappensBeforeExplorer) -> None:
    """Stable classes for browser tests; one option per event, labelled with what happened."""
    assert "cl-hb" in explorer.widget._dom_classes
    assert "cl-hb-a" in explorer.a._dom_classes and "cl-hb-b" in explorer.b._dom_classes
    assert "cl-hb-answer" in explorer.answer._dom_classes
    assert len(explorer.a.options) == 9
    assert explorer.a.options[0] == ("Alice.1  broadcast 'How high is Everest?'", "Alice.1")
    assert "a ‖ b" not in repr(explorer) and "a → b" in repr(explorer)


def test_bad_ids_and_empty_runs_are_refused() -> None:
    """A wrong id lists the valid ones; a run with no events says what to do."""
    with pytest.raises(ValueError, match="no event 'Dave.1'"):
        HappensBeforeExplorer(everest(), "Dave.1")
    with pytest.raises(ValueError, match="broadcast something first"):
        HappensBeforeExplorer(everest(run=False))
