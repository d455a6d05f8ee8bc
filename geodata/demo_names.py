"""Dutch-sounding names for the synthetic demo country, drawn from the demo's random generator.

Gemeente names are unique nationally; wijk and buurt names are unique within their gemeente;
water areas get names that say they are water.
"""

from __future__ import annotations

import numpy as np
import shapely
from shapely.geometry import Polygon

_PLACE_HEADS = (
    "Veld", "Ooster", "Wester", "Zuider", "Noorder", "Hooge", "Lange", "Bree", "Appel", "Berg",
    "Brug", "Dal", "Eiken", "Gelder", "Ham", "Hol", "Kamp", "Linden", "Molen", "Nieuwer",
    "Ouder", "Rozen", "Stede", "Ter", "Vlie", "Wouden", "Zand", "Beek", "Bos", "Elster",
    "Haar", "Heer", "Kor", "Lith", "Maar", "Moer", "Nij", "Rijn", "Schel", "Valk",
    "Wil", "Wolder", "Zwaan", "Asse", "Drie", "Eem", "Gras", "Helm", "Kloos", "Leeu",
    "Markel", "Rotte", "Sluis", "Uiter", "Vries", "Warn", "Harde", "Dussel", "Ommer", "Putter",
)
_PLACE_TAILS = (
    "hoven", "broek", "dam", "dorp", "veen", "woude", "horst", "loo", "drecht", "wijk",
    "zijl", "kerk", "berg", "burg", "um", "werd", "hem", "ingen", "stein", "rade",
    "schoten", "wold", "mond", "beek", "meer", "sloot", "gouw", "zande", "vaart", "hout",
    "weerd", "rode", "voorde", "sum", "lo", "heuvel", "huizen", "bergen", "kamp", "mere",
)
_PLACE_PREFIXES = ("Nieuw-", "Oud-", "Sint-", "'s-", "Groot-", "Klein-")
_REGION_DIRECTIONS = ("Noord", "Noordoost", "Oost", "Zuidoost", "Zuid", "Zuidwest", "West", "Noordwest")
_REGION_LANDSCAPES = ("kust", "land", "delta", "heide", "veen", "rivieren", "polder", "kempen",
                      "heuvels", "waard", "wolden", "venen")
_WIJK_FIELD_NAMES = ("De Akkers", "De Hoven", "De Weiden", "De Velden", "De Kampen", "De Hoeven",
                     "De Beemden", "De Bongerd", "De Brink", "De Dreven", "De Gaarden", "De Horsten",
                     "De Driesen", "De Landen", "De Hagen", "De Heide", "De Vennen", "De Es",
                     "Het Hof", "Het Zand", "Het Laar", "Het Ven", "Het Broek", "Het Veld")
_BUURT_WORDS = ("Molenwijk", "Kerkbuurt", "Bloemenbuurt", "Vogelbuurt", "Schildersbuurt",
                "Componistenbuurt", "Bomenbuurt", "Sterrenbuurt", "Rivierenbuurt", "Stationsbuurt",
                "Havenkwartier", "Parkwijk", "Tuinstad", "Oude Stad", "Binnenstad", "Sportpark",
                "Kanaalzone", "Dichterswijk", "Zeeheldenbuurt", "Professorenbuurt", "Kloosterveld",
                "Marktkwartier", "Vruchtenbuurt", "Planetenbuurt", "Edelstenenbuurt", "Bedrijvenpark",
                "Boerhaavewijk", "Lindenhof", "Wilhelminapark", "Beatrixwijk")
_COMPASS = ("Noord", "Oost", "Zuid", "West")


def _place_name(rng: np.random.Generator) -> str:
    name = _PLACE_HEADS[rng.integers(len(_PLACE_HEADS))] + _PLACE_TAILS[rng.integers(len(_PLACE_TAILS))]
    if rng.random() < 0.06:
        name = _PLACE_PREFIXES[rng.integers(len(_PLACE_PREFIXES))] + name
    return name


def _unique(rng: np.random.Generator, make, taken: set[str]) -> str:
    """A name from ``make(rng)`` not yet in ``taken``; numbered when none is found."""
    for _ in range(40):
        name = make(rng)
        if name not in taken:
            taken.add(name)
            return name
    base, k = make(rng), 2
    while f"{base} {k}" in taken:
        k += 1
    taken.add(f"{base} {k}")
    return f"{base} {k}"


def _compass(dx: float, dy: float) -> str:
    """The main compass direction of an offset."""
    if abs(dy) >= abs(dx):
        return "Noord" if dy >= 0 else "Zuid"
    return "Oost" if dx >= 0 else "West"


def water_body_names(rng: np.random.Generator, kinds: list[str]) -> list[str]:
    taken: set[str] = set()
    tails = {"lake": ("meer", "plas", "meer"), "inlet": ("gat", "diep", "wad")}
    head = lambda r: _PLACE_HEADS[r.integers(len(_PLACE_HEADS))]  # noqa: E731
    return [_unique(rng, lambda r, k=kind: head(r) + tails[k][r.integers(3)], taken) for kind in kinds]


def assign_names(rng: np.random.Generator, coded: dict[str, np.ndarray], xy: np.ndarray,
                 rep_xy: np.ndarray, urbanity: np.ndarray, bodies: list[tuple[str, Polygon]]) -> dict[str, np.ndarray]:
    """Names for regions, gemeenten, land wijken and buurten, in the order of ``coded``."""
    region_names = _region_names(rng, coded["region_xy"])
    gem_taken: set[str] = set()
    gem_names = np.array([_unique(rng, _place_name, gem_taken) for _ in coded["gemeente_code"]], dtype=object)
    wijk_names = _wijk_names(rng, coded, xy, gem_names)
    buurt_names = _buurt_names(rng, coded, xy, rep_xy, urbanity, wijk_names, bodies)
    return {"region": region_names, "gemeente": gem_names, "wijk": wijk_names, "buurt": buurt_names}


