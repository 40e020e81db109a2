"""The notebook helper `show`: the real source, dedented, with its file:line."""

from __future__ import annotations

import functools

import pytest

from consensus_lab import nb
from consensus_lab.clocks import CausalBroadcastNode, VectorClock, can_deliver
from consensus_lab.clocks.broadcast import Broadcast


def test_where_gives_the_repository_path_and_first_line() -> None:
    """`where` points at the file and line an editor would open."""
    path, line = nb.where(VectorClock.update).rsplit(":", 1)
    assert path == "consensus_lab/clocks/vector.py"
    text = (nb.ROOT / path).read_text().splitlines()
    assert text[int(line) - 1].lstrip().startswith("def update(")


def test_source_of_a_method_is_dedented_and_exactly_the_code() -> None:
    """A method's source starts at column 0 and is the code the tests run."""
    code = nb.source(VectorClock.update)
    assert code.startswith("def update(self, other")
    assert "self.merge(other)" in code and "self.increment(node)" in code
    assert code.endswith("\n") and not code.endswith("\n\n")


def test_source_of_functions_classes_properties_and_partials() -> None:
    """Functions, classes, properties and partials all resolve to their definitions."""
    assert nb.source(can_deliver).startswith("def can_deliver(")
    assert nb.source(CausalBroadcastNode).startswith(
        "class CausalBroadcastNode(StepNode[CausalState]):")
    assert nb.source(Broadcast.seq).startswith("@property\ndef seq(self)")
    assert nb.source(functools.partial(can_deliver, "A")).startswith("def can_deliver(")


def test_source_markdown_is_a_python_block_headed_by_name_and_place() -> None:
    """One heading and one fenced block per object, in the order given."""
    text = nb.source_markdown(VectorClock.increment, can_deliver)
    assert text.count("```python\n") == 2
    assert text.index("VectorClock.increment") < text.index("can_deliver")
    assert "`consensus_lab/clocks/causal.py:" in text


def test_objects_without_source_are_refused_with_a_hint() -> None:
    """An instance or a builtin has no source: a TypeError says what show() needs."""
    with pytest.raises(TypeError, match="needs a function, class, method or module"):
        nb.source(VectorClock())
    with pytest.raises(TypeError, match="needs a function"):
        nb.source(len)
    with pytest.raises(TypeError, match="at least one"):
        nb.source_markdown()


def test_show_displays_markdown_and_plain_text(monkeypatch: pytest.MonkeyPatch) -> None:
    """show() publishes one bundle: highlighted Markdown plus a plain-text fallback."""
    import IPython.display

    shown = []
    monkeypatch.setattr(IPython.display, "display",
                        lambda obj, raw=False: shown.append((obj, raw)))
    assert nb.show(VectorClock.merge) is None
    (bundle, raw), = shown
    assert raw is True
    assert bundle["text/markdown"].startswith("**`VectorClock.merge`**")
    assert bundle["text/plain"].startswith("# consensus_lab/clocks/vector.py:")
