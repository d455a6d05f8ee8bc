"""Class breaks and colour palettes for choropleth maps.

:func:`classify` turns the values of one indicator into classes with one of the methods in
:data:`METHODS`; :func:`change_classes` (method ``"symmetric"``) classifies changes for a
diverging map; :meth:`Classes.class_of` puts values into those classes and
:func:`palette` gives a colour-blind-safe ColorBrewer colour for each class.

>>> values = pd.Series([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], dtype=float)
>>> classes = classify(values, "quantiles", k=5)
>>> classes.bounds
(1.0, 2.0, 4.0, 6.0, 8.0, 10.0)
>>> classes.class_of(pd.Series([1.0, 2.0, 2.5, None])).tolist()
[0, 0, 1, <NA>]
>>> palette(classes.k)
['#ffffb2', '#fecc5c', '#fd8d3c', '#f03b20', '#bd0026']

Bounds are ``k + 1`` numbers: the lower bound of the first class, then the upper bound
of each class. A class holds the values above the previous bound up to and including
its own upper bound (the first class also holds its lower bound).
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import mapclassify
import numpy as np
import pandas as pd

METHODS = ("quantiles", "equal_interval", "natural_breaks", "manual", "symmetric")

#: The number of classes the automatic methods accept (ColorBrewer has palettes for 3..9).
MIN_K, MAX_K = 3, 9

#: Seed of the k-means run behind natural breaks: the same values give the same breaks.
NATURAL_BREAKS_SEED = 20240601


@dataclass(frozen=True)
class Classes:
    """Class bounds for one map.

    Parameters
    ----------
    method : str
        The method that made the bounds, one of :data:`METHODS`.
    bounds : tuple of float
        ``k + 1`` numbers: the lower bound of the first class, then the upper bound of
        each class, in increasing order. Empty when there was nothing to classify.

    Examples
    --------
    >>> classes = Classes("manual", (0.0, 10.0, 20.0))
    >>> classes.k
    2
    >>> classes.class_of(pd.Series([0.0, 10.0, 10.5, 20.0])).tolist()
    [0, 0, 1, 1]
    """

    method: str
    bounds: tuple[float, ...]

    def __post_init__(self) -> None:
        bounds = tuple(float(b) for b in self.bounds)
        if len(bounds) == 1:
            raise ValueError("bounds need a lower bound and at least one upper bound")
        if any(np.isnan(bounds)):
            raise ValueError(f"bounds must be numbers, got {bounds}")
        lower_above_upper = len(bounds) > 1 and bounds[0] > bounds[1]
        if lower_above_upper or np.any(np.diff(bounds[1:]) <= 0):
            raise ValueError(f"upper bounds must increase strictly, got {bounds}")
        object.__setattr__(self, "bounds", bounds)

    @property
    def k(self) -> int:
        """The number of classes (0 when there was nothing to classify)."""
        return max(len(self.bounds) - 1, 0)

    def class_of(self, values: pd.Series) -> pd.Series:
        """The class of each value: 0 to ``k - 1``, ``<NA>`` for a missing value.

        A value equal to an upper bound belongs to that class. The outer classes are
        open-ended: values below the lowest bound go to the first class, values above
        the highest bound to the last one (this matters only for values that were not
        classified, as with manual breaks).

        Parameters
        ----------
        values : pandas.Series
            Numbers; NaN or ``<NA>`` for no value.

        Returns
        -------
        pandas.Series
            ``Int64`` classes on the index of `values`.

        Examples
        --------
        >>> classes = Classes("manual", (1.0, 5.0, 10.0))
        >>> classes.class_of(pd.Series([1.0, 5.0, 5.1, None, 99.0])).tolist()
        [0, 0, 1, <NA>, 1]
        """
        x = _as_floats(values)
        missing = np.isnan(x)
        if self.k == 0:
            missing = np.ones_like(missing)
        inner_upper_bounds = np.asarray(self.bounds[1:-1])
        codes = np.searchsorted(inner_upper_bounds, np.where(missing, 0.0, x), side="left")
        return pd.Series(
            pd.arrays.IntegerArray(codes.astype("int64"), missing),
            index=values.index,
            name="class",
        )


def classify(
    values: pd.Series,
    method: str = "quantiles",
    k: int = 5,
    manual: Sequence[float] | None = None,
) -> Classes:
    """Class bounds for the non-missing values of one indicator.

    Parameters
    ----------
    values : pandas.Series
        Numbers; NaN or ``<NA>`` for no value (left out). Infinite values are an error.
    method : str
        ``"quantiles"`` (about as many areas in each class; mapclassify ``Quantiles``),
        ``"equal_interval"`` (classes of equal width; mapclassify ``EqualInterval``),
        ``"natural_breaks"`` (Jenks: groups of similar values; mapclassify
        ``NaturalBreaks``, see Notes), ``"manual"`` (the breaks in `manual`) or
        ``"symmetric"`` (changes for a diverging map: :func:`change_classes`).
    k : int
        The number of classes, 3 to 9; not used with ``"manual"``. ``"symmetric"``
        lowers an even `k` by one.
    manual : sequence of float, optional
        With ``method="manual"`` only: the upper bounds of the classes. They are sorted;
        the data minimum is added below them when it is lower than the first break, and
        the data maximum above them when it is higher than the last break.

    Returns
    -------
    Classes
        ``Classes.k`` may be less than `k`, see Notes.

    Raises
    ------
    ValueError
        For an unknown method, `k` outside 3..9, infinite values, or invalid manual
        breaks (empty, not numbers, not finite, repeated, or more than 9 classes).

    Notes
    -----
    * Fewer distinct values than `k`: one class per distinct value, whatever the method.
      The first class then has lower bound = upper bound = the smallest value.
    * Quantiles: mapclassify interpolates its breaks; each upper bound is moved down to
      the largest value that is at most that break, and repeated breaks (ties) are
      merged. This changes no value's class, gives bounds that occur in the data and
      leaves no class empty. Many ties may therefore give fewer than `k` classes.
    * Equal interval: the bounds are ``min + i * (max - min) / k`` as in mapclassify, the
      last one exactly the maximum. Classes can be empty when the data are skewed;
      that is what the method shows.
    * Natural breaks: mapclassify ``FisherJenks`` takes minutes on 14,000 values without
      numba, so this uses ``NaturalBreaks``: one-dimensional k-means (scikit-learn,
      ``k-means++`` with 10 starts), about 0.1 s on 14,000 values. k-means starts from
      random centres, so numpy's global random generator is seeded with
      :data:`NATURAL_BREAKS_SEED` for the call and restored afterwards (under a lock):
      the same values always give the same breaks. The upper bounds are class maxima.
    * Manual: the user's breaks are kept as given, so a class may be empty.
    * Symmetric: ``change_classes(values, k)``; see there.
    * No values at all: ``Classes(method, ())`` with ``k == 0``.

    Examples
    --------
    >>> values = pd.Series([0.0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, None])
    >>> classify(values, "equal_interval", k=5).bounds
    (0.0, 2.0, 4.0, 6.0, 8.0, 10.0)
    >>> classify(values, "manual", manual=[5, 2.5]).bounds
    (0.0, 2.5, 5.0, 10.0)
    >>> classify(pd.Series([1.0, 1.0, 2.0]), "natural_breaks", k=5).bounds
    (1.0, 1.0, 2.0)
    """
    if method not in METHODS:
        raise ValueError(f"unknown classification method {method!r}; use one of {METHODS}")
    if method == "manual":
        breaks = _checked_breaks(manual)
    else:
        if manual is not None:
            raise ValueError(f"manual breaks are only used with method='manual', not {method!r}")
        _check_k(k)
    if method == "symmetric":
        return change_classes(values, k)

    data = _finite_sorted(values)
    if data.size == 0:
        return Classes(method, ())

    if method == "manual":
        bounds = _manual_bounds(breaks, data)
    elif np.unique(data).size < k:
        distinct = np.unique(data)
        bounds = (distinct[0], *distinct)
    elif method == "quantiles":
        bounds = (data[0], *_quantile_upper_bounds(data, k))
    elif method == "equal_interval":
        upper = mapclassify.EqualInterval(data, k=k).bins
        bounds = (data[0], *upper[:-1], data[-1])
    else:
        bounds = (data[0], *_natural_breaks_upper_bounds(data, k))
    return Classes(method, tuple(float(b) for b in bounds))


def change_classes(values: pd.Series, k: int = 5) -> Classes:
    """Classes of changes for a diverging map: symmetric around 0, a neutral middle class.

    The changes (value now minus value then) are classified by their size, the same way
    on both sides of zero, so that with ``palette(classes.k, "diverging")`` the colour
    says the direction: the light neutral middle colour for the smallest changes, one
    hue for increases and the other for decreases, darker for larger changes.

    Parameters
    ----------
    values : pandas.Series
        Changes; may be negative. NaN or ``<NA>`` for no value (left out). Infinite
        values are an error.
    k : int
        The number of classes, 3 to 9. An even `k` is lowered by one: the classes are
        a neutral middle class with ``n = (k - 1) // 2`` classes on each side.

    Returns
    -------
    Classes
        Method ``"symmetric"``, an odd ``Classes.k`` (possibly less than `k`, see Notes),
        with the neutral class in the middle at index ``Classes.k // 2``.

    Raises
    ------
    ValueError
        For `k` outside 3..9 or infinite values.

    Notes
    -----
    * Thresholds: let ``a`` be the sorted sizes ``|change|`` of the N non-missing changes
      and ``t_i = a[floor((N - 1) * (i + 1) / (n + 1))]`` for ``i = 0..n`` (counting
      from 0; numpy's ``"lower"`` quantile at ``(i + 1) / (n + 1)``, computed exactly in
      integers). Each threshold is a size in the data; ``t_n`` is the largest. The
      neutral class holds the changes from ``-t_0`` to ``t_0``, roughly the
      ``1 / (n + 1)`` smallest; the i-th class above it the changes above ``t_(i-1)`` up
      to ``t_i``, the i-th class below it the mirror image. Each pair of mirrored
      classes holds roughly ``1 / (n + 1)`` of the areas, split between the two sides
      as the data are (a side may hold none, e.g. when no change is negative).
    * Bounds: ``(-t_n, -t_(n-1)', ..., -t_0', t_0, t_1, ..., t_n)``, where ``-t'`` is
      the float just below ``-t`` (``np.nextafter(-t, -inf)``: 1 unit in the last
      place, invisible when rounded for printing; below a threshold of 0 it is the tiny
      ``-5e-324``, which prints as ``-0.0``). With the rule of :meth:`Classes.class_of` (a
      value equal to an upper bound belongs to that class) a change of exactly ``-t_i``
      therefore falls in the mirror class of ``+t_i``: both ``-t_0`` and ``t_0`` are
      neutral, and ``class_of(-x) == k - 1 - class_of(x)`` for every change ``x``.
    * Ties: repeated thresholds are merged, on both sides at once, so the result has
      fewer classes but stays odd and symmetric. A threshold of 0 (many changes of 0)
      gives a neutral class holding only the changes of exactly 0.
    * If the ties leave a single threshold ``t > 0`` (nearly all changes have the same
      size) the neutral class would hold every area and hide the direction; then
      ``t_0`` becomes the largest size below ``t``, or 0 if there is none, which gives
      three classes: decreases, the neutral class, increases.
    * All changes 0: one class, bounds ``(0.0, 0.0)``. No values at all:
      ``Classes("symmetric", ())`` with ``k == 0``.

    Examples
    --------
    >>> changes = pd.Series([-4.0, -2, -1, 0, 0, 1, 1, 2, 3, 6, None])
    >>> classes = change_classes(changes, k=5)
    >>> [round(b, 9) for b in classes.bounds]
    [-6.0, -2.0, -1.0, 1.0, 2.0, 6.0]
    >>> classes.bounds[1] == float(np.nextafter(-2.0, -np.inf))  # so -2.0 is in class 1
    True
    >>> classes.class_of(changes).tolist()
    [0, 1, 2, 2, 2, 2, 2, 3, 4, 4, <NA>]
    >>> palette(classes.k, "diverging")[2]  # the neutral class
    '#f7f7f7'
    >>> change_classes(pd.Series([0.0, 0.0, np.nan])).bounds
    (0.0, 0.0)
    """
    _check_k(k)
    k = k - 1 if k % 2 == 0 else k
    n = (k - 1) // 2
    sizes = np.sort(np.abs(_finite_sorted(values)))
    if sizes.size == 0:
        return Classes("symmetric", ())
    if sizes[-1] == 0:
        return Classes("symmetric", (0.0, 0.0))
    positions = (sizes.size - 1) * np.arange(1, n + 2) // (n + 1)  # exact, in integers
    thresholds = np.unique(sizes[positions])
    if thresholds.size == 1:  # one size for nearly all: keep the two directions apart
        smaller = sizes[sizes < thresholds[0]]
        thresholds = np.array([smaller[-1] if smaller.size else 0.0, thresholds[0]])
    just_below = np.nextafter(-thresholds[-2::-1], -np.inf)
    bounds = (-thresholds[-1], *just_below, *thresholds)
    return Classes("symmetric", tuple(float(b) for b in bounds))


@dataclass(frozen=True)
class ClassNote:
    """Why a map has fewer classes than were asked for (see :func:`class_note`).

    ``reason`` is ``"distinct"`` (the values take only ``used`` distinct values), ``"ties"``
    (many areas share one value, ``value``, a ``share`` of them, so class bounds coincide and
    are merged) or ``"odd"`` (a diverging map has an odd number of classes: a neutral middle
    one and as many on each side).
    """

    requested: int
    used: int
    reason: str
    value: float | None = None
    share: float | None = None


def class_note(values: pd.Series, classes: Classes, k: int) -> ClassNote | None:
    """Why ``classes`` (made from ``values``) has fewer than the ``k`` classes asked for, or
    ``None`` when it has them all (and for manual breaks, whose number the user chose).

    >>> values = pd.Series([0.0] * 6 + [1.0, 2.0, 3.0, 4.0])
    >>> class_note(values, classify(values, "quantiles", 5), 5)
    ClassNote(requested=5, used=3, reason='ties', value=0.0, share=0.6)
    >>> class_note(pd.Series([1.0, 2.0]), classify(pd.Series([1.0, 2.0]), "quantiles", 5), 5)
    ClassNote(requested=5, used=2, reason='distinct', value=None, share=None)
    >>> class_note(values, change_classes(values, 4), 4).reason
    'odd'
    >>> class_note(values, classify(values, "equal_interval", 5), 5) is None
    True
    """
    if classes.method == "manual" or classes.k == 0 or classes.k >= k:
        return None
    data = _finite_sorted(values)
    distinct, counts = np.unique(data, return_counts=True)
    if distinct.size < k:
        return ClassNote(k, classes.k, "distinct")
    if classes.method == "symmetric" and k % 2 == 0 and classes.k == k - 1:
        return ClassNote(k, classes.k, "odd")
    most = int(np.argmax(counts))
    return ClassNote(k, classes.k, "ties", float(distinct[most]), float(counts[most] / data.size))


def _check_k(k: int) -> None:
    """A ValueError unless `k` is a whole number from :data:`MIN_K` to :data:`MAX_K`."""
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not MIN_K <= k <= MAX_K:
        raise ValueError(f"k must be a whole number from {MIN_K} to {MAX_K}, got {k!r}")


def _finite_sorted(values: pd.Series) -> np.ndarray:
    """The non-missing values, sorted; a ValueError for an infinite value."""
    x = _as_floats(values)
    if np.isinf(x).any():
        raise ValueError("values must be finite numbers or NaN; found an infinite value")
    return np.sort(x[~np.isnan(x)])


def _as_floats(values: pd.Series) -> np.ndarray:
    """The values as a float array with NaN for missing (``<NA>``, None, NaN)."""
    return pd.to_numeric(pd.Series(values)).to_numpy(dtype=float, na_value=np.nan)


def _checked_breaks(manual: Sequence[float] | None) -> np.ndarray:
    """The manual breaks, sorted, or a ValueError that says what is wrong with them."""
    if manual is None:
        raise ValueError("method='manual' needs the class breaks in `manual`")
    if isinstance(manual, (str, bytes)) or not isinstance(manual, (Sequence, np.ndarray, pd.Series)):
        raise ValueError(f"manual breaks must be a list of numbers, got {manual!r}")
    breaks = []
    for b in manual:
        if isinstance(b, bool) or not isinstance(b, (int, float, np.integer, np.floating)):
            raise ValueError(f"manual breaks must be numbers, got {b!r}")
        if not np.isfinite(b):
            raise ValueError(f"manual breaks must be finite numbers, got {b!r}")
        breaks.append(float(b))
    if not breaks:
        raise ValueError("manual breaks are empty; give at least one break")
    repeated = sorted({b for b in breaks if breaks.count(b) > 1})
    if repeated:
        raise ValueError(f"manual breaks must differ from each other; repeated: {repeated}")
    if len(breaks) > MAX_K + 1:
        raise ValueError(f"{len(breaks)} manual breaks give more than {MAX_K} classes")
    return np.sort(breaks)


def _manual_bounds(breaks: np.ndarray, data: np.ndarray) -> list[float]:
    """The manual breaks with the data minimum and maximum added where they fall outside."""
    bounds = list(breaks)
    if data[0] < bounds[0]:
        bounds.insert(0, data[0])
    if data[-1] > bounds[-1]:
        bounds.append(data[-1])
    if len(bounds) == 1:  # one break and every value equal to it
        bounds.insert(0, bounds[0])
    if len(bounds) - 1 > MAX_K:
        raise ValueError(
            f"the manual breaks with the data minimum {data[0]:g} and maximum {data[-1]:g} "
            f"give {len(bounds) - 1} classes; at most {MAX_K} are possible"
        )
    return bounds


def _quantile_upper_bounds(data: np.ndarray, k: int) -> np.ndarray:
    """Quantile upper bounds moved down to the largest value at or below them (`data` sorted)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "not enough unique values": handled here
        breaks = mapclassify.Quantiles(data, k=k).bins
    at_or_below = np.searchsorted(data, breaks, side="right") - 1
    return np.unique(data[at_or_below])


