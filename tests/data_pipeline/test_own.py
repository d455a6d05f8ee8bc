"""Own data: the layer spec, values through the engine of open data, the store and the overlay."""

from __future__ import annotations

import hashlib
import shutil
import time
from datetime import timedelta

import duckdb
import numpy as np
import pytest

from data_pipeline import analysis, own
from data_pipeline.attack import find_exposures
from data_pipeline.build import build_warehouse
from data_pipeline.own import ColumnSpec, LayerSpec, OwnError, OwnStore, overlay, own_root
from data_pipeline.own_files import OwnInputError, read_upload
from data_pipeline.warehouse import Scope, Warehouse
from tests.factories import TINY_COUNTS, tiny_source

ALL = Scope.everything()
ORG = "RIEC Testregio"

# buurt -> meldingen; BU00010100 holds 2 (too small to show), BU00020100 is "." (missing).
MELDINGEN = {"BU00010100": "2", "BU00010101": "50", "BU00010200": "7", "BU00010201": "9",
             "BU00020100": ".", "BU00020101": "30", "BU00030100": "12"}


def csv_of(rows: dict[str, str], year: int = 2024, column: str = "meldingen") -> bytes:
    return ("code;jaar;" + column + "\n" + "".join(f"{c};{year};{v}\n" for c, v in rows.items())).encode()


def rate_spec(**column) -> LayerSpec:
    return LayerSpec(name="Meldingen", area_column="code", year_column="jaar",
                     columns=(ColumnSpec("meldingen", column.pop("kind", "rate"), "Meldingen ondermijning",
                                         **({"denominator": "inwoners"} | column)),))


@pytest.fixture
def wh(tiny_warehouse_path, tmp_path):
    """A copy of the tiny warehouse in its own folder (its own store beside it)."""
    path = tmp_path / "tiny.duckdb"
    shutil.copyfile(tiny_warehouse_path, path)
    with Warehouse(path) as warehouse:
        yield warehouse


def store_of(wh, organisation=ORG) -> OwnStore:
    return OwnStore(own_root(wh.path), organisation)


def digest(store: OwnStore) -> tuple:
    return tuple(hashlib.sha256(p.read_bytes()).hexdigest() if p.exists() else None
                 for p in (store.path, store.raw_path))


def added(wh, rows=MELDINGEN, spec=None, organisation=ORG, **kw):
    store = store_of(wh, organisation)
    layer = store.add(read_upload("meldingen.csv", csv_of(rows)), spec or rate_spec(), wh, uploader="ana", **kw)
    return store, layer


# -- the spec -----------------------------------------------------------------------------------


def test_spec_toml_round_trip_keeps_every_choice():
    spec = LayerSpec(name="Signalen \"vastgoed\"", area_column="Regio's", year=2024, shared_with_liec=True,
                     columns=(ColumnSpec("meldingen", "rate", "Meldingen", denominator="woningen", per=100,
                                         direction="higher_is_better", min_count=3, in_composite=True, weight=2),
                              ColumnSpec("score", "value", "Score", weight_column="inwoners_col", theme="vastgoed"),
                              ColumnSpec("inwoners_col", "count", "Aantal")))
    back = LayerSpec.from_toml(spec.to_toml())
    assert back == spec
    assert back.columns[0].min_denominator == own.DEFAULT_MIN_DENOMINATOR["woningen"]
    assert back.columns[1].min_denominator == own.DEFAULT_MIN_WEIGHT


@pytest.mark.parametrize("text, key", [
    ('name = "x"\narea_column = "c"\nyear = 2024\n', "columns"),
    ('name = "x"\narea_column = "c"\nyear = 2024\ncolour = 1\n[[columns]]\ncolumn="a"\nkind="count"\nlabel="A"\n',
     "colour"),
    ('name = "x"\narea_column = "c"\nyear = 2024\n[[columns]]\ncolumn="a"\nkind="ratio"\nlabel="A"\n', "kind"),
    ('name = "x"\narea_column = "c"\nyear = 2024\n[[columns]]\ncolumn="a"\nkind="rate"\nlabel="A"\n', "denominator"),
    ('name = "x"\narea_column = "c"\nyear = 2024\n[[columns]]\ncolumn="a"\nkind="count"\nlabel="A"\nper="veel"\n',
     "per"),
    ('name = "x"\narea_column = "c"\n[[columns]]\ncolumn="a"\nkind="count"\nlabel="A"\n', "year"),
    ('name = "x"\narea_column = "c"\nyear = 2024\n[[columns]]\ncolumn="a"\nkind="count"\nlabel="A"\n'
     'in_composite = true\n', "in_composite"),
    ('name = "x"\narea_column = "c"\nyear = 2024\n[[columns]]\ncolumn="a"\nkind="value"\nlabel="A"\n'
     'direction = "up"\n', "direction"),
    ('name = "x\n', "TOML"),
])
def test_spec_errors_name_the_key(text, key):
    with pytest.raises(OwnError, match=key):
        LayerSpec.from_toml(text)


