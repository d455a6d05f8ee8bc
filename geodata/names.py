"""Gemeente names to codes, for files keyed by name (StatLine downloads).

Names are compared by :func:`name_key`: lower case, without diacritics, without CBS's
" (gemeente)" suffix, with one kind of apostrophe and single spaces. A disambiguation suffix such
as "(O.)", "(NH.)" or "(L.)" is matched exactly first; without it a name matches only when it is
unique ("Hengelo" is Hengelo (O.) when there is no other Hengelo; a bare "Bergen" is ambiguous).
Rows that are not gemeenten are recognised as what they are: "Nederland" (the land), the
politie regionale eenheden "Noord-Nederland (RE)" … "Limburg (RE)", "niet in te delen" and
"Buitenland". Nothing is guessed: a name that does not match is returned unmatched, with the
closest names of the reference as a hint.
"""

from __future__ import annotations

import difflib
import re
import unicodedata

import pandas as pd

#: Politie regionale eenheden by the name StatLine gives them before " (RE)".
REGIONALE_EENHEDEN: dict[str, str] = {
    "noord-nederland": "RE01", "oost-nederland": "RE02", "midden-nederland": "RE03",
    "noord-holland": "RE04", "amsterdam": "RE05", "den haag": "RE06", "rotterdam": "RE07",
    "zeeland-west-brabant": "RE08", "oost-brabant": "RE09", "limburg": "RE10",
}
MATCH_COLUMNS = ["label", "kind", "code", "reason"]

_SUFFIX = re.compile(r"\s*\((?:[a-z]{1,3}\.)+\)$")
_RE_ROW = re.compile(r"^(?P<name>.+?)\s*\(re\)$")


def name_key(name: object) -> str:
    """The form in which two spellings of one gemeente name are equal.

    >>> name_key("'s-Gravenhage (gemeente)"), name_key("Súdwest-Fryslân"), name_key(" Hengelo (O.) ")
    ("'s-gravenhage", 'sudwest-fryslan', 'hengelo (o.)')
    """
    text = unicodedata.normalize("NFKD", str(name)).encode("ascii", "ignore").decode("ascii")
    text = text.replace("`", "'").lower()
    text = re.sub(r"\s+", " ", text).strip()
    text = re.sub(r"\s*-\s*", "-", text)          # "Zeeland - West-Brabant (RE)"
    return re.sub(r"\s*\(gemeente\)$", "", text)


def without_suffix(key: str) -> str:
    """A name key without its disambiguation suffix.

    >>> without_suffix("bergen (nh.)")
    'bergen'
    """
    return _SUFFIX.sub("", key)


def match_gemeente_names(labels, reference: pd.DataFrame) -> pd.DataFrame:
    """One row per label: ``label, kind, code, reason``.

    ``kind`` is ``gemeente``, ``land``, ``regio``, ``unassigned`` ("niet in te delen"),
    ``abroad`` or ``unmatched`` (then ``reason`` says why). ``reference`` has ``code, name`` of
    the gemeenten (the region mapping's, say).
    """
    exact: dict[str, set[str]] = {}
    bare: dict[str, set[str]] = {}
    for code, name in zip(reference["code"], reference["name"]):
        if isinstance(name, str) and name.strip():
            exact.setdefault(name_key(name), set()).add(code)
            bare.setdefault(without_suffix(name_key(name)), set()).add(code)
    named = {without_suffix(name_key(n)): n for n in reference["name"] if isinstance(n, str)}
    rows = [(label, *_match(str(label), exact, bare, named)) for label in labels]
    return pd.DataFrame(rows, columns=MATCH_COLUMNS)


def _match(label: str, exact, bare, named) -> tuple[str, str | None, str]:
    key = name_key(label)
    if key == "nederland":
        return "land", None, ""
    if "niet in te delen" in key:
        return "unassigned", None, "not assigned to any gemeente or unit"
    if key == "buitenland":
        return "abroad", None, "abroad: not an area of the map"
    regio = _RE_ROW.match(key)
    if regio:
        code = REGIONALE_EENHEDEN.get(regio.group("name"))
        return ("regio", code, "") if code else ("unmatched", None, f"no politie regionale eenheid {label!r}")
    for table, lookup in ((exact, key), (bare, without_suffix(key))):
        codes = table.get(lookup, set())
        if len(codes) == 1:
            return "gemeente", next(iter(codes)), ""
        if len(codes) > 1:
            return "unmatched", None, f"ambiguous: {len(codes)} gemeenten are called {label!r} ({', '.join(sorted(codes))})"
    close = difflib.get_close_matches(without_suffix(key), list(named), n=3, cutoff=0.8)
    hint = f" (closest: {', '.join(named[c] for c in close)})" if close else ""
    return "unmatched", None, f"no gemeente of this name in the mapping{hint}"
