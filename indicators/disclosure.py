"""Disclosure control: which indicator values may be shown (PRODUCT.md §4).

What is protected
-----------------
A *cell* is one count variable of one area in one year, e.g. the drug-trafficking cases of
buurt BU00010101 in 2024. Indicators are ratios of such cells (numerator / denominator), and
every parent's cell is the sum of its children's cells (ratio of sums). Variables that the
source publishes openly per buurt (inhabitants, households, dwellings, land area, ...; the
catalog's ``[variables] open``) are public and never protected: a rate of two open variables
is shown as the source publishes it. Gemeente, regio and land figures are always shown exactly.
Protection may hide wijk and buurt figures only (:data:`PROTECTED_LEVELS`).

1. **Primary suppression** (:func:`primary_suppression`): a wijk or buurt value of an indicator
   with a non-open variable is hidden when its denominator is below ``min_denominator`` or 0
   (reason ``"small denominator"``) or its numerator is a small non-zero count,
   ``0 < numerator < min_count`` (``"small count"``). All non-open cells of a hidden value are
   hidden, under every indicator that uses them: a variable hidden under one indicator is never
   published under another (consistent suppression across indicators). The same holds for
   values hidden by protection.
2. **Protection intervals** (:func:`disclose`): an attacker knows every shown cell, that counts
   are never negative, and that each parent is the sum of its children with data. For every
   hidden cell we compute the exact range of values consistent with that (:func:`intervals`)
   and require it to span at least ``max(min_count, PROTECTION_WIDTH)``; less only where even
   hiding everything under the gemeente could not give more (the gemeente's own figure is
   smaller, or the cell is its gemeente's only wijk, or that wijk's only buurt, and so equals a
   shown figure). Where a range is too narrow we hide one more cell per equation and repeat
   (secondary suppression, the approach of τ-ARGUS): a shown sibling of the smallest size that
   closes the gap (else the largest), else the parent wijk. Reason ``"protection"``.

Because the gemeente is exact and the tree below it has two levels (wijk, buurt), the ranges
have a closed form. For one variable under one gemeente ``G``:

- hidden buurten of a *shown* wijk ``W`` share its remainder ``r = W - (shown buurten)``: each
  lies in ``[0, r]`` if there are at least two of them, else it equals ``r``;
- the *pool* of the gemeente: hidden buurten of hidden wijken and hidden wijken without buurten
  with data share ``R = G - (shown wijken) - (shown buurten of hidden wijken)``; each member
  lies in ``[0, R]`` if the pool has at least two members, and a hidden wijk in
  ``[S, S + R]`` (``S`` its shown buurten) if members of at least two wijken share the pool; a
  hidden wijk whose buurten are all shown is their sum.

Known limit: where a source publishes a wijk figure that differs from the sum of its buurten,
the ranges are computed as if it were the sum (the attacker's best model).

Contract with the caller: :func:`disclose` only sets ``status`` and ``reason``; the caller must
blank the value, numerator and denominator of every row that is not ``"ok"`` before storing or
showing anything (as ``data_pipeline/aggregate.py`` does).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

REASONS = ("", "small denominator", "small count", "protection")
#: Levels whose figures may be hidden; everything above is always exact.
PROTECTED_LEVELS = ("wijk", "buurt")
#: The least width of the range an attacker may know a hidden count to lie in.
PROTECTION_WIDTH = 3.0
_KEY = ["code", "year", "indicator"]
_ROLES = ("numerator", "denominator")


def primary_suppression(values: pd.DataFrame, rules: pd.DataFrame,
                        open_variables: frozenset[str] | set[str] = frozenset()) -> pd.DataFrame:
    """Hide small denominators and small counts of wijken and buurten (no protection yet).

    Parameters
    ----------
    values : pandas.DataFrame
        One row per (``code``, ``year``, ``indicator``) with ``level``, the raw ``numerator``
        and ``denominator`` (NaN = unknown; counts need no denominator) and ``status``
        ``"ok"`` or ``"missing"`` (no data: not part of the parent's sums).
    rules : pandas.DataFrame
        One row per indicator: ``indicator``, ``numerator`` and ``denominator`` (variable names;
        ``""`` for a count), ``min_denominator``, ``min_count`` (0 = no count rule).
    open_variables : set of str
        Variables published openly by the source: a value whose variables are all open is
        never hidden for its size (only when its denominator is 0 and there is no value).

    Returns
    -------
    pandas.DataFrame
        `values` with ``status`` (``"ok"``, ``"suppressed"``, ``"missing"``) and ``reason``.
        On its own this is *not* safe to show (see :func:`exposures`).

    Examples
    --------
    >>> values = pd.DataFrame({"code": ["GM0001", "BU00010101", "BU00010102", "BU00010103"],
    ...     "level": ["gemeente", "buurt", "buurt", "buurt"], "year": 2024, "indicator": "shops",
    ...     "numerator": [2.0, 2.0, 0.0, np.nan], "denominator": np.nan,
    ...     "status": ["ok", "ok", "ok", "missing"]})
    >>> rules = pd.DataFrame({"indicator": ["shops"], "numerator": ["coffeeshops"], "denominator": [""],
    ...                       "min_denominator": [0.0], "min_count": [3.0]})
    >>> primary_suppression(values, rules)[["status", "reason"]].values.tolist()
    [['ok', ''], ['suppressed', 'small count'], ['ok', ''], ['missing', '']]
    """
    _check_statuses(values, allowed={"ok", "missing"})
    rule = _rules_per_row(values, rules)
    numerator = values["numerator"].to_numpy(dtype=float)
    denominator = values["denominator"].to_numpy(dtype=float)
    is_count = rule["denominator"].eq("").to_numpy()
    has_data = values["status"].ne("missing").to_numpy()

    incomplete = has_data & (np.isnan(numerator) | (~is_count & np.isnan(denominator)))
    if incomplete.any():
        example = values.loc[incomplete, _KEY].head(3).to_dict("records")
        raise ValueError(f"{int(incomplete.sum())} rows have status 'ok' but no numerator "
                         f"(or no denominator for a rate), e.g. {example}")

    secret = _has_secret_variable(rule, open_variables) & values["level"].isin(PROTECTED_LEVELS).to_numpy()
    # A rate over a denominator of 0 has no value at any level (its numerator is still summed).
    no_rate = has_data & ~is_count & (denominator <= 0)
    small_denominator = no_rate | (has_data & secret & ~is_count
                                   & (denominator < rule["min_denominator"].to_numpy(dtype=float)))
    small_count = (has_data & secret & ~small_denominator & (numerator > 0)
                   & (numerator < rule["min_count"].to_numpy(dtype=float)))

    reason = np.full(len(values), "", dtype=object)
    reason[small_denominator] = "small denominator"
    reason[small_count] = "small count"
    status = np.where(has_data, "ok", "missing").astype(object)
    status[small_denominator | small_count] = "suppressed"
    out = values.copy()
    out["status"] = pd.array(status, dtype="str")
    out["reason"] = pd.array(reason, dtype="str")
    return out


def disclose(values: pd.DataFrame, areas: pd.DataFrame, rules: pd.DataFrame,
             open_variables: frozenset[str] | set[str] = frozenset()) -> pd.DataFrame:
    """Primary suppression, then hide more cells until every hidden cell is protected.

    Parameters
    ----------
    values, rules, open_variables
        As for :func:`primary_suppression` (``level`` may be left out: it is read from `areas`).
    areas : pandas.DataFrame
        The area tree: ``code``, ``level`` and ``parent_code``.

    Returns
    -------
    pandas.DataFrame
        The rows of `values` in the same order with ``status`` and ``reason`` (``""``,
        ``"small denominator"``, ``"small count"``, ``"protection"``). Numerator and
        denominator are left untouched: the caller blanks every row that is not ``"ok"``.

    Raises
    ------
    ValueError
        On an unknown status, an indicator without a rule, an area not in `areas`, duplicate
        rows, or an ``"ok"`` row without numerator (or denominator, for a rate).

    Examples
    --------
    A gemeente of two wijken; the first wijk has three buurten, one with only 50 inhabitants
    (minimum 100). Hiding it alone would reveal it (35 - 10 - 20 = 5 crimes), so the smallest
    sibling that leaves an attacker a range of at least 3 is hidden too: the two then share
    15 crimes, each anywhere from 0 to 15.

    >>> areas = pd.DataFrame({
    ...     "code": ["GM0001", "WK000101", "WK000102", "BU00010101", "BU00010102", "BU00010103"],
    ...     "level": ["gemeente", "wijk", "wijk", "buurt", "buurt", "buurt"],
    ...     "parent_code": [None, "GM0001", "GM0001", "WK000101", "WK000101", "WK000101"]})
    >>> values = pd.DataFrame({"code": areas["code"], "year": 2024, "indicator": "misdrijven",
    ...     "numerator": [47.0, 35.0, 12.0, 5.0, 10.0, 20.0],
    ...     "denominator": [2950.0, 1550.0, 1400.0, 50.0, 500.0, 1000.0], "status": "ok"})
    >>> rules = pd.DataFrame({"indicator": ["misdrijven"], "numerator": ["misdrijven_totaal"],
    ...     "denominator": ["inwoners"], "min_denominator": [100.0], "min_count": [0.0]})
    >>> out = disclose(values, areas, rules, open_variables={"inwoners"})
    >>> out.set_index("code")["reason"].to_dict()  # doctest: +NORMALIZE_WHITESPACE
    {'GM0001': '', 'WK000101': '', 'WK000102': '', 'BU00010101': 'small denominator',
     'BU00010102': 'protection', 'BU00010103': ''}
    """
    primary = primary_suppression(_with_level(values, areas), rules, open_variables)
    cells = Cells.of(primary, areas, rules, open_variables)
    suppressed = primary["status"].eq("suppressed").to_numpy()
    hidden = cells.hidden_keys(suppressed)
    while True:   # a value hidden for one of its cells hides its other cells too, everywhere
        hidden = _protect(cells, hidden)
        more = cells.hidden_keys(suppressed | cells.rows_hidden(hidden))
        if not (more & ~hidden).any():
            break
        hidden |= more
    out = primary if "level" in values.columns else primary.drop(columns=["level"])
    hide = cells.rows_hidden(hidden) & out["status"].eq("ok").to_numpy()
    status = out["status"].to_numpy(dtype=object).copy()
    reason = out["reason"].to_numpy(dtype=object).copy()
    status[hide], reason[hide] = "suppressed", "protection"
    out["status"] = pd.array(status, dtype="str")
    out["reason"] = pd.array(reason, dtype="str")
    return out


def intervals(published: pd.DataFrame, areas: pd.DataFrame, rules: pd.DataFrame,
              open_variables: frozenset[str] | set[str] = frozenset()) -> pd.DataFrame:
    """The range an attacker can derive for every hidden cell from what is shown.

    Parameters
    ----------
    published : pandas.DataFrame
        What the product shows: ``code``, ``year``, ``indicator``, ``numerator``,
        ``denominator`` (NaN where not shown) and ``status`` (``"ok"``, ``"suppressed"``,
        ``"missing"``).
    areas, rules, open_variables
        As for :func:`disclose`.

    Returns
    -------
    pandas.DataFrame
        One row per hidden cell and indicator that uses it: ``code``, ``level``, ``year``,
        ``indicator``, ``role``, ``variable``, the bounds ``low`` and ``high``, the
        ``required`` width and ``attack``: ``""`` when protected, else what pins it down
        (``"shown under another indicator"``, ``"single hidden child"``, ``"narrow
        remainder"``, ``"sum of shown children"``).

    Examples
    --------
    The doctest of :func:`disclose` without its protection: the hidden buurt is its wijk
    minus the shown buurten.

    >>> areas = pd.DataFrame({"code": ["GM0001", "WK000101", "BU00010101", "BU00010102"],
    ...     "level": ["gemeente", "wijk", "buurt", "buurt"],
    ...     "parent_code": [None, "GM0001", "WK000101", "WK000101"]})
    >>> published = pd.DataFrame({"code": areas["code"], "year": 2024, "indicator": "x",
    ...     "numerator": [15.0, 15.0, np.nan, 10.0], "denominator": [550.0, 550.0, np.nan, 500.0],
    ...     "status": ["ok", "ok", "suppressed", "ok"]})
    >>> rules = pd.DataFrame({"indicator": ["x"], "numerator": ["crimes"], "denominator": ["inwoners"],
    ...                       "min_denominator": [100.0], "min_count": [0.0]})
    >>> intervals(published, areas, rules, {"inwoners"})[["code", "low", "high", "attack"]].values.tolist()
    [['BU00010101', 5.0, 5.0, 'single hidden child']]
    """
    published = _with_level(published, areas)
    _check_statuses(published, allowed={"ok", "suppressed", "missing"})
    cells = Cells.of(published, areas, rules, open_variables)
    suppressed = published["status"].eq("suppressed").to_numpy()
    hidden = cells.hidden_keys(suppressed)
    known = cells.known_keys(published["status"].eq("ok").to_numpy())
    pools = _Pools(cells, hidden & ~known)
    rows = np.flatnonzero(suppressed[cells.value_row] & cells.has_data & cells.protectable)
    low, high, attack = pools.bounds(rows)
    shown_elsewhere = known[cells.key[rows]]
    low[shown_elsewhere] = high[shown_elsewhere] = cells.x[rows][shown_elsewhere]
    attack[shown_elsewhere] = "shown under another indicator"
    frame = cells.frame.iloc[rows]
    return pd.DataFrame({
        "code": frame["code"].to_numpy(), "level": frame["level"].to_numpy(),
        "year": frame["year"].to_numpy(), "indicator": frame["indicator"].to_numpy(),
        "role": frame["role"].to_numpy(), "variable": frame["variable"].to_numpy(),
        "low": low, "high": high, "required": pools.required[rows], "attack": attack,
    }).sort_values(["year", "indicator", "code", "role"], kind="stable").reset_index(drop=True)


def exposures(published: pd.DataFrame, areas: pd.DataFrame, rules: pd.DataFrame,
              open_variables: frozenset[str] | set[str] = frozenset(),
              changes: pd.DataFrame | None = None) -> pd.DataFrame:
    """Hidden cells an attacker pins down or narrows below the protection width.

    The attacks of :func:`intervals`, plus, when `changes` is given (``code``,
    ``indicator``, ``year``, ``since`` and the published change ``value``), a change between
    two years of which one is shown and the other hidden (``"change since"``).

    Returns
    -------
    pandas.DataFrame
        The rows of :func:`intervals` whose ``attack`` is not empty, with the change-since
        cases appended (bounds NaN: the value itself follows).
    """
    found = intervals(published, areas, rules, open_variables)
    found = found[found["attack"] != ""]
    if changes is not None and len(changes):
        status = published.set_index(["code", "indicator", "year"])["status"]
        shown = changes["value"].notna()
        now = status.reindex(pd.MultiIndex.from_frame(changes[["code", "indicator", "year"]])).to_numpy()
        then = status.reindex(pd.MultiIndex.from_arrays(
            [changes["code"], changes["indicator"], changes["since"]])).to_numpy()
        leak = shown.to_numpy() & ((now == "suppressed") ^ (then == "suppressed"))
        leaks = changes[leak]
        level = _with_level(leaks[["code"]], areas)["level"].to_numpy()
        found = pd.concat([found, pd.DataFrame({
            "code": leaks["code"].to_numpy(), "level": level,
            "year": np.where(now[leak] == "suppressed", leaks["year"], leaks["since"]),   # the hidden one
            "indicator": leaks["indicator"].to_numpy(), "role": "", "variable": "",
            "low": np.nan, "high": np.nan, "required": np.nan, "attack": "change since"})],
            ignore_index=True)
    return found.reset_index(drop=True)


# --- cells and their equations ----------------------------------------------------------------

@dataclass
class Cells:
    """The values as cells of non-open variables below (and at) the gemeente, with their tree.

    One row per (value row, role) whose variable is not open, at gemeente, wijk or buurt level.
    Rows of one indicator, role and year form a *family*: a tree of sums. ``key`` numbers the
    cells (code, year, variable), shared by every indicator that uses the variable.
    """

    frame: pd.DataFrame          # code, level, year, indicator, role, variable
    value_row: np.ndarray        # row of the values frame
    key: np.ndarray              # cell id (code, year, variable)
    n_keys: int
    x: np.ndarray                # the cell's count (NaN where not known)
    has_data: np.ndarray
    level: np.ndarray            # 0 gemeente, 1 wijk, 2 buurt
    wijk: np.ndarray             # buurt: its wijk's row; wijk: itself; else -1
    gemeente: np.ndarray         # the row of its gemeente (-1: none)
    min_count: np.ndarray
    code_rank: np.ndarray
    n_values: int

    @classmethod
    def of(cls, values: pd.DataFrame, areas: pd.DataFrame, rules: pd.DataFrame,
           open_variables) -> "Cells":
        rule = _rules_per_row(values, rules)
        tree = areas.set_index("code")
        if not tree.index.is_unique:
            raise ValueError(f"duplicate area codes: {tree.index[tree.index.duplicated()].tolist()[:10]}")
        dupes = values.duplicated(_KEY)
        if dupes.any():
            raise ValueError(f"duplicate (code, year, indicator) rows, e.g. "
                             f"{values.loc[dupes, _KEY].head(3).to_dict('records')}")
        parts = []
        for role in _ROLES:
            variable = rule[role].to_numpy(dtype=object)
            use = (variable != "") & ~np.isin(variable, list(open_variables)) & values["level"].isin(
                ("gemeente", *PROTECTED_LEVELS)).to_numpy()
            rows = np.flatnonzero(use)
            parts.append(pd.DataFrame({
                "value_row": rows, "code": values["code"].to_numpy()[rows],
                "level": values["level"].to_numpy()[rows], "year": values["year"].to_numpy()[rows],
                "indicator": values["indicator"].to_numpy()[rows], "role": role,
                "variable": variable[rows], "x": values[role].to_numpy(dtype=float)[rows],
                "min_count": rule["min_count"].to_numpy(dtype=float)[rows],
                "has_data": values["status"].ne("missing").to_numpy()[rows]}))
        frame = pd.concat(parts, ignore_index=True)
        codes = pd.Index(sorted(tree.index))
        parent = tree["parent_code"].reindex(frame["code"]).to_numpy(dtype=object)
        frame["parent"] = parent
        frame["gemeente_code"] = np.where(frame["level"] == "gemeente", frame["code"],
                                          np.where(frame["level"] == "wijk", parent,
                                                   tree["parent_code"].reindex(parent).to_numpy(dtype=object)))
        family = ["year", "indicator", "role"]
        at = pd.MultiIndex.from_frame(frame[["code", *family]])
        wijk = np.where(frame["level"] == "buurt",
                        at.get_indexer(pd.MultiIndex.from_arrays([frame["parent"], *(frame[f] for f in family)])),
                        np.where(frame["level"] == "wijk", np.arange(len(frame)), -1))
        gemeente = at.get_indexer(pd.MultiIndex.from_arrays([frame["gemeente_code"], *(frame[f] for f in family)]))
        orphan = frame["has_data"].to_numpy() & (frame["level"] != "gemeente").to_numpy() & (
            (gemeente < 0) | ((frame["level"] == "buurt").to_numpy() & (wijk < 0)))
        if orphan.any():
            raise ValueError(f"values of wijken or buurten without a value row for their wijk and gemeente, "
                             f"e.g. {frame.loc[orphan, ['code', 'year', 'indicator']].head(3).to_dict('records')}")
        key = frame.groupby(["code", "year", "variable"], sort=False).ngroup().to_numpy()
        # A cell hidden under one indicator but shown under another is known from the other.
        frame["x"] = frame["x"].fillna(frame.groupby(key)["x"].transform("first"))
        return cls(frame=frame[["code", "level", "year", "indicator", "role", "variable"]],
                   value_row=frame["value_row"].to_numpy(), key=key, n_keys=int(key.max()) + 1 if len(key) else 0,
                   x=frame["x"].to_numpy(), has_data=frame["has_data"].to_numpy(),
                   level=frame["level"].map({"gemeente": 0, "wijk": 1, "buurt": 2}).to_numpy(),
                   wijk=wijk, gemeente=gemeente, min_count=frame["min_count"].to_numpy(),
                   code_rank=codes.get_indexer(frame["code"]), n_values=len(values))

    @property
    def protectable(self) -> np.ndarray:
        return self.level > 0

    def hidden_keys(self, row_hidden: np.ndarray) -> np.ndarray:
        """Cells hidden because a value row that uses them is hidden."""
        hidden = np.zeros(self.n_keys, dtype=bool)
        hidden[self.key[row_hidden[self.value_row] & self.protectable]] = True
        return hidden

    def known_keys(self, row_shown: np.ndarray) -> np.ndarray:
        """Cells published by some shown value row."""
        known = np.zeros(self.n_keys, dtype=bool)
        known[self.key[row_shown[self.value_row]]] = True
        return known

    def is_row_hidden(self, hidden: np.ndarray) -> np.ndarray:
        """Per cell row: its cell is hidden (and it has data)."""
        return hidden[self.key] & self.has_data

    def rows_hidden(self, hidden: np.ndarray) -> np.ndarray:
        """Per value row: some cell of it is hidden."""
        out = np.zeros(self.n_values, dtype=bool)
        out[self.value_row[self.is_row_hidden(hidden)]] = True
        return out


class _Pools:
    """The equations of every family under every gemeente, given which cells are hidden."""

    def __init__(self, cells: Cells, hidden: np.ndarray):
        c, n = cells, len(cells.x)
        self.cells = c
        x = np.nan_to_num(c.x)
        self.h = h = c.is_row_hidden(hidden) & c.protectable
        data = c.has_data
        buurt = np.flatnonzero(data & (c.level == 2) & (c.wijk >= 0))
        wijk = np.flatnonzero(data & (c.level == 1) & (c.gemeente >= 0))
        self.shown_x = np.where(h, 0.0, x)
        w_of, g_of = c.wijk[buurt], c.gemeente[wijk]
        self.nb = np.bincount(w_of, minlength=n)                       # buurten with data per wijk
        self.kh = np.bincount(w_of, weights=h[buurt], minlength=n)     # hidden ones
        self.S = np.bincount(w_of, weights=self.shown_x[buurt], minlength=n)
        self.ndw = np.bincount(g_of, minlength=n)                      # wijken with data per gemeente
        self.remainder = np.maximum(x - self.S, 0.0)                   # per shown wijk
        members = np.where(self.nb > 0, self.kh, 1) * h                 # per hidden wijk row
        self.units = np.bincount(g_of, weights=(members[wijk] > 0), minlength=n)
        self.members = np.bincount(g_of, weights=members[wijk], minlength=n)
        taken = np.where(h, self.S, x)                                  # shown wijk, or shown part of hidden
        self.pool = np.maximum(x - np.bincount(g_of, weights=taken[wijk], minlength=n), 0.0)  # per gemeente row
        g = np.maximum(c.gemeente, 0)
        self.need = need = np.minimum(np.maximum(c.min_count, PROTECTION_WIDTH), x[g])
        w = np.maximum(c.wijk, 0)
        pinned = np.where(c.level == 1, self.ndw[g] == 1,
                          (self.ndw[g] == 1) & (self.nb[w] == 1))
        self.required = np.where((c.level > 0) & ~pinned, need, 0.0)

    def bounds(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Low, high and the attack that narrows each of ``rows`` (hidden cell rows)."""
        c, h = self.cells, self.h
        w, g = np.maximum(c.wijk[rows], 0), np.maximum(c.gemeente[rows], 0)
        is_buurt = c.level[rows] == 2
        in_shown_wijk = is_buurt & ~h[w]
        exact_sum = ~is_buurt & (self.nb[w] > 0) & (self.kh[w] == 0)
        together = np.where(in_shown_wijk, self.kh[w] >= 2,
                            np.where(is_buurt, self.members[g] >= 2, (self.units[g] >= 2) & ~exact_sum))
        width = np.where(in_shown_wijk, self.remainder[w], self.pool[g])
        base = np.where(is_buurt, 0.0, self.S[w])
        low = np.where(together, base, base + np.where(exact_sum, 0.0, width))
        high = base + np.where(exact_sum, 0.0, width)
        attack = np.full(len(rows), "", dtype=object)
        narrow = (high - low) < self.required[rows]
        attack[narrow] = "narrow remainder"
        attack[narrow & ~together] = "single hidden child"
        attack[narrow & exact_sum] = "sum of shown children"
        return low, high, attack

    def exposed(self) -> np.ndarray:
        rows = np.flatnonzero(self.h)
        _, _, attack = self.bounds(rows)
        return rows[attack != ""]


def _protect(cells: Cells, hidden: np.ndarray) -> np.ndarray:
    """Hide more cells until no hidden cell is exposed (or nothing more can be hidden)."""
    c = cells
    hidden = hidden.copy()
    while True:
        pools = _Pools(c, hidden)
        exposed = pools.exposed()
        if not len(exposed):
            return hidden
        h, w, g = pools.h, np.maximum(c.wijk, 0), np.maximum(c.gemeente, 0)
        x = np.nan_to_num(c.x)
        is_buurt = c.level[exposed] == 2
        ew = w[exposed]
        in_shown_wijk = is_buurt & ~h[ew]
        exact_sum = ~is_buurt & (pools.nb[ew] > 0) & (pools.kh[ew] == 0)
        # Each exposed cell names the equation to widen: its shown wijk, its hidden wijk whose
        # buurten are all shown, or its gemeente's pool.
        wijk_pools = np.unique(ew[in_shown_wijk | exact_sum])
        gemeente_pools = np.unique(g[exposed][~(in_shown_wijk | exact_sum)])
        shown = c.has_data & ~h
        # Candidates: the shown buurten of those wijken; for a gemeente pool its shown wijken,
        # and the shown buurten of its hidden wijken once the pool spans two wijken.
        few_units = (pools.units[g] < 2) & (pools.ndw[g] > 1)   # one wijk alone cannot have two
        in_wijk = np.flatnonzero(shown & (c.level == 2) & np.isin(w, wijk_pools))
        in_gem = np.flatnonzero(shown & (c.level > 0) & np.isin(g, gemeente_pools)
                                & ((c.level == 1) | (h[w] & ~few_units)))
        cand = np.concatenate([in_wijk, in_gem])
        pool_id = np.concatenate([w[in_wijk], g[in_gem]])   # wijk and gemeente rows never coincide
        width = np.concatenate([np.where(h[w[in_wijk]], pools.pool[g[in_wijk]], pools.remainder[w[in_wijk]]),
                                pools.pool[g[in_gem]]])
        gap = pools.need[cand] - width
        size = x[cand]
        closes = size >= gap
        needs_unit = np.concatenate([np.zeros(len(in_wijk), dtype=bool), few_units[in_gem]])
        usable = closes | (size > 0) | needs_unit
        # Per pool: a usable cell; the smallest that closes the gap, else the largest; then by code.
        order = np.lexsort((c.code_rank[cand], np.where(closes, size, -size), ~closes, ~usable, pool_id))
        _, first = np.unique(pool_id[order], return_index=True)
        best = order[first][usable[order][first]]
        chosen = cand[best]
        # A shown wijk whose buurten cannot close the gap is hidden itself.
        stuck = np.setdiff1d(wijk_pools[~h[wijk_pools]], pool_id[best])
        chosen = np.concatenate([chosen, stuck])
        new = np.unique(c.key[chosen])
        new = new[~hidden[new]]
        if not len(new):
            return hidden    # nothing more to hide: the check after the build reports it
        hidden[new] = True


# --- helpers ---------------------------------------------------------------------------------

def _has_secret_variable(rule: pd.DataFrame, open_variables) -> np.ndarray:
    secret = np.zeros(len(rule), dtype=bool)
    for role in _ROLES:
        variable = rule[role].to_numpy(dtype=object)
        secret |= (variable != "") & ~np.isin(variable, list(open_variables))
    return secret


def _with_level(values: pd.DataFrame, areas: pd.DataFrame) -> pd.DataFrame:
    level = areas.set_index("code")["level"]
    unknown = ~values["code"].isin(level.index)
    if unknown.any():
        raise ValueError(f"area codes not in areas: {values.loc[unknown, 'code'].unique().tolist()[:10]}")
    out = values.copy()
    out["level"] = level.reindex(values["code"]).to_numpy()
    return out


def _rules_per_row(values: pd.DataFrame, rules: pd.DataFrame) -> pd.DataFrame:
    by_indicator = rules.set_index("indicator")[["numerator", "denominator", "min_denominator", "min_count"]]
    if not by_indicator.index.is_unique:
        raise ValueError("rules lists an indicator more than once")
    unknown = set(values["indicator"].unique()) - set(by_indicator.index)
    if unknown:
        raise ValueError(f"no disclosure rule for indicators: {sorted(unknown)}")
    out = by_indicator.reindex(values["indicator"]).reset_index(drop=True)
    out["denominator"] = out["denominator"].fillna("")
    return out


def _check_statuses(values: pd.DataFrame, allowed: set[str]) -> None:
    unexpected = set(values["status"].unique()) - allowed
    if unexpected:
        raise ValueError(f"unexpected status values {sorted(map(str, unexpected))}; "
                         f"expected {sorted(allowed)}")
