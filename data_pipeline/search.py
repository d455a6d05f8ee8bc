"""Find gemeenten, wijken and buurten by name or CBS code, for the dashboard's search box.

Matching ignores case, accents and punctuation (``'s-Hertogenbosch`` is ``s hertogenbosch``);
every word of the query must occur somewhere, in any order. Words may also match the names of
the wijk and gemeente an area lies in ("centrum amsterdam"), as long as one word matches the
area's own name. Water areas are never offered.

Order of the results: an exact code first ("GM0363", "gm0363", "0363"), then names (or codes)
that start with the query, then names holding every word, then matches that needed the names
above the area; within each group gemeenten before wijken before buurten, then by name.

Build an :class:`AreaIndex` once (it normalises every name) and search it many times;
:func:`search_areas` does that for you and keeps the index of the last few area frames.

>>> areas = pd.DataFrame({
...     "code": ["NL01", "GM0796", "WK079601", "BU07960101", "GM0363", "WK0363AA"],
...     "level": ["land", "gemeente", "wijk", "buurt", "gemeente", "wijk"],
...     "name": ["Nederland", "'s-Hertogenbosch", "Centrum", "Binnenstad-Oost", "Amsterdam", "Centrum"],
...     "parent_code": [None, "NL01", "GM0796", "WK079601", "NL01", "GM0363"],
...     "is_water": False})
>>> index = AreaIndex(areas)
>>> index.search("hertogenbosch")[["code", "name"]].values.tolist()
[['GM0796', "'s-Hertogenbosch"]]
>>> index.search("Den Bosch")["code"].tolist()
['GM0796']
>>> index.search("centrum")[["code", "context"]].values.tolist()
[['WK0363AA', 'wijk in Amsterdam'], ['WK079601', "wijk in 's-Hertogenbosch"]]
>>> index.search("oost binnenstad")[["name", "context"]].values.tolist()
[['Binnenstad-Oost', "buurt in Centrum, 's-Hertogenbosch"]]
>>> index.search("0363")["code"].tolist()   # the exact code, then codes that start with it
['GM0363', 'WK0363AA']
"""

from __future__ import annotations

import functools
import re
import unicodedata
import weakref
from collections.abc import Iterable, Sequence

import pandas as pd

DEFAULT_LEVELS: tuple[str, ...] = ("gemeente", "wijk", "buurt")
RESULT_COLUMNS = ["code", "name", "level", "context"]

#: Position of each level in the ranking (and in the tree).
LEVEL_RANK = {"land": 0, "regio": 1, "gemeente": 2, "wijk": 3, "buurt": 4}

#: How a level is named in the context label, per language.
LEVEL_WORDS = {
    "nl": {"land": "land", "regio": "RIEC-regio", "gemeente": "gemeente", "wijk": "wijk", "buurt": "buurt"},
    "en": {"land": "country", "regio": "RIEC region", "gemeente": "municipality", "wijk": "district",
           "buurt": "neighbourhood"},
}

#: Names people use for a gemeente besides its official CBS name (keys normalised official names).
ALIASES: dict[str, tuple[str, ...]] = {
    "s hertogenbosch": ("den bosch", "hertogenbosch"),
    "s gravenhage": ("den haag", "the hague"),
}

#: Codes as typed: with prefix (GM0363, wk0363aa) or only the number part (0363, 036300).
_CODE_LIKE = re.compile(r"(?:GM|WK|BU|RE|NL)?\d{2,}[0-9A-Z]*")
_NON_WORD = re.compile(r"[^0-9a-z]+")
_SEP = "\x1f"           # between the searchable texts of one area; never in a normalised text


def normalise(text: object) -> str:
    """Lower case, accents and punctuation gone, single spaces.

    >>> normalise("'s-Hertogenbosch"), normalise("Súdwest-Fryslân"), normalise("  Bergen (NH.) ")
    ('s hertogenbosch', 'sudwest fryslan', 'bergen nh')
    >>> normalise("ĲSSELSTEIN"), normalise(None)
    ('ijsselstein', '')
    """
    if not isinstance(text, str):
        return ""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
    return _NON_WORD.sub(" ", plain).strip()


