"""Composite undermining score: a *risk signal, not proof*.

Indicators of one level and one year are standardised within that level, averaged per theme,
and the themes are combined with weights (equal by default, adjustable by the user). Every
score comes with the contribution of each indicator, so it can always be explained.

Rules (PRODUCT.md §4):

- only indicators with a direction enter a score: ``neutral`` indicators (context) and counts
  (no denominator) never do;
- no indicator about ethnicity or migration background ever enters a score; passing one
  raises ``ValueError`` (see :func:`is_about_origin`);
- missing is not zero: a missing (or suppressed) rate is left out of its theme mean, a theme
  without data is left out of the weighted mean, and ``coverage`` says how much of the total
  weight was available. Below ``min_coverage`` there is no score;
- small areas can be stabilised by shrinking their rates toward their parent
  (:func:`shrink_toward_parent`).

Everything here is a pure function on pandas frames: no I/O, no dashboard.

Examples
--------
Two areas, one indicator in each of two themes:

>>> from indicators.catalog import Indicator
>>> def ind(id, theme, direction="higher_is_worse"):
...     return Indicator(id, theme, id, id, "", "", "n", "d", 1000.0, direction, 0.0, "doc", "", "")
>>> rates = pd.DataFrame({"misdrijven": [10.0, 30.0], "leegstand": [4.0, 2.0]},
...                      index=pd.Index(["GM0001", "GM0002"], name="code"))
>>> result = composite_scores(rates, [ind("misdrijven", "criminaliteit"), ind("leegstand", "vastgoed")])
>>> result.standardised.loc["GM0001"].tolist()  # z-scores, higher = more risk
[-1.0, 1.0]
>>> result.score.tolist(), result.coverage.tolist()
([0.0, 0.0], [1.0, 1.0])
>>> weighted = composite_scores(rates, [ind("misdrijven", "criminaliteit"), ind("leegstand", "vastgoed")],
...                             CompositeSpec(theme_weights={"criminaliteit": 3}))
>>> weighted.score.tolist()
[-0.5, 0.5]
>>> weighted.contributions.loc["GM0002"].tolist()
[0.75, -0.25]
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Mapping

import numpy as np
import pandas as pd

METHODS = ("z", "percentile")

#: Words that mark an indicator as being about ethnicity or migration background (Dutch and
#: English). Matched, case-insensitively, against an indicator's id, theme, labels, numerator
#: and denominator. Deliberately broad: a false alarm means renaming an indicator, a miss
#: would put origin into a risk score. "afkomstig" ("coming from", e.g. drug waste coming
#: from a lab) is not a match.
ORIGIN_PATTERN = re.compile(
    r"etni|ethni|migra|herkomst|afkomst(?!ig)|allochto|autochto|geboorteland|country.?of.?birth"
    r"|nationalit|niet.?westers|non.?western"
)


@dataclass(frozen=True)
class CompositeSpec:
    """How to build a composite score.

    Parameters
    ----------
    method : {"z", "percentile"}
        Standardisation within the level. ``"z"``: (x - mean) / std, population std over the
        areas with a value (an indicator that is the same everywhere standardises to 0).
        ``"percentile"``: rank percentile in (0, 1] (ties get their average rank) mapped to
        ``(pct - 0.5) * 2``, so in (-1, 1]; robust to outliers.
    theme_weights : Mapping[str, float]
        Weight per theme. A theme not listed weighs 1, so all themes weigh the same by
        default; 0 drops a theme from the score (its indicators still show as standardised
        values). Weights must be finite and >= 0, and not all 0.
    min_coverage : float
        Share of the total theme weight (0..1) that must have data for an area to get a score.
    stabilise : bool
        Shrink rates toward the parent's rate before standardising (see
        :func:`shrink_toward_parent`); needs numerators, denominators, parent rates and
        parents.
    prior_strength : float or None
        The pseudo-denominator ``k`` of the shrinkage, in the unit of each indicator's
        denominator (inhabitants, dwellings, km² land, ...). ``None`` (default) uses each
        indicator's own ``min_denominator`` (its disclosure threshold), so the units always
        match and an area exactly at the threshold is a 50/50 blend of its own rate and its
        parent's, while an area 10 times the threshold keeps 10/11 of its own rate. A number
        uses that same ``k`` for every indicator; 0 switches shrinkage off.
    """

    method: str = "z"
    theme_weights: Mapping[str, float] = field(default_factory=dict)
    min_coverage: float = 0.5
    stabilise: bool = False
    prior_strength: float | None = None

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise ValueError(f"method must be one of {METHODS}, not {self.method!r}")
        weights = {str(theme): float(w) for theme, w in dict(self.theme_weights).items()}
        for theme, w in weights.items():
            if not math.isfinite(w) or w < 0:
                raise ValueError(f"weight of theme {theme!r} must be a finite number >= 0, not {w}")
        object.__setattr__(self, "theme_weights", MappingProxyType(weights))
        if not 0.0 <= self.min_coverage <= 1.0:
            raise ValueError(f"min_coverage must lie in [0, 1], not {self.min_coverage}")
        if self.prior_strength is not None and not (math.isfinite(self.prior_strength) and self.prior_strength >= 0):
            raise ValueError(f"prior_strength must be None or a finite number >= 0, not {self.prior_strength}")

    def __hash__(self) -> int:  # usable as a cache key despite holding a mapping
        return hash((self.method, tuple(sorted(self.theme_weights.items())), self.min_coverage,
                     self.stabilise, self.prior_strength))

    def weight(self, theme: str) -> float:
        """The weight of ``theme``: as given, else 1."""
        return self.theme_weights.get(theme, 1.0)


@dataclass(frozen=True)
class CompositeResult:
    """A composite score with everything needed to explain it; all indexed by area code.

    Attributes
    ----------
    score : pd.Series
        The composite score (higher = stronger risk signal); NaN where coverage is below
        ``min_coverage`` or there is no data at all.
    coverage : pd.Series
        Share (0..1) of the total theme weight whose theme had data for the area.
    theme_scores : pd.DataFrame
        One column per theme: mean of the area's available standardised indicators of that
        theme; NaN if it has none.
    contributions : pd.DataFrame
        One column per indicator: its part of ``score``. Rows sum to ``score`` where the score
        is not NaN. NaN where the indicator has no value or the area has no score; 0 for an
        indicator of a theme with weight 0.
    standardised : pd.DataFrame
        One column per indicator: the standardised value, signed so that higher = more risk.
    """

    score: pd.Series
    coverage: pd.Series
    theme_scores: pd.DataFrame
    contributions: pd.DataFrame
    standardised: pd.DataFrame

    @classmethod
    def empty(cls, index: pd.Index) -> "CompositeResult":
        """No score for any area: there is no risk indicator to combine (a build of context
        figures only, such as inhabitants and dwellings)."""
        nothing = pd.Series(np.nan, index=index, dtype="float64")
        return cls(nothing.rename("score"), nothing.rename("coverage"), pd.DataFrame(index=index),
                   pd.DataFrame(index=index), pd.DataFrame(index=index))


def is_about_origin(indicator) -> bool:
    """Whether an indicator is about ethnicity or migration background.

    Parameters
    ----------
    indicator : Indicator
        Checked on id, theme, labels, numerator and denominator (see ``ORIGIN_PATTERN``).

    Returns
    -------
    bool

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> is_about_origin(SimpleNamespace(id="pct_migratieachtergrond"))
    True
    >>> is_about_origin(SimpleNamespace(id="x", label_en="Residents of non-Western origin"))
    True
    >>> is_about_origin(SimpleNamespace(id="drugsafval", label_nl="Afval afkomstig van drugslabs"))
    False
    """
    texts = (getattr(indicator, name, "") or "" for name in
             ("id", "theme", "label_nl", "label_en", "numerator", "denominator"))
    return any(ORIGIN_PATTERN.search(str(text).lower()) for text in texts)


def _ineligibility(indicator) -> str | None:
    """Why an indicator may not enter a score, or None if it may."""
    if is_about_origin(indicator):
        return "it is about ethnicity or migration background, which never enters a score"
    if not getattr(indicator, "in_composite", True):
        return "it is not meant to enter a score (in_composite is false)"
    if indicator.direction == "neutral":
        return "its direction is 'neutral' (context, not a risk signal)"
    if indicator.direction not in ("higher_is_worse", "higher_is_better"):
        return f"its direction {indicator.direction!r} is unknown"
    if not getattr(indicator, "denominator", "x"):
        return "it is a count, which depends on the size of the area"
    return None


def _as_indicators(indicators) -> list:
    """Accept a Catalog or an iterable of indicators."""
    return list(getattr(indicators, "indicators", indicators))


def eligible_indicators(indicators) -> list:
    """The indicators that may enter a composite score, in the given order.

    Leaves out neutral indicators, counts (no denominator) and, always, anything about
    ethnicity or migration background.

    Parameters
    ----------
    indicators : Catalog or iterable of Indicator

    Returns
    -------
    list of Indicator

    Examples
    --------
    >>> from types import SimpleNamespace as I
    >>> candidates = [I(id="misdrijven_per_1000_inwoners", direction="higher_is_worse", denominator="inwoners"),
    ...               I(id="inwoners", direction="neutral", denominator=""),
    ...               I(id="huishoudens_met_kinderen_pct", direction="neutral", denominator="huishoudens"),
    ...               I(id="migratieachtergrond_pct", direction="higher_is_worse", denominator="inwoners")]
    >>> [i.id for i in eligible_indicators(candidates)]
    ['misdrijven_per_1000_inwoners']
    """
    return [ind for ind in _as_indicators(indicators) if _ineligibility(ind) is None]


def _checked(rates: pd.DataFrame, indicators) -> list:
    chosen = _as_indicators(indicators)
    if not chosen:
        raise ValueError("no indicators given")
    for ind in chosen:
        reason = _ineligibility(ind)
        if reason is not None:
            raise ValueError(f"indicator {ind.id!r} cannot enter a composite score: {reason}")
    ids = [ind.id for ind in chosen]
    if len(set(ids)) != len(ids):
        raise ValueError(f"indicator listed twice: {sorted({i for i in ids if ids.count(i) > 1})}")
    absent = [i for i in ids if i not in rates.columns]
    if absent:
        raise KeyError(f"rates has no column for indicator(s) {absent}")
    if not rates.index.is_unique:
        raise ValueError("rates must have one row per area code")
    values = rates[ids].to_numpy(dtype=float)
    if np.isinf(values).any():
        raise ValueError("rates contain infinite values; use NaN for missing")
    return chosen


def shrink_toward_parent(rates: pd.DataFrame, indicators, numerators: pd.DataFrame,
                         denominators: pd.DataFrame, parent_rates: pd.DataFrame,
                         parent_of: pd.Series, prior_strength: float | None = None) -> pd.DataFrame:
    """Stabilise small areas' rates by shrinking them toward their parent's rate.

    ``rate' = (num + k * parent_rate / multiplier) / (den + k) * multiplier``: the parent's
    rate counts as ``k`` extra units of denominator observed at the parent's rate (the
    posterior mean of a Poisson rate under a gamma prior centred on the parent). The area's
    own data weighs ``den / (den + k)``: a tiny area is pulled strongly toward its parent, a
    large one hardly moves, so a handful of events in a small buurt does not make it look
    extreme.

    Parameters
    ----------
    rates : pd.DataFrame
        Index area code, one column per indicator id: published rates.
    indicators : Catalog or iterable of Indicator
        The columns to stabilise; counts (no denominator) and ids absent from ``rates`` are
        skipped.
    numerators, denominators : pd.DataFrame
        Same index and columns as ``rates``: the counts behind each rate.
    parent_rates : pd.DataFrame
        Index parent code, same columns: the parents' published rates.
    parent_of : pd.Series
        Area code -> parent code.
    prior_strength : float or None
        ``k``, in the unit of the denominator; ``None`` uses each indicator's
        ``min_denominator``. See :class:`CompositeSpec`.

    Returns
    -------
    pd.DataFrame
        A copy of ``rates`` with stabilised values. A missing (or suppressed) rate stays
        missing; a rate whose numerator, denominator or parent rate is unknown is kept as
        published.

    Examples
    --------
    A parent at 10 per 1,000; a tiny and a large area both at 20 per 1,000; ``k`` = 50:

    >>> from types import SimpleNamespace
    >>> ind = SimpleNamespace(id="r", denominator="inwoners", multiplier=1000.0, min_denominator=50.0)
    >>> idx = pd.Index(["BU1", "BU2"], name="code")
    >>> out = shrink_toward_parent(pd.DataFrame({"r": [20.0, 20.0]}, index=idx), [ind],
    ...     numerators=pd.DataFrame({"r": [1.0, 100.0]}, index=idx),
    ...     denominators=pd.DataFrame({"r": [50.0, 5000.0]}, index=idx),
    ...     parent_rates=pd.DataFrame({"r": [10.0]}, index=["WK1"]),
    ...     parent_of=pd.Series({"BU1": "WK1", "BU2": "WK1"}))
    >>> out["r"].round(2).tolist()
    [15.0, 19.9]
    """
    for name, frame in (("numerators", numerators), ("denominators", denominators),
                        ("parent_rates", parent_rates), ("parent_of", parent_of)):
        if frame is None:
            raise ValueError(f"stabilising needs {name}")
    out = rates.copy()
    parents = parent_of.reindex(rates.index).to_numpy()
    for ind in _as_indicators(indicators):
        if not ind.denominator or ind.id not in rates.columns:
            continue
        k = float(getattr(ind, "min_denominator", 0.0) if prior_strength is None else prior_strength)
        if k <= 0:
            continue
        rate = rates[ind.id].to_numpy(dtype=float)
        num = numerators[ind.id].reindex(rates.index).to_numpy(dtype=float)
        den = denominators[ind.id].reindex(rates.index).to_numpy(dtype=float)
        parent_rate = parent_rates[ind.id].reindex(parents).to_numpy(dtype=float)
        usable = ~np.isnan(rate) & ~np.isnan(num) & ~np.isnan(den) & ~np.isnan(parent_rate) & (den >= 0)
        with np.errstate(invalid="ignore", divide="ignore"):
            shrunk = (num + k * parent_rate / ind.multiplier) / (den + k) * ind.multiplier
        out[ind.id] = np.where(usable, shrunk, rate)
    return out


def standardise(rates: pd.DataFrame, indicators, method: str = "z") -> pd.DataFrame:
    """Standardise each indicator within the given areas, signed so that higher = more risk.

    Parameters
    ----------
    rates : pd.DataFrame
        Index area code (one level, one year), one column per indicator id; NaN = missing.
    indicators : Catalog or iterable of Indicator
        The columns to standardise, in this order; ``higher_is_better`` ones are flipped.
    method : {"z", "percentile"}
        See :class:`CompositeSpec`.

    Returns
    -------
    pd.DataFrame
        Same index, one column per indicator; NaN stays NaN.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> good = SimpleNamespace(id="v", direction="higher_is_better")
    >>> rates = pd.DataFrame({"v": [1.0, 2.0, 3.0, 4.0]})
    >>> standardise(rates, [good], "percentile")["v"].tolist()
    [1.0, 0.5, 0.0, -0.5]
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, not {method!r}")
    chosen = _as_indicators(indicators)
    signs = [-1.0 if ind.direction == "higher_is_better" else 1.0 for ind in chosen]
    signed = rates[[ind.id for ind in chosen]].astype(float) * signs
    if method == "percentile":
        return (signed.rank(pct=True, method="average") - 0.5) * 2
    mean, spread = signed.mean(), signed.std(ddof=0)
    constant = (signed.max() == signed.min()).to_numpy()  # also when std is only rounding noise
    z = (signed.to_numpy() - mean.to_numpy()) / np.where(constant, 1.0, spread.to_numpy())
    z = np.where(constant, signed.to_numpy() * 0.0, z)  # 0 where a value exists, NaN where missing
    return pd.DataFrame(z, index=signed.index, columns=signed.columns)


