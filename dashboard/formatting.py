"""Numbers for people: Dutch format (1.234,5) in every label, tooltip, legend and export.

>>> format_number(1234.5)
'1.234,5'
>>> format_number(-0.04, 2)
'-0,04'
>>> format_number(float("nan"))
'n.b.'
>>> format_count(17811291)
'17.811.291'
"""

from __future__ import annotations

import math

MISSING = "n.b."


def format_number(value: float | None, decimals: int = 1, missing: str = MISSING) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return missing
    text = f"{value:,.{decimals}f}"
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


def format_count(value: float | None, missing: str = MISSING) -> str:
    return format_number(value, 0, missing)


def format_value(value: float | None, unit: str, decimals: int = 1, missing: str = MISSING) -> str:
    """A rate with its unit, e.g. ``'12,3 per 1.000 inwoners'``; missing stays ``missing``."""
    text = format_number(value, decimals, missing)
    return text if text == missing else f"{text} {unit}"
