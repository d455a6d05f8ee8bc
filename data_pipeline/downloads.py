"""The map table as a download: CSV for Dutch Excel (and pandas) and a real XLSX workbook.

Both start with a header block that says what the numbers are (indicator, year, unit, boundary
year, sources with their table ids, attribution, export date: the caller words it, see
:func:`dashboard.tables.download_header`), then the table rows exactly as
:meth:`Warehouse.table` gives them. Values that are not published (status other than ``ok``:
suppressed for disclosure control, or missing) are empty cells, never 0; the status column says
why. This is enforced here too, whatever the rows hold.

CSV: UTF-8 with a byte order mark, ``;`` between fields, decimal comma, no thousands separator,
header lines as ``# key;value`` then an empty line, so that Dutch Excel opens it in columns and
``pd.read_csv(f, sep=";", decimal=",", comment="#")`` gives back the rows. pandas writes the
rows (``DataFrame.to_csv``); a text that Excel would take for a formula gets a leading ``'``.
A field is quoted when it holds a ``;``, a ``"`` or a line break; when any text holds a ``#``
(which would start a comment) or starts or ends with a space, every field is quoted, as
Python's csv module cannot quote just those.

>>> rows = pd.DataFrame({"code": ["GM0001", "GM0002"], "name": ["Één", "Twee"], "year": [2024, 2024],
...                      "value": [1234.5, 7.0], "status": ["ok", "suppressed"]})
>>> text = table_csv(rows, {"Indicator": "Misdrijven", "Exportdatum": "2024-06-01"}).decode("utf-8-sig")
>>> print(text.replace("\\r\\n", "\\n"), end="")
# Indicator;Misdrijven
# Exportdatum;2024-06-01
<BLANKLINE>
code;name;year;value;status
GM0001;Één;2024;1234,5;ok
GM0002;Twee;2024;;suppressed
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Mapping
from datetime import date
from numbers import Integral

import numpy as np
import pandas as pd

#: Columns that carry an area's own figures: empty unless its status is ``ok``.
HIDDEN_COLUMNS = ("value", "numerator", "denominator")
PUBLISHED = "ok"

SHEET_TITLE = "Ondermijningsbeeld"
#: Excel display formats; Excel shows them the local way (1.234,5 in Dutch Excel).
COUNT_FORMAT = "#,##0"
YEAR_FORMAT = "0"
FRACTION_FORMAT = "#,##0.0##"


# --------------------------------------------------------------------------- header block and name


def export_filename(indicator: str, year: int, level: str, parent: str | None, extension: str) -> str:
    """A safe file name, e.g. ``ondermijningsbeeld_misdrijven_2024_buurt_GM0363.xlsx``."""
    parts = ["ondermijningsbeeld", indicator, str(year), level] + ([parent] if parent else [])
    return re.sub(r"[^0-9A-Za-z_.-]+", "-", "_".join(parts)) + "." + extension.lstrip(".")


def _header_texts(header: Mapping[str, object]) -> dict[str, str]:
    return {str(k): "" if _is_missing(v) else str(v) for k, v in header.items()}


# --------------------------------------------------------------------------- rows


def published_rows(rows: pd.DataFrame) -> pd.DataFrame:
    """``rows`` with the own figures (value, numerator, denominator) emptied where not published."""
    out = rows.reset_index(drop=True).copy()
    if "status" not in out:
        return out
    hidden = out["status"].astype("string").fillna("") != PUBLISHED
    for column in HIDDEN_COLUMNS:
        if column in out and hidden.any():
            if pd.api.types.is_numeric_dtype(out[column]) and not pd.api.types.is_bool_dtype(out[column]):
                out[column] = out[column].astype("float64").where(~hidden.to_numpy())
            else:
                out[column] = out[column].astype(object).where(~hidden.to_numpy(), None)
    return out


def _is_missing(value: object) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and not math.isfinite(value)


def _number(value: object) -> int | float | None:
    """A plain Python number for a numeric cell (None when missing or not finite)."""
    if _is_missing(value):
        return None
    if isinstance(value, bool):
        return None
    if isinstance(value, Integral):
        return int(value)
    value = float(value)
    return value if math.isfinite(value) else None


def exact_numbers(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with every float column whose values are all whole numbers as integers
    (nullable ``Int64``): counts print as ``16944896``, never ``1.69449e+07`` or ``5,0``; other
    floats keep every digit (``to_csv`` writes them as ``repr``, an exact round trip).

    >>> exact_numbers(pd.DataFrame({"n": [16944896.0, None], "rate": [0.5, 1.0]})).dtypes.tolist()
    [Int64Dtype(), dtype('float64')]
    """
    out = frame.copy()
    for position, name in enumerate(frame.columns):
        column = frame.iloc[:, position]
        if pd.api.types.is_float_dtype(column):
            present = column.dropna()
            if np.isfinite(present).all() and (present == present.round()).all():
                out.isetitem(position, column.round().astype("Int64"))
    return out