# -- values -------------------------------------------------------------------------------------


def test_rate_is_the_ratio_of_sums_with_the_warehouses_inwoners(wh):
    _, layer = added(wh)
    ov = overlay(wh, own_root(wh.path), ORG)
    ind = layer.indicators[0]
    inwoners = wh.open_observations(["inwoners"], [2024]).set_index("code")["value"]
    gm = ov.table("gemeente", None, ind, 2024, ALL).set_index("code")
    # GM0001: every buurt has data: all meldingen over the gemeente's inwoners.
    assert gm.loc["GM0001", "value"] == pytest.approx((2 + 50 + 7 + 9) / inwoners["GM0001"] * 1000)
    # GM0002: one buurt is missing ("."): the rate is over the buurt with data only, never a 0 for it.
    assert gm.loc["GM0002", "value"] == pytest.approx(30 / TINY_COUNTS["BU00020101"][0] * 1000)
    assert (gm.loc["GM0002", "n_parts"], gm.loc["GM0002", "n_parts_with_data"]) == (2, 1)
    land = ov.table("land", None, ind, 2024, ALL).iloc[0]
    assert land["numerator"] == 2 + 50 + 7 + 9 + 30 + 12
    buurten = ov.table("buurt", None, ind, 2024, ALL).set_index("code")
    assert buurten.loc["BU00020100", "status"] == "missing" and np.isnan(buurten.loc["BU00020100", "value"])
    assert buurten.loc["BU00030100", "value"] == pytest.approx(12 / inwoners["BU00030100"] * 1000)


def test_a_small_own_count_is_hidden_and_cannot_be_recovered_by_differencing(wh):
    spec = rate_spec(kind="count", denominator=None)
    _, layer = added(wh, spec=spec)
    ov = overlay(wh, own_root(wh.path), ORG)
    ind = layer.indicators[0]
    buurten = ov.table("buurt", "WK000101", ind, 2024, ALL).set_index("code")
    wijk = ov.table("wijk", None, ind, 2024, ALL).set_index("code").loc["WK000101"]
    assert buurten.loc["BU00010100", "status"] == "suppressed"
    assert buurten.loc["BU00010100", ["value", "numerator"]].isna().all()
    # The wijk is shown (52), so its other buurt must be hidden too: else 52 - 50 = 2.
    assert wijk["status"] == "ok" and wijk["value"] == 52
    assert buurten.loc["BU00010101", "status"] == "suppressed"
    with ov.cursor() as con:   # the attacker on everything the overlay serves, open and own
        assert not len(find_exposures(con))
    stored = duckdb.connect().execute("ATTACH ? AS s (READ_ONLY)", [str(store_of(wh).path)]).execute(
        "SELECT count(*) FROM s.own_values WHERE status <> 'ok' AND (numerator IS NOT NULL OR value IS NOT NULL)"
    ).fetchone()[0]
    assert stored == 0   # the file the server reads has no number of a hidden value


def test_a_ready_value_shows_only_where_it_was_given_and_a_weighted_one_aggregates(wh):
    rows = "code;jaar;score;gewicht\nGM0001;2024;3,5;100\nGM0002;2024;1,5;300\n"
    spec = LayerSpec(name="Scores", area_column="code", year_column="jaar",
                     columns=(ColumnSpec("score", "value", "Score"),
                              ColumnSpec("gewicht", "count", "Gewicht", min_count=0)))
    weighted = LayerSpec(name="Gewogen", area_column="code", year_column="jaar",
                         columns=(ColumnSpec("score", "value", "Score", weight_column="gewicht"),))
    store = store_of(wh)
    plain = store.add(read_upload("s.csv", rows.encode()), spec, wh, uploader="ana")
    mean = store.add(read_upload("s.csv", rows.encode()), weighted, wh, uploader="ana")
    ov = overlay(wh, own_root(wh.path), ORG)
    gm = ov.table("gemeente", None, plain.indicators[0], 2024, ALL).set_index("code")
    assert gm.loc["GM0001", "value"] == 3.5
    assert ov.table("regio", None, plain.indicators[0], 2024, ALL)["status"].eq("missing").all()
    regio = ov.table("regio", None, mean.indicators[0], 2024, ALL).set_index("code")
    assert regio.loc["RE01", "value"] == pytest.approx((3.5 * 100 + 1.5 * 300) / 400)


