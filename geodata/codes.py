"""Area levels and CBS area codes.

The hierarchy is land -> regio -> gemeente -> wijk -> buurt. CBS codes are the
identity of an area everywhere: ``GMgggg``, ``WKggggww``, ``BUggggwwbb``. RIEC
regions follow the police regional units and use the CBS codes ``RE01``..``RE10``;
the country is ``NL01``.

>>> level_of("BU03630001")
'buurt'
>>> gemeente_of("BU03630001"), wijk_of("BU03630001")
('GM0363', 'WK036300')
>>> wijk_of("BU0363AA01"), level_of("WK0363AA")
('WK0363AA', 'wijk')
>>> child_level("gemeente")
'wijk'
"""

from __future__ import annotations

import re

LEVELS: tuple[str, ...] = ("land", "regio", "gemeente", "wijk", "buurt")
LAND_CODE = "NL01"

CODE_PATTERNS: dict[str, re.Pattern[str]] = {
    "land": re.compile(r"^NL01$"),
    "regio": re.compile(r"^RE\d{2}$"),
    "gemeente": re.compile(r"^GM\d{4}$"),
    # Since 2022 Amsterdam numbers its wijken and buurten with letters (WK0363AA, BU0363AA01).
    "wijk": re.compile(r"^WK\d{4}[0-9A-Z]{2}$"),
    "buurt": re.compile(r"^BU\d{4}[0-9A-Z]{4}$"),
}


def level_of(code: str) -> str:
    """Return the level of a CBS area code, or raise ``ValueError``."""
    for level, pattern in CODE_PATTERNS.items():
        if pattern.match(code):
            return level
    raise ValueError(f"not a known area code: {code!r}")


def is_valid_code(code: object, level: str | None = None) -> bool:
    if not isinstance(code, str):
        return False
    if level is None:
        return any(p.match(code) for p in CODE_PATTERNS.values())
    return bool(CODE_PATTERNS[level].match(code))


def gemeente_of(code: str) -> str:
    """The gemeente code of a gemeente, wijk or buurt code."""
    return "GM" + code[2:6]


def wijk_of(code: str) -> str:
    """The wijk code of a wijk or buurt code."""
    return "WK" + code[2:8]


def child_level(level: str) -> str | None:
    i = LEVELS.index(level)
    return LEVELS[i + 1] if i + 1 < len(LEVELS) else None


def parent_level(level: str) -> str | None:
    i = LEVELS.index(level)
    return LEVELS[i - 1] if i > 0 else None


def is_below(level: str, other: str) -> bool:
    """True when ``level`` lies strictly below ``other`` in the hierarchy."""
    return LEVELS.index(level) > LEVELS.index(other)
