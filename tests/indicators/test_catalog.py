"""The catalog's plain-language explanations (for the gemeente page) and how the parser checks them."""

from __future__ import annotations

import re

import pytest

from indicators.catalog import CATALOG_PATH, Indicator, load_catalog, parse_catalog
from tests.factories import TINY_CATALOG

CATALOG = load_catalog()
IDS = [f"{i.dataset}:{i.id}" for i in CATALOG.indicators]

TINY = "misdrijven_per_1000_inwoners"   # the one rate of tests.factories.TINY_CATALOG


def without(line_start: str) -> str:
    """The tiny catalog's text less its lines that start with ``line_start``."""
    return "".join(line + "\n" for line in TINY_CATALOG.splitlines() if not line.startswith(line_start))


def sentences(text: str) -> int:
    # "10.000" and "1,000" have no space after the separator, so they do not end a sentence
    return len(re.findall(r"[.!?](?:\s|$)", text.strip()))


def test_the_shipped_catalog_has_both_datasets():
    assert {i.dataset for i in CATALOG.indicators} >= {"demo", "cbs"}
    assert len(CATALOG.indicators) >= 30


@pytest.mark.parametrize("ind", CATALOG.indicators, ids=IDS)
def test_every_indicator_explains_itself_in_dutch_and_english(ind: Indicator):
    nl, en = ind.explain_nl.strip(), ind.explain_en.strip()
    assert nl and en
    assert nl != en
    for text in (nl, en):
        assert text not in (ind.label_nl.strip(), ind.label_en.strip())
        assert 1 <= sentences(text) <= 3, text


CONTEXT = [i for i in CATALOG.indicators if i.direction == "neutral"]


@pytest.mark.parametrize("ind", CONTEXT, ids=[f"{i.dataset}:{i.id}" for i in CONTEXT])
def test_context_indicators_say_they_are_context_only(ind: Indicator):
    assert "context" in ind.explain_nl.lower() and "risicosignaal" in ind.explain_nl
    assert "context" in ind.explain_en.lower() and "risk signal" in ind.explain_en


def test_explanation_picks_the_language():
    ind = CATALOG.for_dataset("demo").get("misdrijven_per_1000_inwoners")
    assert ind.explanation("en") == ind.explain_en
    assert ind.explanation("nl") == ind.explain_nl
    assert ind.explanation("en") != ind.explanation("nl")


def test_explanations_reach_the_catalog_frame():
    frame = CATALOG.to_frame()
    assert {"explain_nl", "explain_en"} <= set(frame.columns)
    assert (frame["explain_nl"].str.len() > 0).all() and (frame["explain_en"].str.len() > 0).all()


def test_indicators_built_directly_need_no_explanation():
    ind = Indicator("a", "drugs", "A", "A", "", "", "n", "d", 1000.0, "higher_is_worse", 0.0, "doc", "", "")
    assert ind.explanation("nl") == "" and ind.explanation("en") == ""


def test_parser_reads_both_explanations():
    ind = parse_catalog(TINY_CATALOG).get(TINY)
    assert ind.explanation("nl") == "Het aantal misdrijven per 1.000 inwoners."
    assert ind.explanation("en") == "The number of crimes per 1,000 inhabitants."


@pytest.mark.parametrize("missing", ["explain_nl", "explain_en"])
def test_parser_rejects_an_indicator_without_an_explanation(missing):
    with pytest.raises(ValueError, match=rf"'{TINY}'.*{missing}"):
        parse_catalog(without(missing))


def test_parser_rejects_a_blank_explanation():
    text = TINY_CATALOG.replace('"Het aantal misdrijven per 1.000 inwoners."', '"  "')
    with pytest.raises(ValueError, match=rf"'{TINY}'.*explain_nl"):
        parse_catalog(text)


def test_the_shipped_catalog_is_loaded_strictly(tmp_path):
    text = CATALOG_PATH.read_text(encoding="utf-8")
    first = re.search(r'^explain_nl = ".*"\n', text, flags=re.M)
    stripped = tmp_path / "catalog.toml"
    stripped.write_text(text[:first.start()] + text[first.end():], encoding="utf-8")
    with pytest.raises(ValueError, match=rf"'{CATALOG.indicators[0].id}'.*explain_nl"):
        load_catalog(stripped)
