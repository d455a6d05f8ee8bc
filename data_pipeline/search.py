"""Find gemeenten, wijken and buurten by name or CBS code, for the dashboard's search box.

Matching ignores case, accents and punctuation (``'s-Hertogenbosch`` is ``s hertogenbosch``);
every word of the query must occur somewhere, in any order. Words may also match the names of
the wijk and gemeente an area lies in ("centrum amsterdam"), as long as one word matches the
area's own name, and the words for the area's level the caller passes (``level_words``, e.g.
"buurt centrum"). Water areas are never offered. The results carry data only (codes, names,
levels, the names of the areas above); the dashboard words them in the reader's language.

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
>>> index.search("centrum")[["code", "places"]].values.tolist()
[['WK0363AA', ('Amsterdam',)], ['WK079601', ("'s-Hertogenbosch",)]]
>>> index.search("oost binnenstad")[["name", "places"]].values.tolist()
[['Binnenstad-Oost', ('Centrum', "'s-Hertogenbosch")]]
>>> index.search("0363")["code"].tolist()   # the exact code, then codes that start with it
['GM0363', 'WK0363AA']
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence

import pandas as pd

DEFAULT_LEVELS: tuple[str, ...] = ("gemeente", "wijk", "buurt")
RESULT_COLUMNS = ["code", "name", "level", "places"]

#: Position of each level in the ranking (and in the tree).
LEVEL_RANK = {"land": 0, "regio": 1, "gemeente": 2, "wijk": 3, "buurt": 4}

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
    """Normalised names and codes of the non-water areas with the names above them, in ranking order.

    ``areas`` needs ``code, level, name, parent_code``; ``is_water`` when present (else no water).
    ``level_words`` (level -> word, e.g. ``{"buurt": "buurt"}``) makes a query word match the
    area's level too.
    """

    def __init__(self, areas: pd.DataFrame, level_words: Mapping[str, str] | None = None):
        words = dict(level_words or {})
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
            around = " ".join([norm(words.get(level, "")), *(norm(a) for a in above)]).strip()
            entries.append((LEVEL_RANK.get(level, 9), own_norm, around, code,
                            name, level, tuple(above), tuple(own), around))
        entries.sort(key=lambda e: e[:4])

        self.codes: list[str] = [e[3] for e in entries]
        self.names: list[str] = [e[4] for e in entries]
        self.levels: list[str] = [e[5] for e in entries]
        self.places: list[tuple[str, ...]] = [e[6] for e in entries]
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
        """The best ``limit`` matches for ``text``: columns code, name, level, places (the names
        of the areas above, nearest first: up to the gemeente for wijken and buurten, the
        RIEC-regio for a gemeente)."""
        hits = self.search_positions(text, levels=levels, limit=limit)
        return pd.DataFrame({"code": [self.codes[i] for i in hits], "name": [self.names[i] for i in hits],
                             "level": [self.levels[i] for i in hits],
                             "places": [self.places[i] for i in hits]}, columns=RESULT_COLUMNS)

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


def search_areas(areas: pd.DataFrame | AreaIndex, text: str, *, levels: Sequence[str] = DEFAULT_LEVELS,
                 limit: int = 20, level_words: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Gemeenten, wijken and buurten whose name or code matches ``text``, best first.

    Columns: code, name, level, places (e.g. ``("Centrum", "Amsterdam")`` for a buurt).
    ``areas`` is an areas frame (as :meth:`Warehouse.areas_frame` gives) or a prebuilt
    :class:`AreaIndex`; build the index once when searching many times.
    """
    index = areas if isinstance(areas, AreaIndex) else AreaIndex(areas, level_words)
    return index.search(text, levels=levels, limit=limit)
