"""Key figures of Wijk- en Buurtkaart layers as our variables: schema years, sentinels, year."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from data_pipeline.kwb import (KWB_FIGURES, KWB_TABLES, KWB_VARIABLES, KwbYearUnknown, kwb_figures,
                               normalised_name, published_names)
from geodata.boundaries import BoundaryLayer, read_boundary_file
from tests.realdata import real_data_dir

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "kwb"
KWB_2019 = [FIXTURES / "buurten_2019_kwb_mini.geojson", FIXTURES / "buurten_2019_kwb_mini.topojson"]
KWB_2024 = [FIXTURES / "buurten_2024_kwb_mini.geojson", FIXTURES / "buurten_2024_kwb_mini.topojson"]
ALL = KWB_2019 + KWB_2024

#: Variables both schemas give with at least one figure.
EXPECTED = {
    "inwoners", "huishoudens", "woningen", "vestigingen", "vestigingen_handel_horeca", "land_km2",
    "huishoudens_met_kinderen", "jongeren_15_25", "inwoners_15_64", "woningen_onbewoond",
    "woningen_particuliere_huur",
}
WATER = "BU00149999"


def figures_of(path: Path):
    [layer] = read_boundary_file(path)
    return kwb_figures(layer)


def table(figures) -> pd.DataFrame:
    """code x variable."""
    return figures.observations.pivot(index="code", columns="variable", values="value")


def ids(paths):
    return [p.name for p in paths]


# -- every fixture -------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ALL, ids=ids(ALL))
def test_fixture_gives_buurt_variables_without_sentinels(path):
    figures = figures_of(path)
    assert figures.level == "buurt"
    assert list(figures.observations.columns) == ["code", "year", "variable", "value"]
    assert figures.observations["value"].dtype == np.float64
    assert EXPECTED <= set(figures.variables())
    assert not (figures.observations["value"] <= -99995).any()
    assert len(table(figures)) == 6 and table(figures).index.str.startswith("BU").all()


@pytest.mark.parametrize("path", ALL, ids=ids(ALL))
def test_sentinel_becomes_nan_and_a_real_zero_stays_zero(path):
    values = table(figures_of(path))
    water = values.loc[WATER]
    assert water["inwoners"] == 0 and water["huishoudens"] == 0 and water["land_km2"] == 0
    for variable in ("jongeren_15_25", "inwoners_15_64", "huishoudens_met_kinderen", "woningen_onbewoond",
                     "woningen_particuliere_huur"):
        assert np.isnan(water[variable]), variable                  # a sentinel, not 0
    small = values.loc[values["inwoners"].between(1, 49)].iloc[0]    # percentages secret
    assert small["inwoners"] > 0 and np.isnan(small["jongeren_15_25"])
    assert np.isnan(small["vestigingen_handel_horeca"]) and small["vestigingen"] == 5


@pytest.mark.parametrize("path", ALL, ids=ids(ALL))
def test_year_and_table_come_from_the_content(path, tmp_path):
    year = 2019 if "2019" in path.name else 2024
    figures = figures_of(path)
    assert (figures.year, figures.table_id) == (year, KWB_TABLES[year])
    assert set(figures.observations["year"]) == {year}
    other = 2024 if year == 2019 else 2019
    copy = tmp_path / f"buurten_{other}_kwb{path.suffix}"            # a name stating another year
    shutil.copy(path, copy)
    assert figures_of(copy).year == year


def test_2019_and_2024_schemas_give_the_same_variables():
    made = {}
    for path in ALL:
        observations = figures_of(path).observations
        known = observations.dropna(subset=["value"])
        made[path.name] = set(known["variable"])
    assert all(variables == EXPECTED for variables in made.values()), made


def test_2024_figures_published_later_are_variables_without_values():
    figures = figures_of(KWB_2024[0])
    values = table(figures)
    for variable in ("huishoudens_laag_inkomen", "inwoners_bijstand"):   # -99995 in every buurt
        assert values[variable].isna().all()
    assert figures.used["percentage_huishoudens_met_laag_inkomen"] == ("huishoudens_laag_inkomen",)
    assert "percentage_huishoudens_met_laagste_inkomen" in figures.unused   # the lowest 40%: not ours


# -- conversions ---------------------------------------------------------------------------------

def test_2019_percentages_become_counts_of_their_base():
    values = table(figures_of(KWB_2019[0])).loc["BU00140000"]
    assert values["inwoners"] == 5250 and values["huishoudens"] == 3860 and values["woningen"] == 3420
    assert values["jongeren_15_25"] == 1995                  # round(38 / 100 * 5250)
    assert values["inwoners_15_64"] == 4515                  # round((38 + 35 + 13) / 100 * 5250)
    assert values["huishoudens_met_kinderen"] == 463         # round(12 / 100 * 3860) = round(463.2)
    assert values["woningen_onbewoond"] == 205               # round(6 / 100 * 3420) = round(205.2)
    assert values["woningen_particuliere_huur"] == 1642      # round(48 / 100 * 3420) = round(1641.6)
    assert values["land_km2"] == pytest.approx(3.96)         # 396 ha
    assert values["vestigingen"] == 845 and values["vestigingen_handel_horeca"] == 310


def test_2024_percentages_become_counts_of_their_base():
    values = table(figures_of(KWB_2024[1])).loc["BU0363AA02"]
    assert values["inwoners"] == 2535
    assert values["jongeren_15_25"] == 304                   # round(12 / 100 * 2535) = round(304.2)
    assert values["inwoners_15_64"] == 2028                  # round(80 / 100 * 2535)
    assert values["huishoudens_met_kinderen"] == 241         # round(15 / 100 * 1605) = round(240.75)
    assert values["woningen_onbewoond"] == 82                # round(5 / 100 * 1640)
    assert values["woningen_particuliere_huur"] == 623       # round(38 / 100 * 1640) = round(623.2)
    assert values["land_km2"] == pytest.approx(0.35)


def test_geojson_and_topojson_of_one_year_agree():
    for geojson, topojson in ((KWB_2019[0], KWB_2019[1]), (KWB_2024[0], KWB_2024[1])):
        pd.testing.assert_frame_equal(table(figures_of(geojson)), table(figures_of(topojson)))


def test_used_and_unused_account_for_every_numeric_attribute():
    figures = figures_of(KWB_2019[0])
    [layer] = read_boundary_file(KWB_2019[0])
    numeric = set(layer.attributes.columns) - {"code"}
    assert set(figures.used) | set(figures.unused) == numeric
    assert not set(figures.used) & set(figures.unused)
    assert figures.used["P_15_24_JR"] == ("jongeren_15_25", "inwoners_15_64")
    assert figures.used["P_HUUROVVH"] == ("woningen_particuliere_huur",)
    assert {"WOZ", "P_KOOPWON", "OPP_WATER"} <= set(figures.unused)


# -- layers the figures cannot be made from -------------------------------------------------------

def layer_of(attributes: dict, year: int | None = 2024, level: str = "gemeente") -> BoundaryLayer:
    frame = pd.DataFrame({"code": ["GM0014", "GM0363"], **attributes})
    return BoundaryLayer(level=level, year=year, frame=None, attributes=frame, origin="test.geojson")


def test_unknown_year_gives_no_figures_and_says_why():
    with pytest.raises(KwbYearUnknown, match=r"test\.geojson.*no year"):
        kwb_figures(layer_of({"aantal_inwoners": [10.0, 20.0]}, year=None))


def test_percentage_without_its_base_is_reported_not_made():
    figures = kwb_figures(layer_of({"percentage_personen_15_tot_25_jaar": [10.0, 20.0],
                                    "aantalHuishoudens": [100.0, np.nan]}))
    assert figures.variables() == ["huishoudens"]
    assert "percentage_personen_15_tot_25_jaar" in figures.unused
    assert any("jongeren_15_25" in note and "inwoners" in note for note in figures.notes)
    assert np.isnan(table(figures).at["GM0363", "huishoudens"])


def test_names_compare_without_case_or_separators_and_sentinels_never_survive():
    figures = kwb_figures(layer_of({"Aantal_Inwoners": [1000.0, -99999999.0],
                                    "OPPERVLAKTE-LAND-IN-HA": [250.0, -99997.0]}, level="wijk"))
    values = table(figures)
    assert values.at["GM0014", "inwoners"] == 1000 and np.isnan(values.at["GM0363", "inwoners"])
    assert values.at["GM0014", "land_km2"] == 2.5 and np.isnan(values.at["GM0363", "land_km2"])


def test_ambiguous_low_income_name_counts_only_beside_its_sibling():
    alone = kwb_figures(layer_of({"aantal_huishoudens": [100.0, 200.0],
                                  "percentage_huishoudens_met_laag_inkomen": [10.0, 20.0]}))
    assert "huishoudens_laag_inkomen" not in alone.variables()
    assert "percentage_huishoudens_met_laag_inkomen" in alone.unused


def test_year_outside_the_schema_years_is_noted():
    figures = kwb_figures(layer_of({"AANT_INW": [10.0, 20.0]}, year=2015))
    assert figures.table_id is None and figures.variables() == ["inwoners"]
    assert any("2015" in note for note in figures.notes)


# -- the schema itself -----------------------------------------------------------------------------

def test_every_schema_year_has_names_for_the_core_variables():
    for year in range(2019, 2026):
        for variable in ("inwoners", "huishoudens", "jongeren_15_25", "inwoners_15_64", "woningen",
                         "woningen_onbewoond", "woningen_particuliere_huur", "vestigingen",
                         "vestigingen_handel_horeca", "land_km2", "huishoudens_met_kinderen"):
            assert published_names(variable, year), (variable, year)
    assert "AANT_INW" in published_names("inwoners", 2019)
    assert "aantal_inwoners" in published_names("inwoners", 2024)


def test_schema_names_each_mean_one_figure_and_variables_are_ours():
    keys = {}
    for figure in KWB_FIGURES.values():
        for published in figure.names:
            assert keys.setdefault(normalised_name(published.name), figure.id) == figure.id
    from data_pipeline.cbs_source import KERNCIJFERS_VARIABLES
    assert set(KWB_VARIABLES) <= set(KERNCIJFERS_VARIABLES)
    assert set(KWB_TABLES) == set(range(2019, 2026))


# -- real files ------------------------------------------------------------------------------------

@pytest.mark.realdata
def test_real_2024_wijk_file_gives_inwoners_of_2024():
    path = real_data_dir() / "boundaries_wijk_buurt/wijk_2024_cbs_pdok_kwb_simplified_wgs84.geojson"
    figures = figures_of(path)
    assert (figures.level, figures.year, figures.table_id) == ("wijk", 2024, "85984NED")
    inwoners = table(figures)["inwoners"]
    assert inwoners.sum() == 17_942_715                             # the README's check
    assert inwoners[inwoners.index.str.endswith("99")].isna().sum() >= 81   # Groot water: no figures
    assert {"jongeren_15_25", "inwoners_15_64", "huishoudens"} <= set(figures.variables())
    assert not (figures.observations["value"] <= -99995).any()


@pytest.mark.realdata
def test_real_2023_gemeente_kwb_gives_inwoners_of_2023():
    figures = figures_of(real_data_dir() / "indicators/gemeente_2023_kwb_pdok_wgs84.geojson")
    assert (figures.level, figures.year, figures.table_id) == ("gemeente", 2023, "85618NED")
    inwoners = table(figures)["inwoners"]
    assert inwoners.drop("GM0998").sum() == 17_811_291                # GM0998 Buitenland: NaN
    assert np.isnan(inwoners["GM0998"]) and inwoners.notna().sum() == 342
    assert figures.used["oppervlakteLandInHa"] == ("land_km2",)
    assert figures.used["percentagePersonen15Tot25Jaar"] == ("jongeren_15_25", "inwoners_15_64")


@pytest.mark.realdata
def test_real_file_without_figures_gives_none_and_a_renamed_file_keeps_its_year(tmp_path):
    source = real_data_dir() / "indicators/gemeente_2023_kwb_pdok_wgs84.geojson"
    copy = tmp_path / "gemeenten_2019.geojson"
    shutil.copy(source, copy)
    assert figures_of(copy).year == 2023
    bare = figures_of(real_data_dir() / "boundaries/gemeente_2023_cbs_generalised_wgs84.geojson")
    assert bare.observations.empty and bare.used == {} and bare.year == 2023


def test_fixtures_stay_small():
    for path in FIXTURES.iterdir():
        assert path.stat().st_size < 50_000, path.name
    assert json.loads(KWB_2019[0].read_text(encoding="utf-8"))["features"][0]["properties"]["JRSTATCODE"] \
        == "2019BU00140000"
