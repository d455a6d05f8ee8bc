"""The government look: NL Design System component classes (the Utrecht component CSS vendored
in ``assets/``, see ``assets/VENDORED.md``) that our HTML wears, and which of those stylesheets
each page loads. The theme (colours, focus ring, fonts) is one block of CSS custom properties
at the top of ``assets/style.css``; no design-token package is vendored (theirs are not free).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

ASSETS = Path(__file__).with_name("assets")

LINK = "utrecht-link utrecht-link--html-a"
TABLE = "utrecht-table utrecht-table--html-table"
LABEL = "utrecht-form-label"
BUTTON = "utrecht-button"
BADGE = "utrecht-status-badge"


def heading(level: int) -> str:
    return f"utrecht-heading-{level}"


#: Components that only the sign-in form uses: Dash's pages leave their stylesheets out.
SIGNIN_ONLY = ("textbox",)
#: The sign-in form's stylesheets, in this order, before our own ``style.css``.
SIGNIN_COMPONENTS = ("button", "form-label", "heading-1", "heading-2", "page-header", *SIGNIN_ONLY)
#: Dash's ``assets_ignore``: the stylesheets of :data:`SIGNIN_ONLY` (still served when asked for).
DASH_ASSETS_IGNORE = r"^nlds-utrecht-(" + "|".join(SIGNIN_ONLY) + r")-css-"


@cache
def vendored_css(component: str) -> str:
    """The file name of a component's vendored stylesheet.

    >>> vendored_css("button")   # doctest: +ELLIPSIS
    'nlds-utrecht-button-css-....min.css'
    """
    (found,) = ASSETS.glob(f"nlds-utrecht-{component}-css-*.min.css")
    return found.name
