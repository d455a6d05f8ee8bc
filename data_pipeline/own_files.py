"""An analyst's own file: read it, recognise its area and year columns, join it to the warehouse.

Three steps, each usable alone (the upload page shows the result of each before anything is
stored; the store in :mod:`data_pipeline.own` keeps what :func:`join` returns):

1. :func:`read_upload` turns the bytes of an upload into an :class:`OwnTable` of text cells,
   each row numbered as in the file: a CSV (``,``, ``;`` or tab; UTF-8 with or without byte
   order mark, or Windows-1252), a StatLine download (title and filter lines, the header rows
   ``Onderwerp`` / ``Perioden`` / ``Regio's``, one column per topic and period, a ``Bron:``
   footer) turned into one row per area and period with the year column ``Perioden``, or an
   XLSX sheet (which may itself hold a StatLine download).
2. :func:`recognise` proposes the area column (CBS codes GM/WK/BU of any boundary year, padded
   or not, or gemeente names), the year column and the columns of numbers.
3. :func:`join` matches every row to an area of the warehouse at its own level (gemeente,
   wijk and buurt rows may be mixed; a politie regionale eenheid row joins its RIEC region) and
   parses the figures. A row that does not join is reported with its reason in English and
   Dutch: a code not in the warehouse's boundary year (with the merger where the row names a
   former gemeente), a name that matches no gemeente (with the closest names), the Nederland
   total, "niet in te delen". Nothing is guessed and nothing moves to another area.

Figures: ``.``, ``x`` and an empty cell are missing (never 0); ``-`` is nil (0) in a StatLine
download only, where ``*`` marks a provisional figure or period. Dutch ``1.234,5`` and ``1,5``
and ``1234.5`` are all read; ``1.234`` means 1234 in a column that writes decimals with a comma
(or in a column of counts) and 1.234 otherwise; where a column uses both conventions, such a
cell is refused rather than guessed.

Every refusal is an :class:`OwnInputError` naming the file, the row (as numbered in the file:
its line in a CSV, its row in a sheet), the column and the problem, in English and Dutch.
Shared with :mod:`data_pipeline.cbs_files`: the separator, header cleaning and the layout of a
StatLine download; with :mod:`geodata.names`: matching gemeente names and former gemeenten.
"""

from __future__ import annotations

import csv
import io
import math
import re
import zipfile
from dataclasses import dataclass, field, replace
from typing import Collection, Sequence

import pandas as pd
from babel.numbers import format_decimal, format_percent

from data_pipeline.cbs_files import STATLINE_MISSING, clean_header, separator_of, statline_layout
from data_pipeline.warehouse import Warehouse
from geodata.codes import gemeente_of
from geodata.names import FORMER_GEMEENTEN, former_gemeente, match_gemeente_names, name_key, without_suffix

#: The largest upload read (bytes).
MAX_BYTES = 50 * 1024 * 1024

#: Cells that are a missing figure: unknown or secret (StatLine's "." and "x") or empty.
MISSING = frozenset(STATLINE_MISSING | {"X"})

_LOCALES = {"nl": "nl_NL", "en": "en_GB"}
_LEVEL_CODE_WORD = {"gemeente": ("gemeente code", "gemeentecode"), "wijk": ("wijk code", "wijkcode"),
                    "buurt": ("buurt code", "buurtcode"), "regio": ("regio code", "regiocode"),
                    "land": ("land code", "landcode")}
_YEAR = re.compile(r"^(\d{4})(?:JJ00)?\*{0,2}$")
_YEAR_HINTS = ("jaar", "year", "perioden", "periode", "period", "jr")
_AREA_HINTS = ("code", "regio", "gemeente", "gebied", "wijk", "buurt", "gm", "area")
#: Leading bytes of a ZIP container (XLSX) and of an old binary Excel (XLS) workbook.
_ZIP, _OLE = b"PK\x03\x04", b"\xd0\xcf\x11\xe0"
#: Rows per column looked at when recognising columns (the join reads all of them).
_SAMPLE = 500


# -- errors ----------------------------------------------------------------------------------

class OwnInputError(ValueError):
    """Bad input: names file, row (1-based row/line number in the file, or None), column (or None)
    and the problem. ``str(err)`` is the English message; ``err.message("nl")`` the Dutch one.
    ``more`` counts further places with the same problem (said in the message)."""

    def __init__(self, file: str, row: int | None, column: str | None, problem: str, problem_nl: str,
                 more: int = 0, sheets: tuple[str, ...] = ()):
        self.file, self.row, self.column = file, row, column
        self.problem, self.problem_nl, self.more = problem, problem_nl, more
        self.sheets = sheets   # a workbook of several sheets, read without choosing one: its sheets
        super().__init__(self.message("en"))

    def message(self, lang: str = "en") -> str:
        nl = lang == "nl"
        where = [self.file]
        if self.row is not None:
            where.append(f"{'rij' if nl else 'row'} {self.row}")
        if self.column is not None:
            where.append(f"{'kolom' if nl else 'column'} {self.column!r}")
        text = f"{', '.join(where)}: {self.problem_nl if nl else self.problem}"
        if self.more:
            text += (f" (en nog {self.more} keer zo)" if nl else f" (and {self.more} more like it)")
        return text

    def __str__(self) -> str:
        return self.message("en")