def _numeric_columns(frame: pd.DataFrame) -> set[str]:
    return {c for c in frame.columns
            if pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c])}


# --------------------------------------------------------------------------- CSV

_NEEDS_QUOTES = re.compile(r'[;"#\r\n]|^\s|\s$')
#: The part of _NEEDS_QUOTES that Python's csv module (and so pandas) does not quote by itself.
_QUOTE_ALL_FOR = re.compile(r'#|^\s|\s$')
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _not_a_formula(value: str) -> str:
    """Never a formula when Excel opens it."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def _csv_text(value: str, sep: str = ";") -> str:
    value = _not_a_formula(value)
    if _NEEDS_QUOTES.search(value) or sep in value:
        return '"' + value.replace('"', '""') + '"'
    return value


def _header_text(value: str) -> str:
    """One line: a comment line ends at the line break, whatever the quotes say."""
    return " ".join(value.split())


def _header_key(key: str) -> str:
    """Never quoted: the line must start with ``#`` to be a comment for pandas."""
    return _header_text(key).replace(";", ",").replace('"', "'")


def _text_cell(value: object) -> str | None:
    """A cell of a text column as the CSV shows it: dates ISO, no formulas, None when missing."""
    if _is_missing(value):
        return None
    if isinstance(value, (date, pd.Timestamp)):
        return value.isoformat()
    return _not_a_formula(str(value))