class AreaIndex:
    """Normalised names, codes and context labels of the non-water areas, in ranking order.

    ``areas`` needs ``code, level, name, parent_code``; ``is_water`` when present (else no water).
    """

    def __init__(self, areas: pd.DataFrame, lang: str = "nl"):
        words = LEVEL_WORDS.get(lang, LEVEL_WORDS["nl"])
        codes = areas["code"].astype(str).tolist()
        levels = areas["level"].astype(str).tolist()
        names = ["" if not isinstance(n, str) else n for n in areas["name"].tolist()]
        parents = [p if isinstance(p, str) else None for p in areas["parent_code"].tolist()]
        water = (areas["is_water"].fillna(False).astype(bool).tolist() if "is_water" in areas
                 else [False] * len(codes))
        by_code = {c: (lvl, n, p) for c, lvl, n, p in zip(codes, levels, names, parents)}
        norm = functools.lru_cache(maxsize=None)(normalise)   # the same gemeente names come back often

        entries = []
        for code, level, name, is_water in zip(codes, levels, names, water):
            if is_water:
                continue
            above = self._context_names(code, level, by_code)
            own_norm = norm(name)
            aliases = ALIASES.get(own_norm, ()) if level == "gemeente" else ()
            own = list(dict.fromkeys([own_norm, own_norm.replace(" ", ""), *aliases]))
            context = words.get(level, level) + (" in " + ", ".join(above) if above else "")
            around = " ".join([norm(words.get(level, level)), *(norm(a) for a in above)])
            entries.append((LEVEL_RANK.get(level, 9), own_norm, around, code,
                            name, level, context, tuple(own), around))
        entries.sort(key=lambda e: e[:4])

        self.lang = lang
        self.codes: list[str] = [e[3] for e in entries]
        self.names: list[str] = [e[4] for e in entries]
        self.levels: list[str] = [e[5] for e in entries]
        self.contexts: list[str] = [e[6] for e in entries]
        self._own: list[tuple[str, ...]] = [e[7] for e in entries]
        self._own_text: list[str] = [_SEP.join(e[7]) for e in entries]
        self._full_text: list[str] = [_SEP.join(e[7]) + _SEP + e[8] for e in entries]
        self._code_upper = [c.upper() for c in self.codes]
        self._number_upper = [c[2:] if c[:2].isalpha() else c for c in self._code_upper]
        self._by_code: dict[str, list[int]] = {}
        for i, (code, number) in enumerate(zip(self._code_upper, self._number_upper)):
            self._by_code.setdefault(code, []).append(i)
            if number != code:
                self._by_code.setdefault(number, []).append(i)
        self._subsets: dict[tuple[str, ...], list[int]] = {}

    def __len__(self) -> int:
        return len(self.codes)

    @staticmethod
    def _context_names(code: str, level: str, by_code: dict[str, tuple[str, str, str | None]]) -> list[str]:
        """Names of the areas above, nearest first: up to the gemeente for wijken and buurten,
        the RIEC-regio for a gemeente, nothing for a regio or the land."""
        stop = "gemeente" if level in ("wijk", "buurt") else "regio" if level == "gemeente" else None
        names: list[str] = []
        parent = by_code.get(code, (None, None, None))[2]
        while stop and parent in by_code:
            p_level, p_name, grand = by_code[parent]
            if p_level == "land":
                break
            names.append(p_name)
            if p_level == stop:
                break
            parent = grand
        return names

    def _positions(self, levels: Iterable[str]) -> list[int]:
        key = tuple(sorted(set(levels)))
        if key not in self._subsets:
            wanted = set(key)
            self._subsets[key] = [i for i, lvl in enumerate(self.levels) if lvl in wanted]
        return self._subsets[key]

    def search(self, text: str, *, levels: Sequence[str] = DEFAULT_LEVELS, limit: int = 20) -> pd.DataFrame:
        """The best ``limit`` matches for ``text``: columns code, name, level, context."""
        hits = self.search_positions(text, levels=levels, limit=limit)
        return pd.DataFrame({"code": [self.codes[i] for i in hits], "name": [self.names[i] for i in hits],
                             "level": [self.levels[i] for i in hits],
                             "context": [self.contexts[i] for i in hits]}, columns=RESULT_COLUMNS)

    def search_positions(self, text: str, *, levels: Sequence[str] = DEFAULT_LEVELS, limit: int = 20) -> list[int]:
        """Positions (into ``codes``, ``names`` ...) of the best ``limit`` matches, best first."""
        if limit <= 0 or not isinstance(text, str):
            return []
        query = normalise(text)
        words = sorted(set(query.split()), key=len, reverse=True)
        wanted = set(levels)
        typed_code = re.sub(r"\s+", "", text).upper()

        exact = [i for i in self._by_code.get(typed_code, []) if self.levels[i] in wanted]
        taken = set(exact)
        code_prefix = None
        if _CODE_LIKE.fullmatch(typed_code) and len(typed_code) >= 3:
            code_prefix = typed_code
        if not words and code_prefix is None:
            return exact[:limit]

        positions = self._positions(wanted)
        full = self._full_text
        if words:
            first = words[0]
            candidates = [i for i in positions if first in full[i]]
            for word in words[1:]:
                candidates = [i for i in candidates if word in full[i]]
        else:
            candidates = []

        starts, in_name, in_context = [], [], []
        room = limit - len(exact)
        for i in candidates:                      # in ranking order already
            if i in taken:
                continue
            own_text = self._own_text[i]
            if any(own.startswith(query) for own in self._own[i]):
                starts.append(i)
                if len(starts) >= room:
                    break                         # nothing later in the list can beat these
            elif all(w in own_text for w in words):
                in_name.append(i)
            elif any(w in own_text for w in words):
                in_context.append(i)
        if code_prefix is not None:
            # A code typed in part: the areas whose code (or its number part) starts with it.
            by_number = not code_prefix[:2].isalpha()
            codes = self._number_upper if by_number else self._code_upper
            seen = taken.union(starts)
            prefixed = [i for i in positions if codes[i].startswith(code_prefix) and i not in seen]
            starts = sorted(starts + prefixed)    # positions are in ranking order
        return (exact + starts + in_name + in_context)[:limit]


