"""Own indicators are first-class: the map (value and change), profile, comparison, table and
download show them with their source, in either language; the page's choices are checked on
the server whatever the browser sends."""

from __future__ import annotations

import base64
import shutil

import pytest

from dashboard import own_page, routes, tables
from dashboard.i18n import t
from dashboard.own_page import Refused, decode_upload, spec_from_choices
from dashboard.panels import compare_panel, profile_panel
from dashboard.views import map_view, resolve_state
from data_pipeline.own import ColumnSpec, LayerSpec, OwnStore, overlay, own_root, propose
from data_pipeline.own_files import read_upload
from data_pipeline.warehouse import Scope, Warehouse

ALL = Scope.everything()
ORG = "RIEC Testregio"
ROWS = {"BU00010100": 20, "BU00010101": 50, "BU00010200": 17, "BU00010201": 9, "BU00020101": 30, "BU00030100": 12}


def csv_bytes() -> bytes:
    lines = ["code;jaar;meldingen"] + [f"{code};{year};{n + year - 2023}" for year in (2023, 2024)
                                      for code, n in ROWS.items()]
    return ("\n".join(lines) + "\n").encode()


@pytest.fixture
def own(tiny_warehouse_path, tmp_path):
    """A tiny warehouse with one own layer of two years: meldingen per 1,000 inwoners."""
    path = tmp_path / "tiny.duckdb"
    shutil.copyfile(tiny_warehouse_path, path)
    with Warehouse(path) as wh:
        spec = LayerSpec(name="Meldingen", area_column="code", year_column="jaar",
                         columns=(ColumnSpec("meldingen", "rate", "Meldingen ondermijning", denominator="inwoners",
                                             per=1000, min_count=0),))
        layer = OwnStore(own_root(path), ORG).add(read_upload("meldingen.csv", csv_bytes()), spec, wh,
                                                  uploader="ana")
        yield wh, overlay(wh, own_root(path), ORG), layer.indicators[0]


def state_of(indicator: str, **kw) -> routes.MapState:
    return routes.MapState(level="gemeente", parent="NL01", indicator=indicator, year=2024, **kw)


def test_the_map_names_the_own_source_in_the_language_of_the_page(own):
    wh, seen, ind = own
    view = map_view(seen, state_of(ind), ALL)
    assert "Meldingen ondermijning" in view.heading
    assert f"Eigen gegevens — {ORG}, meldingen.csv" in view.source
    english = map_view(seen, state_of(ind, lang="en"), ALL)
    assert f"Own data — {ORG}, meldingen.csv" in english.source and "Eigen gegevens" not in english.source
    assert "per 1,000 inhabitants" in english.legend_title


def test_change_profile_comparison_and_download_take_an_own_indicator(own):
    wh, seen, ind = own
    change = map_view(seen, state_of(ind, mode="verandering", since=2023), ALL)
    assert "2023" in change.heading
    assert (change.areas["status"] == "ok").any()
    profile = str(profile_panel(seen, state_of(ind, area="GM0001"), ALL))
    assert "Meldingen ondermijning" in profile
    compared = str(compare_panel(seen, state_of(ind, compare=("GM0001", "GM0002")), ALL))
    assert "Meldingen ondermijning" in compared
    body, media_type, name = tables.download(seen, state_of(ind), "csv", ALL)
    text = body.decode("utf-8-sig")
    assert "Meldingen ondermijning" in text and "Eigen gegevens" in text and ind in name


def test_without_the_layer_the_indicator_does_not_exist(own):
    wh, seen, ind = own
    assert resolve_state(wh, state_of(ind)).indicator != ind
    with pytest.raises(KeyError):
        wh.catalog.get(ind)
    assert ind not in str(map_view(wh, resolve_state(wh, state_of(ind)), ALL).heading)


def test_the_page_takes_only_choices_it_offered(own, tmp_path):
    wh, _, _ = own
    table = read_upload("meldingen.csv", csv_bytes())
    proposed = propose(table, wh)
    themes = {**wh.catalog.themes, "eigen": {"nl": "Eigen gegevens", "en": "Own data"}}
    index = table.columns.index("meldingen")
    forged = {("use", index): "rate", ("denominator", index): "geheime_variabele", ("per", index): 7,
              ("theme", index): "niet_bestaand", ("direction", index): "sideways", ("label", index): "  x " * 50,
              ("min_denominator", index): float("nan"), ("in_composite", index): ["ja"]}
    spec = spec_from_choices(table, proposed, {"area_column": "no such column", "year_column": "jaar",
                                               "name": 42}, forged, ["inwoners"], themes)
    (column,) = spec.columns
    assert spec.area_column == proposed.area_column and spec.name == proposed.name
    assert (column.denominator, column.per, column.theme, column.direction) == ("inwoners", 1000, "eigen",
                                                                                "higher_is_worse")
    assert len(column.label) <= own_page.MAX_NAME
    assert column.min_count == proposed.columns[0].min_count   # no number sent: the proposal's rule
    with pytest.raises(Refused) as refused:
        spec_from_choices(table, proposed, {"year_column": "jaar"}, {("use", index): "count",
                                                                      ("in_composite", index): ["ja"]},
                          ["inwoners"], themes)
    assert "meldingen" in refused.value.message("nl")
    ready = spec_from_choices(table, proposed, {"year_column": "jaar"},
                              {("use", index): "value", ("weight_column", index): "meldingen"}, ["inwoners"], themes)
    assert ready.columns[0].weight_column is None   # a column cannot weigh itself
    with pytest.raises(Refused, match="no_columns"):
        spec_from_choices(table, proposed, {"year_column": "jaar"}, {("use", index): "skip"}, ["inwoners"], themes)


def test_an_upload_is_a_bounded_data_url(monkeypatch):
    data = b"code;jaar;meldingen\nGM0001;2024;3\n"
    url = "data:text/csv;base64," + base64.b64encode(data).decode()
    assert decode_upload(url, "m.csv") == ("m.csv", data)
    assert decode_upload(url, "x" * 1000)[0] == "upload"   # an unreasonable name is not used
    for bad in (None, 42, "no comma here", "data:text/csv;base64,@@@"):
        with pytest.raises(Refused, match="no_file"):
            decode_upload(bad, "m.csv")
    monkeypatch.setattr(own_page, "MAX_CONTENTS", 20)
    with pytest.raises(Refused) as refused:
        decode_upload(url, "m.csv")
    assert refused.value.message("en") == t("own.refused.too_large", "en", file="m.csv", limit="52")


def test_the_report_of_a_gemeente_has_a_section_of_the_viewers_own_data(own):
    from dashboard.export.report import report_data

    wh, seen, ind = own
    titles = [section.title for section in report_data(seen, "GM0001", scope=ALL).sections]
    assert t("report.own", "nl") in titles
    assert t("report.own", "nl") not in [section.title for section in report_data(wh, "GM0001", scope=ALL).sections]
