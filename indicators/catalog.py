"""The indicator catalog, read from ``catalog.toml`` beside this module.

Ids are unique within a dataset ("demo", "cbs"); a warehouse holds one dataset's indicators.

>>> cat = load_catalog().for_dataset("demo")
>>> ind = cat.get("misdrijven_per_1000_inwoners")
>>> ind.numerator, ind.denominator, ind.multiplier
('misdrijven_totaal', 'inwoners', 1000.0)
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, fields
from functools import cache
from pathlib import Path

import pandas as pd

CATALOG_PATH = Path(__file__).with_name("catalog.toml")
DIRECTIONS = ("higher_is_worse", "higher_is_better", "neutral")


@dataclass(frozen=True)
class Indicator:
    id: str
    theme: str
    label_nl: str
    label_en: str
    unit_nl: str
    unit_en: str
    numerator: str
    denominator: str
    multiplier: float
    direction: str
    min_denominator: float
    dataset: str
    source: str
    table_id: str
    min_count: float = 0.0
    explain_nl: str = ""
    explain_en: str = ""
    #: Whether the indicator may enter the composite score (own data: only when its layer says so).
    in_composite: bool = True
    #: Its weight within its theme in the composite score.
    weight: float = 1.0
    #: The source in English where its name differs (own data: "Own data — ..."); else ``source``.
    source_en: str = ""

    @property
    def is_count(self) -> bool:
        """A count (no denominator): the value is the sum of the numerator."""
        return not self.denominator

    @property
    def decimals(self) -> int:
        """Decimals to show: counts are whole numbers, rates get one."""
        return 0 if self.is_count else 1

    def label(self, lang: str) -> str:
        return self.label_en if lang == "en" else self.label_nl

    def unit(self, lang: str) -> str:
        return self.unit_en if lang == "en" else self.unit_nl

    def source_name(self, lang: str) -> str:
        return self.source_en if lang == "en" and self.source_en else self.source

    def explanation(self, lang: str) -> str:
        """Plain-language explanation for non-specialists (English for "en", else Dutch)."""
        return self.explain_en if lang == "en" else self.explain_nl


@dataclass(frozen=True)
class Catalog:
    themes: dict[str, dict[str, str]]
    indicators: tuple[Indicator, ...]
    #: Variables the source publishes openly per buurt (not secret: never protected).
    open_variables: frozenset[str] = frozenset()

    def get(self, indicator_id: str) -> Indicator:
        for ind in self.indicators:
            if ind.id == indicator_id:
                return ind
        raise KeyError(f"unknown indicator: {indicator_id!r}")

    def for_dataset(self, dataset: str) -> "Catalog":
        return Catalog(self.themes, tuple(i for i in self.indicators if i.dataset == dataset), self.open_variables)

    def variables(self) -> set[str]:
        """Every count variable that some indicator uses."""
        return {v for i in self.indicators for v in (i.numerator, i.denominator) if v}

    def variables_frame(self) -> pd.DataFrame:
        """One row per variable: ``variable`` and ``is_open``."""
        names = sorted(self.variables())
        return pd.DataFrame({"variable": names, "is_open": [n in self.open_variables for n in names]})

    def to_frame(self) -> pd.DataFrame:
        """One row per indicator, id first."""
        return pd.DataFrame([{f.name: getattr(i, f.name) for f in fields(Indicator)} for i in self.indicators])


def parse_catalog(text: str) -> Catalog:
    """Parse catalog TOML; every indicator needs a non-empty ``explain_nl`` and ``explain_en``."""
    raw = tomllib.loads(text)
    themes = raw["themes"]
    open_variables = raw.get("variables", {}).get("open", [])
    if not isinstance(open_variables, list) or not all(isinstance(v, str) for v in open_variables):
        raise ValueError("[variables] open must be a list of variable names")
    indicators = []
    seen: set[tuple[str, str]] = set()
    for entry in raw["indicator"]:
        ind = Indicator(**{**entry, "multiplier": float(entry["multiplier"]),
                           "min_denominator": float(entry["min_denominator"]),
                           "min_count": float(entry.get("min_count", 0))})
        if (ind.dataset, ind.id) in seen:
            raise ValueError(f"indicator {ind.id!r} is listed twice for dataset {ind.dataset!r}")
        if ind.theme not in themes:
            raise ValueError(f"indicator {ind.id!r} has unknown theme {ind.theme!r}")
        if ind.direction not in DIRECTIONS:
            raise ValueError(f"indicator {ind.id!r} has unknown direction {ind.direction!r}")
        for name in ("explain_nl", "explain_en"):
            if not isinstance(getattr(ind, name), str) or not getattr(ind, name).strip():
                raise ValueError(f"indicator {ind.id!r} has no {name}")
        seen.add((ind.dataset, ind.id))
        indicators.append(ind)
    unknown = set(open_variables) - {v for i in indicators for v in (i.numerator, i.denominator)}
    if unknown:
        raise ValueError(f"[variables] open names variables no indicator uses: {sorted(unknown)}")
    return Catalog(themes, tuple(indicators), frozenset(open_variables))


@cache
def load_catalog(path: Path = CATALOG_PATH) -> Catalog:
    return parse_catalog(path.read_text(encoding="utf-8"))