def _refuse(file: str, problems: list[tuple[int | None, str | None, str, str]]) -> None:
    """Raise for the first of ``problems`` (row, column, English, Dutch), counting the rest."""
    if problems:
        row, column, en, nl = problems[0]
        raise OwnInputError(file, row, column, en, nl, more=len(problems) - 1)


# -- reading ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class OwnTable:
    """An uploaded file as text cells (``""`` for empty), one row per data row; ``cells.index``
    is the row number in the file (a StatLine download's row appears once per period)."""

    file_name: str
    kind: str                      # "csv" | "statline" | "xlsx"
    sheet: str | None              # the XLSX sheet read
    sheets: tuple[str, ...]        # every sheet of an XLSX (CSV: ())
    columns: tuple[str, ...]       # header names, unique, stripped
    cells: pd.DataFrame
    title: str | None = None       # a StatLine download's title line
    notes: tuple[str, ...] = ()    # how it was read (header/footer lines skipped ...)

    def preview(self, n: int = 10) -> pd.DataFrame:
        """The first ``n`` rows, with the file's row number as the first column ``row``."""
        return self.cells.head(n).rename_axis("row").reset_index()


def read_upload(file_name: str, data: bytes, *, sheet: str | None = None) -> OwnTable:
    """CSV (',' or ';' or tab, UTF-8 with or without BOM, also cp1252 as StatLine sometimes
    writes), StatLine downloads (title/header lines, 'Onderwerp'/'Perioden'/'Regio's' header
    rows of the wide layout turned into one row per area and period with a year column,
    footer lines such as 'Bron: CBS'), and XLSX (openpyxl; several sheets without ``sheet``
    → OwnInputError listing them). Over MAX_BYTES, empty, one column only (wrong delimiter),
    unreadable → OwnInputError."""
    if len(data) > MAX_BYTES:
        raise OwnInputError(file_name, None, None,
                            f"the file is {len(data) / 1024 / 1024:.1f} MB, more than the {MAX_BYTES // 1024 // 1024} MB allowed",
                            f"het bestand is {_mb(len(data))} MB, meer dan de toegestane {MAX_BYTES // 1024 // 1024} MB")
    if not data.removeprefix(b"\xef\xbb\xbf").strip():
        raise OwnInputError(file_name, None, None, "the file is empty", "het bestand is leeg")
    if data.startswith(_OLE):
        raise OwnInputError(file_name, None, None,
                            "an old Excel workbook (XLS) is not read: save it as XLSX or CSV",
                            "een oud Excel-bestand (XLS) wordt niet gelezen: sla het op als XLSX of CSV")
    if data.startswith(_ZIP):
        records, chosen, sheets = _xlsx_records(file_name, data, sheet)
        return _table(file_name, records, "xlsx", chosen, sheets, [f"sheet {chosen!r} read"])
    if sheet is not None:
        raise OwnInputError(file_name, None, None, f"a sheet ({sheet!r}) was chosen, but the file is no XLSX",
                            f"er is een werkblad ({sheet!r}) gekozen, maar het bestand is geen XLSX")
    text, notes = _decode(file_name, data)
    return _table(file_name, _csv_records(file_name, text), "csv", None, (), notes)


def _mb(size: int) -> str:
    return format_decimal(round(size / 1024 / 1024, 1), locale=_LOCALES["nl"])


def _decode(file_name: str, data: bytes) -> tuple[str, list[str]]:
    try:
        text, notes = data.decode("utf-8-sig"), []
    except UnicodeDecodeError:
        text, notes = data.decode("cp1252", errors="replace"), ["not UTF-8: read as Windows-1252 (cp1252)"]
    if "\x00" in text:
        raise OwnInputError(file_name, None, None, "not a text file (CSV) nor an XLSX workbook",
                            "geen tekstbestand (CSV) en geen XLSX-werkmap")
    return text, notes


def _csv_records(file_name: str, text: str) -> list[tuple[int, list[str]]]:
    """The records of a CSV text with the line each starts on. The separator is the header's
    (decimal commas in the rows of a ';' file say nothing), or that of the first lines when the
    first is a quoted title (a StatLine download)."""
    lines = [line for line in text.splitlines()[:10] if line.strip()]
    separator = separator_of(lines[0])
    if separator not in re.sub(r'"[^"]*"', "", lines[0]):
        separator = separator_of("\n".join(lines))
    reader = csv.reader(io.StringIO(text), delimiter=separator, quotechar='"')
    records, line = [], 1
    try:
        for record in reader:
            records.append((line, record))
            line = reader.line_num + 1
    except csv.Error as err:
        raise OwnInputError(file_name, line, None, f"not a readable CSV line ({err})",
                            f"geen leesbare CSV-regel ({err})") from None
    return records


