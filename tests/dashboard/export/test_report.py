"""The report (ondermijningsbeeld) of a gemeente and of a region: its content, the Word file
(opened with python-docx), the PDF (opened with pypdf) and the route behind the buttons.

One report per format and fixture (module-scoped): rendering is the cost. Browser tests skip
locally without Chromium and fail on CI (tests/requirements.py).
"""

from __future__ import annotations

import io
import json
from dataclasses import replace
from datetime import datetime, timezone

import pytest

from dashboard import routes
from dashboard.export import document
from dashboard.export.report import Chart, MapBlock, Table, report_data
from dashboard.formatting import format_number
from dashboard.gemeente import gemeente_page, tile_indicators
from dashboard.i18n import LOCALE_DIR, t
from dashboard.panels import profile_panel
from data_pipeline.warehouse import AccessDenied, NotFound, Scope
from geodata.codes import LAND_CODE
from tests.dashboard.test_gemeente import prop, walk

docx = pytest.importorskip("docx")
pypdf = pytest.importorskip("pypdf")

EVERYTHING = Scope.everything()
MARKING = "Vertrouwelijk — alleen voor intern gebruik"
NOW = datetime(2024, 11, 28, 16, 23, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def gemeente(demo_warehouse):
    """The demo gemeente with the most wijken."""
    wh = demo_warehouse
    return max(wh.codes("gemeente"), key=lambda code: len(wh.codes("wijk", code)))


@pytest.fixture(scope="module")
def regio(demo_warehouse, gemeente):
    return demo_warehouse.area(gemeente).regio_code


@pytest.fixture(scope="module")
def content(demo_warehouse, gemeente):
    return report_data(demo_warehouse, gemeente, scope=EVERYTHING, marking=MARKING, now=NOW)


@pytest.fixture(scope="module")
def word(content, renderer):
    data = document.report_docx(content, renderer_=renderer)
    return data, docx.Document(io.BytesIO(data))


@pytest.fixture(scope="module")
def pdf(content, renderer):
    data = document.report_pdf(content, renderer_=renderer)
    return data, pypdf.PdfReader(io.BytesIO(data))


def cell_texts(table) -> list[list[str]]:
    return [[cell.text for cell in row.cells] for row in table.rows]


def shown(warehouse, level, parent, indicator, year) -> dict[str, str]:
    """Code -> the published value as the report must print it (``Warehouse.table``, the CLI ``table``)."""
    frame = warehouse.table(level, parent, indicator.id, year, EVERYTHING)
    return {row.code: (format_number(row.value, indicator.decimals) if row.status == "ok"
                       else t(f"table.status.{row.status}")) for row in frame.itertuples(index=False)}


# -- content ---------------------------------------------------------------------------------------

def test_the_sections_of_a_gemeente_report(demo_warehouse, gemeente, content):
    wh = demo_warehouse
    themes = [wh.catalog.themes[i.theme]["nl"] for i in tile_indicators(wh.catalog)]
    assert content.headings == ["Samenvatting", "Samengesteld risicosignaal", *themes, "Bevindingen van partners",
                                "Duiding", "Methode en kanttekeningen", "Bronnen", "Afscherming",
                                "Bijlage: kerncijfers per wijk"]
    assert content.title == f"Ondermijningsbeeld {wh.name(gemeente)} ({gemeente}), {wh.years[-1]}"
    assert content.since == wh.years[0] and content.meta.marking == MARKING and content.meta.demo
    assert "geen bewijs" in content.meta.caveat and "gebiedsindeling" in content.meta.sources
    for section in content.sections[2:2 + len(themes)]:  # each theme: a map of the wijken and a trend
        maps = [b for b in section.blocks if isinstance(b, MapBlock)]
        assert len(maps) == 1 and maps[0].state.level == "wijk" and maps[0].state.parent == gemeente
        (chart,) = [b for b in section.blocks if isinstance(b, Chart)]
        assert chart.years == tuple(wh.years) and len(chart.series) == 3  # gemeente, region, NL
    summary = content.sections[0]
    texts = [b.text for b in summary.blocks if hasattr(b, "text")]
    assert texts.index("Ongunstig") < texts.index("Gunstig")  # unfavourable first
    assert [s.editable_only for s in content.sections].count(True) == 2


def test_scope_and_unknown_areas_are_refused(demo_warehouse, gemeente, regio):
    wh = demo_warehouse
    other = next(r for r in wh.codes("regio") if r != regio)
    with pytest.raises(AccessDenied):
        report_data(wh, gemeente, scope=Scope.inside(other))
    with pytest.raises(AccessDenied):  # a gemeente's user may not have the region's wijken
        report_data(wh, regio, scope=Scope.inside(gemeente))
    with pytest.raises(NotFound, match="GM9999"):
        report_data(wh, "GM9999", scope=EVERYTHING)
    with pytest.raises(NotFound, match="gemeente of een RIEC-regio"):
        report_data(wh, wh.codes("wijk", gemeente)[0], scope=EVERYTHING)
    with pytest.raises(ValueError, match="beginjaar"):
        report_data(wh, gemeente, wh.years[0], wh.years[0], scope=EVERYTHING)


def test_an_english_report_has_no_dutch_headings(demo_warehouse, gemeente, content):
    english = report_data(demo_warehouse, gemeente, scope=EVERYTHING, lang="en", now=NOW)
    both = {label["nl"] for label in demo_warehouse.catalog.themes.values() if label["nl"] == label["en"]}
    nl = json.loads((LOCALE_DIR / "nl.json").read_text(encoding="utf-8"))
    en = json.loads((LOCALE_DIR / "en.json").read_text(encoding="utf-8"))
    dutch = {text for key, text in nl.items() if en[key] != text}
    assert len(english.sections) == len(content.sections)
    subheadings = [[b.text for b in s.blocks if getattr(b, "style", "") in ("subheading", "caveat")]
                   for s in english.sections]
    for ours, theirs in zip(english.sections, content.sections):
        assert ours.title != theirs.title or ours.title in both, ours.title
        assert ours.title not in dutch
    assert not {text for texts in subheadings for text in texts} & dutch
    assert english.title.endswith(f"({gemeente}), {demo_warehouse.years[-1]}") and "not proof" in english.meta.caveat


# -- Word ------------------------------------------------------------------------------------------

def test_the_word_file_has_headings_a_contents_field_and_the_marking(word, content):
    _, doc = word
    headings = [p.text for p in doc.paragraphs if p.style.name == "Heading 1"]
    assert headings == content.headings  # the analyst's sections too, as real headings
    assert any(p.style.name == "Heading 2" for p in doc.paragraphs)
    assert doc.paragraphs[0].style.name == "Title" and doc.paragraphs[0].text == content.title
    fields = doc.element.body.xpath(".//w:instrText")
    assert any(f.text.strip().startswith("TOC") for f in fields)
    assert doc.settings.element.xpath("./w:updateFields")
    section = doc.sections[0]
    assert round(section.page_width.mm) == 210 and round(section.page_height.mm) == 297
    assert MARKING in section.header.paragraphs[0].text
    assert content.title in section.footer.paragraphs[0].text and "DEMO-" in section.footer.paragraphs[0].text
    partners = [i for i, p in enumerate(doc.paragraphs) if p.text == "Bevindingen van partners"]
    assert partners and doc.paragraphs[partners[0] + 1].style.name == "Report placeholder"


def test_the_word_file_embeds_every_map_and_chart_at_300_dpi(word, content):
    from PIL import Image

    _, doc = word
    expected = sum(isinstance(b, (MapBlock, Chart)) for s in content.sections for b in s.blocks)
    shapes = doc.inline_shapes
    assert len(shapes) == expected >= 2 * 5
    for shape in shapes:
        blob = doc.part.related_parts[shape._inline.graphic.graphicData.pic.blipFill.blip.embed].blob
        with Image.open(io.BytesIO(blob)) as image:
            assert image.format == "PNG" and round(image.info["dpi"][0]) == 300
            assert image.width == round(document.IMAGE_WIDTH_MM / 25.4 * 300)
        assert round(shape.width.mm) == round(document.IMAGE_WIDTH_MM)


def test_word_tables_hold_the_numbers_of_the_table_command(word, demo_warehouse, gemeente, content):
    wh, year = demo_warehouse, content.year
    _, doc = word
    heads = tile_indicators(wh.catalog)
    appendix = [tb for tb in doc.tables if cell_texts(tb)[0][:2] == ["Wijk", "Code"]][-1]
    rows = cell_texts(appendix)
    assert rows[0][2:] == [f"{i.label_nl} ({i.unit_nl})" for i in heads]
    assert [r[1] for r in rows[1:]] == wh.codes("wijk", gemeente)
    for column, ind in enumerate(heads, start=2):
        expected = shown(wh, "wijk", gemeente, ind, year)
        assert {r[1]: r[column] for r in rows[1:]} == {code: expected[code] for code in wh.codes("wijk", gemeente)}
    # The trend table: the gemeente, its region and NL per year, as the same published values.
    ind = heads[0]
    trend = next(tb for tb in doc.tables if cell_texts(tb)[0][1:] == [str(y) for y in wh.years])
    region = wh.area(gemeente).regio_code
    expected = [[shown(wh, level, code, ind, y)[code] for y in wh.years]
                for level, code in (("gemeente", gemeente), ("regio", region), ("land", LAND_CODE))]
    assert [r[1:] for r in cell_texts(trend)[1:]] == expected
    assert [r[0] for r in cell_texts(trend)[1:]] == [wh.name(gemeente), wh.name(region), wh.name(LAND_CODE)]


# -- PDF -------------------------------------------------------------------------------------------

def test_the_pdf_has_year_source_and_marking_on_every_page(pdf, content):
    data, reader = pdf
    assert data[:5] == b"%PDF-"
    assert len(reader.pages) == len(document.report_pages(content)) >= 2 + len(content.sections)
    year = str(content.year)
    for number, page in enumerate(reader.pages, start=1):
        text = " ".join(page.extract_text().split())
        assert content.title in text and year in text, number
        assert "Bron: Synthetisch demoland (DEMO-" in text and "gebiedsindeling" in text, number
        assert text.count(MARKING) == 2, number  # top and bottom
        assert f"pagina {number} van {len(reader.pages)}" in text
        box = page.mediabox
        assert float(box.width) == pytest.approx(595.3, abs=1.5) and float(box.height) == pytest.approx(841.9, abs=1.5)
    words = " ".join(" ".join(p.extract_text().split()) for p in reader.pages)
    assert "Bevindingen van partners" not in words  # the analyst's sections are for the Word file
    assert "geen bewijs" in words and "Afscherming" in words and "Inhoud" in words
    assert reader.metadata.title == content.title


def test_a_region_report_compares_its_gemeenten(renderer, demo_warehouse, regio):
    wh = demo_warehouse
    report = report_data(wh, regio, scope=EVERYTHING, marking="", now=NOW)
    assert report.level == "regio" and "De gemeenten vergeleken" in report.headings
    compared = next(s for s in report.sections if s.title == "De gemeenten vergeleken")
    (table,) = [b for b in compared.blocks if isinstance(b, Table)]
    heads = tile_indicators(wh.catalog)
    assert [row[1] for row in table.rows] == wh.codes("gemeente", regio)
    expected = shown(wh, "gemeente", regio, heads[0], report.year)
    assert [row[2] for row in table.rows] == [expected[c] for c in wh.codes("gemeente", regio)]
    for section in report.sections[3:3 + len(heads)]:
        maps = [b for b in section.blocks if isinstance(b, MapBlock)]
        assert len(maps) == 1 and maps[0].state.level == "gemeente" and maps[0].state.parent == regio
    reader = pypdf.PdfReader(io.BytesIO(document.report_pdf(report, renderer_=renderer)))
    text = " ".join(" ".join(p.extract_text().split()) for p in reader.pages)
    for code in wh.codes("gemeente", regio):
        assert code in text
    assert all(str(report.year) in p.extract_text() for p in reader.pages)


# -- the buttons and the route ------------------------------------------------------------------

def test_the_gemeente_page_and_the_profile_link_to_both_reports(demo_warehouse, gemeente):
    wh = demo_warehouse
    state = routes.MapState(level="wijk", parent=gemeente, year=wh.years[-1], page="gemeente")
    links = {prop(c, "id"): prop(c, "href") for c in walk(gemeente_page(wh, state, EVERYTHING))
             if prop(c, "id") in ("page-report-pdf", "page-report-docx")}
    assert links == {f"page-report-{fmt}": f"/rapport/{fmt}/{gemeente}?jaar={wh.years[-1]}" for fmt in ("pdf", "docx")}
    panel = profile_panel(wh, routes.MapState(level="gemeente", parent="RE01", area=gemeente, year=wh.years[-1],
                                              lang="en", indicator=wh.catalog.indicators[0].id), EVERYTHING)
    found = {prop(c, "id"): (c.children, prop(c, "href")) for c in walk(panel)
             if str(prop(c, "id")).startswith("profile-report-")}
    assert found["profile-report-docx"] == ("Report (Word)", f"/rapport/docx/{gemeente}?jaar={wh.years[-1]}&taal=en")
    other = next(g for g in wh.codes("gemeente") if wh.area(g).regio_code != wh.area(gemeente).regio_code)
    outside = gemeente_page(wh, replace(state, parent=other), Scope.inside(gemeente))
    assert not [c for c in walk(outside) if prop(c, "id") == "page-report-pdf"]  # no link the viewer cannot follow


def test_the_route_checks_scope_audits_and_refuses_what_does_not_exist(tmp_path, demo_warehouse, gemeente):
    from dashboard.app import create_app
    from dashboard.signin import Gate
    from data_pipeline.access import AccessFile
    from data_pipeline.audit import AuditLog
    from tests.dashboard.test_signin import PASSWORD, signed_in

    wh = demo_warehouse
    regio = wh.area(gemeente).regio_code
    access = AccessFile(tmp_path / "access.json")
    access.add("rik", "riec", PASSWORD, regio)
    audit = AuditLog(tmp_path / "access.audit.jsonl")
    server = create_app(wh, Gate(access=access, audit=audit)).server
    client = signed_in(server, "rik")
    other = next(g for g in wh.codes("gemeente") if wh.area(g).regio_code != regio)
    other_regio = wh.area(other).regio_code
    assert client.get(f"/rapport/pdf/{other}").status_code == 403
    assert client.get(f"/rapport/docx/{other_regio}?taal=en").status_code == 403
    for url in ("/rapport/pdf/GM9999", f"/rapport/xls/{gemeente}", f"/rapport/pdf/{wh.codes('wijk', gemeente)[0]}",
                "/rapport/pdf/%3Cscript%3E", f"/rapport/pdf/{LAND_CODE}"):
        response = client.get(url)
        assert response.status_code == 404 and b"Traceback" not in response.data, url
    denied = audit.read(user="rik")
    assert set(denied.loc[denied["result"] == "denied", "action"]) == {"report"}
    assert len(denied[denied["result"] == "denied"]) == 2
    client.get("/logout")


def test_the_route_sends_a_word_file_of_the_viewers_gemeente(tmp_path, demo_warehouse, gemeente):
    from dashboard.app import create_app

    server = create_app(demo_warehouse).server  # the demo: open to everyone
    year = demo_warehouse.years[-1]
    response = server.test_client().get(f"/rapport/docx/{gemeente}?jaar={year}&sinds=1850&taal=en")
    assert response.status_code == 200, response.data[:200]
    assert response.mimetype == document.MEDIA_TYPES["docx"]
    assert f"rapport-{gemeente}-" in response.headers["Content-Disposition"]
    doc = docx.Document(io.BytesIO(response.data))
    assert doc.paragraphs[0].text.endswith(f"({gemeente}), {year}")
    assert "Summary" in [p.text for p in doc.paragraphs if p.style.name == "Heading 1"]


def test_rapport_all_in_a_region_writes_one_word_file_per_gemeente_and_refuses_a_gemeente(
        capsys, demo_warehouse_path, demo_warehouse, tmp_path):
    from tests.data_pipeline.test_cli import run
    from tests.requirements import export_browser_path

    export_browser_path()
    wh = demo_warehouse
    region = min(wh.codes("regio"), key=lambda code: len(wh.codes("gemeente", code)))
    gemeenten = sorted(wh.codes("gemeente", region))
    year = wh.years[-1]
    code, out, err = run(capsys, "--warehouse", str(demo_warehouse_path), "rapport", "--all-in", region,
                         "--format", "docx", "--lang", "en", "-o", str(tmp_path))
    assert code == 0, err
    assert sorted(p.name for p in tmp_path.glob("*.docx")) == [f"{gm}-rapport-{year}.docx" for gm in gemeenten]
    headings = [p.text for p in docx.Document(str(tmp_path / f"{gemeenten[0]}-rapport-{year}.docx")).paragraphs
                if p.style.name == "Heading 1"]
    assert t("report.sources", "en") in headings and t("report.sources", "nl") not in headings
    code, _, err = run(capsys, "--warehouse", str(demo_warehouse_path), "rapport", "--all-in", gemeenten[0],
                       "-o", str(tmp_path / "x"))
    assert code == 1 and "RIEC region" in err and len(err.strip().splitlines()) == 1