def test_a_rate_needs_a_denominator_the_warehouse_has(wh, tmp_path):
    with pytest.raises(OwnError, match="no denominator 'woningen'.*it has: inwoners"):
        added(wh, spec=rate_spec(denominator="woningen"))
    old = tmp_path / "old.duckdb"   # a build from before open_observations
    shutil.copyfile(wh.path, old)
    with duckdb.connect(str(old)) as con:
        con.execute("DROP TABLE open_observations")
    with Warehouse(old) as before:
        assert own.denominators(before) == []
        with pytest.raises(OwnError, match="rebuild it"):
            added(before)
        _, layer = added(before, spec=rate_spec(kind="count", denominator=None))   # counts still work
        assert layer.indicators


# -- the store ----------------------------------------------------------------------------------


def test_add_remove_restore_and_replace(wh, monkeypatch):
    store, first = added(wh)
    assert (first.id, first.version, first.indicators) == ("1", 1, ("eigen_1_meldingen",))
    assert first.source_line() == f"Eigen gegevens — {ORG}, meldingen.csv, {first.uploaded_at[:10]}"
    _, second = added(wh)
    assert second.id == "2"
    assert [layer.id for layer in store.layers()] == ["1", "2"]
    store.remove("1", by="ana")
    assert [layer.id for layer in store.layers()] == ["2"]
    assert store.layer("1").is_removed and [l.id for l in store.layers(include_removed=True)] == ["1", "2"]
    with pytest.raises(OwnError, match="already removed"):
        store.remove("1", by="ana")
    assert not store.restore("1", by="ana").is_removed
    assert [layer.id for layer in store.layers()] == ["1", "2"]

    changed = {**MELDINGEN, "BU00030100": "40"}
    _, newer = added(wh, rows=changed, replace="1")
    assert (newer.id, newer.version) == ("1", 2)
    ov = overlay(wh, own_root(wh.path), ORG)
    assert ov.values(["BU00030100"], ["eigen_1_meldingen"], ALL)["numerator"].iloc[0] == 40
    back = store.restore("1", by="ana")   # the previous version comes back in place of the new one
    assert back.version == 1 and store.layer("1").version == 1
    ov = overlay(wh, own_root(wh.path), ORG)
    assert ov.values(["BU00030100"], ["eigen_1_meldingen"], ALL)["numerator"].iloc[0] == 12

    store.remove("2", by="ana")
    later = own._now() + timedelta(days=own.RESTORE_DAYS + 1)
    monkeypatch.setattr(own, "_now", lambda: later)
    with pytest.raises(OwnError, match="more than 30 days ago"):
        store.restore("2", by="ana")
    with pytest.raises(KeyError):
        store.layer("9")


@pytest.mark.parametrize("content, spec, error", [
    (csv_of({"BU99999999": "3"}), rate_spec(), OwnInputError),            # unknown codes only
    (csv_of({**MELDINGEN, "BU00030100": "veel"}), rate_spec(), OwnInputError),   # not a number
    (csv_of({**MELDINGEN, "BU00030100": "-4"}), rate_spec(), OwnInputError),     # a negative count
    (csv_of(MELDINGEN), rate_spec(denominator="woningen"), OwnError),     # no such denominator
    (csv_of(MELDINGEN, column="andere"), rate_spec(), OwnInputError),     # the spec's column is absent
])
def test_a_failed_add_leaves_both_files_byte_identical(wh, content, spec, error):
    store, _ = added(wh)
    before = digest(store)
    with pytest.raises((error, KeyError)):
        store.add(read_upload("bad.csv", content), spec, wh, uploader="ana")
    assert digest(store) == before
    assert not [p for p in store.root.iterdir() if p.name.endswith(".tmp")]


