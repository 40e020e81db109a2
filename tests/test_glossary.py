"""The bilingual glossary that the notebooks show."""

import pytest

from consensus_lab.glossary import TERMS, TOPICS, glossary_table, terms


def test_every_causality_term_is_bilingual_and_points_at_a_notebook() -> None:
    rows = terms("causality")
    assert {t.english for t in rows} >= {"vector clock", "happens-before", "causal delivery"}
    assert all(t.zh_tw and t.meaning and t.notebook.startswith("03-") for t in rows)


def test_table_is_indexed_by_the_english_term() -> None:
    table = glossary_table()
    assert len(table) == len(TERMS) and table.loc["vector clock", "繁體中文"] == "向量時鐘"


def test_unknown_topic_names_the_topics() -> None:
    with pytest.raises(ValueError, match="unknown glossary topic 'clock'; topics: basics"):
        terms("clock")
    assert "causality" in TOPICS
