"""Tables from official CBS and politie files, recognised by their content.

Four publications are read here, each as the CSV a user downloads or the OData v3 JSON
(``{"odata.metadata": ..., "value": [...]}``) the API returns:

- *Kerncijfers wijken en buurten* (85039NED 2021, 85318NED 2022, 85618NED 2023, 85984NED 2024,
  86165NED 2025): :func:`read_kerncijfers`. Column keys carry a ``_NN`` suffix that changes
  per year; variables are renamed to their stem (``AantalInwoners_5`` -> ``AantalInwoners``).
- *Geregistreerde misdrijven; wijk, buurt* (politie/CBS 47018NED): :func:`read_crime`, one
  row per area, crime type and year.
- CBS *Gebieden in Nederland* (or the project's plain mapping CSV): :func:`read_region_mapping`,
  gemeente -> politie regionale eenheid (RE01..RE10) = RIEC region.
- The code list of a Kerncijfers table (``Identifier,Title``): :func:`read_area_names`.
- StatLine CSV downloads keyed by name (47013NED): :func:`read_statline`; regional tables by
  ``RegioS`` and ``Perioden`` (70072NED): :func:`read_regional`; the metadata files of an OData
  table (DataProperties, TableInfos, code lists): :func:`read_metadata`; national series per
  crime type: :func:`read_national_crime` (read and checked, never taken for area figures).

A Kerncijfers file that names no table (a TypedDataSet CSV) is identified by the column keys
only its table has (:data:`KWB_TABLE_KEYS`), and dated by it; a stem that names several topics
keeps its full keys; a topic empty on every row is "not yet published".

:func:`sniff` tells these apart (and boundary files) from the first rows alone.

Published conventions handled everywhere: an optional UTF-8 byte order mark, ``;`` or ``,``
as separator, quoted and space-padded codes and names (``"GM0014    "``), ``"."`` for a
missing or secret figure (``null`` in JSON), and sentinels ``<= -99995``. Missing never
becomes 0. Unreadable content raises :class:`~data_pipeline.validation.ValidationError`
whose problems name the file, the row (the line number in a CSV, 1 = header; the record
number in a JSON ``value`` list), the column and what is wrong.

The module is longer than most (~950 lines) because the readers share those conventions
(one CSV/JSON reader, one sentinel and code cleaning, one way of naming problems) and the
sniffer must know every format; split, each part would import most of the others.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from data_pipeline.validation import Problem, ValidationError
from geodata.boundaries import SENTINEL_MAX, file_kind, recognised_layers
from geodata.codes import CODE_PATTERNS

#: Kerncijfers wijken en buurten table per year.
KWB_TABLE_YEARS: dict[str, int] = {
    "85039NED": 2021, "85318NED": 2022, "85618NED": 2023, "85984NED": 2024, "86165NED": 2025,
}

#: RIEC region per politie regionale eenheid (the RIEC regions follow these units).
RIEC_NAMES: dict[str, str] = {
    "RE01": "RIEC Noord-Nederland",
    "RE02": "RIEC Oost-Nederland",
    "RE03": "RIEC Midden-Nederland",
    "RE04": "RIEC Noord-Holland",
    "RE05": "RIEC Amsterdam-Amstelland",
    "RE06": "RIEC Den Haag",
    "RE07": "RIEC Rotterdam",
    "RE08": "RIEC Zeeland-West-Brabant",
    "RE09": "RIEC Oost-Brabant",
    "RE10": "RIEC Limburg",
}

#: Column keys that identify a Kerncijfers table when the content does not name it (the
#: ``_NN`` numbers change with every table; read off the published files, see
#: ``../shared/data/real*/README.md``). A file must have all keys of exactly one table.
KWB_TABLE_KEYS: dict[str, tuple[str, ...]] = {
    "85984NED": ("AantalInwoners_5", "MateVanStedelijkheid_122"),
    "86165NED": ("IndelingswijzigingGemeenteWijkBuurt_4", "OppervlakteLand_116", "MateVanStedelijkheid_120"),
}

#: Kerncijfers columns that carry text, not figures (matched on the stem).
TEXT_STEMS = frozenset({
    "Gemeentenaam", "SoortRegio", "Codering", "IndelingswijzigingWijkenEnBuurten",
    "IndelingswijzigingGemeenteWijkBuurt", "MeestVoorkomendePostcode", "Dekkingspercentage",
})

#: Stems of the registered-crime count in 47018NED and its relatives.
CRIME_COUNT_STEMS: tuple[str, ...] = ("GeregistreerdeMisdrijven", "TotaalGeregistreerdeMisdrijven")

#: Columns (by stem) that hold the area code of a row, in order of preference.
AREA_CODE_STEMS: tuple[str, ...] = ("WijkenEnBuurten", "Codering", "RegioS")

#: Published symbols for "figure missing, unknown or secret".
MISSING_TOKENS = frozenset({"", "."})

#: The area codes a CBS table row can carry: NL00/NL01, gemeente, wijk or buurt.
AREA_CODE = re.compile(r"^(NL\d{2}|GM\d{4}|WK\d{4}[0-9A-Z]{2}|BU\d{4}[0-9A-Z]{4})$")

#: A code of CBS's regional classification (``RegioS`` of 70072NED): NL01, LD01, PV20, CR01,
#: GM0014, and the like.
_REGION_CODE = re.compile(r"^[A-Z]{2}\d{2,4}$")

#: Area codes of crime tables: those of :data:`AREA_CODE` and, in 47013NED by ``RegioS``, the
#: politie regionale eenheden (RE01 … RE10).
CRIME_AREA_CODE = re.compile(AREA_CODE.pattern[:-2] + r"|RE\d{2})$")

_SUFFIXED = re.compile(r"^(?P<stem>.+?)_(?P<number>\d+)$")
_TABLE_ID = re.compile(r"/(\d{5}[A-Z]{3})(?:/|$)", re.IGNORECASE)
_YEARLY_PERIOD = re.compile(r"^(\d{4})JJ00$")
_CRIME_KEY = re.compile(r"^(\d+(?:\.\d+)+)(?:\s|$)")
_COMMA_DECIMAL = re.compile(r"^([+-]?\d+),(\d+)$")

NAME_COLUMNS = ("title", "titel", "naam", "name", "regionaam", "buurtnaam", "wijknaam", "gebiedsnaam")


@dataclass(frozen=True)
class KerncijfersTable:
    """One Kerncijfers wijken en buurten file.

    Attributes
    ----------
    table_id : str or None
        CBS table id (``"85984NED"``) when the content says so.
    year : int or None
        The year of the table, from its id.
    frame : pandas.DataFrame
        ``code``, ``name``, then one float column per published variable named by its stem.
    origin : str
        The file read.
    """

    table_id: str | None
    year: int | None
    frame: pd.DataFrame
    origin: str
    unpublished: tuple[str, ...] = ()
    repeated: tuple[str, ...] = ()
    ignored: tuple[str, ...] = ()
    evidence: str = ""


@dataclass(frozen=True)
class RawTable:
    """Cells as published (strings from CSV, JSON scalars from OData), one row per record."""

    frame: pd.DataFrame
    origin: str
    first_row: int          # row number a user sees for frame row 0
    table_id: str | None

    def row(self, index: int) -> int:
        """File row number of frame row ``index``."""
        return self.first_row + int(index)


# -- public API ------------------------------------------------------------------------------
#: StatLine tables whose CSV download names them by title only (the title up to its first
#: comma-free part is compared in lower case).
STATLINE_TITLES: dict[str, str] = {
    "geregistreerde misdrijven en aangiften; soort misdrijf, gemeente": "47013NED",
    "geregistreerde misdrijven; soort misdrijf, wijk, buurt": "47018NED",
    "regionale kerncijfers nederland": "70072NED",
}
#: StatLine symbols for a figure that is not there: unknown or secret ("." and "x").
STATLINE_MISSING = frozenset({".", "x", ""})


@dataclass(frozen=True)
class StatlineTable:
    """A StatLine CSV download: rows keyed by the label StatLine shows (often a name).

    ``frame``: ``label, topic, year, value, row`` (``row`` the file line, 1 = the title line).
    """

    title: str
    filters: tuple[str, ...]
    table_id: str | None
    frame: pd.DataFrame
    origin: str



def read_kerncijfers(path: Path) -> KerncijfersTable:
    """Read a Kerncijfers wijken en buurten CSV or OData v3 JSON file.

    Codes come from ``WijkenEnBuurten`` (or ``Codering_3``), stripped. The name is the
    area title where the file has one (a ``WijkenEnBuurten`` column of titles, ``Title``,
    ``Naam``...), else ``Gemeentenaam`` on gemeente and land rows and missing elsewhere.
    Every ``_NN`` column except the text ones becomes a float column named by its stem.

    Raises
    ------
    ValidationError
        No code column, codes that are not CBS area codes or repeat, values that are not
        numbers, or two variables with the same stem.
    """
    raw = load_table(Path(path))
    code_column = _area_code_column(raw)
    codes = _area_codes(raw, code_column)
    name, name_column = _kerncijfers_names(raw, code_column, codes)
    variables, unpublished, repeated = _kerncijfers_variables(raw, code_column)
    frame = pd.concat([codes.rename("code"), name.rename("name"), variables], axis=1)
    table_id, evidence = raw.table_id, "stated in the file"
    if table_id is None:
        table_id, evidence = _table_by_keys(raw.frame.columns)
    ignored = tuple(c for c in raw.frame.columns
                    if c not in (code_column, name_column, "ID") and not is_suffixed(c))
    return KerncijfersTable(table_id=table_id, year=KWB_TABLE_YEARS.get(table_id), origin=raw.origin,
                            frame=frame.reset_index(drop=True), unpublished=unpublished, repeated=repeated,
                            ignored=ignored, evidence=evidence if table_id else "")


def _table_by_keys(columns) -> tuple[str | None, str]:
    """The Kerncijfers table whose distinctive column keys a file has (all of one table's, none of
    another's): a TypedDataSet CSV names no table, but its ``_NN`` numbers are the table's own."""
    present = set(columns)
    found = [tid for tid, keys in KWB_TABLE_KEYS.items() if set(keys) <= present]
    if len(found) != 1:
        return None, ""
    return found[0], f"recognised by its column keys {', '.join(KWB_TABLE_KEYS[found[0]])}"


def read_crime(path: Path, year: int | None = None) -> pd.DataFrame:
    """Read registered crime per area (politie/CBS 47018NED) into a long frame.

    Parameters
    ----------
    path : Path
        CSV or OData v3 JSON with ``WijkenEnBuurten``, ``GeregistreerdeMisdrijven_NN`` and
        normally ``SoortMisdrijf`` and ``Perioden``.
    year : int, optional
        The year of a file without ``Perioden`` (such as a file summed over all crime
        types); must agree with ``Perioden`` when both are given.

    Returns
    -------
    pandas.DataFrame
        ``code, soort_misdrijf, year, count, origin``: ``soort_misdrijf`` is the normalised
        key (``"0.0.0"``, ``"3.1.1"``) or ``"alle"`` without a ``SoortMisdrijf`` column;
        ``year`` is nullable Int64; ``count`` is float, NaN where the file has ``"."``;
        ``attrs["table_id"]`` the table, stated in the file or by its shape (by ``RegioS``:
        47013NED, with the politie regionale eenheden; by ``WijkenEnBuurten``: 47018NED).
    """
    raw = load_table(Path(path))
    code_column = _area_code_column(raw)
    codes = _area_codes(raw, code_column, unique=False, pattern=CRIME_AREA_CODE)
    count_column = _required_column(raw, CRIME_COUNT_STEMS, "the registered-crime count")
    counts, problems = parse_numbers(raw, count_column)
    soort, soort_problems = _crime_types(raw)
    years, year_problems = _crime_years(raw, year)
    problems += soort_problems + year_problems
    _raise_if(problems)
    out = pd.DataFrame({
        "code": codes.to_numpy(), "soort_misdrijf": soort.to_numpy(),
        "year": years.to_numpy(), "count": counts.to_numpy(),
    })
    out = out.astype({"code": "string", "soort_misdrijf": "string", "year": "Int64",
                      "count": "float64"})
    _raise_if(_duplicate_problems(raw, out, ["code", "soort_misdrijf", "year"], code_column))
    out["origin"] = pd.Series(raw.origin, index=out.index, dtype="string")
    # the table: stated (OData), else by its shape: 47013NED is by RegioS, 47018NED by WijkenEnBuurten
    out.attrs["table_id"] = raw.table_id or ("47013NED" if stem_of(code_column) == "RegioS" else "47018NED")
    return out


def read_region_mapping(path: Path) -> pd.DataFrame:
    """Read gemeente -> politie regionale eenheid (= RIEC region).

    Accepts any table with a column of gemeente codes and a column of regionale eenheid
    codes ``RE01``..``RE10``, recognised by their values: the project's mapping CSV, or a
    CBS *Gebieden in Nederland* export (CSV or OData JSON, ``Code_1`` / ``RegioS`` with the
    gemeente and a ``Code_NN`` with the regionale eenheid).

    Returns
    -------
    pandas.DataFrame
        ``gemeente_code, regio_code, gemeente_name`` (missing when the file has none),
        ``regio_name`` (the RIEC's name), one row per gemeente.
    """
    raw = load_table(Path(path))
    gemeente_column = _column_of_codes(raw, CODE_PATTERNS["gemeente"],
                                       ("gemeentecode", "code_1", "regios", "gm_code"))
    regio_column = _column_of_codes(raw, CODE_PATTERNS["regio"],
                                    ("politie_regionale_eenheid_code", "regionale_eenheid_code"))
    missing = [what for what, col in (("gemeente codes (GM0014)", gemeente_column),
                                      ("politie regionale eenheid codes (RE01)", regio_column))
               if col is None]
    if missing:
        raise ValidationError([Problem(raw.origin, 1, None, f"no column of {w}") for w in missing])
    gemeenten = _stripped(raw.frame[gemeente_column])
    regios = _stripped(raw.frame[regio_column])
    problems = _pattern_problems(raw, gemeenten, gemeente_column, CODE_PATTERNS["gemeente"],
                                 "a gemeente code")
    problems += [Problem(raw.origin, raw.row(i), regio_column,
                         f"{value!r} is not a politie regionale eenheid code (RE01..RE10)")
                 for i, value in regios.items() if value not in RIEC_NAMES]
    _raise_if(problems)
    name_column = _first_named(raw.frame.columns, ("gemeentenaam", "naam2", "gmnaam", "gemeentenaam1"))
    names = (_stripped(raw.frame[name_column]) if name_column is not None
             else pd.Series(pd.NA, index=raw.frame.index, dtype="string"))
    out = pd.DataFrame({"gemeente_code": gemeenten, "regio_code": regios, "gemeente_name": names})
    out = out.drop_duplicates(["gemeente_code", "regio_code"])
    _raise_if(_conflict_problems(raw, out, gemeente_column))
    out["regio_name"] = out["regio_code"].map(RIEC_NAMES)
    return out.astype("string").sort_values("gemeente_code").reset_index(drop=True)


def read_area_names(path: Path) -> pd.DataFrame:
    """Read a CBS code list (``Identifier,Title`` or OData ``Key,Title``) into ``code, name``."""
    raw = load_table(Path(path))
    code_column = _column_of_codes(raw, AREA_CODE, ("identifier", "key"))
    name_column = _first_named(raw.frame.columns, NAME_COLUMNS)
    if code_column is None or name_column is None:
        raise ValidationError([Problem(raw.origin, 1, None,
                                       "expected a column of area codes (Identifier) and one "
                                       "of names (Title)")])
    codes = _stripped(raw.frame[code_column])
    _raise_if(_pattern_problems(raw, codes, code_column, AREA_CODE, "a CBS area code"))
    out = pd.DataFrame({"code": codes, "name": _stripped(raw.frame[name_column])})
    return out.astype("string").reset_index(drop=True)


#: Topics of regional tables (70072NED) under their Kerncijfers stem: the same figure by
#: another key.
REGIONAL_STEMS = {"TotaleBevolking": "AantalInwoners"}


@dataclass(frozen=True)
class RegionalTable:
    """A table by ``RegioS`` and ``Perioden`` (70072NED *Regionale kerncijfers Nederland*):
    ``frame`` has ``code, year`` and a float column per topic (Kerncijfers stems where they
    mean the same, :data:`REGIONAL_STEMS`); ``other_levels`` counts the rows of classifications
    this tool does not show (``{"PV": 12, "CR": 40}``), ``other_periods`` those of quarters
    or months."""

    table_id: str | None
    frame: pd.DataFrame
    other_levels: dict[str, int]
    other_periods: int
    unpublished: tuple[str, ...]
    origin: str


def read_regional(path: Path) -> RegionalTable:
    """Read a regional TypedDataSet (CSV or OData JSON): codes space-padded (``"GM0014    "``),
    periods ``2024JJ00``. Gemeente and land rows of whole years are kept.

    Raises
    ------
    ValidationError
        A ``RegioS`` value that is no regional code, a period that is not one, a code and
        year given twice, or a cell that is not a number.
    """
    raw = load_table(Path(path))
    code_column, period_column = _by_stem(raw, ("RegioS",))[0], _by_stem(raw, ("Perioden",))[0]
    codes, periods = _stripped(raw.frame[code_column]), _stripped(raw.frame[period_column]).fillna("")
    problems = _pattern_problems(raw, codes, code_column, _REGION_CODE, "a regional code like GM0014 or PV20")
    problems += [Problem(raw.origin, raw.row(i), period_column, f"{p!r} is not a period like 2024JJ00")
                 for i, p in periods.items() if not re.fullmatch(r"\d{4}(JJ|KW|MM|X0)\d{2}", p)]
    _raise_if(problems)
    yearly = periods.str.fullmatch(_YEARLY_PERIOD.pattern)
    shown = codes.str.match(AREA_CODE.pattern)
    kept = RawTable(raw.frame[yearly & shown], raw.origin, raw.first_row, raw.table_id)
    variables, unpublished, _ = _kerncijfers_variables(kept, code_column)
    frame = pd.concat([codes[kept.frame.index].rename("code"),
                       periods[kept.frame.index].str[:4].astype(int).rename("year"),
                       variables.rename(columns=REGIONAL_STEMS)], axis=1)
    _raise_if(_duplicate_problems(kept, frame, ["code", "year"], code_column))
    others = codes[yearly & ~shown].str[:2].value_counts()
    return RegionalTable(raw.table_id, frame.reset_index(drop=True), {k: int(n) for k, n in others.items()},
                         int((~yearly).sum()), unpublished, raw.origin)


@dataclass(frozen=True)
class Metadata:
    """A metadata file of a CBS OData table: ``kind`` (DataProperties, TableInfos, code list),
    the table id where it states one, and ``entries``: ``key, title, group`` (the titles of the
    topic groups above a topic, ``" / "``-joined)."""

    kind: str
    table_id: str | None
    title: str
    entries: pd.DataFrame
    origin: str


def read_metadata(path: Path) -> Metadata:
    """Read a DataProperties, TableInfos or code-list CSV of a CBS/politie OData table."""
    raw = load_table(Path(path))
    kind = _metadata_kind(list(raw.frame.columns))
    if kind is None:
        raise ValidationError([Problem(raw.origin, 1, None, "not a DataProperties, TableInfos or code list")])
    column = {c.lower(): c for c in raw.frame.columns}
    frame = raw.frame
    if kind == "TableInfos":
        first = frame.iloc[0] if len(frame) else pd.Series(dtype=object)
        table_id = str(first.get(column["identifier"], "")).strip().upper() or None
        entries = pd.DataFrame({"key": [table_id], "title": [str(first.get(column["title"], "")).strip()],
                                "group": [str(first.get(column.get("period", ""), "")).strip()]})
        return Metadata(kind, table_id, entries["title"].iloc[0], entries, raw.origin)
    keys, titles = _stripped(frame[column["key"]]), _stripped(frame[column["title"]])
    groups = pd.Series("", index=frame.index, dtype=object)
    if kind == "DataProperties" and "parentid" in column and "id" in column:
        ids, parents = (frame[column[c]].astype(str).str.strip().str.removesuffix(".0") for c in ("id", "parentid"))
        title_of, parent_of = dict(zip(ids, titles.fillna(""))), dict(zip(ids, parents))
        groups = parents.map(lambda p: _group_path(p, title_of, parent_of))
    entries = pd.DataFrame({"key": keys, "title": titles, "group": groups})
    entries = entries[entries["key"].notna()].reset_index(drop=True)
    return Metadata(kind, raw.table_id, "", entries, raw.origin)


def _group_path(parent: str, title_of: dict[str, str], parent_of: dict[str, str]) -> str:
    chain = []
    while parent in title_of and len(chain) < 10:
        chain.append(title_of[parent])
        parent = parent_of.get(parent, "")
    return " / ".join(reversed(chain))


def read_national_crime(path: Path) -> pd.DataFrame:
    """National registered crime per crime type and year (no areas): ``soort_misdrijf, title,
    year, count``. Such a file is read and checked, never mistaken for area figures."""
    raw = load_table(Path(path))
    columns = list(raw.frame.columns)
    values = {c: _stripped(raw.frame[c]).fillna("") for c in columns}
    type_column = next(c for c in columns if values[c].map(normalise_crime_type).notna().all())
    year_column = next(c for c in columns if values[c].str.fullmatch(r"\d{4}(JJ00)?").all())
    others = [c for c in columns if c not in (type_column, year_column)]
    if not others:
        raise ValidationError([Problem(raw.origin, 1, None, "no column of counts")])
    counts, problems = parse_numbers(raw, others[-1])
    _raise_if(problems)
    return pd.DataFrame({"soort_misdrijf": values[type_column].map(normalise_crime_type),
                         "title": values[type_column], "year": values[year_column].str[:4].astype(int),
                         "count": counts})


def read_statline(path: Path) -> StatlineTable:
    """Read a StatLine CSV download: a title line, filter lines, a blank line, the header rows
    ``Onderwerp``, ``Perioden`` and the unit row, data rows keyed by a label, and a ``Bron:``
    footer; ``;``, every field quoted, ``.`` or ``x`` for a figure that is not there, ``-`` for
    nil (0), a period like ``2023`` or ``2023*`` (provisional).

    Raises
    ------
    ValidationError
        No ``Onderwerp``/``Perioden`` header, no footer (a download cut off), a record with
        another number of fields, or a cell that is not a figure.
    """
    origin = str(path)
    records = list(csv.reader(io.StringIO(_decoded(Path(path))), delimiter=";", quotechar='"'))
    layout = statline_layout(records)
    if layout is None:
        raise ValidationError([Problem(origin, None, None, "a StatLine download has the header rows "
                                                           "'Onderwerp' and 'Perioden'")])
    if layout.footer is None:
        raise ValidationError([Problem(origin, len(records), None, "no 'Bron:' line after the figures: "
                                                                   "the download is cut off?")])
    topics_at, periods_at, footer, width = layout.topics_at, layout.periods_at, layout.footer, layout.width
    title, filters = layout.title, layout.filters
    rows, problems = [], []
    for number in range(layout.first_data, footer):
        record = records[number]
        if not any(cell.strip() for cell in record):
            continue
        if len(record) != width:
            problems.append(Problem(origin, number + 1, None, f"{len(record)} fields where the header has {width}"))
            continue
        for column in range(1, width):
            cell = record[column].strip()
            period = records[periods_at][column].strip()
            year = re.match(r"^(\d{4})", period)
            value = 0.0 if cell == "-" else (np.nan if cell in STATLINE_MISSING else _statline_number(cell))
            if value is None or year is None:
                problems.append(Problem(origin, number + 1, records[topics_at][column],
                                        f"{cell!r} is not a figure" if value is None else
                                        f"period {period!r} is not a year"))
                continue
            rows.append((record[0].strip(), records[topics_at][column].strip(), int(year.group(1)), value, number + 1))
    _raise_if(problems[:50])
    frame = pd.DataFrame(rows, columns=["label", "topic", "year", "value", "row"])
    key = title.lower()
    table_id = next((tid for known, tid in STATLINE_TITLES.items() if key.startswith(known)), None)
    return StatlineTable(title, filters, table_id, frame, origin)


@dataclass(frozen=True)
class StatlineLayout:
    """Where the parts of a StatLine download lie in its records (0-based record numbers): the
    title and filter lines above, the ``Onderwerp`` (topics) and ``Perioden`` rows, the unit
    row after them whose first cell names the row dimension (``Regio's``), the data rows from
    ``first_data`` and the ``Bron:`` footer (``None`` when there is none)."""

    title: str
    filters: tuple[str, ...]
    topics_at: int
    periods_at: int
    first_data: int
    footer: int | None
    width: int
    dimension: str


def statline_layout(records: list[list[str]]) -> StatlineLayout | None:
    """The layout of a StatLine download's records (each a list of cells), or ``None`` when
    they have no ``Onderwerp`` and ``Perioden`` header rows."""
    first = [r[0].strip() if r else "" for r in records]
    try:
        topics_at = first.index("Onderwerp")
        periods_at = first.index("Perioden", topics_at)
    except ValueError:
        return None
    footer = next((i for i in range(len(records) - 1, periods_at, -1) if first[i].startswith("Bron")), None)
    dimension = first[periods_at + 1] if periods_at + 1 < len(records) else ""
    return StatlineLayout(title=first[0], filters=tuple(f for f in first[1:topics_at] if f), topics_at=topics_at,
                          periods_at=periods_at, first_data=periods_at + 2, footer=footer,
                          width=len(records[topics_at]), dimension=dimension)


def _statline_number(cell: str) -> float | None:
    text = cell.rstrip("*").replace(" ", "")
    text = _COMMA_DECIMAL.sub(r"\1.\2", text)
    try:
        return float(text)
    except ValueError:
        return None


def is_statline(path: Path) -> bool:
    """A StatLine CSV download: a one-field title line and an ``Onderwerp`` header row."""
    try:
        with Path(path).open(encoding="utf-8-sig", errors="replace", newline="") as handle:
            head = [line for _, line in zip(range(12), handle)]
    except OSError:
        return False
    rows = list(csv.reader(head, delimiter=";"))
    return bool(rows) and len(rows[0]) == 1 and any(r and r[0].strip() == "Onderwerp" for r in rows)


def sniff(path: Path) -> str | None:
    """What an official file holds, judged by its content only (never its name).

    Reads the first bytes, the header and a few rows (or a few features without geometry).

    Returns
    -------
    str or None
        ``"boundaries"``, ``"kerncijfers"``, ``"crime"``, ``"region_mapping"``,
        ``"buurt_names"``, ``"statline"``, ``"regional"``, ``"metadata"``, ``"national_crime"``, or
        ``None`` when nothing is recognised.
    """
    path = Path(path)
    try:
        kind = file_kind(path)
    except OSError:
        return None
    if kind in ("sqlite", "geojson", "topojson", "binary"):
        return "boundaries" if recognised_layers(path) else None
    if kind == "text" and is_statline(path):
        return "statline"
    try:
        columns, rows = peek_json(path) if kind == "json" else peek_csv(path)
    except (ValueError, csv.Error):
        return None
    return classify_columns(columns, rows)


# -- loading ---------------------------------------------------------------------------------

def load_table(path: Path) -> RawTable:
    """Load a CSV or OData JSON file with every cell as published."""
    origin = str(path)
    try:
        kind = file_kind(path)
    except OSError as err:
        raise ValidationError([Problem(origin, None, None, f"cannot read the file ({err})")]) from err
    if kind == "json":
        return _load_json(path)
    if kind == "text":
        return _load_csv(path)
    raise ValidationError([Problem(origin, None, None,
                                   f"not a CSV or OData JSON table (content looks like {kind})")])


def _load_csv(path: Path) -> RawTable:
    origin = str(path)
    text = _decoded(path)
    separator = separator_of(text.split("\n", 1)[0])
    try:
        frame = pd.read_csv(io.StringIO(text), sep=separator, dtype=str, keep_default_na=False,
                            na_values=[], quotechar='"')
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as err:
        line = re.search(r"line (\d+)", str(err))
        raise ValidationError([Problem(origin, int(line.group(1)) if line else None, None,
                                       f"not a readable CSV table: {err}")]) from err
    frame.columns = [clean_header(c) for c in frame.columns]
    _raise_if(_field_count_problems(origin, text, separator))
    return RawTable(frame=frame, origin=origin, first_row=2, table_id=_table_id_in_columns(frame))


def _field_count_problems(origin: str, text: str, separator: str) -> list[Problem]:
    """A record with another number of fields than the header (pandas pads a short one in
    silence): typically the last line of a file cut off."""
    records = list(csv.reader(io.StringIO(text), delimiter=separator, quotechar='"'))
    width, last = len(records[0]) if records else 0, len(records) - 1
    return [Problem(origin, number + 1, None, f"{len(record)} fields where the header has {width}"
                    + (": the file is cut off?" if number == last else ""))
            for number, record in enumerate(records) if record and len(record) != width][:5]


def _load_json(path: Path) -> RawTable:
    origin = str(path)
    try:
        document = json.loads(_decoded(path))
    except json.JSONDecodeError as err:
        raise ValidationError([Problem(origin, err.lineno, None, f"not valid JSON: {err.msg}")]) from err
    records = _json_records(document)
    if records is None:
        raise ValidationError([Problem(origin, None, None,
                                       'expected OData JSON {"value": [records]} or a list of records')])
    frame = pd.DataFrame.from_records(records).astype(object)
    frame.columns = [clean_header(c) for c in frame.columns]
    table_id = _table_id(document) if isinstance(document, dict) else None
    return RawTable(frame=frame, origin=origin, first_row=1, table_id=table_id)


def _decoded(path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise ValidationError([Problem(str(path), None, None,
                                       f"not UTF-8 text (byte {err.start})")]) from err


def separator_of(header: str) -> str:
    """The field separator of a CSV header line (or of a few first lines): ``;``, ``,`` or tab,
    counted outside quoted fields (a quoted title such as ``"Misdrijven; soort, gemeente"``
    says nothing); ``;`` when there is none."""
    bare = re.sub(r'"[^"]*"', "", header)
    return max((";", ",", "\t"), key=bare.count)


def clean_header(name: object) -> str:
    return str(name).strip().strip('"').strip()


def _json_records(document: object) -> list[dict] | None:
    records = document.get("value") if isinstance(document, dict) else document
    if isinstance(records, list) and all(isinstance(r, dict) for r in records):
        return records
    return None


def _table_id(document: dict) -> str | None:
    """The table id in an OData ``odata.metadata`` / ``@odata.context`` URL."""
    for key in ("odata.metadata", "@odata.context", "odata.context"):
        found = _TABLE_ID.search(str(document.get(key, "")))
        if found:
            return found.group(1).upper()
    return None


def _table_id_in_columns(frame: pd.DataFrame) -> str | None:
    """A table id stated in a column such as ``TableId`` (rare in CSV exports)."""
    for column in frame.columns:
        if column.lower() in ("tableid", "table_id", "tabel", "tabelid", "dataset") and len(frame):
            value = str(frame[column].iloc[0]).strip().upper()
            if re.fullmatch(r"\d{5}[A-Z]{3}", value):
                return value
    return None


# -- peeking (sniff) -------------------------------------------------------------------------

def peek_csv(path: Path, max_rows: int = 50) -> tuple[list[str], list[list[str]]]:
    """Header and the first ``max_rows`` rows of a CSV file."""
    with Path(path).open(encoding="utf-8-sig", errors="replace", newline="") as handle:
        lines = [line for _, line in zip(range(max_rows + 1), handle)]
    if not lines:
        return [], []
    reader = csv.reader(lines, delimiter=separator_of(lines[0]))
    rows = list(reader)
    return [clean_header(c) for c in rows[0]], rows[1:]


def peek_json(path: Path, head_bytes: int = 262_144, max_rows: int = 50) -> tuple[list[str], list[list[str]]]:
    """Keys of the first records of an OData JSON file and their values, as text."""
    with Path(path).open("rb") as handle:
        text = handle.read(head_bytes).decode("utf-8-sig", errors="ignore")
    found = re.search(r'"value"\s*:\s*\[', text) or re.match(r"\s*\[", text)
    if not found:
        return [], []
    decoder, position, records = json.JSONDecoder(), found.end(), []
    while len(records) < max_rows:
        position = _skip(text, position, " \t\r\n,")
        if position >= len(text) or text[position] != "{":
            break
        try:
            record, position = decoder.raw_decode(text, position)
        except json.JSONDecodeError:
            break           # the head cut this record off
        records.append(record)
    columns = list(dict.fromkeys(clean_header(k) for r in records for k in r))
    rows = [["" if r.get(c) is None else str(r.get(c)) for c in columns] for r in records]
    return columns, rows


def _skip(text: str, position: int, characters: str) -> int:
    while position < len(text) and text[position] in characters:
        position += 1
    return position


def classify_columns(columns: list[str], rows: list[list[str]]) -> str | None:
    """Name the publication a table comes from by its column keys and first values.

    >>> classify_columns(["Identifier", "Title"], [["BU16800000", "Annen"]])
    'buurt_names'
    >>> classify_columns(["WijkenEnBuurten", "ID", "GeregistreerdeMisdrijven_1"], [["BU00140000", "7", "5"]])
    'crime'
    """
    values = {c: [row[i].strip() for row in rows if i < len(row)] for i, c in enumerate(columns)}
    kinds = {c: _value_kind(v) for c, v in values.items()}
    stems = {stem_of(c) for c in columns}
    area_columns = [c for c, k in kinds.items() if k == "area"]
    if "gemeente" in kinds.values() and "regio" in kinds.values():
        return "region_mapping"
    if {"RegioS", "Perioden"} <= stems and "SoortMisdrijf" not in stems and any(
            stem_of(c) == "RegioS" and v and all(_REGION_CODE.match(x) for x in v) for c, v in values.items()):
        return "regional"
    if not area_columns and "gemeente" not in kinds.values():
        if _metadata_kind(columns):
            return "metadata"
        return "national_crime" if _is_national_crime(values) else None
    if "SoortMisdrijf" in stems:
        return "crime"
    lower = {c.lower() for c in columns}
    if lower & {"identifier", "key"} and lower & {"title", "titel"}:
        return "buurt_names"
    variables = {stem_of(c) for c in columns if is_suffixed(c) and stem_of(c) not in TEXT_STEMS}
    if variables and variables <= set(CRIME_COUNT_STEMS):
        return "crime"
    return "kerncijfers" if variables else None


def _metadata_kind(columns: list[str]) -> str | None:
    """``"DataProperties"``, ``"TableInfos"`` or ``"code list"`` for the metadata files of a
    CBS OData table (exported as CSV), else ``None``."""
    lower = {c.lower() for c in columns}
    if {"key", "title", "type"} <= lower and lower & {"odata.type", "position", "parentid"}:
        return "DataProperties"
    if {"identifier", "title", "shorttitle"} <= lower:
        return "TableInfos"
    if {"key", "title"} <= lower:
        return "code list"
    return None


def _is_national_crime(values: dict[str, list[str]]) -> bool:
    """Rows of crime types (``1.1.1 Diefstal/inbraak woning``, ``Totaal misdrijven``) per year
    and no area at all: national series such as 47025NED."""
    types = any(v and all(normalise_crime_type(x) for x in v) for v in values.values())
    years = any(v and all(re.fullmatch(r"\d{4}(JJ00)?", x) for x in v) for v in values.values())
    return types and years


def _value_kind(values: list[str]) -> str | None:
    """``"regio"``, ``"gemeente"`` (only GM codes), ``"area"`` (CBS area codes) or ``None``."""
    present = [v for v in values if v]
    if not present:
        return None
    for kind, pattern in (("regio", CODE_PATTERNS["regio"]), ("gemeente", CODE_PATTERNS["gemeente"]),
                          ("area", AREA_CODE)):
        if sum(bool(pattern.match(v)) for v in present) > len(present) / 2:
            return "area" if kind == "gemeente" and _mixed_levels(present) else kind
    return None


def _mixed_levels(values: list[str]) -> bool:
    return any(v.startswith(("WK", "BU", "NL")) for v in values)


# -- columns ---------------------------------------------------------------------------------

def stem_of(column: str) -> str:
    """A CBS column key without its ``_NN`` suffix.

    >>> stem_of("AantalInwoners_5"), stem_of("k_0Tot15Jaar_8"), stem_of("WijkenEnBuurten")
    ('AantalInwoners', 'k_0Tot15Jaar', 'WijkenEnBuurten')
    """
    found = _SUFFIXED.match(column)
    return found.group("stem") if found else column


def is_suffixed(column: str) -> bool:
    """True for CBS topic keys such as ``AantalInwoners_5``."""
    return _SUFFIXED.match(column) is not None


def _by_stem(raw: RawTable, stems: tuple[str, ...]) -> list[str]:
    """Columns whose stem is one of ``stems``, in the order of ``stems``."""
    return [c for stem in stems for c in raw.frame.columns if stem_of(c) == stem]


def _required_column(raw: RawTable, stems: tuple[str, ...], what: str) -> str:
    found = _by_stem(raw, stems)
    if not found:
        raise ValidationError([Problem(raw.origin, 1, None,
                                       f"no column with {what} ({' or '.join(s + '_NN' for s in stems)})")])
    return found[0]


def _first_named(columns, names: tuple[str, ...]) -> str | None:
    """The first column whose lower-case name without underscores is in ``names``."""
    for name in names:
        for column in columns:
            if column.lower().replace("_", "") == name:
                return column
    return None


def _stripped(values: pd.Series) -> pd.Series:
    """Cells as stripped strings; missing cells stay missing, empty ones become missing."""
    text = values.astype("string").str.strip()
    return text.mask(text == "")


def _share_matching(values: pd.Series, pattern: re.Pattern[str]) -> float:
    present = values.dropna()
    return float(present.str.match(pattern.pattern).mean()) if len(present) else 0.0


def _column_of_codes(raw: RawTable, pattern: re.Pattern[str], hints: tuple[str, ...]) -> str | None:
    """The column most of whose values match ``pattern``; named hints first, then leftmost."""
    matching = [c for c in raw.frame.columns if _share_matching(_stripped(raw.frame[c]), pattern) > 0.5]
    if not matching:
        return None
    return _first_named(matching, tuple(h.replace("_", "") for h in hints)) or matching[0]


def _area_code_column(raw: RawTable) -> str:
    """``WijkenEnBuurten`` (or ``Codering_NN``, ``RegioS``) when it holds area codes."""
    for column in _by_stem(raw, AREA_CODE_STEMS):
        if _share_matching(_stripped(raw.frame[column]), AREA_CODE) > 0.5:
            return column
    raise ValidationError([Problem(raw.origin, 1, None,
                                   "no column of area codes (WijkenEnBuurten or Codering_NN with "
                                   "codes like GM0014, WK001400, BU00140000)")])


def _area_codes(raw: RawTable, column: str, unique: bool = True, pattern: re.Pattern[str] = AREA_CODE) -> pd.Series:
    codes = _stripped(raw.frame[column])
    problems = _pattern_problems(raw, codes, column, pattern, "a CBS area code")
    if unique and not problems:
        problems = [Problem(raw.origin, raw.row(i), column, f"code {codes[i]!r} appears twice")
                    for i in codes.index[codes.duplicated()]]
    _raise_if(problems)
    return codes


def _pattern_problems(raw: RawTable, values: pd.Series, column: str, pattern: re.Pattern[str],
                      what: str) -> list[Problem]:
    shown = values.fillna("")
    bad = ~shown.str.match(pattern.pattern)
    return [Problem(raw.origin, raw.row(i), column, f"{shown[i]!r} is not {what}")
            for i in values.index[bad]]


# -- values ----------------------------------------------------------------------------------

def parse_numbers(raw: RawTable, column: str) -> tuple[pd.Series, list[Problem]]:
    """Figures of one column as float: ``"."``, empty, ``null`` and sentinels become NaN.

    Returns the values and a problem for every cell that is not a number.
    """
    text = _stripped(raw.frame[column])
    missing = text.isna() | text.isin(list(MISSING_TOKENS))
    normalised = text.str.replace(_COMMA_DECIMAL.pattern, r"\1.\2", regex=True)
    numbers = pd.to_numeric(normalised.mask(missing), errors="coerce").astype("float64")
    bad = ~missing & numbers.isna()
    problems = [Problem(raw.origin, raw.row(i), column, f"{text[i]!r} is not a number")
                for i in text.index[bad]]
    return numbers.mask(numbers <= SENTINEL_MAX), problems


def _kerncijfers_variables(raw: RawTable, code_column: str) -> tuple[pd.DataFrame, tuple[str, ...], tuple[str, ...]]:
    """One float column per published variable, named by its stem; a stem that names several
    topics (86165NED's ``Nederland_17`` and ``Nederland_20``) keeps the full keys, so neither is
    taken for the other. Columns empty on every row are returned apart: not yet published."""
    columns = [c for c in raw.frame.columns
               if c != code_column and is_suffixed(c) and stem_of(c) not in TEXT_STEMS]
    stems = pd.Series([stem_of(c) for c in columns], dtype=object)
    repeated = tuple(c for c, twice in zip(columns, stems.duplicated(keep=False)) if twice)
    problems, values, unpublished = [], {}, []
    for column in columns:
        text = _stripped(raw.frame[column])
        if len(text) and text.isna().all():
            unpublished.append(column)
            continue
        numbers, bad = parse_numbers(raw, column)
        if bad and len(bad) == int(text.notna().sum()):
            continue        # a text topic this reader does not know: not a figure
        problems += bad
        values[column if column in repeated else stem_of(column)] = numbers
    _raise_if(problems)
    if not values:
        raise ValidationError([Problem(raw.origin, 1, None, "no numeric variable columns (keys like "
                                                           "AantalInwoners_5)" + (
            f"; {len(unpublished)} columns are empty (not yet published)" if unpublished else ""))])
    return pd.DataFrame(values, index=raw.frame.index), tuple(unpublished), repeated


def _kerncijfers_names(raw: RawTable, code_column: str, codes: pd.Series) -> tuple[pd.Series, str | None]:
    """The area's own name where the file has it; else the gemeente name on GM/NL rows. Also
    the column the names came from."""
    for column in _by_stem(raw, ("WijkenEnBuurten",)):
        if column != code_column and _share_matching(_stripped(raw.frame[column]), AREA_CODE) == 0:
            return _stripped(raw.frame[column]), column
    named = _first_named([c for c in raw.frame.columns if c != code_column], NAME_COLUMNS)
    if named is not None:
        return _stripped(raw.frame[named]), named
    gemeentenaam = _by_stem(raw, ("Gemeentenaam",))
    names = pd.Series(pd.NA, index=raw.frame.index, dtype="string")
    if gemeentenaam:
        own = codes.str.startswith("GM") | codes.str.startswith("NL")
        names = names.mask(own, _stripped(raw.frame[gemeentenaam[0]]))
    return names, None


def normalise_crime_type(value: object) -> str | None:
    """The SoortMisdrijf key of a published value (key, padded key or ``"key label"``).

    >>> normalise_crime_type("0.0.0 "), normalise_crime_type("3.1.1 Drugshandel")
    ('0.0.0', '3.1.1')
    >>> normalise_crime_type("Totaal misdrijven")
    '0.0.0'
    """
    text = "" if value is None else str(value).strip()
    found = _CRIME_KEY.match(text)
    if found:
        return found.group(1)
    if text.lower() in ("totaal misdrijven", "misdrijven, totaal", "totaal"):
        return "0.0.0"
    return None


def _crime_types(raw: RawTable) -> tuple[pd.Series, list[Problem]]:
    columns = _by_stem(raw, ("SoortMisdrijf",))
    if not columns:
        return pd.Series("alle", index=raw.frame.index, dtype="string"), []
    keys = raw.frame[columns[0]].map(normalise_crime_type)
    problems = [Problem(raw.origin, raw.row(i), columns[0],
                        f"{raw.frame.at[i, columns[0]]!r} is not a SoortMisdrijf key like 3.1.1")
                for i in keys.index[keys.isna()]]
    return keys.astype("string"), problems


def _crime_years(raw: RawTable, year: int | None) -> tuple[pd.Series, list[Problem]]:
    columns = _by_stem(raw, ("Perioden",))
    if not columns:
        return pd.Series(year, index=raw.frame.index, dtype="Int64"), []
    periods = _stripped(raw.frame[columns[0]])
    found = periods.str.extract(_YEARLY_PERIOD)[0]
    problems = [Problem(raw.origin, raw.row(i), columns[0],
                        f"{periods[i]!r} is not a yearly period like 2024JJ00")
                for i in found.index[found.isna()]]
    years = pd.to_numeric(found, errors="coerce").astype("Int64")
    stated = sorted(set(years.dropna().tolist()))
    if year is not None and stated and stated != [year]:
        problems.append(Problem(raw.origin, None, columns[0],
                                f"the file covers {stated}, but year={year} was given"))
    return years, problems


def _duplicate_problems(raw: RawTable, frame: pd.DataFrame, keys: list[str], column: str) -> list[Problem]:
    repeated = frame.index[frame.duplicated(keys)]
    return [Problem(raw.origin, raw.row(i), column,
                    "repeats " + ", ".join(f"{k}={frame.at[i, k]}" for k in keys))
            for i in repeated]


def _conflict_problems(raw: RawTable, frame: pd.DataFrame, column: str) -> list[Problem]:
    conflicting = frame.index[frame.duplicated("gemeente_code")]
    return [Problem(raw.origin, raw.row(i), column,
                    f"{frame.at[i, 'gemeente_code']} is mapped to more than one regionale eenheid")
            for i in conflicting]


def _raise_if(problems: list[Problem]) -> None:
    if problems:
        raise ValidationError(problems)
