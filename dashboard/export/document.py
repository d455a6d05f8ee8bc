"""A report's content (:mod:`dashboard.export.report`) as an editable Word file or a multi-page PDF.

Both render the same :class:`~dashboard.export.report.Report`; neither computes a number.

- :func:`report_docx` (python-docx): Word's own Title, Heading 1 and 2, List Bullet and Caption
  styles and three styles of ours (notes, caveats, the analyst's placeholders), so a gemeente
  can restyle the whole document through its styles; a table-of-contents field that Word fills
  in on opening; tables as Word tables (the header row repeats on every page); the maps and
  trend charts as 300 dpi PNG images made by the export engine (each map carries its own title,
  legend, sources and marking, so a copied map keeps its context); the marking in the page
  header and the title and sources in the footer of every page; the empty sections for the
  analyst ("Bevindingen van partners", "Duiding").
- :func:`report_pdf`: the same sections laid out on A4 pages of :class:`~dashboard.export.page.Page`
  (one figure per page, vector maps), each page with the marking at top and bottom and the
  title (with the year), the sources and its page number in the footer; a cover with the
  contents and their pages; the pages rendered one by one by the one long-lived Chromium
  (:func:`~dashboard.export.render.renderer`) and joined with pypdf. The analyst's empty
  sections are left out: a PDF is not filled in.
"""

from __future__ import annotations

import io

from dashboard.export.briefing import PAGE_HEIGHT, PAGE_WIDTH
from dashboard.export.image import export_figure, png_with_dpi
from dashboard.export.page import (CSS_DPI, LINE_HEIGHT, MARKING_COLOUR, MUTED_COLOUR, RULE_COLOUR, TEXT_COLOUR,
                                   DEMO_COLOUR, Page, PaperMap, css_width, exact_css, wrap)
from dashboard.export.render import ExportError, Renderer, renderer
from dashboard.export.report import Chart, MapBlock, Paragraph, Report, Section, Table
from dashboard.formatting import format_timestamp
from dashboard.i18n import t