def _region_names(rng: np.random.Generator, region_xy: np.ndarray) -> np.ndarray:
    """'Demoregio Noordkust' and the like: compass direction from the centre + a landscape."""
    centre = region_xy.mean(axis=0)
    landscapes = rng.permutation(len(_REGION_LANDSCAPES))
    names = []
    for i, (x, y) in enumerate(region_xy):
        dx, dy = x - centre[0], y - centre[1]
        if np.hypot(dx, dy) < 35_000:
            direction = "Midden"
        else:
            sector = int(np.round(np.arctan2(dx, dy) / (np.pi / 4))) % 8  # 0 = north, clockwise
            direction = _REGION_DIRECTIONS[sector]
        names.append(f"Demoregio {direction}{_REGION_LANDSCAPES[landscapes[i]]}")
    return np.array(names, dtype=object)


def _group_members(groups: np.ndarray, n_groups: int) -> list[np.ndarray]:
    order = np.argsort(groups, kind="stable")
    bounds = np.searchsorted(groups[order], np.arange(n_groups + 1))
    return [order[bounds[g]:bounds[g + 1]] for g in range(n_groups)]


def _wijk_names(rng: np.random.Generator, coded: dict[str, np.ndarray], xy: np.ndarray,
                gem_names: np.ndarray) -> np.ndarray:
    """Wijk names, unique within their gemeente.

    Wijk 00 is 'Centrum'; other wijken are named after the town and a compass direction
    ('Veldhoven-Noord'), after a field name ('De Akkers') or, mostly in the countryside,
    after a village.
    """
    n_wijk = len(coded["wijk_code"])
    land = ~coded["is_water"]
    wijk_xy = np.zeros((n_wijk, 2))
    np.add.at(wijk_xy, coded["buurt_wijk"][land], xy[land])
    wijk_xy /= np.bincount(coded["buurt_wijk"][land], minlength=n_wijk)[:, None]
    names = np.empty(n_wijk, dtype=object)
    for g, members in enumerate(_group_members(coded["wijk_gemeente"], len(gem_names))):
        members = members[np.argsort(coded["wijk_code"][members])]
        taken: set[str] = set()
        centre = wijk_xy[members[0]]
        for rank, w in enumerate(members):
            direction = _compass(*(wijk_xy[w] - centre))
            names[w] = _unique(rng, lambda r: _wijk_candidate(r, rank, gem_names[g], direction), taken)
    return names


def _wijk_candidate(rng: np.random.Generator, rank: int, town: str, direction: str) -> str:
    if rank == 0:
        return "Centrum"
    roll = rng.random()
    if roll < 0.25:
        return f"{town}-{direction}"
    if roll < 0.6:
        return _WIJK_FIELD_NAMES[rng.integers(len(_WIJK_FIELD_NAMES))]
    return _place_name(rng)


def _buurt_names(rng: np.random.Generator, coded: dict[str, np.ndarray], xy: np.ndarray,
                 rep_xy: np.ndarray, urbanity: np.ndarray, wijk_names: np.ndarray,
                 bodies: list[tuple[str, Polygon]]) -> np.ndarray:
    """Buurt names, unique within their gemeente; town-like in cities, rural outside."""
    water_body = np.full(len(xy), "", dtype=object)
    water_body[coded["is_water"]] = _water_body_of(rep_xy[coded["is_water"]], bodies)
    n_gem = len(coded["gemeente_code"])
    names = np.empty(len(xy), dtype=object)
    for members in _group_members(coded["buurt_gemeente"], n_gem):
        members = members[np.argsort(coded["buurt_code"][members])]
        taken: set[str] = set()
        for b in members:
            if coded["is_water"][b]:
                make = lambda r, b=b: _water_buurt_candidate(r, water_body[b])  # noqa: E731
            else:
                w = coded["buurt_wijk"][b]
                direction = _compass(*(xy[b] - xy[members[0]]))
                urban = urbanity[b] >= 0.35
                make = lambda r, w=w, d=direction, u=urban: _buurt_candidate(r, wijk_names[w], d, u)  # noqa: E731
            names[b] = _unique(rng, make, taken)
    return names


def _buurt_candidate(rng: np.random.Generator, wijk: str, direction: str, urban: bool) -> str:
    if rng.random() < 0.3:
        return f"{wijk}-{direction}"
    if urban:
        word = _BUURT_WORDS[rng.integers(len(_BUURT_WORDS))]
        return word if rng.random() < 0.6 else f"{word}-{_COMPASS[rng.integers(4)]}"
    roll = rng.random()
    if roll < 0.35:
        return f"Verspreide huizen {wijk}"
    if roll < 0.6:
        return f"Buitengebied {wijk}"
    return _place_name(rng)


def _water_buurt_candidate(rng: np.random.Generator, body: str) -> str:
    if rng.random() < 0.5:
        return f"Water {body}"
    return f"Water {body}-{_COMPASS[rng.integers(4)]}"


def _water_body_of(rep_xy: np.ndarray, bodies: list[tuple[str, Polygon]]) -> np.ndarray:
    """The name of the water body each point lies in (or, if none, the nearest one)."""
    geoms = np.array([geom for _, geom in bodies], dtype=object)
    dist = np.stack([shapely.distance(g, shapely.points(rep_xy)) for g in geoms], axis=1)
    return np.array([name for name, _ in bodies], dtype=object)[np.argmin(dist, axis=1)]
