"""Disclosure control: which indicator values may be shown (PRODUCT.md §4).

Two steps, applied to every (year, indicator) over the whole area tree:

1. **Primary suppression** (:func:`primary_suppression`): an area is suppressed when
   its denominator is below the indicator's ``min_denominator`` (rates only; reason
   ``"small denominator"``) or when its numerator is a small non-zero count,
   ``0 < numerator < min_count`` (rates and counts; reason ``"small count"``).
2. **Complementary suppression**: a parent's figures are the sums of the figures of its
   children *with data* (ratio of sums, ``data_pipeline/aggregate.py``). Every parent
   with data therefore gives one equation ``parent = child_1 + ... + child_k`` that holds
   for the numerator and for the denominator. If exactly one cell of such an equation is
   suppressed, it can be computed from the shown ones:

   - *parent minus siblings*: the parent is shown and exactly one child is suppressed
     (the differencing attack): ``child = parent - sum(shown siblings)``;
   - *sum of children*: the parent is suppressed and all its children are shown:
     ``parent = sum(children)``. This happens when a wijk is suppressed to protect a
     sibling wijk, so it is checked as well.

   In every equation with exactly one suppressed cell we therefore also suppress the shown
   child with the smallest size (the denominator; the numerator for counts; tie: the
   smallest code), reason ``"complementary"``. When no child is shown (the suppressed cell
   is the only child of a shown parent), the parent is suppressed instead. This is repeated,
   level by level from the bottom up, until no equation has exactly one suppressed cell. In
   a tree of sums that is enough: every suppressed cell then lies on a chain of suppressed
   cells that can be shifted by any amount without changing a shown figure.

Children without data (status ``missing``) are not part of their parent's sums, so they
protect nothing. Parents are assumed to be the sums of their children even where a source
published its own figures for them: those are close to the sums, so a difference would
still give a close estimate.

Contract with the caller: :func:`disclose` only sets ``status`` and ``reason``; it leaves
``numerator`` and ``denominator`` untouched, so the caller must blank the value, numerator
and denominator of every row whose status is not ``"ok"`` before storing or showing
anything (as ``aggregate.py`` does for ``suppressed``).

Known limits: only exact recovery through these equations is prevented. Bounds are not:
a suppressed denominator is known to be below ``min_denominator``, and if all suppressed
cells of an equation add up to a numerator of 0, each of them is known to be 0 because
counts are never negative.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

REASONS = ("", "small denominator", "small count", "complementary")
_KEY = ["code", "year", "indicator"]


def disclose(values: pd.DataFrame, areas: pd.DataFrame, rules: pd.DataFrame) -> pd.DataFrame:
    """Apply primary and complementary suppression to indicator values.

    Parameters
    ----------
    values : pandas.DataFrame
        One row per (``code``, ``year``, ``indicator``) for every area level, with the raw
        ``numerator`` and ``denominator`` (floats, NaN = unknown; counts need no
        denominator) and ``status`` ``"ok"`` or ``"missing"`` (no data: not part of the
        parent's sums). Other columns are passed through.
    areas : pandas.DataFrame
        The area tree: ``code`` and ``parent_code`` (``level`` may be present).
    rules : pandas.DataFrame
        One row per indicator: ``indicator``, ``min_denominator`` (float),
        ``min_count`` (float, 0 = no count rule), ``is_count`` (bool).

    Returns
    -------
    pandas.DataFrame
        The rows of `values` in the same order and with the same index, with ``status`` in
        ``"ok"``, ``"suppressed"``, ``"missing"`` and a ``reason`` column: ``""``,
        ``"small denominator"``, ``"small count"`` or ``"complementary"``. Numerator and
        denominator are left untouched: the caller must blank the value, numerator and
        denominator of every row that is not ``"ok"`` before storing it.

    Raises
    ------
    ValueError
        On an unknown status, an indicator without a rule, an area code not in `areas`,
        duplicate rows, or an ``"ok"`` row without numerator (or denominator, for a rate).

    Examples
    --------
    A wijk with three buurten; one buurt has only 50 inhabitants (minimum 100). Showing the
    wijk and the other two buurten would reveal it (35 - 10 - 20 = 5 crimes), so the
    smallest of the other buurten is suppressed too.

    >>> areas = pd.DataFrame({
    ...     "code": ["WK000101", "BU00010101", "BU00010102", "BU00010103"],
    ...     "level": ["wijk", "buurt", "buurt", "buurt"],
    ...     "parent_code": [None, "WK000101", "WK000101", "WK000101"]})
    >>> values = pd.DataFrame({
    ...     "code": areas["code"], "year": 2024, "indicator": "misdrijven",
    ...     "numerator": [35.0, 5.0, 10.0, 20.0], "denominator": [1550.0, 50.0, 500.0, 1000.0],
    ...     "status": "ok"})
    >>> rules = pd.DataFrame({"indicator": ["misdrijven"], "min_denominator": [100.0],
    ...                       "min_count": [0.0], "is_count": [False]})
    >>> out = disclose(values, areas, rules)
    >>> out["status"].tolist()
    ['ok', 'suppressed', 'suppressed', 'ok']
    >>> out.set_index("code")["reason"].to_dict()
    {'WK000101': '', 'BU00010101': 'small denominator', 'BU00010102': 'complementary', 'BU00010103': ''}
    """
    primary = primary_suppression(values, rules)
    size = _size(values, rules)
    return _complementary_suppression(primary, areas, size)


def primary_suppression(values: pd.DataFrame, rules: pd.DataFrame) -> pd.DataFrame:
    """Suppress small denominators and small counts (no complementary suppression).

    Parameters
    ----------
    values, rules : pandas.DataFrame
        As for :func:`disclose`.

    Returns
    -------
    pandas.DataFrame
        `values` with ``status`` and ``reason`` set by the primary rules only. On its own
        this output is *not* safe to show: a suppressed child may be recoverable from its
        siblings (see :func:`recoverable`).

    Examples
    --------
    >>> values = pd.DataFrame({"code": ["BU00010101", "BU00010102", "BU00010103"],
    ...     "year": 2024, "indicator": "coffeeshops", "numerator": [2.0, 0.0, np.nan],
    ...     "denominator": np.nan, "status": ["ok", "ok", "missing"]})
    >>> rules = pd.DataFrame({"indicator": ["coffeeshops"], "min_denominator": [0.0],
    ...                       "min_count": [3.0], "is_count": [True]})
    >>> primary_suppression(values, rules)[["status", "reason"]].values.tolist()
    [['suppressed', 'small count'], ['ok', ''], ['missing', '']]
    """
    _check_statuses(values, allowed={"ok", "missing"})
    rule = _rules_per_row(values, rules)
    numerator = values["numerator"].to_numpy(dtype=float)
    denominator = values["denominator"].to_numpy(dtype=float)
    is_count = rule["is_count"].to_numpy(dtype=bool)
    has_data = values["status"].ne("missing").to_numpy()

    incomplete = has_data & (np.isnan(numerator) | (~is_count & np.isnan(denominator)))
    if incomplete.any():
        example = values.loc[incomplete, _KEY].head(3).to_dict("records")
        raise ValueError(f"{int(incomplete.sum())} rows have status 'ok' but no numerator "
                         f"(or no denominator for a rate), e.g. {example}")

    # A rate with a denominator of 0 cannot be shown either (its numerator is still summed).
    small_denominator = has_data & ~is_count & (
        (denominator < rule["min_denominator"].to_numpy(dtype=float)) | (denominator <= 0))
    small_count = (has_data & ~small_denominator & (numerator > 0)
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


def recoverable(values: pd.DataFrame, areas: pd.DataFrame) -> pd.DataFrame:
    """List suppressed values that can be computed exactly from shown figures.

    Checks every equation ``parent = sum(children with data)`` on its own (one level):

    - ``"parent minus siblings"``: a suppressed child of a shown parent whose data-siblings
      are all shown;
    - ``"sum of children"``: a suppressed parent whose data-children are all shown.

    Parameters
    ----------
    values : pandas.DataFrame
        Output of :func:`disclose` (or :func:`primary_suppression`): ``code``, ``year``,
        ``indicator``, raw ``numerator`` and ``denominator``, ``status`` in ``"ok"``,
        ``"suppressed"``, ``"missing"``.
    areas : pandas.DataFrame
        The area tree: ``code`` and ``parent_code``.

    Returns
    -------
    pandas.DataFrame
        One row per recoverable value: ``code``, ``year``, ``indicator``, ``attack`` and the
        ``numerator`` and ``denominator`` an attacker would compute (equal to the true ones
        where the parent is the sum of its children). Empty when nothing can be recovered.

    Examples
    --------
    >>> areas = pd.DataFrame({"code": ["WK000101", "BU00010101", "BU00010102"],
    ...                       "parent_code": [None, "WK000101", "WK000101"]})
    >>> values = pd.DataFrame({"code": areas["code"], "year": 2024, "indicator": "x",
    ...     "numerator": [15.0, 5.0, 10.0], "denominator": [550.0, 50.0, 500.0],
    ...     "status": ["ok", "suppressed", "ok"]})
    >>> recoverable(values, areas)[["code", "attack", "numerator", "denominator"]].values.tolist()
    [['BU00010101', 'parent minus siblings', 5.0, 50.0]]
    """
    _check_statuses(values, allowed={"ok", "suppressed", "missing"})
    tree = _tree_rows(values, areas)
    numerator = values["numerator"].to_numpy(dtype=float)
    denominator = values["denominator"].to_numpy(dtype=float)
    shown = values["status"].eq("ok").to_numpy()
    hidden = values["status"].eq("suppressed").to_numpy()

    n = len(values)
    kids = tree.children_in_equations
    parent = tree.parent[kids]
    n_children = np.bincount(parent, minlength=n)
    n_hidden_children = np.bincount(parent, weights=hidden[kids], minlength=n)
    shown_kids = kids[shown[kids]]
    shown_numerator = np.bincount(tree.parent[shown_kids], weights=numerator[shown_kids], minlength=n)
    shown_denominator = np.bincount(tree.parent[shown_kids], weights=denominator[shown_kids], minlength=n)

    by_difference = kids[hidden[kids] & shown[parent] & (n_hidden_children[parent] == 1)]
    of = tree.parent[by_difference]
    by_sum = np.flatnonzero(hidden & (n_children > 0) & (n_hidden_children == 0))

    found = pd.concat([
        values.iloc[by_difference][_KEY].assign(
            attack="parent minus siblings",
            numerator=numerator[of] - shown_numerator[of],
            denominator=denominator[of] - shown_denominator[of]),
        values.iloc[by_sum][_KEY].assign(
            attack="sum of children",
            numerator=shown_numerator[by_sum],
            denominator=shown_denominator[by_sum]),
    ])
    return found.reset_index(drop=True)


# --- complementary suppression ------------------------------------------------------------

def _complementary_suppression(values: pd.DataFrame, areas: pd.DataFrame,
                               size: np.ndarray) -> pd.DataFrame:
    """Suppress until no equation parent = sum(children) has exactly one suppressed cell."""
    tree = _tree_rows(values, areas)
    hidden = values["status"].eq("suppressed").to_numpy().copy()
    reason = values["reason"].to_numpy(dtype=object).copy()

    # Equations grouped by the parent's depth, deepest (buurten's parents) first. Within one
    # depth the equations share no cell, so each can be fixed at the same time.
    kids_all = tree.children_in_equations
    parent_depth = tree.depth[tree.parent[kids_all]]
    levels = []
    for depth in np.unique(parent_depth)[::-1]:
        kids = kids_all[parent_depth == depth]
        parents, group = np.unique(tree.parent[kids], return_inverse=True)
        # Children in order of preference to suppress: per equation smallest size, then code.
        order = np.lexsort((tree.code_rank[kids], size[kids], group))
        levels.append((parents, kids[order], group[order]))

    changed = True
    while changed:
        changed = False
        for parents, kids, group in levels:
            n_hidden = (np.bincount(group, weights=hidden[kids], minlength=len(parents))
                        + hidden[parents])
            exposed = n_hidden == 1
            if not exposed.any():
                continue
            candidates = exposed[group] & ~hidden[kids]
            # The first candidate of each equation is its smallest shown child.
            first_groups, first = np.unique(group[candidates], return_index=True)
            chosen = kids[candidates][first]
            # No shown child: the one suppressed cell is the only child, so hide the parent.
            lonely = np.setdiff1d(np.flatnonzero(exposed), first_groups)
            chosen = np.concatenate([chosen, parents[lonely]])
            hidden[chosen] = True
            reason[chosen] = "complementary"
            changed = True

    out = values.copy()
    status = out["status"].to_numpy(dtype=object).copy()
    status[hidden] = "suppressed"
    out["status"] = pd.array(status, dtype="str")
    out["reason"] = pd.array(reason, dtype="str")
    return out


# --- helpers ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class _TreeRows:
    """The area tree translated to row positions of a values frame."""

    parent: np.ndarray                 # row of the parent area, same year and indicator; -1: none
    depth: np.ndarray                  # depth of the row's area in the tree (root: 0)
    code_rank: np.ndarray              # rank of the row's area code (for tie-breaks)
    children_in_equations: np.ndarray  # rows with data whose parent row has data


def _tree_rows(values: pd.DataFrame, areas: pd.DataFrame) -> _TreeRows:
    tree = areas.sort_values("code")
    codes = pd.Index(tree["code"])
    if not codes.is_unique:
        raise ValueError(f"duplicate area codes: {codes[codes.duplicated()].tolist()[:10]}")
    parent_of_area = codes.get_indexer(tree["parent_code"])   # -1: no parent in the tree
    area = codes.get_indexer(values["code"])
    if (area < 0).any():
        unknown = values.loc[area < 0, "code"].unique().tolist()
        raise ValueError(f"area codes not in areas: {unknown[:10]}")

    # Key each row by (area, year, indicator) to find its parent's row by binary search.
    slice_id = values.groupby(["year", "indicator"], sort=False).ngroup().to_numpy()
    n_slices = int(slice_id.max()) + 1 if len(values) else 1
    key = area.astype(np.int64) * n_slices + slice_id
    order = np.argsort(key, kind="stable")
    sorted_key = key[order]
    if (np.diff(sorted_key) == 0).any():
        dupes = values.iloc[order[1:][np.diff(sorted_key) == 0]][_KEY].head(3).to_dict("records")
        raise ValueError(f"duplicate (code, year, indicator) rows, e.g. {dupes}")

    parent_area = parent_of_area[area]
    parent_key = parent_area.astype(np.int64) * n_slices + slice_id
    pos = np.minimum(np.searchsorted(sorted_key, parent_key), len(values) - 1)
    found = (parent_area >= 0) & (sorted_key[pos] == parent_key)
    parent = np.where(found, order[pos], -1)

    has_data = values["status"].ne("missing").to_numpy()
    in_equation = has_data & (parent >= 0)
    in_equation[in_equation] &= has_data[parent[in_equation]]
    return _TreeRows(parent=parent, depth=_depths(parent_of_area)[area], code_rank=area,
                     children_in_equations=np.flatnonzero(in_equation))


def _depths(parent: np.ndarray) -> np.ndarray:
    """Number of ancestors of each node, given each node's parent position (-1: root)."""
    depth = np.zeros(len(parent), dtype=np.int64)
    ancestor = parent.copy()
    for _ in range(len(parent) + 1):
        above = ancestor >= 0
        if not above.any():
            return depth
        depth[above] += 1
        ancestor[above] = parent[ancestor[above]]
    raise ValueError("the area tree has a cycle")


def _rules_per_row(values: pd.DataFrame, rules: pd.DataFrame) -> pd.DataFrame:
    by_indicator = rules.set_index("indicator")[["min_denominator", "min_count", "is_count"]]
    if not by_indicator.index.is_unique:
        raise ValueError("rules lists an indicator more than once")
    unknown = set(values["indicator"].unique()) - set(by_indicator.index)
    if unknown:
        raise ValueError(f"no disclosure rule for indicators: {sorted(unknown)}")
    return by_indicator.reindex(values["indicator"]).reset_index(drop=True)


def _size(values: pd.DataFrame, rules: pd.DataFrame) -> np.ndarray:
    """The size used to pick a complementary cell: denominator, or numerator for counts."""
    is_count = _rules_per_row(values, rules)["is_count"].to_numpy(dtype=bool)
    return np.where(is_count, values["numerator"].to_numpy(dtype=float),
                    values["denominator"].to_numpy(dtype=float))


def _check_statuses(values: pd.DataFrame, allowed: set[str]) -> None:
    unexpected = set(values["status"].unique()) - allowed
    if unexpected:
        raise ValueError(f"unexpected status values {sorted(map(str, unexpected))}; "
                         f"expected {sorted(allowed)}")