IMAGE_WIDTH_MM = 160.0  # maps and charts in Word: the text width of A4 with 25 mm margins
IMAGE_DPI = 300
MEDIA_TYPES = {"pdf": "application/pdf",
               "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}
FORMATS = tuple(MEDIA_TYPES)

BODY, NOTE, HEAD1, HEAD2, FOOT = 9.5, 8.3, 16.0, 11.5, 7.5
CELL, CELL_HEAD = 8.3, 7.8
MAP_MAX_HEIGHT = 480.0
LEGEND_HEIGHT = 12 * LINE_HEIGHT + 4 + 5 * 18 + 6  # Page.legend with up to five rows
CHART_HEIGHT = 130.0
#: The most blank space a block leaves below itself (it may run past the page's end: nothing is drawn there).
TRAILING_GAP = 14.0


def _moment(report: Report) -> str:
    return f"{format_timestamp(report.meta.exported_at, report.lang)} (Europe/Amsterdam)"


def _shown(report: Report, editable: bool) -> list[Section]:
    return [s for s in report.sections if editable or not s.editable_only]


# -- charts (both formats) ----------------------------------------------------------------------

def draw_chart(page: Page, chart: Chart, lang: str) -> None:
    """``chart`` at the page's cursor: its title, a key of its lines, the lines, its source."""
    page.text(chart.title, 10, bold=True, gap=3)
    x, y, size = page.margin, page.y, 8.0
    step = page.inner / max(len(chart.series), 3)
    for n, series in enumerate(chart.series):
        lx = x + n * step
        page.rule(y + 5, lx, lx + 22, series.colour, width=1.6, dash=series.dash)
        page.text(series.label, size, x=lx + 26, y=y, width=step - 30)
    page.y = y + size * LINE_HEIGHT * 2 + 4
    top, bottom = page.y, page.y + CHART_HEIGHT
    page.chart(page.margin + 36, page.width - page.margin - 8, top, bottom, list(chart.years),
               [(list(s.values), s.colour, s.dash) for s in reversed(chart.series)])
    page.y = bottom + 16
    if all(v is None for s in chart.series for v in s.values):
        page.text(t("briefing.no_values", lang), 8, x=page.margin + 44, y=(top + bottom) / 2, colour=MUTED_COLOUR)
    if chart.source:
        page.text(chart.source, NOTE, colour=MUTED_COLOUR, gap=4)


def chart_height(page: Page, chart: Chart) -> float:
    return (len(wrap(chart.title, page.inner, 10, True)) * 10 * LINE_HEIGHT + 3 + 8 * LINE_HEIGHT * 2 + 4
            + CHART_HEIGHT + 16 + len(wrap(chart.source, page.inner, NOTE)) * NOTE * LINE_HEIGHT + 4)


def _png(fig, width: float, render: Renderer) -> bytes:
    """A figure ``width`` CSS pixels wide as a PNG of exactly :data:`IMAGE_DPI` across it."""
    scale = IMAGE_DPI / CSS_DPI
    height = exact_css(round(fig.layout.height * scale), scale)
    fig.layout.height = height
    return png_with_dpi(render.render(fig, fmt="png", width=width, height=height, scale=scale), IMAGE_DPI)


def chart_png(chart: Chart, lang: str, render: Renderer) -> bytes:
    """``chart`` alone as a 300 dpi PNG, :data:`IMAGE_WIDTH_MM` wide (for Word)."""
    width = css_width("png", IMAGE_WIDTH_MM, IMAGE_DPI)
    page = Page(width)
    draw_chart(page, chart, lang)
    return _png(page.figure(title=chart.title, lang=lang), width, render)


# -- the PDF ------------------------------------------------------------------------------------

class _Flow:
    """Sections poured onto A4 pages: a new page when the next piece does not fit (a heading
    keeps some of what follows), when a section asks for one, and for a second map."""

    def __init__(self, report: Report):
        self.report, self.lang = report, report.lang
        self.pages: list[Page] = []
        self.has_map = False
        self.contents: list[tuple[str, int]] = []  # (section title, page number) with the cover as page 1
        self.footer_height = self._footer_lines(Page(PAGE_WIDTH, PAGE_HEIGHT), "x" * 20)
        self.page = self._new_page()

    # -- pages ---------------------------------------------------------------------------------

    def _new_page(self) -> Page:
        page = Page(PAGE_WIDTH, PAGE_HEIGHT)
        if self.report.meta.marking:
            page.text(self.report.meta.marking, 9, bold=True, colour=MARKING_COLOUR, align="center", gap=8)
        self.pages.append(page)
        self.has_map = False
        self.top = page.y
        return page

    def _footer_lines(self, page: Page, line: str) -> float:
        """The height of the footer (without drawing it)."""
        meta = self.report.meta
        height = sum(len(wrap(text, page.inner, FOOT)) * FOOT * LINE_HEIGHT + 1 for text in (meta.sources, line))
        return height + (9 * LINE_HEIGHT + 4 if meta.marking else 0) + 8

    @property
    def bottom(self) -> float:
        return PAGE_HEIGHT - self.page.margin * 0.6 - self.footer_height

    def need(self, height: float) -> None:
        if self.page.y + height > self.bottom and self.page.y > self.top + 1:
            self.page = self._new_page()

    # -- pieces --------------------------------------------------------------------------------

    def _height(self, text: str, size: float, bold: bool = False, width: float | None = None) -> float:
        return len(wrap(text, width or self.page.inner, size, bold)) * size * LINE_HEIGHT

    def section(self, section: Section) -> None:
        if section.new_page and self.page.y > self.top + 1:
            self.page = self._new_page()
        size = HEAD1 if section.level == 1 else HEAD2
        self.need(self._height(section.title, size, True) + 80)
        self.contents.append((section.title, len(self.pages) + 1))
        self.page.text(section.title, size, bold=True, gap=8)
        for block in section.blocks:
            self.block(block)

    def block(self, block) -> None:
        if isinstance(block, Paragraph):
            self.paragraph(block)
        elif isinstance(block, Table):
            self.table(block)
        elif isinstance(block, MapBlock):
            self.map(block)
        elif isinstance(block, Chart):
            self.need(chart_height(self.page, block))
            draw_chart(self.page, block, self.lang)

    def paragraph(self, p: Paragraph) -> None:
        page = self.page
        if p.style == "subheading":
            self.need(self._height(p.text, HEAD2, True) + 50)
            self.page.y += 4
            self.page.text(p.text, HEAD2, bold=True, gap=4)
            return
        size = NOTE if p.style == "note" else BODY
        bold = p.style == "caveat"
        colour = MUTED_COLOUR if p.style in ("note", "hint") else TEXT_COLOUR
        indent = 12 if p.style == "bullet" else 0
        text = f"• {p.text}" if p.style == "bullet" else p.text
        self.need(self._height(text, size, bold, page.inner - indent))
        self.page.text(text, size, x=self.page.margin + indent, width=self.page.inner - indent, bold=bold,
                       colour=colour, gap=5)

    def table(self, table: Table) -> None:
        n = len(table.header)
        weights = table.widths or (2.0, *([1.0] * (n - 1)))
        total = sum(weights)
        widths = [self.page.inner * w / total for w in weights]
        lefts = [self.page.margin + sum(widths[:i]) for i in range(n)]

        def header():
            page, top = self.page, self.page.y
            height = 0.0
            for value, left, width, numeric in zip(table.header, lefts, widths, table.numeric):
                height = max(height, page.text(value, CELL_HEAD, x=left + width - 3 if numeric else left + 1,
                                               y=top + 1.5, width=width - 6, bold=True, hyphens=True,
                                               align="right" if numeric else "left"))
            page.y += height + 3
            page.rule(page.y, colour=TEXT_COLOUR)
            page.y += 1

        columns: list[list[str]] = [[] for _ in range(n)]
        top = 0.0

        def flush():
            """The rows so far, a text block per column (one line per line of a cell)."""
            for column, left, width, numeric in zip(columns, lefts, widths, table.numeric):
                if column:
                    self.page.lines(column, CELL, x=left + width - 3 if numeric else left + 1, y=top + 1,
                                    align="right" if numeric else "left")
                column.clear()

        head = max(self._height(h, CELL_HEAD, True, w - 6) for h, w in zip(table.header, widths)) + 4
        wrapped = [[wrap(c, w - 6, CELL) for c, w in zip(row, widths)] for row in table.rows]
        first = max(len(c) for c in wrapped[0]) * CELL * LINE_HEIGHT if wrapped else 0
        title = self._height(table.title, 10, True) + 3 if table.title else 0
        self.need(title + head + first + 4)
        if table.title:
            self.page.text(table.title, 10, bold=True, gap=3)
        header()
        top = self.page.y
        for cells in wrapped:
            lines = max(len(c) for c in cells)
            height = lines * CELL * LINE_HEIGHT
            if self.page.y + height > self.bottom:
                flush()
                self.page = self._new_page()
                header()
                top = self.page.y
            for column, cell in zip(columns, cells):
                column.extend(cell + [""] * (lines - len(cell)))
            self.page.y += height
            self.page.rule(self.page.y + 0.5, colour="#e6e6e6")
        flush()
        self.page.y += 2
        self.page.rule(self.page.y, colour=TEXT_COLOUR)
        self.page.y += 4
        if table.note:
            self.paragraph(Paragraph(table.note, "note"))
        self.page.y += 4

    def map(self, block: MapBlock) -> None:
        paper = PaperMap.of(block.view, block.geojson)
        aspect = min(1.25, max(0.35, paper.aspect or 1.0))
        width = self.page.inner
        height = min(width * aspect, MAP_MAX_HEIGHT)
        texts = self._height(block.view.heading, 11, True) + 4 + LEGEND_HEIGHT + self._height(block.view.source, NOTE) + 8
        if self.has_map or self.page.y + height + texts > self.bottom:
            if self.page.y > self.top + 1:
                self.page = self._new_page()
            height = min(height, self.bottom - self.page.y - texts)
        page = self.page
        page.text(block.view.heading, 11, bold=True, gap=4)
        width = min(width, height / aspect)
        left = page.margin + (page.inner - width) / 2
        page.map(paper, left, page.y, width, height)
        if self.report.meta.demo:
            page.watermark(t("export.watermark", self.lang), page.width / 2, page.y + height / 2, round(page.width / 22))
        self.has_map = True
        page.y += height + 8
        page.legend(block.view.legend, block.view.legend_title, self.lang)
        for text in (block.view.notice, block.view.source):
            if text:
                page.text(text, NOTE, colour=MUTED_COLOUR, gap=3)
        page.y += 6

    # -- the frame of every page ---------------------------------------------------------------

    def footer(self, page: Page, number: int, total: int) -> None:
        meta = self.report.meta
        line = " · ".join([meta.title, t("report.page", self.lang, n=number, total=total),
                           t("export.exported", self.lang, moment=_moment(self.report)),
                           *([t("export.demo", self.lang)] if meta.demo else [])])
        page.y = PAGE_HEIGHT - page.margin * 0.6 - self._footer_lines(page, line) + 6
        page.rule(page.y - 3, colour=RULE_COLOUR)
        page.text(meta.sources, FOOT, colour=MUTED_COLOUR, gap=1)
        page.text(line, FOOT, colour=MUTED_COLOUR, gap=1)
        if meta.marking:
            page.y += 3
            page.text(meta.marking, 9, bold=True, colour=MARKING_COLOUR, align="center")

    def cover(self) -> Page:
        report, lang = self.report, self.lang
        page = Page(PAGE_WIDTH, PAGE_HEIGHT)
        meta = report.meta
        if meta.marking:
            page.text(meta.marking, 12, bold=True, colour=MARKING_COLOUR, align="center", gap=60)
        else:
            page.y += 60
        page.text(report.title, 24, bold=True, gap=6)
        page.text(report.subtitle, 13, colour=MUTED_COLOUR, gap=14)
        for line in report.cover:
            page.text(line, 11, gap=3)
        page.text(t("export.exported", lang, moment=_moment(report)), 11, gap=3)
        if meta.demo:
            page.text(t("export.demo", lang), 11, bold=True, colour=DEMO_COLOUR, gap=3)
        page.y += 24
        page.text(t("report.contents", lang), 13, bold=True, gap=6)
        for title, number in self.contents:
            page.text(title, 10.5, width=page.inner - 60, y=page.y)
            page.text(str(number), 10.5, align="right", y=page.y)
            page.y += 10.5 * LINE_HEIGHT + 3
        page.y += 18
        page.text(meta.caveat, 10, bold=True, gap=4)
        return page


def report_pages(report: Report) -> list[Page]:
    """The report laid out on A4 pages, the cover first, each with its footer."""
    flow = _Flow(report)
    for section in _shown(report, editable=False):
        flow.section(section)
    for page in flow.pages:
        if page.y > flow.bottom + TRAILING_GAP:
            raise ExportError(f"a page of the report of {report.code} overflows")
    pages = [flow.cover(), *flow.pages]
    for number, page in enumerate(pages, start=1):
        flow.footer(page, number, len(pages))
    return pages


def report_pdf(report: Report, renderer_: Renderer | None = None) -> bytes:
    """The report as one PDF, a vector A4 page per :class:`Page`."""
    from pypdf import PdfReader, PdfWriter  # noqa: PLC0415 (only reports need it)

    active = renderer_ or renderer()
    writer = PdfWriter()
    for page in report_pages(report):
        fig = page.figure(title=report.title, lang=report.lang)
        writer.append(PdfReader(io.BytesIO(active.render(fig, fmt="pdf", width=PAGE_WIDTH, height=PAGE_HEIGHT))))
    writer.add_metadata({"/Title": report.title, "/Subject": report.subtitle, "/Creator": t("app.title", report.lang)})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


# -- Word ---------------------------------------------------------------------------------------

#: Our paragraph styles: (name, size in points, bold, italic, colour).
DOCX_STYLES = {"note": ("Report note", 8.5, False, False, "444444"),
               "caveat": ("Report caveat", 10, True, False, "1b1b1b"),
               "hint": ("Report placeholder", 10, False, True, "6f6f6f"),
               "marking": ("Report marking", 10, True, False, "8b0000")}
LANGUAGE_TAGS = {"nl": "nl-NL", "en": "en-GB"}


def _styles(doc, lang: str) -> None:
    from docx.enum.style import WD_STYLE_TYPE  # noqa: PLC0415
    from docx.oxml import OxmlElement  # noqa: PLC0415
    from docx.oxml.ns import qn  # noqa: PLC0415
    from docx.shared import Pt, RGBColor  # noqa: PLC0415

    for name, size, bold, italic, colour in DOCX_STYLES.values():
        style = doc.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
        style.base_style = doc.styles["Normal"]
        style.font.size, style.font.bold, style.font.italic = Pt(size), bold, italic
        style.font.color.rgb = RGBColor.from_string(colour)
    doc.styles["Normal"].font.size = Pt(10)
    # The document's language (spelling, hyphenation) on the default run properties.
    defaults = doc.styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    tag = OxmlElement("w:lang")
    tag.set(qn("w:val"), LANGUAGE_TAGS.get(lang, "nl-NL"))
    defaults.append(tag)


def _field(paragraph, instruction: str, placeholder: str = "") -> None:
    """A Word field (``TOC``, ``PAGE``) that Word computes; ``placeholder`` shows until then."""
    from docx.oxml import OxmlElement  # noqa: PLC0415
    from docx.oxml.ns import qn  # noqa: PLC0415

    def char(kind: str):
        run = OxmlElement("w:r")
        element = OxmlElement("w:fldChar")
        element.set(qn("w:fldCharType"), kind)
        if kind == "begin":
            element.set(qn("w:dirty"), "true")
        run.append(element)
        return run

    code = OxmlElement("w:r")
    text = OxmlElement("w:instrText")
    text.set(qn("xml:space"), "preserve")
    text.text = f" {instruction} "
    code.append(text)
    shown = OxmlElement("w:r")
    value = OxmlElement("w:t")
    value.text = placeholder
    shown.append(value)
    for element in (char("begin"), code, char("separate"), shown, char("end")):
        paragraph._p.append(element)


def _docx_table(doc, table: Table) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH  # noqa: PLC0415
    from docx.oxml import OxmlElement  # noqa: PLC0415
    from docx.oxml.ns import qn  # noqa: PLC0415

    if table.title:
        doc.add_paragraph(table.title, style="Caption")
    grid = doc.add_table(rows=1 + len(table.rows), cols=len(table.header))
    grid.style = doc.styles["Table Grid"]
    repeat = OxmlElement("w:tblHeader")
    repeat.set(qn("w:val"), "true")
    grid.rows[0]._tr.get_or_add_trPr().append(repeat)
    for r, (row, values) in enumerate(zip(grid.rows, (table.header, *table.rows))):
        for cell, value, numeric in zip(row.cells, values, table.numeric):
            paragraph = cell.paragraphs[0]
            run = paragraph.add_run(value)
            run.bold = r == 0 or None
            if numeric:
                paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    if table.note:
        doc.add_paragraph(table.note, style=DOCX_STYLES["note"][0])


def _picture(doc, png: bytes, description: str) -> None:
    from docx.shared import Mm  # noqa: PLC0415

    shape = doc.add_picture(io.BytesIO(png), width=Mm(IMAGE_WIDTH_MM))
    shape._inline.docPr.set("descr", description)  # alternative text for screen readers


def report_docx(report: Report, renderer_: Renderer | None = None) -> bytes:
    """The report as an editable Word document (see the module doc)."""
    try:
        from docx import Document  # noqa: PLC0415 (only reports need it)
        from docx.enum.text import WD_ALIGN_PARAGRAPH  # noqa: PLC0415
        from docx.oxml import OxmlElement  # noqa: PLC0415
        from docx.oxml.ns import qn  # noqa: PLC0415
        from docx.shared import Mm, Pt  # noqa: PLC0415
    except ImportError as err:  # pragma: no cover - depends on the install
        raise ExportError("Word reports need python-docx (pip install 'python-docx>=1.1,<2').") from err
    active = renderer_ or renderer()
    lang, meta = report.lang, report.meta
    doc = Document()
    _styles(doc, lang)
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.left_margin = section.right_margin = Mm(25)
    section.top_margin, section.bottom_margin = Mm(22), Mm(20)
    props = doc.core_properties
    props.title, props.subject, props.author = report.title, report.subtitle, t("app.title", lang)
    props.language, props.keywords = LANGUAGE_TAGS[lang], meta.marking
    props.created = meta.exported_at

    if meta.marking:
        head = section.header.paragraphs[0]
        head.text, head.style = meta.marking, doc.styles[DOCX_STYLES["marking"][0]]
        head.alignment = WD_ALIGN_PARAGRAPH.CENTER
    foot = section.footer.paragraphs[0]
    foot.style = doc.styles[DOCX_STYLES["note"][0]]
    foot.add_run(f"{meta.title} · {meta.sources} · ")
    _field(foot, "PAGE", "1")
    if meta.marking:
        mark = section.footer.add_paragraph(meta.marking, style=DOCX_STYLES["marking"][0])
        mark.alignment = WD_ALIGN_PARAGRAPH.CENTER

    # The cover and the table of contents.
    doc.add_paragraph(report.title, style="Title")
    doc.add_paragraph(report.subtitle, style="Subtitle")
    for line in [*report.cover, t("export.exported", lang, moment=_moment(report))]:
        doc.add_paragraph(line)
    if meta.demo:
        doc.add_paragraph(t("export.demo", lang), style=DOCX_STYLES["caveat"][0])
    doc.add_paragraph(meta.caveat, style=DOCX_STYLES["caveat"][0])
    contents = doc.add_paragraph(t("report.contents", lang), style=DOCX_STYLES["caveat"][0])
    contents.paragraph_format.page_break_before = True
    contents.runs[0].font.size = Pt(14)
    _field(doc.add_paragraph(), r'TOC \o "1-2" \h \z \u', t("report.toc_placeholder", lang))

    for part in _shown(report, editable=True):
        heading = doc.add_heading(part.title, level=part.level)
        heading.paragraph_format.page_break_before = part.new_page
        for block in part.blocks:
            if isinstance(block, Paragraph):
                if block.style == "subheading":
                    doc.add_heading(block.text, level=min(part.level + 1, 3))
                elif block.style == "bullet":
                    doc.add_paragraph(block.text, style="List Bullet")
                elif block.style == "body":
                    doc.add_paragraph(block.text)
                else:
                    doc.add_paragraph(block.text, style=DOCX_STYLES[block.style][0])
            elif isinstance(block, Table):
                _docx_table(doc, block)
            elif isinstance(block, MapBlock):
                png = export_figure(block.view, block.geojson, fmt="png", meta=block.meta, width_mm=IMAGE_WIDTH_MM,
                                    dpi=IMAGE_DPI, renderer_=active)
                _picture(doc, png, block.view.heading)
            elif isinstance(block, Chart):
                _picture(doc, chart_png(block, lang, active), block.title)
        if part.editable_only:  # room to write in
            for _ in range(3):
                doc.add_paragraph()
    # Word fills in the table of contents (and page numbers) when the file is opened.
    update = OxmlElement("w:updateFields")
    update.set(qn("w:val"), "true")
    doc.settings.element.append(update)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def report_file(report: Report, fmt: str, renderer_: Renderer | None = None) -> bytes:
    """The report as ``fmt`` (``"pdf"`` or ``"docx"``)."""
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {FORMATS}, not {fmt!r}")
    return report_pdf(report, renderer_) if fmt == "pdf" else report_docx(report, renderer_)
