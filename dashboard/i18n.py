"""All user-facing text, one JSON file per language in ``locale/``. Dutch is the default.

>>> t("level.gemeente"), t("level.gemeente", "en")
('Gemeenten', 'Municipalities')
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

LANGUAGES = ("nl", "en")
DEFAULT_LANGUAGE = "nl"
LOCALE_DIR = Path(__file__).with_name("locale")


@cache
def strings(lang: str) -> dict[str, str]:
    return json.loads((LOCALE_DIR / f"{lang}.json").read_text(encoding="utf-8"))


def language(value: object) -> str:
    return value if value in LANGUAGES else DEFAULT_LANGUAGE


def t(key: str, lang: str = DEFAULT_LANGUAGE, **values: object) -> str:
    """The text for ``key`` in ``lang`` with ``{placeholders}`` filled in."""
    text = strings(language(lang))[key]
    return text.format(**values) if values else text
