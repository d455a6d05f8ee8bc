"""Class breaks and palettes (indicators.classify)."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import plotly.colors
import pytest

from indicators.classify import DIVERGING, METHODS, SEQUENTIAL, Classes, change_classes, classify, palette

AUTOMATIC = ("quantiles", "equal_interval", "natural_breaks")


# --- quantiles, equal interval, natural breaks -------------------------------------------


def test_quantiles_of_1_to_20_in_four_classes_end_at_every_fifth_value():
    # 25% of the way from the 1st to the 20th value is position 4.75 -> 5.75; the
    # bound moves down to the largest value at or below it: 5. Likewise 10, 15, 20.
    values = pd.Series(np.arange(1.0, 21.0))
    classes = classify(values, "quantiles", k=4)
    assert classes.bounds == (1.0, 5.0, 10.0, 15.0, 20.0)
    assert classes.class_of(values).value_counts().sort_index().tolist() == [5, 5, 5, 5]


def test_quantile_ties_give_fewer_classes_but_no_empty_one():
    values = pd.Series([1.0] * 6 + [2.0, 3.0, 4.0, 5.0])
    classes = classify(values, "quantiles", k=5)
    # 20% and 40% fall in the run of ones, 60% between 1 and 2 (-> 1), 80% at 3.2 (-> 3)
    assert classes.bounds == (1.0, 1.0, 3.0, 5.0)
    assert classes.class_of(values).value_counts().sort_index().tolist() == [6, 2, 2]


def test_equal_interval_bounds_by_hand():
    values = pd.Series([0.0, 1.0, 3.0, 7.0, 9.0, 10.0])
    assert classify(values, "equal_interval", k=5).bounds == pytest.approx((0, 2, 4, 6, 8, 10))
    values = pd.Series([-3.0, -1.0, 0.0, 4.0, 6.0])
    assert classify(values, "equal_interval", k=3).bounds == pytest.approx((-3, 0, 3, 6))


def test_equal_interval_keeps_empty_classes_of_skewed_data():
    values = pd.Series([0.0, 0.5, 1.0, 1.5, 100.0])
    classes = classify(values, "equal_interval", k=4)
    assert classes.bounds == pytest.approx((0, 25, 50, 75, 100))
    assert classes.class_of(values).tolist() == [0, 0, 0, 0, 3]


def test_natural_breaks_find_three_obvious_groups():
    rng = np.random.default_rng(3)
    groups = [rng.normal(centre, 1.0, size=40) for centre in (10, 50, 120)]
    values = pd.Series(np.concatenate(groups))
    classes = classify(values, "natural_breaks", k=3)
    assert classes.bounds == (groups[0].min(), groups[0].max(), groups[1].max(), groups[2].max())
    assert classes.class_of(values).tolist() == [0] * 40 + [1] * 40 + [2] * 40


def test_natural_breaks_are_deterministic_and_leave_the_global_generator_alone():
    values = pd.Series(np.random.default_rng(0).lognormal(size=2000))
    np.random.seed(1)
    first = classify(values, "natural_breaks", k=7)
    drawn_after = np.random.random()
    np.random.seed(1)
    assert np.random.random() == drawn_after  # classify left the global generator as it was
    np.random.seed(2)  # a different global state does not change the breaks
    second = classify(values, "natural_breaks", k=7)
    assert first == second
    assert first.k == 7


@pytest.mark.parametrize("method", AUTOMATIC)
@pytest.mark.parametrize("seed", range(5))
def test_automatic_bounds_span_the_data_increase_and_leave_no_class_empty(method, seed):
    rng = np.random.default_rng(seed)
    values = pd.Series(np.round(rng.lognormal(2, 1, size=300), 1))  # rounding makes ties
    values[rng.choice(300, size=20, replace=False)] = np.nan
    classes = classify(values, method, k=6)
    assert classes.bounds[0] == values.min() and classes.bounds[-1] == values.max()
    assert all(a < b for a, b in zip(classes.bounds[1:], classes.bounds[2:]))
    counts = classes.class_of(values).value_counts()
    assert counts.sum() == 280
    if method != "equal_interval":  # equal intervals may be empty by design
        assert sorted(counts.index) == list(range(classes.k))


@pytest.mark.parametrize("method", AUTOMATIC)
def test_fewer_distinct_values_than_k_give_one_class_per_value(method):
    values = pd.Series([3.0, 1.0, 1.0, 2.0, 3.0, np.nan])
    classes = classify(values, method, k=5)
    assert classes.bounds == (1.0, 1.0, 2.0, 3.0)
    assert classes.k == 3
    assert classes.class_of(values).tolist() == [2, 0, 0, 1, 2, pd.NA]


@pytest.mark.parametrize("method", METHODS)
def test_all_missing_values_give_no_classes(method):
    values = pd.Series([np.nan, None, np.nan], dtype=float)
    classes = classify(values, method, manual=[1.0] if method == "manual" else None)
    assert classes.bounds == () and classes.k == 0
    assert classes.class_of(values).isna().all()


@pytest.mark.parametrize("method", AUTOMATIC)
def test_a_constant_series_is_one_class(method):
    values = pd.Series([4.0, 4.0, np.nan, 4.0])
    classes = classify(values, method, k=5)
    assert classes.bounds == (4.0, 4.0) and classes.k == 1
    assert classes.class_of(values).tolist() == [0, 0, pd.NA, 0]


def test_nullable_and_integer_input():
    values = pd.Series([1, 2, None, 4, 5, 6], dtype="Int64")
    assert classify(values, "equal_interval", k=5).bounds == pytest.approx((1, 2, 3, 4, 5, 6))


# --- manual breaks ------------------------------------------------------------------------


def test_manual_breaks_are_sorted_and_get_the_data_minimum_and_maximum():
    values = pd.Series(np.arange(0.0, 11.0))
    assert classify(values, "manual", manual=[5, 2.5]).bounds == (0.0, 2.5, 5.0, 10.0)


def test_manual_breaks_that_already_enclose_the_data_are_kept_as_given():
    values = pd.Series([1.0, 7.0, 12.0])
    classes = classify(values, "manual", manual=[0, 10, 20, 30])
    assert classes.bounds == (0.0, 10.0, 20.0, 30.0)
    assert classes.class_of(values).tolist() == [0, 0, 1]  # class 3 (20-30) stays empty


def test_manual_ignores_k():
    assert classify(pd.Series([1.0, 9.0]), "manual", k=99, manual=[5]).bounds == (1.0, 5.0, 9.0)


@pytest.mark.parametrize(
    ("manual", "message"),
    [
        (None, "needs the class breaks"),
        ([], "empty"),
        ("1,2,3", "list of numbers"),
        ([1, "2"], "must be numbers"),
        ([1, True], "must be numbers"),
        ([1, np.nan], "finite"),
        ([1, np.inf], "finite"),
        ([1, 2, 1], r"repeated: \[1.0\]"),
        (list(range(11)), "more than 9 classes"),
        ([1, 2, 3, 4, 5, 6, 7, 8, 9], "give 10 classes"),  # with the data's 0 and 10 added
    ],
)
def test_invalid_manual_breaks_are_explained(manual, message):
    with pytest.raises(ValueError, match=message):
        classify(pd.Series(np.arange(0.0, 11.0)), "manual", manual=manual)


def test_manual_breaks_with_another_method_are_refused():
    with pytest.raises(ValueError, match="only used with method='manual'"):
        classify(pd.Series([1.0, 2.0]), "quantiles", manual=[1.5])


# --- arguments ----------------------------------------------------------------------------


@pytest.mark.parametrize("k", [2, 10, 0, -1, 5.0, True, "5"])
def test_k_must_be_3_to_9(k):
    with pytest.raises(ValueError, match="k must be a whole number from 3 to 9"):
        classify(pd.Series(np.arange(20.0)), "quantiles", k=k)


def test_unknown_method_and_infinite_values_are_refused():
    with pytest.raises(ValueError, match="unknown classification method"):
        classify(pd.Series([1.0, 2.0]), "jenks")
    with pytest.raises(ValueError, match="infinite"):
        classify(pd.Series([1.0, np.inf, 2.0, 3.0]), "quantiles", k=3)


# --- Classes.class_of ---------------------------------------------------------------------


def test_class_of_puts_upper_bounds_in_their_own_class_and_keeps_missing_values_missing():
    classes = Classes("manual", (0.0, 10.0, 20.0, 30.0))
    values = pd.Series(
        [0.0, 10.0, 10.000001, 20.0, 30.0, np.nan, -5.0, 31.0, None],
        index=list("abcdefghi"),
    )
    result = classes.class_of(values)
    assert str(result.dtype) == "Int64"
    assert list(result.index) == list("abcdefghi")
    # outside the bounds: open-ended outer classes
    assert result.tolist() == [0, 0, 1, 1, 2, pd.NA, 0, 2, pd.NA]


def test_classes_validate_their_bounds():
    with pytest.raises(ValueError, match="increase"):
        Classes("manual", (0.0, 5.0, 5.0))
    with pytest.raises(ValueError, match="increase"):
        Classes("manual", (3.0, 2.0))
    with pytest.raises(ValueError, match="at least one upper bound"):
        Classes("manual", (1.0,))
    assert Classes("manual", (1, 1)).bounds == (1.0, 1.0)  # one class holding only 1


# --- change_classes: symmetric classes of changes -----------------------------------------


def _below(x: float) -> float:
    return float(np.nextafter(x, -np.inf))


def _assert_symmetric(classes: Classes) -> None:
    """Odd k, bounds mirrored around 0 (inner negative ones 1 ulp lower), 0 in the middle class."""
    b = classes.bounds
    k = classes.k
    assert classes.method == "symmetric"
    assert k % 2 == 1
    assert b[0] == -b[-1]
    for i in range(1, k // 2 + 1):  # negative upper bounds: the mirrored positive ones, just below
        assert b[i] == _below(-b[k - i]), (i, b)
    assert b[k // 2] < 0 <= b[k // 2 + 1]
    assert classes.class_of(pd.Series([0.0])).tolist() == [k // 2]


def _assert_mirrored(classes: Classes, x: np.ndarray) -> None:
    """A change and its negative land in mirrored classes; the sign decides the side."""
    x = np.asarray(x, dtype=float)
    k = classes.k
    up = classes.class_of(pd.Series(x)).to_numpy(dtype=int)
    down = classes.class_of(pd.Series(-x)).to_numpy(dtype=int)
    assert (down == k - 1 - up).all()
    assert (up[x < 0] <= k // 2).all() and (up[x > 0] >= k // 2).all()


def test_change_classes_by_hand():
    changes = pd.Series([-4.0, -2, -1, 0, 0, 1, 1, 2, 3, 6, np.nan])
    # sizes 0 0 1 1 1 2 2 3 4 6: positions 3, 6, 9 of 0..9 -> thresholds 1, 2, 6
    classes = change_classes(changes, k=5)
    assert classes.bounds == (-6.0, _below(-2.0), _below(-1.0), 1.0, 2.0, 6.0)
    assert classes.class_of(changes).tolist() == [0, 1, 2, 2, 2, 2, 2, 3, 4, 4, pd.NA]
    # exactly on a threshold: -1 is neutral like +1, -2 in the mirror class of +2
    assert classes.class_of(pd.Series([-1.0, 1.0, -2.0, 2.0, -6.0, 6.0])).tolist() == [2, 2, 1, 3, 0, 4]


def test_change_classes_are_classify_symmetric():
    changes = pd.Series(np.random.default_rng(5).normal(size=200))
    assert classify(changes, "symmetric", k=7) == change_classes(changes, k=7)
    assert classify(changes, "symmetric", k=6) == change_classes(changes, k=5)
    assert "symmetric" in METHODS


@pytest.mark.parametrize("k", range(3, 10))
@pytest.mark.parametrize("seed", range(4))
def test_change_classes_are_symmetric_and_follow_the_sign(k, seed):
    rng = np.random.default_rng(seed)
    changes = np.round(rng.normal(0.5, 3, size=500), 1)  # rounding makes ties and exact zeros
    changes[rng.choice(500, size=30, replace=False)] = np.nan
    classes = change_classes(pd.Series(changes), k=k)
    _assert_symmetric(classes)
    assert classes.k == (k if k % 2 else k - 1)  # continuous data: no classes lost
    present = changes[~np.isnan(changes)]
    assert classes.bounds[-1] == np.abs(present).max()
    # every value, its negative, every bound and its negative, and 0
    probes = np.concatenate([present, classes.bounds, [0.0]])
    _assert_mirrored(classes, probes)
    # the neutral class holds about 1 / (n + 1) of the areas, the smallest changes
    n = classes.k // 2
    codes = classes.class_of(pd.Series(present)).to_numpy(dtype=int)
    assert abs((codes == n).mean() - 1 / (n + 1)) < 0.05
    assert np.abs(present[codes == n]).max() < np.abs(present[codes != n]).min()


@pytest.mark.parametrize(("k", "expected"), [(4, 3), (6, 5), (8, 7), (3, 3), (9, 9)])
def test_change_classes_lower_an_even_k(k, expected):
    classes = change_classes(pd.Series(np.linspace(-10, 10, 101)), k=k)
    assert classes.k == expected


@pytest.mark.parametrize("k", [2, 10, 1, 0, 5.0, True, "5"])
def test_change_classes_k_must_be_3_to_9(k):
    with pytest.raises(ValueError, match="k must be a whole number from 3 to 9"):
        change_classes(pd.Series(np.arange(-5.0, 6.0)), k=k)


def test_change_classes_refuse_infinite_values():
    with pytest.raises(ValueError, match="infinite"):
        change_classes(pd.Series([-1.0, 2.0, -np.inf]))
    with pytest.raises(ValueError, match="infinite"):
        classify(pd.Series([-1.0, 2.0, np.inf]), "symmetric")


def test_change_classes_ignore_missing_values():
    changes = pd.Series([-3.0, None, -1.0, 0.0, 2.0, np.nan, 5.0], dtype="Float64")
    classes = change_classes(changes, k=5)
    assert classes == change_classes(changes.dropna(), k=5)
    assert classes.class_of(changes).isna().tolist() == [False, True, False, False, False, True, False]


def test_change_classes_of_nothing_and_of_zeros():
    assert change_classes(pd.Series([np.nan, None], dtype=float)) == Classes("symmetric", ())
    zeros = change_classes(pd.Series([0.0, -0.0, 0.0, np.nan]))
    assert zeros.bounds == (0.0, 0.0) and zeros.k == 1
    assert zeros.class_of(pd.Series([0.0, -0.0])).tolist() == [0, 0]
    assert palette(zeros.k, "diverging") == ["#f7f7f7"]  # the neutral colour


@pytest.mark.parametrize("value", [3.0, -3.0])
def test_equal_changes_keep_their_direction(value):
    # one size for all: the neutral class shrinks to 0 so the direction still shows
    changes = pd.Series([value] * 6)
    classes = change_classes(changes, k=7)
    _assert_symmetric(classes)
    assert classes.bounds == (-3.0, _below(0.0), 0.0, 3.0)
    assert classes.class_of(changes).tolist() == [2 if value > 0 else 0] * 6
    _assert_mirrored(classes, [3.0, 0.0, 1.5])


def test_changes_of_one_size_but_a_few_keep_the_few_neutral():
    changes = pd.Series([1.0, -5.0, 5.0, 5.0, -5.0, 5.0])  # sizes 1 5 5 5 5 5
    classes = change_classes(changes, k=5)
    assert classes.bounds == (-5.0, _below(-1.0), 1.0, 5.0)
    assert classes.class_of(changes).tolist() == [1, 0, 2, 2, 0, 2]


def test_only_increases_still_give_symmetric_classes():
    changes = pd.Series(np.arange(1.0, 31.0))
    classes = change_classes(changes, k=5)
    _assert_symmetric(classes)
    # sizes 1..30: positions 9, 19, 29 -> thresholds 10, 20, 30
    assert classes.bounds == (-30.0, _below(-20.0), _below(-10.0), 10.0, 20.0, 30.0)
    assert classes.class_of(changes).value_counts().sort_index().to_dict() == {2: 10, 3: 10, 4: 10}


def test_many_zero_changes_give_a_neutral_class_of_exactly_zero():
    changes = pd.Series([0.0] * 12 + [-2.0, -1.0, 1.0, 3.0, 4.0])
    classes = change_classes(changes, k=5)
    _assert_symmetric(classes)
    # sizes 0 x12, 1 1 2 3 4: positions 5, 10 -> 0, 0; 16 -> 4: thresholds 0, 4
    assert classes.bounds == (-4.0, _below(0.0), 0.0, 4.0)
    assert classes.class_of(changes).tolist() == [1] * 12 + [0, 0, 2, 2, 2]


def test_tied_thresholds_merge_on_both_sides():
    changes = pd.Series([-2.0, -2.0, 2.0, 2.0, 2.0, -2.0, 1.0, -9.0, 9.0])
    # sizes 1 2 2 2 2 2 2 9 9 with k=7 (n=3): positions 2, 4, 6, 8 -> 2, 2, 2, 9
    classes = change_classes(changes, k=7)
    _assert_symmetric(classes)
    assert classes.bounds == (-9.0, _below(-2.0), 2.0, 9.0)
    assert classes.class_of(changes).tolist() == [1, 1, 1, 1, 1, 1, 1, 0, 2]


def test_integer_changes():
    changes = pd.Series([-3, -1, 0, 1, 2, None, 5], dtype="Int64")
    classes = change_classes(changes, k=3)
    # sizes 0 1 1 2 3 5: positions 2, 5 -> 1, 5
    assert classes.bounds == (-5.0, _below(-1.0), 1.0, 5.0)
    assert classes.class_of(changes).tolist() == [0, 1, 1, 1, 2, pd.NA, 2]


# --- palettes -----------------------------------------------------------------------------

HEX = re.compile(r"^#[0-9a-f]{6}$")


def _linear_rgb(colours: list[str]) -> np.ndarray:
    srgb = np.array([[int(c[i : i + 2], 16) for i in (1, 3, 5)] for c in colours]) / 255
    return np.where(srgb <= 0.04045, srgb / 12.92, ((srgb + 0.055) / 1.055) ** 2.4)


def _luminance(colours: list[str]) -> np.ndarray:
    """WCAG relative luminance."""
    return _linear_rgb(colours) @ np.array([0.2126, 0.7152, 0.0722])


def _lab(linear_rgb: np.ndarray) -> np.ndarray:
    """CIELAB (D65) of linear sRGB."""
    to_xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]])
    xyz = linear_rgb @ to_xyz.T / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.c_[116 * f[:, 1] - 16, 500 * (f[:, 0] - f[:, 1]), 200 * (f[:, 1] - f[:, 2])]


# Machado, Oliveira & Fernandes (2009), severity 1.0, on linear RGB
COLOUR_BLINDNESS = {
    "deuteranopia": np.array(
        [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413], [-0.011820, 0.042940, 0.968881]]
    ),
    "protanopia": np.array(
        [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216], [-0.003882, -0.048116, 1.051998]]
    ),
}


def _closest_mirrored_pair(colours: list[str], vision: str) -> float:
    """Smallest CIELAB distance between colours at the same step below and above the middle."""
    seen = _lab(np.clip(_linear_rgb(colours) @ COLOUR_BLINDNESS[vision].T, 0, 1))
    k = len(colours)
    return min(float(np.linalg.norm(seen[i] - seen[k - 1 - i])) for i in range(k // 2))


ALL_PALETTES = [("sequential", name) for name in SEQUENTIAL] + [("diverging", name) for name in DIVERGING]


@pytest.mark.parametrize(("kind", "name"), ALL_PALETTES)
@pytest.mark.parametrize("k", range(1, 10))
def test_palettes_have_k_distinct_hex_colours(kind, name, k):
    colours = palette(k, kind, name)
    assert len(colours) == k == len(set(colours))
    assert all(HEX.match(c) for c in colours)


@pytest.mark.parametrize("name", SEQUENTIAL)
@pytest.mark.parametrize("k", range(2, 10))
def test_sequential_palettes_get_darker(name, k):
    assert np.all(np.diff(_luminance(palette(k, "sequential", name))) < 0)


@pytest.mark.parametrize("name", DIVERGING)
@pytest.mark.parametrize("k", [3, 5, 7, 9])
def test_diverging_palettes_with_odd_k_have_a_light_neutral_middle(name, k):
    colours = palette(k, "diverging", name)
    lab = _lab(_linear_rgb(colours))
    middle = k // 2
    assert np.hypot(lab[middle, 1], lab[middle, 2]) < 3  # grey: hardly any chroma
    assert lab[middle, 0] == lab[:, 0].max()
    assert np.all(np.diff(lab[: middle + 1, 0]) > 0) and np.all(np.diff(lab[middle:, 0]) < 0)


@pytest.mark.parametrize("name", DIVERGING)
def test_diverging_palettes_run_from_cool_to_warm(name):
    low, high = _linear_rgb(palette(9, "diverging", name))[[0, -1]]
    assert low[2] > low[0] and high[0] > high[2]  # blue/purple/teal low, red/orange/brown high


@pytest.mark.parametrize("vision", COLOUR_BLINDNESS)
@pytest.mark.parametrize("name", DIVERGING)
@pytest.mark.parametrize("k", range(2, 10))
def test_diverging_palettes_stay_two_sided_for_red_green_colour_blindness(vision, name, k):
    assert _closest_mirrored_pair(palette(k, "diverging", name), vision) > 15


@pytest.mark.parametrize("vision", COLOUR_BLINDNESS)
def test_the_colour_blindness_check_catches_a_red_green_palette(vision):
    rd_yl_gn = ["#" + c for c in re.findall("......", "d73027f46d43fdae61fee08bffffbfd9ef8ba6d96a66bd631a9850")]
    assert _closest_mirrored_pair(rd_yl_gn, vision) < 15


@pytest.mark.parametrize(("kind", "name"), ALL_PALETTES)
def test_nine_class_palettes_match_plotlys_copy_of_colorbrewer(kind, name):
    # an independent copy of the largest ColorBrewer schemes (9 sequential, 11 diverging)
    theirs = [plotly.colors.unlabel_rgb(c) for c in getattr(plotly.colors.colorbrewer, name)]
    theirs = ["#%02x%02x%02x" % tuple(int(v) for v in rgb) for rgb in theirs]
    if kind == "diverging":
        theirs = theirs[1:-1]  # ColorBrewer's 9 diverging classes are its 11 without the ends
    ours = palette(9, kind, name)
    assert ours in (theirs, theirs[::-1])


def test_palettes_for_one_and_two_classes_come_from_the_three_class_palette():
    assert palette(1) == [palette(3)[1]]
    assert palette(2) == [palette(3)[0], palette(3)[2]]
    assert palette(1, "diverging") == ["#f7f7f7"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((0,), "k must be"),
        ((10,), "k must be"),
        ((3, "qualitative"), "unknown palette kind"),
        ((3, "sequential", "Viridis"), "unknown sequential palette"),
        ((3, "diverging", "RdYlGn"), "unknown diverging palette"),
        ((3, "diverging", "YlOrRd"), "unknown diverging palette"),
    ],
)
def test_palette_arguments_are_checked(args, message):
    with pytest.raises(ValueError, match=message):
        palette(*args)