def _xlsx_records(file_name: str, data: bytes, sheet: str | None) -> tuple[list[tuple[int, list[str]]], str, tuple[str, ...]]:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as err:
        raise OwnInputError(file_name, None, None, f"not a readable XLSX workbook ({type(err).__name__})",
                            f"geen leesbare XLSX-werkmap ({type(err).__name__})") from None
    try:
        sheets = tuple(book.sheetnames)
        listed = ", ".join(repr(s) for s in sheets)
        if sheet is None and len(sheets) > 1:
            raise OwnInputError(file_name, None, None, f"the workbook has {len(sheets)} sheets ({listed}): choose one",
                                f"de werkmap heeft {len(sheets)} werkbladen ({listed}): kies er een", sheets=sheets)
        chosen = sheet if sheet is not None else sheets[0]
        if chosen not in sheets:
            raise OwnInputError(file_name, None, None, f"no sheet {chosen!r} in the workbook (sheets: {listed})",
                                f"geen werkblad {chosen!r} in de werkmap (werkbladen: {listed})")
        rows = book[chosen]
        rows.reset_dimensions()     # the size a writer stated may be wrong: read every row there is
        records = [(number, [_xlsx_text(v) for v in values])
                   for number, values in enumerate(rows.iter_rows(values_only=True), start=1)]
    finally:
        book.close()
    for _, record in records:
        while record and record[-1] == "":
            record.pop()
    return records, chosen, sheets