_GLOBAL_RNG_LOCK = threading.Lock()


@contextmanager
def _seeded_global_rng(seed: int) -> Iterator[None]:
    """Seed numpy's global random generator for a block, then restore its state."""
    with _GLOBAL_RNG_LOCK:
        state = np.random.get_state()
        np.random.seed(seed)
        try:
            yield
        finally:
            np.random.set_state(state)


def _natural_breaks_upper_bounds(data: np.ndarray, k: int) -> np.ndarray:
    """Upper bounds of seeded one-dimensional k-means classes (the class maxima)."""
    with _seeded_global_rng(NATURAL_BREAKS_SEED):
        breaks = mapclassify.NaturalBreaks(data, k=k, initial=10).bins
    return np.unique(breaks)


# --------------------------------------------------------------------------------------
# Palettes
# --------------------------------------------------------------------------------------
# ColorBrewer 2.0 colour schemes by Cynthia A. Brewer, Pennsylvania State University
# (colorbrewer2.org, Apache License 2.0), packed as in d3-scale-chromatic: for each
# scheme one string per class count k = 3..9, six hex digits per colour.

#: Sequential schemes, light (low) to dark (high). All ColorBrewer sequential schemes
#: are marked colour-blind safe; green-only schemes are left out of this selection.
SEQUENTIAL = {
    "YlOrRd": (
        "ffeda0feb24cf03b20",
        "ffffb2fecc5cfd8d3ce31a1c",
        "ffffb2fecc5cfd8d3cf03b20bd0026",
        "ffffb2fed976feb24cfd8d3cf03b20bd0026",
        "ffffb2fed976feb24cfd8d3cfc4e2ae31a1cb10026",
        "ffffccffeda0fed976feb24cfd8d3cfc4e2ae31a1cb10026",
        "ffffccffeda0fed976feb24cfd8d3cfc4e2ae31a1cbd0026800026",
    ),
    "YlOrBr": (
        "fff7bcfec44fd95f0e",
        "ffffd4fed98efe9929cc4c02",
        "ffffd4fed98efe9929d95f0e993404",
        "ffffd4fee391fec44ffe9929d95f0e993404",
        "ffffd4fee391fec44ffe9929ec7014cc4c028c2d04",
        "ffffe5fff7bcfee391fec44ffe9929ec7014cc4c028c2d04",
        "ffffe5fff7bcfee391fec44ffe9929ec7014cc4c02993404662506",
    ),
    "OrRd": (
        "fee8c8fdbb84e34a33",
        "fef0d9fdcc8afc8d59d7301f",
        "fef0d9fdcc8afc8d59e34a33b30000",
        "fef0d9fdd49efdbb84fc8d59e34a33b30000",
        "fef0d9fdd49efdbb84fc8d59ef6548d7301f990000",
        "fff7ecfee8c8fdd49efdbb84fc8d59ef6548d7301f990000",
        "fff7ecfee8c8fdd49efdbb84fc8d59ef6548d7301fb300007f0000",
    ),
    "YlGnBu": (
        "edf8b17fcdbb2c7fb8",
        "ffffcca1dab441b6c4225ea8",
        "ffffcca1dab441b6c42c7fb8253494",
        "ffffccc7e9b47fcdbb41b6c42c7fb8253494",
        "ffffccc7e9b47fcdbb41b6c41d91c0225ea80c2c84",
        "ffffd9edf8b1c7e9b47fcdbb41b6c41d91c0225ea80c2c84",
        "ffffd9edf8b1c7e9b47fcdbb41b6c41d91c0225ea8253494081d58",
    ),
    "PuBu": (
        "ece7f2a6bddb2b8cbe",
        "f1eef6bdc9e174a9cf0570b0",
        "f1eef6bdc9e174a9cf2b8cbe045a8d",
        "f1eef6d0d1e6a6bddb74a9cf2b8cbe045a8d",
        "f1eef6d0d1e6a6bddb74a9cf3690c00570b0034e7b",
        "fff7fbece7f2d0d1e6a6bddb74a9cf3690c00570b0034e7b",
        "fff7fbece7f2d0d1e6a6bddb74a9cf3690c00570b0045a8d023858",
    ),
    "Blues": (
        "deebf79ecae13182bd",
        "eff3ffbdd7e76baed62171b5",
        "eff3ffbdd7e76baed63182bd08519c",
        "eff3ffc6dbef9ecae16baed63182bd08519c",
        "eff3ffc6dbef9ecae16baed64292c62171b5084594",
        "f7fbffdeebf7c6dbef9ecae16baed64292c62171b5084594",
        "f7fbffdeebf7c6dbef9ecae16baed64292c62171b508519c08306b",
    ),
    "Purples": (
        "efedf5bcbddc756bb1",
        "f2f0f7cbc9e29e9ac86a51a3",
        "f2f0f7cbc9e29e9ac8756bb154278f",
        "f2f0f7dadaebbcbddc9e9ac8756bb154278f",
        "f2f0f7dadaebbcbddc9e9ac8807dba6a51a34a1486",
        "fcfbfdefedf5dadaebbcbddc9e9ac8807dba6a51a34a1486",
        "fcfbfdefedf5dadaebbcbddc9e9ac8807dba6a51a354278f3f007d",
    ),
    "Greys": (
        "f0f0f0bdbdbd636363",
        "f7f7f7cccccc969696525252",
        "f7f7f7cccccc969696636363252525",
        "f7f7f7d9d9d9bdbdbd969696636363252525",
        "f7f7f7d9d9d9bdbdbd969696737373525252252525",
        "fffffff0f0f0d9d9d9bdbdbd969696737373525252252525",
        "fffffff0f0f0d9d9d9bdbdbd969696737373525252252525000000",
    ),
}

