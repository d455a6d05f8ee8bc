"""Gemeente names to codes (geodata.names)."""

from __future__ import annotations

import pandas as pd

from geodata.names import match_gemeente_names

REFERENCE = pd.DataFrame({"code": ["GM0518", "GM0164", "GM0893", "GM0373", "GM0855", "GM1900"],
                          "name": ["'s-Gravenhage", "Hengelo", "Bergen (L.)", "Bergen (NH.)", "Tilburg",
                                   "Súdwest-Fryslân"]})


def matched(*labels):
    return match_gemeente_names(labels, REFERENCE).set_index("label")


def test_names_match_without_case_diacritics_or_the_gemeente_suffix():
    got = matched("'s-Gravenhage (gemeente)", "Hengelo (O.)", "SUDWEST-FRYSLAN", "Bergen (NH.)")
    assert got["code"].tolist() == ["GM0518", "GM0164", "GM1900", "GM0373"]
    assert (got["kind"] == "gemeente").all()


def test_an_ambiguous_or_unknown_name_is_never_guessed():
    got = matched("Bergen", "Tilborg", "Atlantis")
    assert got["kind"].eq("unmatched").all() and got["code"].isna().all()
    assert "GM0373" in got.at["Bergen", "reason"] and "GM0893" in got.at["Bergen", "reason"]
    assert "closest: Tilburg" in got.at["Tilborg", "reason"]


def test_rows_that_are_no_gemeente_are_recognised_as_what_they_are():
    got = matched("Nederland", "Zeeland - West-Brabant (RE)", "Limburg (RE)", "Gemeenten; niet in te delen",
                  "Niet in te delen (RE)", "Buitenland")
    assert got["kind"].tolist() == ["land", "regio", "regio", "unassigned", "unassigned", "abroad"]
    assert got["code"].tolist()[1:3] == ["RE08", "RE10"]


def test_a_gemeente_merged_away_is_reported_with_the_year_never_given_its_successors_code():
    got = matched("Weesp", "Haren (gemeente)", "Mill en Sint Hubert", "Tilburg")
    assert got["kind"].tolist() == ["former", "former", "former", "gemeente"]
    assert got["code"].iloc[:3].isna().all()
    assert got.at["Weesp", "reason"].startswith("former gemeente Weesp: merged into Amsterdam in 2022")
    assert "Land van Cuijk in 2022" in got.at["Mill en Sint Hubert", "reason"]
    # a name the reference still has is that gemeente, whatever the merger table says
    older = pd.concat([REFERENCE, pd.DataFrame({"code": ["GM0457"], "name": ["Weesp"]})])
    assert match_gemeente_names(["Weesp"], older).iloc[0]["code"] == "GM0457"