def _xlsx_text(value: object) -> str:
    """A sheet cell as the text a CSV would hold (numbers without thousands separators)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).upper()
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _table(file_name: str, records: list[tuple[int, list[str]]], kind: str, sheet: str | None,
           sheets: tuple[str, ...], notes: list[str]) -> OwnTable:
    layout = statline_layout([r for _, r in records])
    if layout is not None:
        return _statline_table(file_name, records, layout, sheet, sheets, notes)
    filled = [(n, r) for n, r in records if any(c.strip() for c in r)]
    if not filled:
        raise OwnInputError(file_name, None, None, "the file is empty", "het bestand is leeg")
    (header_row, header), rows = filled[0], filled[1:]
    names = [clean_header(c) for c in header]
    if len(names) < 2 and all(len(r) < 2 for _, r in rows):
        raise OwnInputError(file_name, header_row, None,
                            f"only one column ({names[0][:60]!r}): a file needs an area column and a column of "
                            "figures, separated by ',', ';' or a tab",
                            f"maar één kolom ({names[0][:60]!r}): een bestand heeft een gebiedskolom en een kolom "
                            "met cijfers nodig, gescheiden door ',', ';' of een tab")
    width = len(names)
    problems = []
    for number, record in rows:
        extra = [c for c in record[width:] if c.strip()]
        if extra or (len(record) < width and kind == "csv"):
            problems.append((number, None, f"{len(record)} cells where the header has {width}",
                             f"{len(record)} cellen waar de kopregel er {width} heeft"))
    _refuse(file_name, problems)
    cells = [[c.strip() for c in (r + [""] * width)[:width]] for _, r in rows]
    frame = pd.DataFrame(cells, columns=range(width), index=pd.Index([n for n, _ in rows], name=None), dtype=object)
    keep, problems = [], []
    for i, name in enumerate(names):
        if name == "":
            if (frame[i] != "").any():
                problems.append((header_row, None, f"column {i + 1} has figures but no name in the header",
                                 f"kolom {i + 1} heeft cijfers maar geen naam in de kopregel"))
            continue
        if name in names[:i]:
            problems.append((header_row, name, f"the column name appears twice (columns {names.index(name) + 1} "
                                               f"and {i + 1})",
                             f"de kolomnaam staat er twee keer (kolommen {names.index(name) + 1} en {i + 1})"))
        keep.append(i)
    _refuse(file_name, problems)
    if not rows:
        raise OwnInputError(file_name, header_row, None, "no rows below the header", "geen rijen onder de kopregel")
    frame = frame[keep].set_axis([names[i] for i in keep], axis=1)
    if header_row > 1:
        notes = [*notes, f"{header_row - 1} empty line(s) above the header skipped"]
    return OwnTable(file_name, kind, sheet, sheets, tuple(frame.columns), frame, notes=tuple(notes))


def _statline_table(file_name: str, records: list[tuple[int, list[str]]], layout, sheet: str | None,
                    sheets: tuple[str, ...], notes: list[str]) -> OwnTable:
    """A StatLine download's wide rows (one column per topic and period) as one row per area and
    period: the row dimension (``Regio's``), ``Perioden`` and a column per topic."""
    topics = [c.strip() for c in records[layout.topics_at][1][1:layout.width]]
    periods = [c.strip() for c in records[layout.periods_at][1][1:layout.width]]
    if len(periods) != len(topics):
        raise OwnInputError(file_name, records[layout.periods_at][0], "Perioden",
                            f"{len(periods)} periods for {len(topics)} topics",
                            f"{len(periods)} perioden voor {len(topics)} onderwerpen")
    dimension = layout.dimension or "Regio's"
    seen: dict[tuple[str, str], int] = {}
    for position, (topic, period) in enumerate(zip(topics, periods)):
        if (topic, period) in seen:
            raise OwnInputError(file_name, records[layout.topics_at][0], topic,
                                f"topic {topic!r} appears twice for period {period!r}",
                                f"onderwerp {topic!r} staat twee keer bij periode {period!r}")
        seen[(topic, period)] = position + 1
    columns = [dimension, "Perioden", *dict.fromkeys(topics)]
    if len(set(columns)) != len(columns):
        raise OwnInputError(file_name, records[layout.topics_at][0], None,
                            f"a topic is called like the row header {dimension!r} or 'Perioden'",
                            f"een onderwerp heet als de rijkop {dimension!r} of 'Perioden'")
    end = layout.footer if layout.footer is not None else len(records)
    rows, index, problems = [], [], []
    for number, record in records[layout.first_data:end]:
        if not any(c.strip() for c in record):
            continue
        if len([c for c in record if c.strip()]) == 1 and record[0].strip().startswith("Bron"):
            continue
        if any(c.strip() for c in record[layout.width:]) or (len(record) < layout.width and sheet is None):
            problems.append((number, None, f"{len(record)} cells where the header has {layout.width}",
                             f"{len(record)} cellen waar de kopregel er {layout.width} heeft"))
            continue
        record = (record + [""] * layout.width)[:layout.width]
        for period in dict.fromkeys(periods):
            row = {dimension: record[0].strip(), "Perioden": period}
            row.update({t: "" for t in columns[2:]})
            row.update({t: record[seen[(t, p)]].strip() for t, p in seen if p == period})
            rows.append(row)
            index.append(number)
    _refuse(file_name, problems)
    if not rows:
        raise OwnInputError(file_name, None, None, "a StatLine download without figure rows",
                            "een StatLine-download zonder rijen met cijfers")
    frame = pd.DataFrame(rows, columns=columns, index=pd.Index(index), dtype=object)
    footer = [records[i][1][0].strip() for i in range(end, len(records)) if records[i][1] and records[i][1][0].strip()]
    notes = [*notes, f"StatLine download {layout.title!r}: {layout.first_data} title, filter and header lines "
                     f"skipped; {len(set(periods))} period(s) turned into rows with the year in 'Perioden'"]
    notes += [f"filter: {f}" for f in layout.filters]
    notes.append(f"footer skipped: {'; '.join(footer)}" if footer else "no 'Bron:' footer line (a download cut off?)")
    return OwnTable(file_name, "statline", sheet, sheets, tuple(columns), frame, title=layout.title or None,
                    notes=tuple(notes))


# -- areas -----------------------------------------------------------------------------------

_CODE = re.compile(r"^(?:(?P<gm>GM\d{1,4})|(?P<digits>\d{1,4})|(?P<wk>WK\d{4}[0-9A-Z]{2})|(?P<bu>BU\d{4}[0-9A-Z]{4})"
                   r"|(?P<nl>NL\d{2})|(?P<re>RE\d{2}))$")


@dataclass(frozen=True)
class _Key:
    """What one area cell is: ``kind`` ``code`` (a code, ``code`` normalised), ``name`` (a
    gemeente matched by name), ``land``, ``regio``, ``not_used`` (niet in te delen, abroad),
    ``former``, ``unknown`` or ``empty``; ``reason``/``reason_nl`` for a row that does not join."""

    kind: str
    code: str | None = None
    level: str = ""
    reason: str = ""
    reason_nl: str = ""
    by_code: bool = False          # the cell is a CBS code (of any boundary year), not a name


def _code_of(cell: str, digits: bool) -> tuple[str, str] | None:
    """``(code, level)`` of a cell that is a CBS code (``363`` only with ``digits``)."""
    found = _CODE.match(cell.upper().replace(" ", ""))
    if found is None:
        return None
    group = found.lastgroup
    if group == "digits" and not digits:
        return None
    if group in ("gm", "digits"):
        return "GM" + found.group(group).removeprefix("GM").zfill(4), "gemeente"
    level = {"wk": "wijk", "bu": "buurt", "nl": "land", "re": "regio"}[group]
    return found.group(group), level


class _Areas:
    """Resolves area cells against one warehouse (its codes, gemeente names and boundary year)."""

    def __init__(self, warehouse: Warehouse):
        frame = warehouse.areas_frame()
        self.warehouse = warehouse
        self.year = int(warehouse.meta.get("boundary_year", 0)) or None
        self.levels = set(frame["level"])
        self.gemeenten = frame.loc[frame["level"] == "gemeente", ["code", "name"]].reset_index(drop=True)
        self.where = ((f"the {self.year} boundaries", f"de grenzen van {self.year}") if self.year
                      else ("the warehouse's boundaries", "de grenzen van het warehouse"))

    def resolve(self, cells: pd.Series, *, digits: bool) -> dict[str, _Key]:
        """A :class:`_Key` for every distinct cell."""
        keys: dict[str, _Key] = {}
        labels = []
        for cell in dict.fromkeys(cells):
            code = _code_of(cell, digits) if cell else None
            if not cell:
                keys[cell] = _Key("empty", reason="no area in this row", reason_nl="geen gebied in deze rij")
            elif code is not None:
                keys[cell] = replace(self._code_key(*code), by_code=True)
            else:
                labels.append(cell)
        if labels:
            matched = match_gemeente_names(labels, self.gemeenten, within=self.where)
            for row in matched.itertuples(index=False):
                keys[row.label] = self._name_key(row)
        return keys

    def _code_key(self, code: str, level: str) -> _Key:
        if level == "land":
            return self._land(level)
        if self.warehouse.has_area(code) and self.warehouse.area(code).level == level:
            return _Key("code", code, level)
        word, word_nl = _LEVEL_CODE_WORD[level]
        if level not in self.levels:
            return _Key("unknown", code, level, f"the warehouse has no {level} level",
                        f"het warehouse heeft geen niveau {level}")
        where, where_nl = self.where
        reason, reason_nl = f"{word} {code} is not in {where}", f"{word_nl} {code} niet in {where_nl}"
        if level in ("wijk", "buurt"):
            if not self.warehouse.has_area(gemeente_of(code)):
                reason += f"; nor is its gemeente {gemeente_of(code)}"
                reason_nl += f"; de gemeente {gemeente_of(code)} evenmin"
            else:
                reason += " (a code of another boundary year?)"
                reason_nl += " (een code van een ander indelingsjaar?)"
        return _Key("unknown", code, level, reason, reason_nl)

    def _land(self, level: str) -> _Key:
        return _Key("land", None, level, "Nederland (the whole country): a total, not used",
                    "Nederland (het hele land): een totaal, niet gebruikt")

    def _name_key(self, row) -> _Key:
        if row.kind == "gemeente":
            return _Key("name", row.code, "gemeente")
        if row.kind == "land":
            return self._land("land")
        if row.kind == "regio":
            if self.warehouse.has_area(row.code):
                return _Key("name", row.code, "regio")
            return _Key("unknown", row.code, "regio", f"regio {row.code} is not in the warehouse",
                        f"regio {row.code} niet in het warehouse")
        if row.kind in ("unassigned", "abroad"):
            return _Key("not_used", None, "", f"{row.reason}: not used", f"{row.reason_nl}: niet gebruikt")
        if row.kind == "former":
            return _Key("former", None, "gemeente", row.reason, row.reason_nl)
        return _Key("unknown", None, "", row.reason, row.reason_nl)


def _former_in_row(values: Sequence[str]) -> tuple[str, str] | None:
    """The merger of a former gemeente named in any cell of a row (a code column beside a name
    column), in English and Dutch."""
    for value in values:
        if value and FORMER_GEMEENTEN.get(without_suffix(name_key(value))):
            return former_gemeente(value), former_gemeente(value, "nl")
    return None


# -- figures ---------------------------------------------------------------------------------

_NUMBER_FORMS = [   # (name, pattern): the forms a figure is written in (after the sign)
    ("plain", re.compile(r"^\d+$")),
    ("exponent", re.compile(r"^\d+(?:\.\d+)?[eE][+-]?\d+$")),
    ("nl_full", re.compile(r"^\d{1,3}(?:\.\d{3})+,\d+$")),      # 1.234,5
    ("en_full", re.compile(r"^\d{1,3}(?:,\d{3})+\.\d+$")),      # 1,234.5
    ("dot_groups", re.compile(r"^\d{1,3}(?:\.\d{3}){2,}$")),    # 1.234.567
    ("comma_groups", re.compile(r"^\d{1,3}(?:,\d{3}){2,}$")),   # 1,234,567
    ("dot_maybe", re.compile(r"^[1-9]\d{0,2}\.\d{3}$")),       # 1.234: thousands or decimals
    ("comma_maybe", re.compile(r"^[1-9]\d{0,2},\d{3}$")),      # 1,234
    ("dot_decimal", re.compile(r"^\d*\.\d+$")),                 # 1234.5, 0.125
    ("comma_decimal", re.compile(r"^\d*,\d+$")),                # 1,5
]
_DUTCH, _ENGLISH = {"nl_full", "dot_groups", "comma_decimal"}, {"en_full", "comma_groups", "dot_decimal"}
_SPACES = re.compile(r"[\s\u00a0\u202f]")


def _form(text: str) -> tuple[str, str, str] | None:
    """``(sign, body, form)`` of a number as written, or ``None``."""
    sign = text[0] if text[:1] in "+-" else ""
    body = _SPACES.sub("", text[len(sign):])
    for name, pattern in _NUMBER_FORMS:
        if pattern.match(body):
            return sign, body, name
    return None


def _clean_cell(cell: str, statline: bool) -> str:
    text = cell.strip()
    if statline:
        text = "0" if text == "-" else text.rstrip("*")
    return text.replace("\u2212", "-")


def _numbers(cells: pd.Series, *, statline: bool, count: bool) -> tuple[pd.Series, list[tuple[int, str, str]]]:
    """Figures of a column as float (NaN where missing) and the cells that are not figures:
    ``(row, English, Dutch)``. Grouping and decimal marks are read as the column uses them."""
    texts = [_clean_cell(c, statline) for c in cells]
    forms = [None if t in MISSING else _form(t) for t in texts]
    used = {f[2] for f in forms if f is not None}
    dutch, english = bool(used & _DUTCH), bool(used & _ENGLISH)
    values, bad = [], []
    for row, cell, text, form in zip(cells.index, cells, texts, forms):
        if text in MISSING:
            values.append(math.nan)
            continue
        if form is None:
            values.append(math.nan)
            bad.append((int(row), f"not a number: {cell!r}", f"geen getal: {cell!r}"))
            continue
        sign, body, name = form
        grouping = {"dot_maybe": english is False and (dutch or count),
                    "comma_maybe": dutch is False and (english or count)}.get(name)
        if name in ("dot_maybe", "comma_maybe") and dutch and english:
            values.append(math.nan)
            bad.append((int(row), f"{text!r} is ambiguous here (this column writes decimals with both '.' and ','): "
                                  "write it without a thousands separator",
                        f"{text!r} is hier niet eenduidig (deze kolom schrijft decimalen met zowel '.' als ','): "
                        "schrijf het zonder scheidingsteken voor duizendtallen"))
            continue
        if name in ("nl_full", "dot_groups") or (name == "dot_maybe" and grouping):
            body = body.replace(".", "").replace(",", ".")
        elif name in ("en_full", "comma_groups") or (name == "comma_maybe" and grouping):
            body = body.replace(",", "")
        else:
            body = body.replace(",", ".")
        values.append(float(sign + body))
    return pd.Series(values, index=cells.index, dtype="float64"), bad


def _year_of(cell: str) -> int | None:
    found = _YEAR.match(cell.strip())
    return int(found.group(1)) if found and 1900 <= int(found.group(1)) <= 2100 else None


# -- recognising -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Recognised:
    area_column: str | None        # codes GM/WK/BU (any boundary year, padded or not) or gemeente names
    year_column: str | None        # a column of years/periods ("2024", "2024JJ00")
    value_columns: tuple[str, ...] # columns that hold numbers (".", "x", "" allowed as missing)
    levels: dict[str, int] = field(default_factory=dict)   # rows per level found in the area column


def _hinted(column: str, hints: tuple[str, ...]) -> bool:
    key = column.lower()
    return any(h in key for h in hints)


def recognise(table: OwnTable, warehouse: Warehouse) -> Recognised:
    """Propose the area column (the column most of whose cells are CBS codes of a level, padded
    or not, of any boundary year, or names of the warehouse's gemeenten; bare numbers like
    ``363`` count as gemeente codes only in a column named like a code), the year column (all
    cells years or periods, named like one or written ``2024JJ00``) and the columns of figures."""
    areas = _Areas(warehouse)
    sample = table.cells.head(_SAMPLE)
    best: tuple[float, int, str] | None = None
    for position, column in enumerate(table.columns):
        cells = sample[column]
        present = cells[cells != ""]
        if present.empty:
            continue
        keys = areas.resolve(present, digits=_hinted(column, _AREA_HINTS))
        share = float(present.map(lambda c: keys[c].kind != "unknown" or keys[c].by_code).mean())
        score = share + 0.5 * float(present.map(lambda c: keys[c].by_code).mean())   # codes before names
        if share > 0.5 and (best is None or (score, -position) > best[:2]):
            best = (score, -position, column)
    area_column = best[2] if best else None
    year_column = _year_column(table, sample, area_column)
    values = []
    for column in table.columns:
        if column in (area_column, year_column):
            continue
        texts = [_clean_cell(c, table.kind == "statline") for c in table.cells[column]]
        present = [t for t in texts if t not in MISSING]
        if present and all(_form(t) is not None for t in present):
            values.append(column)
    levels: dict[str, int] = {}
    if area_column is not None:
        cells = table.cells[area_column]
        keys = areas.resolve(cells, digits=True)
        for cell in cells:
            level = keys[cell].level or ("gemeente" if keys[cell].kind == "name" else "")
            if level:
                levels[level] = levels.get(level, 0) + 1
    return Recognised(area_column, year_column, tuple(values), levels)


def _year_column(table: OwnTable, sample: pd.DataFrame, area_column: str | None) -> str | None:
    found = []
    for position, column in enumerate(table.columns):
        present = sample[column][sample[column] != ""]
        if column == area_column or present.empty:
            continue
        years = present.map(_year_of)
        if years.isna().any():
            continue
        marked = present.str.contains("JJ00").any() or _hinted(column, _YEAR_HINTS)
        if marked or years.between(1990, 2100).all():
            found.append((not marked, position, column))
    return min(found)[2] if found else None


# -- joining ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Joined:
    """The figures of a file joined to the warehouse's areas, and the rows that were not."""

    file_name: str
    values: pd.DataFrame    # code, level, year, column, value (NaN = missing), row
    report: pd.DataFrame    # row, key, level, reason, reason_nl: the rows not joined or not used
    rows: int               # data rows read
    matched: int            # data rows joined to an area
    levels: dict[str, int]  # matched rows per level
    years: tuple[int, ...]
    boundary_year: int      # the warehouse's boundary year

    @property
    def match_rate(self) -> float:
        return self.matched / self.rows if self.rows else 0.0

    def summary(self, lang: str = "en", *, rows: bool = True) -> list[str]:
        """Lines for the join report: rows joined, per level, years, and why the others were not
        (with ``rows``, the first ten of those rows too)."""
        nl, loc = lang == "nl", _LOCALES.get(lang, _LOCALES["en"])
        n = lambda x: format_decimal(x, locale=loc)  # noqa: E731
        rate = format_percent(self.match_rate, "#,##0.#%", locale=loc)
        lines = [f"{n(self.matched)} van {n(self.rows)} rijen gekoppeld aan gebieden van de grenzen van "
                 f"{self.boundary_year} ({rate})" if nl else
                 f"{n(self.matched)} of {n(self.rows)} rows joined to areas of the {self.boundary_year} "
                 f"boundaries ({rate})"]
        if self.levels:
            lines.append(("Per niveau: " if nl else "Per level: ")
                         + ", ".join(f"{level} {n(k)}" for level, k in self.levels.items()))
        if self.years:
            lines.append(("Jaren: " if nl else "Years: ") + ", ".join(map(str, self.years)))
        if len(self.report):
            one = len(self.report) == 1
            lines.append(f"{n(len(self.report))} {'rij' if one else 'rijen'} niet gekoppeld of niet gebruikt"
                         if nl else f"{n(len(self.report))} {'row' if one else 'rows'} not joined or not used")
            lines[-1] += ":" if rows else "."
            for item in self.report.head(10 if rows else 0).itertuples(index=False):
                why = item.reason_nl if nl else item.reason
                lines.append(f"  {'rij' if nl else 'row'} {item.row} {item.key!r}: {why}")
            if rows and len(self.report) > 10:
                more = n(len(self.report) - 10)
                lines.append(f"  … en nog {more}" if nl else f"  … and {more} more")
        return lines


REPORT_COLUMNS = ["row", "key", "level", "reason", "reason_nl"]
VALUE_COLUMNS = ["code", "level", "year", "column", "value", "row"]
_JOINED = ("code", "name")


def join(table: OwnTable, warehouse: Warehouse, *, area_column: str, value_columns: Sequence[str],
         year_column: str | None = None, year: int | None = None,
         counts: Collection[str] = ()) -> Joined:
    """Raises OwnInputError (nothing joined yet, nothing stored) for: no/unknown area column,
    only unknown codes, duplicate area × year rows, a value cell that is not a number (Dutch
    "1.234,5" and "1234.5" are parsed; ".", "x", "" are missing; anything else refused with row
    and column), a negative value in a column listed in ``counts``, no year (neither column nor
    ``year``), a year column with a non-year cell. Mixed levels (gemeente, wijk and buurt rows
    in one file; the Nederland row and "(RE)" rows) are handled per level: a row of a level the
    warehouse has is joined, a Nederland/total row is reported as not used."""
    file, cells = table.file_name, table.cells
    _check_columns(table, area_column, value_columns, year_column, counts)
    years = _years(table, year_column, year)
    areas = _Areas(warehouse)
    keys = areas.resolve(cells[area_column], digits=True)
    joined = cells[area_column].map(lambda c: keys[c].kind in _JOINED)
    if not joined.any():
        first = next((keys[c] for c in cells[area_column] if keys[c].kind != "empty"), keys.get(""))
        why = f" (first: {first.reason})" if first and first.reason else ""
        why_nl = f" (eerste: {first.reason_nl})" if first and first.reason_nl else ""
        raise OwnInputError(file, None, area_column,
                            f"none of the {len(cells)} rows names an area of {areas.where[0]}{why}",
                            f"geen van de {len(cells)} rijen noemt een gebied van {areas.where[1]}{why_nl}")
    codes = cells[area_column].map(lambda c: keys[c].code)
    _check_duplicates(file, area_column, codes[joined], years[joined])
    statline = table.kind == "statline"
    figures, problems = {}, []
    for column in value_columns:
        numbers, bad = _numbers(cells[column], statline=statline, count=column in counts)
        problems += [(row, column, en, nl) for row, en, nl in bad]
        if column in counts:
            problems += [(int(row), column, f"a negative count: {cells[column].iloc[i]!r}",
                          f"een negatief aantal: {cells[column].iloc[i]!r}")
                         for i, (row, value) in enumerate(numbers.items()) if value < 0]
        figures[column] = numbers
    problems.sort(key=lambda p: p[0])
    _refuse(file, problems)
    values, report = [], []
    for i, (row, cell) in enumerate(cells[area_column].items()):
        key = keys[cell]
        if key.kind in _JOINED:
            values += [(key.code, key.level, int(years.iloc[i]), column, figures[column].iloc[i], int(row))
                       for column in value_columns]
            continue
        reason, reason_nl = key.reason, key.reason_nl
        if key.kind == "unknown" and key.by_code:
            merger = _former_in_row(list(cells.iloc[i]))
            if merger:
                reason, reason_nl = f"{reason}; {merger[0]}", f"{reason_nl}; {merger[1]}"
        report.append((int(row), cell, key.level, reason, reason_nl))
    frame = pd.DataFrame(values, columns=VALUE_COLUMNS).astype(
        {"code": "string", "level": "string", "year": "int64", "column": "string", "value": "float64", "row": "int64"})
    matched_levels = cells[area_column][joined].map(lambda c: keys[c].level).value_counts()
    return Joined(file_name=file, values=frame, report=pd.DataFrame(report, columns=REPORT_COLUMNS),
                  rows=len(cells), matched=int(joined.sum()),
                  levels={level: int(matched_levels[level]) for level in _level_order(matched_levels.index)},
                  years=tuple(sorted(set(years[joined].astype(int)))), boundary_year=areas.year or 0)


def _level_order(levels) -> list[str]:
    order = ["land", "regio", "gemeente", "wijk", "buurt"]
    return sorted(levels, key=lambda level: order.index(level) if level in order else len(order))


def _check_columns(table: OwnTable, area_column: str, value_columns: Sequence[str], year_column: str | None,
                   counts: Collection[str]) -> None:
    file, listed = table.file_name, ", ".join(repr(c) for c in table.columns)
    for column, what, what_nl in ((area_column, "area column", "gebiedskolom"),
                                  *((c, "value column", "waardekolom") for c in value_columns),
                                  *(((year_column, "year column", "jaarkolom"),) if year_column is not None else ())):
        if column not in table.columns:
            raise OwnInputError(file, None, column, f"no such {what} in the file (columns: {listed})",
                                f"geen {what_nl} met deze naam in het bestand (kolommen: {listed})")
    if not value_columns:
        raise OwnInputError(file, None, None, "no value column chosen", "geen waardekolom gekozen")
    for column in value_columns:
        if column in (area_column, year_column):
            raise OwnInputError(file, None, column, "the column cannot be both a value and the area or year",
                                "de kolom kan niet tegelijk waarde en gebied of jaar zijn")
    if len(set(value_columns)) != len(value_columns):
        raise OwnInputError(file, None, None, "a value column is chosen twice", "een waardekolom is twee keer gekozen")
    for column in counts:
        if column not in value_columns:
            raise OwnInputError(file, None, column, "a count column that is no value column",
                                "een kolom met aantallen die geen waardekolom is")


def _years(table: OwnTable, year_column: str | None, year: int | None) -> pd.Series:
    file, cells = table.file_name, table.cells
    if year_column is None:
        if year is None:
            raise OwnInputError(file, None, None, "no year: choose the year column or give the year",
                                "geen jaar: kies de jaarkolom of geef het jaar op")
        if not 1900 <= int(year) <= 2100:
            raise OwnInputError(file, None, None, f"{year} is not a year", f"{year} is geen jaar")
        return pd.Series(int(year), index=cells.index, dtype="int64")
    found = cells[year_column].map(_year_of)
    problems = [(int(row), year_column, f"not a year like 2024 or 2024JJ00: {cells[year_column].iloc[i]!r}",
                 f"geen jaar zoals 2024 of 2024JJ00: {cells[year_column].iloc[i]!r}")
                for i, row in enumerate(cells.index) if found.iloc[i] is None or pd.isna(found.iloc[i])]
    _refuse(file, problems)
    stated = sorted(set(found.astype(int)))
    if year is not None and stated != [int(year)]:
        raise OwnInputError(file, None, year_column, f"the column holds {', '.join(map(str, stated))}, but year "
                                                     f"{year} was given",
                            f"de kolom heeft {', '.join(map(str, stated))}, maar jaar {year} is opgegeven")
    return found.astype("int64")


def _check_duplicates(file: str, column: str, codes: pd.Series, years: pd.Series) -> None:
    frame = pd.DataFrame({"code": codes.to_numpy(), "year": years.to_numpy(), "row": codes.index})
    first = frame.drop_duplicates(["code", "year"]).set_index(["code", "year"])["row"]
    repeated = frame[frame.duplicated(["code", "year"])]
    _refuse(file, [(int(r.row), column, f"{r.code} in {r.year} is also in row {first[(r.code, r.year)]}",
                    f"{r.code} in {r.year} staat ook in rij {first[(r.code, r.year)]}")
                   for r in repeated.itertuples(index=False)])