#: Diverging schemes that ColorBrewer marks colour-blind safe and that are not red-green
#: (PiYG and PRGn, safe but pink/purple against green, and RdYlGn, RdGy and Spectral,
#: not safe, are left out). Ordered low to high with the warm hue at the high end, like
#: the sequential YlOrRd: PuOr purple -> orange, BrBG teal -> brown, RdBu blue -> red.
#: An odd k has a light neutral middle class.
DIVERGING = {
    "PuOr": (
        "998ec3f7f7f7f1a340",
        "5e3c99b2abd2fdb863e66101",
        "5e3c99b2abd2f7f7f7fdb863e66101",
        "542788998ec3d8daebfee0b6f1a340b35806",
        "542788998ec3d8daebf7f7f7fee0b6f1a340b35806",
        "5427888073acb2abd2d8daebfee0b6fdb863e08214b35806",
        "5427888073acb2abd2d8daebf7f7f7fee0b6fdb863e08214b35806",
    ),
    "BrBG": (  # ColorBrewer order brown -> teal; reversed by palette()
        "d8b365f5f5f55ab4ac",
        "a6611adfc27d80cdc1018571",
        "a6611adfc27df5f5f580cdc1018571",
        "8c510ad8b365f6e8c3c7eae55ab4ac01665e",
        "8c510ad8b365f6e8c3f5f5f5c7eae55ab4ac01665e",
        "8c510abf812ddfc27df6e8c3c7eae580cdc135978f01665e",
        "8c510abf812ddfc27df6e8c3f5f5f5c7eae580cdc135978f01665e",
    ),
    "RdBu": (  # ColorBrewer order red -> blue; reversed by palette()
        "ef8a62f7f7f767a9cf",
        "ca0020f4a58292c5de0571b0",
        "ca0020f4a582f7f7f792c5de0571b0",
        "b2182bef8a62fddbc7d1e5f067a9cf2166ac",
        "b2182bef8a62fddbc7f7f7f7d1e5f067a9cf2166ac",
        "b2182bd6604df4a582fddbc7d1e5f092c5de4393c32166ac",
        "b2182bd6604df4a582fddbc7f7f7f7d1e5f092c5de4393c32166ac",
    ),
}
# Diverging schemes stored warm-first (as ColorBrewer lists them) and turned round.
_REVERSED = {"BrBG", "RdBu"}
# The first packed string of each scheme is for k = 3, the last for k = 9.
_FIRST_K = 3