def _two_sheets() -> bytes:
    import io

    import openpyxl

    book = openpyxl.Workbook()
    book.active.title = "Toelichting"
    book.create_sheet("Cijfers").append(["code", "jaar", "meldingen"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


#: Every bad input of issue 14, with a word of its message.
BAD_INPUTS = {
    "no area column": (b"naam;jaar;meldingen\nfoo;2024;3\nbar;2024;4\n", "area"),
    "unknown codes only": (csv_of({"BU99999999": "3", "BU99999998": "4"}), "BU99999999"),
    "duplicate codes": (csv_of(MELDINGEN) + b"BU00010101;2024;51\n", "BU00010101"),
    "not a number": (csv_of({**MELDINGEN, "BU00010201": "negen"}), "negen"),
    "negative count": (csv_of({**MELDINGEN, "BU00010201": "-9"}), "-9"),
    "wrong delimiter": (csv_of(MELDINGEN).replace(b";", b"|"), "only one column"),
    "empty file": (b"", "empty"),
    "several sheets": (_two_sheets(), "sheets"),
}


@pytest.mark.parametrize("case", BAD_INPUTS)
def test_every_bad_input_is_refused_with_its_message_and_the_store_unchanged(wh, case):
    content, word = BAD_INPUTS[case]
    store, _ = added(wh)
    before = digest(store)
    name = "bad.xlsx" if content.startswith(b"PK") else "bad.csv"
    with pytest.raises((OwnInputError, OwnError)) as refused:
        store.add(read_upload(name, content), rate_spec(), wh, uploader="ana")
    assert name in str(refused.value) and word.lower() in str(refused.value).lower()
    assert digest(store) == before


def test_an_upload_over_50_mb_is_refused_before_anything_is_read(wh, monkeypatch):
    from data_pipeline import own_files

    store, _ = added(wh)
    before = digest(store)
    monkeypatch.setattr(own_files, "MAX_BYTES", len(csv_of(MELDINGEN)) - 1)
    with pytest.raises(OwnInputError, match="MB|bytes"):
        store.add(read_upload("big.csv", csv_of(MELDINGEN)), rate_spec(), wh, uploader="ana")
    assert digest(store) == before


def test_no_proposal_without_areas_or_numbers_and_no_area_year_in_two_files(wh):
    with pytest.raises(OwnInputError) as refused:
        own.propose(read_upload("tekst.csv", b"code;opmerking\nBU00010100;hoog\nBU00010101;laag\n"), wh)
    assert refused.value.message("nl") == "tekst.csv: geen kolom met getallen gevonden"
    store = store_of(wh)
    first, again = read_upload("a.csv", csv_of(MELDINGEN)), read_upload("b.csv", csv_of({"BU00010101": "3"}))
    with pytest.raises(OwnInputError) as twice:
        store.add([first, again], rate_spec(), wh, uploader="ana")
    assert "BU00010101 in 2024" in str(twice.value) and "a.csv, b.csv" in str(twice.value)
    assert not store.path.exists()


def test_replacing_a_removed_or_unknown_layer_changes_nothing(wh):
    store, _ = added(wh)
    store.remove("1", by="ana")
    before = digest(store)
    with pytest.raises(OwnError, match="restore it first"):
        added(wh, replace="1")
    with pytest.raises(KeyError):
        added(wh, replace="7")
    assert digest(store) == before


def test_the_server_file_holds_no_raw_rows(wh):
    store, _ = added(wh)
    con = duckdb.connect()
    con.execute("ATTACH ? AS s (READ_ONLY)", [str(store.path)])
    tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables "
                                        "WHERE table_catalog = 's'").fetchall()}
    assert tables == {"layers", "own_values"}
    hidden = con.execute("SELECT count(*) FROM s.own_values WHERE code = 'BU00010100'").fetchone()[0]
    assert hidden == 1 and con.execute("SELECT numerator FROM s.own_values WHERE code = 'BU00010100'").fetchone() == (None,)


# -- the overlay --------------------------------------------------------------------------------