_INDEX_CACHE: dict[tuple[int, str], tuple[weakref.ref, int, AreaIndex]] = {}
_INDEX_CACHE_SIZE = 4


def area_index(areas: pd.DataFrame, lang: str = "nl") -> AreaIndex:
    """The index of ``areas``, built once per frame (kept for the last few frames)."""
    key = (id(areas), lang)
    cached = _INDEX_CACHE.get(key)
    if cached is not None and cached[0]() is areas and cached[1] == len(areas):
        return cached[2]
    index = AreaIndex(areas, lang)
    while len(_INDEX_CACHE) >= _INDEX_CACHE_SIZE:
        _INDEX_CACHE.pop(next(iter(_INDEX_CACHE)))
    _INDEX_CACHE[key] = (weakref.ref(areas), len(areas), index)
    return index


def search_areas(areas: pd.DataFrame | AreaIndex, text: str, *, levels: Sequence[str] = DEFAULT_LEVELS,
                 limit: int = 20, lang: str = "nl") -> pd.DataFrame:
    """Gemeenten, wijken and buurten whose name or code matches ``text``, best first.

    Columns: code, name, level, context (e.g. "buurt in Centrum, Amsterdam"). ``areas`` is an
    areas frame (as ``Warehouse.areas``) or a prebuilt :class:`AreaIndex`.
    """
    index = areas if isinstance(areas, AreaIndex) else area_index(areas, lang)
    return index.search(text, levels=levels, limit=limit)