def _csv_cells(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` ready for ``to_csv``: texts as :func:`_text_cell` says, numbers finite or empty."""
    frame = exact_numbers(frame)
    numeric = _numeric_columns(frame)
    out = frame.copy()
    for position, name in enumerate(frame.columns):
        column = frame.iloc[:, position]
        if name not in numeric:
            out.isetitem(position, column.map(_text_cell).astype(object))
        elif pd.api.types.is_float_dtype(column):      # float64: written as repr, an exact round trip
            out.isetitem(position, column.astype("float64").replace([np.inf, -np.inf], np.nan))
    out.columns = [_not_a_formula(str(c)) for c in frame.columns]
    return out


def _for_people(frame: pd.DataFrame, statuses: Mapping[str, str] | None) -> pd.DataFrame:
    """``frame`` with its status codes as ``statuses`` words them (codes without a word stay)."""
    if not statuses or "status" not in frame:
        return frame
    out = frame.copy()
    out["status"] = out["status"].map(lambda code: statuses.get(code, code) if isinstance(code, str) else code)
    return out


def table_csv(rows: pd.DataFrame, header: Mapping[str, object], *, decimal: str = ",",
              titles: Mapping[str, str] | None = None, statuses: Mapping[str, str] | None = None,
              bom: bool = True) -> bytes:
    """The rows as CSV: ``# key;value`` header lines, then the table. With a decimal comma
    (Dutch Excel) fields are separated by ``;``, with a decimal point by ``,``. ``titles``
    names the columns (default: their keys), ``statuses`` words the status codes; ``bom``
    marks the file as UTF-8 for Excel."""
    sep = ";" if decimal == "," else ","
    cells = _csv_cells(_for_people(published_rows(rows), statuses))
    if titles:
        cells.columns = [_not_a_formula(titles.get(c, c)) for c in cells.columns]
    texts = pd.Series([*cells.columns, *cells.select_dtypes(object).to_numpy().ravel()], dtype=object)
    quote_all = texts.str.contains(_QUOTE_ALL_FOR, na=False).any()
    lines = [f"# {_header_key(key).replace(sep, ' ')}{sep}{_csv_text(_header_text(value), sep)}"
             for key, value in _header_texts(header).items()]
    table = cells.to_csv(sep=sep, decimal=decimal, lineterminator="\r\n", index=False,
                         quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL)
    return (("\ufeff" if bom else "") + "\r\n".join(lines) + "\r\n\r\n" + table).encode("utf-8")


def read_table_csv(data: bytes, decimal: str = ",") -> tuple[dict[str, str], pd.DataFrame]:
    """The header block and the rows of a :func:`table_csv` file written with ``decimal``."""
    sep = ";" if decimal == "," else ","
    text = data.decode("utf-8-sig")
    header = {}
    for line in text.splitlines():
        if not line.startswith(("#", '"#')):
            break
        key, value = next(csv.reader([line], delimiter=sep))[:2]
        header[key[1:].strip()] = value
    rows = pd.read_csv(io.BytesIO(data), sep=sep, decimal=decimal, comment="#", encoding="utf-8-sig",
                       dtype={"code": str, "parent_code": str})
    return header, rows


# --------------------------------------------------------------------------- XLSX


def _value_decimals(frame: pd.DataFrame, decimals: int | None) -> int:
    """Decimals shown for the value columns: as given, else 0 for a count indicator (values but
    no denominator) and 1 for a rate."""
    if decimals is not None:
        return decimals
    if "denominator" in frame and "value" in frame and frame["value"].notna().any():
        return 0 if frame["denominator"].isna().all() else 1
    return 1


def _column_format(name: str, values: list, value_decimals: int) -> str:
    if name == "year":
        return YEAR_FORMAT
    if name == "value" or name.endswith("_value"):
        return COUNT_FORMAT if value_decimals <= 0 else "#,##0." + "0" * value_decimals
    integral = all(float(v).is_integer() for v in values if v is not None)
    return COUNT_FORMAT if integral else FRACTION_FORMAT


def table_xlsx(rows: pd.DataFrame, header: Mapping[str, object], *, decimals: int | None = None,
               titles: Mapping[str, str] | None = None, statuses: Mapping[str, str] | None = None) -> bytes:
    """The rows as an Excel workbook: header block, then a typed table with a bold, frozen,
    filterable header row. Numbers are numbers (display format ``#,##0.0``, which Dutch Excel
    shows as 1.234,5); unpublished values are empty cells. ``decimals`` (default: 0 for a count
    indicator, 1 for a rate) sets the display of the value columns only; the full value is stored.
    ``titles`` and ``statuses`` as for :func:`table_csv`."""
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    frame = _for_people(published_rows(rows), statuses)
    titles = titles or {}
    numeric = _numeric_columns(frame)
    value_decimals = _value_decimals(frame, decimals)
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET_TITLE
    bold = Font(bold=True)
    top = Alignment(vertical="top", wrap_text=False)

    def text_cell(row: int, column: int, value: str, font: Font | None = None):
        cell = ws.cell(row=row, column=column, value=ILLEGAL_CHARACTERS_RE.sub("", value))
        cell.data_type = "s"          # a text starting with "=" stays text, never a formula
        if font is not None:
            cell.font = font
        return cell

    block = _header_texts(header)
    for r, (key, value) in enumerate(block.items(), start=1):
        text_cell(r, 1, key, bold).alignment = top
        if re.fullmatch(r"[1-9]\d{0,5}", value):        # a year is a number, not "number as text"
            ws.cell(row=r, column=2, value=int(value)).number_format = YEAR_FORMAT
        else:
            text_cell(r, 2, value)
    head_row = len(block) + 2                     # one empty row between block and table
    widths = [len(titles.get(c, str(c))) for c in frame.columns]
    for c, name in enumerate(frame.columns, start=1):
        text_cell(head_row, c, titles.get(name, str(name)), bold)
        values = frame[name].tolist()
        if name in numeric:
            numbers = [_number(v) for v in values]
            number_format = _column_format(str(name), numbers, value_decimals)
            for r, number in enumerate(numbers, start=head_row + 1):
                if number is not None:
                    ws.cell(row=r, column=c, value=number).number_format = number_format
            widths[c - 1] = max(widths[c - 1], 12)
        else:
            for r, value in enumerate(values, start=head_row + 1):
                if _is_missing(value):
                    continue
                if isinstance(value, bool):
                    ws.cell(row=r, column=c, value=value)
                    continue
                text = value.isoformat() if isinstance(value, (date, pd.Timestamp)) else str(value)
                text_cell(r, c, text)
                widths[c - 1] = max(widths[c - 1], len(text))
    widths[0] = max(widths[0], max((len(k) for k in block), default=0))
    for c, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(c)].width = min(width + 2, 60)

    last_column = get_column_letter(max(len(frame.columns), 1))
    ws.auto_filter.ref = f"A{head_row}:{last_column}{head_row + len(frame)}"
    # Keep the table's header row (and code and name, when they lead) in view while scrolling.
    first_scrolling = 3 if {"code", "name"} <= set(frame.columns[:2]) else 1
    ws.freeze_panes = f"{get_column_letter(first_scrolling)}{head_row + 1}"
    wb.properties.title = next(iter(block.values()), SHEET_TITLE)
    wb.properties.creator = "Ondermijningsbeeld"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def read_table_xlsx(data: bytes) -> tuple[dict[str, str], pd.DataFrame]:
    """The header block and the rows of a :func:`table_xlsx` workbook."""
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(data), read_only=True)
    header: dict[str, str] = {}
    try:
        for key, value, *_ in wb.worksheets[0].iter_rows(min_col=1, max_col=2, values_only=True):
            if key is None:
                break
            header[str(key)] = "" if value is None else str(value)
    finally:
        wb.close()
    rows = pd.read_excel(io.BytesIO(data), engine="openpyxl", header=len(header) + 1,
                         dtype={"code": str, "parent_code": str})
    return header, rows
