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