DEFAULT_SCHEME = {"sequential": "YlOrRd", "diverging": "PuOr"}


def palette(k: int, kind: str = "sequential", name: str | None = None) -> list[str]:
    """ColorBrewer colours for `k` classes, low to high, as ``#rrggbb``.

    Parameters
    ----------
    k : int
        The number of classes, 1 to 9. ColorBrewer starts at 3; for 1 or 2 classes
        (data with fewer distinct values) the 3-class palette is used: its middle
        colour for one class, its two outer colours for two.
    kind : str
        ``"sequential"`` (light = low, dark = high) or ``"diverging"`` (two hues that
        meet in a light neutral middle class when `k` is odd).
    name : str, optional
        A scheme in :data:`SEQUENTIAL` or :data:`DIVERGING`; defaults to ``"YlOrRd"``
        and ``"PuOr"``.

    Returns
    -------
    list of str
        `k` lowercase hex colours.

    Examples
    --------
    >>> palette(3)
    ['#ffeda0', '#feb24c', '#f03b20']
    >>> palette(3, "diverging", "RdBu")
    ['#67a9cf', '#f7f7f7', '#ef8a62']
    """
    schemes = {"sequential": SEQUENTIAL, "diverging": DIVERGING}
    if kind not in schemes:
        raise ValueError(f"unknown palette kind {kind!r}; use 'sequential' or 'diverging'")
    name = DEFAULT_SCHEME[kind] if name is None else name
    if name not in schemes[kind]:
        raise ValueError(f"unknown {kind} palette {name!r}; use one of {sorted(schemes[kind])}")
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= k <= MAX_K:
        raise ValueError(f"k must be a whole number from 1 to {MAX_K}, got {k!r}")

    packed = schemes[kind][name][max(k, _FIRST_K) - _FIRST_K]
    colours = ["#" + packed[i : i + 6] for i in range(0, len(packed), 6)]
    if name in _REVERSED:
        colours.reverse()
    if k == 1:
        return [colours[1]]
    if k == 2:
        return [colours[0], colours[2]]
    return colours
