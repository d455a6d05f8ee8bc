"""Gemeente names to codes, for files keyed by name (StatLine downloads).

Names are compared by :func:`name_key`: lower case, without diacritics, without CBS's
" (gemeente)" suffix, with one kind of apostrophe and single spaces. A disambiguation suffix such
as "(O.)", "(NH.)" or "(L.)" is matched exactly first; without it a name matches only when it is
unique ("Hengelo" is Hengelo (O.) when there is no other Hengelo; a bare "Bergen" is ambiguous).
Rows that are not gemeenten are recognised as what they are: "Nederland" (the land), the
politie regionale eenheden "Noord-Nederland (RE)" … "Limburg (RE)", "niet in te delen" and
"Buitenland"; gemeenten merged away since 2019 are named with the year of the merger
(:data:`FORMER_GEMEENTEN`). Nothing is guessed: a name that does not match is returned unmatched, with the
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
MATCH_COLUMNS = ["label", "kind", "code", "reason", "reason_nl"]

#: Gemeenten that ceased to exist by a merger since 2019 (name key -> the year of the merger
#: and the gemeente they went into; CBS, *Gemeentelijke indelingswijzigingen*). Figures of a
#: former gemeente are reported, never moved to its successor (they cover part of it only).
FORMER_GEMEENTEN: dict[str, tuple[int, str]] = {
    **{name: (2019, "Groningen") for name in ("haren", "ten boer")},
    **{name: (2019, "Het Hogeland") for name in ("bedum", "de marne", "eemsmond")},
    **{name: (2019, "Westerkwartier") for name in ("grootegast", "leek", "marum", "zuidhorn")},
    "winsum": (2019, "Het Hogeland and Westerkwartier"),
    **{name: (2019, "Noardeast-Fryslan") for name in ("dongeradeel", "ferwerderadiel",
                                                       "kollumerland en nieuwkruisland")},
    **{name: (2019, "Molenlanden") for name in ("giessenlanden", "molenwaard")},
    **{name: (2019, "Vijfheerenlanden") for name in ("leerdam", "zederik", "vianen")},
    **{name: (2019, "Hoeksche Waard") for name in ("binnenmaas", "cromstrijen", "korendijk", "oud-beijerland",
                                                    "strijen")},
    **{name: (2019, "West Betuwe") for name in ("geldermalsen", "lingewaal", "neerijnen")},
    **{name: (2019, "Altena") for name in ("aalburg", "werkendam", "woudrichem")},
    **{name: (2019, "Beekdaelen") for name in ("nuth", "onderbanken", "schinnen")},
    "haarlemmerliede en spaarnwoude": (2019, "Haarlemmermeer"),
    "noordwijkerhout": (2019, "Noordwijk"),
    **{name: (2021, "Eemsdelta") for name in ("appingedam", "delfzijl", "loppersum")},
    "weesp": (2022, "Amsterdam"),
    "beemster": (2022, "Purmerend"),
    **{name: (2022, "Dijk en Waard") for name in ("heerhugowaard", "langedijk")},
    **{name: (2022, "Land van Cuijk") for name in ("boxmeer", "cuijk", "grave", "mill en sint hubert",
                                                    "sint anthonis")},
    **{name: (2022, "Maashorst") for name in ("landerd", "uden")},
    **{name: (2023, "Voorne aan Zee") for name in ("brielle", "hellevoetsluis", "westvoorne")},
}


def former_gemeente(name: object, lang: str = "en") -> str | None:
    """Why ``name`` is no gemeente any more, if it is a former one (in English or Dutch).

    >>> former_gemeente("Weesp (gemeente)")
    'former gemeente Weesp: merged into Amsterdam in 2022'
    >>> former_gemeente("Weesp", "nl")
    'voormalige gemeente Weesp: in 2022 opgegaan in Amsterdam'
    """
    found = FORMER_GEMEENTEN.get(without_suffix(name_key(name)))
    if found is None:
        return None
    shown = str(name).replace(" (gemeente)", "").strip()
    if lang == "nl":
        return f"voormalige gemeente {shown}: in {found[0]} opgegaan in {found[1].replace(' and ', ' en ')}"
    return f"former gemeente {shown}: merged into {found[1]} in {found[0]}"

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


def match_gemeente_names(labels, reference: pd.DataFrame, *,
                         within: tuple[str, str] = ("the mapping", "de indeling")) -> pd.DataFrame:
    """One row per label: ``label, kind, code, reason, reason_nl``.

    ``kind`` is ``gemeente``, ``land``, ``regio``, ``unassigned`` ("niet in te delen"),
    ``abroad``, ``former`` (a gemeente merged since 2019, with the year) or ``unmatched`` (then
    ``reason`` says why, ``reason_nl`` in Dutch). ``reference`` has ``code, name`` of
    the gemeenten (the region mapping's, say); ``within`` names it in the reasons (English, Dutch).
    """
    exact: dict[str, set[str]] = {}
    bare: dict[str, set[str]] = {}
    for code, name in zip(reference["code"], reference["name"]):
        if isinstance(name, str) and name.strip():
            exact.setdefault(name_key(name), set()).add(code)
            bare.setdefault(without_suffix(name_key(name)), set()).add(code)
    named = {without_suffix(name_key(n)): n for n in reference["name"] if isinstance(n, str)}
    rows = [(label, *_match(str(label), exact, bare, named, within)) for label in labels]
    return pd.DataFrame(rows, columns=MATCH_COLUMNS)


def _match(label: str, exact, bare, named, within) -> tuple[str, str | None, str, str]:
    key = name_key(label)
    if key == "nederland":
        return "land", None, "", ""
    if "niet in te delen" in key:
        return "unassigned", None, "not assigned to any gemeente or unit", "bij geen gemeente of eenheid ingedeeld"
    if key == "buitenland":
        return "abroad", None, "abroad: not an area of the map", "buitenland: geen gebied op de kaart"
    regio = _RE_ROW.match(key)
    if regio:
        code = REGIONALE_EENHEDEN.get(regio.group("name"))
        return (("regio", code, "", "") if code else
                ("unmatched", None, f"no politie regionale eenheid {label!r}", f"geen politie regionale eenheid {label!r}"))
    for table, lookup in ((exact, key), (bare, without_suffix(key))):
        codes = table.get(lookup, set())
        if len(codes) == 1:
            return "gemeente", next(iter(codes)), "", ""
        if len(codes) > 1:
            listed = ", ".join(sorted(codes))
            return ("unmatched", None, f"ambiguous: {len(codes)} gemeenten are called {label!r} ({listed})",
                    f"niet eenduidig: {len(codes)} gemeenten heten {label!r} ({listed})")
    former = former_gemeente(label)
    if former:
        return ("former", None, former + " (its figures are not moved to the gemeente it went into)",
                former_gemeente(label, "nl") + " (de cijfers gaan niet over op die gemeente)")
    close = difflib.get_close_matches(without_suffix(key), list(named), n=3, cutoff=0.8)
    closest = ", ".join(named[c] for c in close)
    return ("unmatched", None, f"no gemeente of this name in {within[0]}" + (f" (closest: {closest})" if close else ""),
            f"geen gemeente met deze naam in {within[1]}" + (f" (dichtstbij: {closest})" if close else ""))
