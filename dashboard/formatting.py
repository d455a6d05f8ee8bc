"""Numbers, percentages and dates for people, in one place: every label, tooltip, legend, table
and export formats through here.

The locale data (decimal and group symbols, date patterns) comes from Babel. Numbers are the
hot path (a map's hover texts hold hundreds of them per callback), so :func:`format_number`
formats with Python's own fixed-point formatting and swaps in the locale's symbols, about ten
times faster than formatting each number with Babel; the doctests below pin both locales.

>>> format_number(1234.5)
'1.234,5'
>>> format_number(1234.5, lang="en")
'1,234.5'
>>> format_number(-0.04, 2), format_number(float("nan")), format_number(None, lang="en")
('-0,04', 'n.b.', 'n/a')
>>> format_count(17811291), format_count(17811291, lang="en")
('17.811.291', '17,811,291')
>>> format_percent(0.126), format_percent(0.125, 1, lang="en")
('13%', '12.5%')
>>> format_decimal_input(0.05), format_decimal_input(2.5), format_decimal_input(3.0)
('0,05', '2,5', '3')
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from zoneinfo import ZoneInfo

import pandas as pd
from babel import Locale
from babel.dates import format_datetime as babel_datetime
from babel.numbers import get_decimal_symbol, get_group_symbol

from dashboard.i18n import DEFAULT_LANGUAGE, language, t

TIMEZONE = ZoneInfo("Europe/Amsterdam")
LOCALES = {"nl": "nl_NL", "en": "en_GB"}


@cache
def locale(lang: str) -> Locale:
    return Locale.parse(LOCALES[language(lang)])


@cache
def _symbols(lang: str) -> dict[int, str]:
    """A translation table from Python's ``,`` and ``.`` to the locale's group and decimal symbols."""
    loc = locale(lang)
    return str.maketrans({",": get_group_symbol(loc), ".": get_decimal_symbol(loc)})


def plotly_separators(lang: str = DEFAULT_LANGUAGE) -> str:
    """plotly's ``layout.separators`` for the language: decimal symbol, then group symbol.

    >>> plotly_separators("nl"), plotly_separators("en")
    (',.', '.,')
    """
    loc = locale(lang)
    return get_decimal_symbol(loc) + get_group_symbol(loc)


def missing_text(lang: str = DEFAULT_LANGUAGE) -> str:
    """What a number that is not there reads as: ``n.b.`` (``n/a`` in English)."""
    return t("format.missing", lang)


def _is_missing(value) -> bool:
    return value is None or bool(pd.isna(value))


def format_number(value: float | None, decimals: int = 1, missing: str | None = None,
                  lang: str = DEFAULT_LANGUAGE) -> str:
    """``value`` with ``decimals`` decimals and thousands separators; missing as ``missing``."""
    if _is_missing(value):
        return missing_text(lang) if missing is None else missing
    return f"{value:,.{decimals}f}".translate(_symbols(lang))


def signed(value: float, decimals: int = 1, lang: str = DEFAULT_LANGUAGE) -> str:
    """A change with its sign: ``+1,5``, ``-0,3``, ``0,0`` (no sign when it rounds to zero).

    >>> signed(1.5, 1), signed(-0.25, 2), signed(0.0, 1), signed(-5e-324, 1), signed(0.01, 1)
    ('+1,5', '-0,25', '0,0', '0,0', '0,0')
    >>> signed(1234.5, 1, "en")
    '+1,234.5'
    """
    text = format_number(value, decimals, lang=lang)
    if not text.strip("-0,."):
        return text.lstrip("-")
    return "+" + text if value > 0 else text


def format_count(value: float | None, missing: str | None = None, lang: str = DEFAULT_LANGUAGE) -> str:
    return format_number(value, 0, missing, lang)


def format_value(value: float | None, unit: str, decimals: int = 1, missing: str | None = None,
                 lang: str = DEFAULT_LANGUAGE) -> str:
    """A rate with its unit, e.g. ``'12,3 per 1.000 inwoners'``; missing stays missing.

    >>> format_value(12.345, "per 1.000 inwoners"), format_value(None, "%")
    ('12,3 per 1.000 inwoners', 'n.b.')
    """
    text = format_number(value, decimals, missing, lang)
    return text if _is_missing(value) else f"{text} {unit}"


def format_percent(share: float | None, decimals: int = 0, lang: str = DEFAULT_LANGUAGE) -> str:
    """A share (0..1) as a percentage: ``12%``, ``12,5%``."""
    if _is_missing(share):
        return missing_text(lang)
    return format_number(share * 100, decimals, lang=lang) + "%"


def format_decimal_input(value: float, lang: str = DEFAULT_LANGUAGE) -> str:
    """A number as a user would type it (no trailing zeros, no thousands separators): slider
    marks, class bounds in an input field."""
    return f"{value:g}".translate(_symbols(lang))


def parse_decimal_input(text: str) -> str:
    """Text typed with either decimal mark, as Python reads numbers (``'2,5; 10'`` -> ``'2.5; 10'``)."""
    return text.replace(",", ".")


def format_timestamp(moment: datetime, lang: str = DEFAULT_LANGUAGE) -> str:
    """A moment in Europe/Amsterdam time with its zone, e.g. ``28-11-2024 17:23 CET``.

    >>> format_timestamp(datetime(2024, 11, 28, 16, 23, tzinfo=ZoneInfo("UTC")))
    '28-11-2024 17:23 CET'
    >>> format_timestamp(datetime(2024, 7, 1, 8, 5, tzinfo=ZoneInfo("UTC")), "en")
    '01-07-2024 10:05 CEST'
    """
    local = moment.astimezone(TIMEZONE)
    return f"{babel_datetime(local, 'dd-MM-yyyy HH:mm', tzinfo=TIMEZONE, locale=locale(lang))} {local.tzname()}"