def test_overlay_shows_own_values_beside_the_open_ones(wh):
    _, layer = added(wh, rows={c: v for c, v in MELDINGEN.items()})
    store = store_of(wh)
    store.add(read_upload("oud.csv", csv_of(MELDINGEN, year=2022)), rate_spec(kind="count", denominator=None),
              wh, uploader="ana")
    ov = overlay(wh, own_root(wh.path), ORG)
    ind = layer.indicators[0]
    assert ov is not wh and ov.catalog.get(ind).dataset == "eigen"
    assert ov.catalog.themes["eigen"] == {"nl": "Eigen gegevens", "en": "Own data"}
    assert ov.catalog.get(ind).source == layer.source_line()
    assert ov.years == [2022, 2023, 2024] and wh.years == [2023, 2024]
    assert len(ov.catalog.indicators) == len(wh.catalog.indicators) + 2
    shown = ov.map_values("buurt", "GM0001", ind, 2024, ALL).set_index("code")
    assert shown.loc["BU00010201", "value"] == pytest.approx(9 / 1500 * 1000)
    level = ov.level_values("gemeente", 2024)
    assert set(level["indicator"]) == {i.id for i in ov.catalog.indicators} - {"eigen_2_meldingen"}
    assert set(ov.level_values("gemeente", 2022)["indicator"]) == {"eigen_2_meldingen"}   # a year only own data has
    open_id = wh.catalog.indicators[0].id
    both = ov.values(["GM0001"], [open_id, ind], ALL, years=[2024])
    assert set(both["indicator"]) == {open_id, ind}
    assert ov.table("gemeente", None, open_id, 2024, ALL).equals(wh.table("gemeente", None, open_id, 2024, ALL))
    assert ov.build_id != wh.build_id and ov != wh and hash(ov) != hash(wh)
    with pytest.raises(KeyError):
        wh.catalog.get(ind)


def test_overlay_is_cached_and_cheap_and_follows_the_store(wh):
    store, _ = added(wh)
    root = own_root(wh.path)
    first = overlay(wh, root, ORG)
    start = time.perf_counter()
    for _ in range(200):
        assert overlay(wh, root, ORG) is first
    assert (time.perf_counter() - start) / 200 < 0.001
    store.remove("1", by="ana")
    assert overlay(wh, root, ORG) is wh   # no visible layer: the warehouse itself


def test_other_organisations_see_nothing_and_liec_only_shared_layers(wh):
    _, private = added(wh)
    shared_spec = LayerSpec(**{**rate_spec().__dict__, "name": "Gedeeld", "shared_with_liec": True})
    _, shared = added(wh, spec=shared_spec)
    root = own_root(wh.path)
    other = overlay(wh, root, "Gemeente Elders")
    assert other is wh
    with pytest.raises(KeyError):
        other.table("gemeente", None, private.indicators[0], 2024, ALL)
    liec = overlay(wh, root, "LIEC", liec=True)
    ids = {i.id for i in liec.catalog.indicators}
    assert shared.indicators[0] in ids and private.indicators[0] not in ids
    with pytest.raises(KeyError):
        liec.values(["GM0001"], [private.indicators[0]], ALL)


def test_own_indicators_enter_the_composite_only_when_the_spec_says_so(wh):
    _, out = added(wh)
    _, inside = added(wh, spec=rate_spec(in_composite=True, weight=2.0, theme="criminaliteit"))
    ov = overlay(wh, own_root(wh.path), ORG)
    result = analysis.composite(ov, "buurt", 2024)
    assert inside.indicators[0] in result.contributions.columns
    assert out.indicators[0] not in result.contributions.columns
    assert out.indicators[0] not in analysis.composite(wh, "buurt", 2024).contributions.columns


# -- rebuilds -----------------------------------------------------------------------------------


def test_a_rebuild_joins_every_layer_again_for_the_new_build(tmp_path):
    path = tmp_path / "w.duckdb"
    build_warehouse(tiny_source(), path)
    with Warehouse(path) as first:
        store, layer = added(first)
        store_b, _ = added(first, organisation="Gemeente B")
        store_b.remove(store_b.layers()[0].id, by="bea")
        old_build = first.build_id
    report = build_warehouse(tiny_source(), path)
    assert any(f"own layer {layer.id} v1 of {ORG}" in line and "joined again" in line for line in report.notes)
    with Warehouse(path) as second:
        assert second.build_id != old_build
        ov = overlay(second, own_root(path), ORG)
        assert ov.values(["GM0001"], list(layer.indicators), ALL)["numerator"].iloc[0] == 68
        assert set(store.built_for(layer)) == {old_build, second.build_id}   # the old build's stay
    assert store_b.built_for(store_b.layers(include_removed=True)[0])   # removed, restorable: joined too