def composite_scores(rates: pd.DataFrame, indicators, spec: CompositeSpec = CompositeSpec(), *,
                     numerators: pd.DataFrame | None = None, denominators: pd.DataFrame | None = None,
                     parent_rates: pd.DataFrame | None = None,
                     parent_of: pd.Series | None = None) -> CompositeResult:
    """Composite undermining score per area, with theme scores and contributions.

    theme score = mean of the area's available standardised indicators of that theme, weighted by
    each indicator's ``weight`` (1 unless it says otherwise, as an own layer may);
    score = Σ_t w_t · theme_t / Σ_{t with data} w_t (re-weighted over the themes with data);
    coverage = Σ_{t with data} w_t / Σ_t w_t. The contribution of indicator i of theme t is
    (w_t / Σ_{t with data} w_t) · v_i s_i / (Σ v of the indicators of t with data), so an area's
    contributions add up to its score. Show it as a *risk signal, not proof* (the dashboard's ``score.caveat``).

    Parameters
    ----------
    rates : pd.DataFrame
        Index area code (ONE level, ONE year), columns indicator ids, values published rates;
        NaN = missing or suppressed (never treated as 0). Other columns are ignored.
    indicators : Catalog or iterable of Indicator
        What enters the score, in output order. Each must be eligible (see
        :func:`eligible_indicators`), else ``ValueError``; in particular an indicator about
        ethnicity or migration background is refused.
    spec : CompositeSpec
        Method, theme weights, minimum coverage and stabilisation.
    numerators, denominators, parent_rates, parent_of
        Only for ``spec.stabilise``; see :func:`shrink_toward_parent`.

    Returns
    -------
    CompositeResult

    Raises
    ------
    ValueError
        An ineligible or duplicate indicator, infinite rates, duplicate area codes, all theme
        weights 0, or stabilisation without its inputs.
    KeyError
        An indicator without a column in ``rates``.
    """
    chosen = _checked(rates, indicators)
    ids = [ind.id for ind in chosen]
    themes = list(dict.fromkeys(ind.theme for ind in chosen))
    weights = np.array([spec.weight(t) for t in themes])
    if weights.sum() <= 0:
        raise ValueError(f"all theme weights are 0 for themes {themes}")

    values = rates[ids].astype(float)
    if spec.stabilise:
        values = shrink_toward_parent(values, chosen, numerators, denominators, parent_rates,
                                      parent_of, spec.prior_strength)
    standardised = standardise(values, chosen, spec.method)

    s = standardised.to_numpy()
    has = ~np.isnan(s)
    theme_index = np.array([themes.index(ind.theme) for ind in chosen])
    # An indicator's weight within its theme (1 unless it says otherwise, e.g. an own layer's).
    own_weight = np.array([float(getattr(ind, "weight", 1.0)) for ind in chosen])
    membership = np.zeros((len(ids), len(themes)))
    membership[np.arange(len(ids)), theme_index] = own_weight
    n_available = has.astype(float) @ membership               # areas x themes: the weight with data
    theme_has = n_available > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        theme_values = np.where(theme_has, np.where(has, s, 0.0) @ membership / n_available, np.nan)
        weight_available = theme_has.astype(float) @ weights    # per area
        coverage = weight_available / weights.sum()
        scored = (weight_available > 0) & (coverage >= spec.min_coverage - 1e-12)
        score = np.where(scored, np.where(theme_has, theme_values, 0.0) @ weights / weight_available, np.nan)
        share = weights[theme_index] * own_weight / weight_available[:, None] / n_available[:, theme_index]
        contributions = np.where(scored[:, None], s * share, np.nan)

    index = rates.index
    return CompositeResult(
        score=pd.Series(score, index=index, name="score"),
        coverage=pd.Series(coverage, index=index, name="coverage"),
        theme_scores=pd.DataFrame(theme_values, index=index, columns=pd.Index(themes, name="theme")),
        contributions=pd.DataFrame(contributions, index=index, columns=pd.Index(ids, name="indicator")),
        standardised=standardised,
    )
