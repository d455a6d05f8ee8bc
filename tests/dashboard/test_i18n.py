"""Every language has the same keys and placeholders, every key is used somewhere in the code,
and every key the code asks for exists."""

import re
from pathlib import Path

from dashboard.i18n import LANGUAGES, strings

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("dashboard", "data_pipeline", "indicators", "geodata")


def project_code() -> str:
    files = [ROOT / "app.py", *(p for package in PACKAGES for p in (ROOT / package).rglob("*.py"))]
    return "\n".join(p.read_text(encoding="utf-8") for p in files)


def test_languages_have_the_same_keys_and_placeholders():
    nl = strings("nl")
    for lang in LANGUAGES:
        other = strings(lang)
        assert other.keys() == nl.keys(), lang
        for key in nl:
            assert set(re.findall(r"{(\w+)}", other[key])) == set(re.findall(r"{(\w+)}", nl[key])), key


def test_every_key_is_used_and_every_used_key_exists():
    code = project_code()
    literal = set(re.findall(r"""\b(?:t|text|_control|_choices)\(\s*["']([\w.]+)["']""", code))
    literal |= set(re.findall(r"""\bnote=["']([\w.]+)["']""", code))   # a server's access banner
    prefixes = set(re.findall(r"""\b(?:t|text)\(\s*f["']([\w.]+)\{""", code))
    prefixes |= {p + "." for p in re.findall(r"""choice_options\(\s*["'](\w+)["']""", code)}
    keys = set(strings("nl"))
    assert literal <= keys, literal - keys
    assert all(any(k.startswith(p) for k in keys) for p in prefixes), prefixes
    unused = {k for k in keys - literal if not any(k.startswith(p) for p in prefixes)}
    assert not unused


DUTCH_DECIMAL = re.compile(r"\d,\d{1,2}(?!\d)")     # 12,5 (English would be 12.5)
ENGLISH_DECIMAL = re.compile(r"\d\.\d{1,2}(?!\d)")   # 12.5 (Dutch would be 12,5)


def test_numbers_follow_the_language_on_maps_legends_profiles_and_the_gemeente_page(demo_warehouse):
    from dashboard import routes
    from dashboard.callbacks.areas import compare_output, profile_output
    from dashboard.gemeente import gemeente_page
    from dashboard.signin import Gate
    from dashboard.views import map_view, resolve_state
    from data_pipeline.warehouse import Scope
    from tests.dashboard.test_panels import texts

    wh, everything = demo_warehouse, Scope.everything()
    gemeente = wh.codes("gemeente")[0]
    for lang, wrong, separators in (("en", DUTCH_DECIMAL, ".,"), ("nl", ENGLISH_DECIMAL, ",.")):
        seen = []
        for mode in ("waarde", "score", "verandering"):
            state = resolve_state(wh, routes.MapState(level="wijk", parent=gemeente, mode=mode, lang=lang))
            view = map_view(wh, state, everything)
            assert view.figure.layout.separators == separators
            seen += [text for trace in view.figure.data for text in trace.text]
            seen += [label for _, label in view.legend] + [view.notice]
        search = f"?gebied={gemeente}&vergelijk={gemeente};{wh.codes('gemeente')[1]}&taal={lang}"
        for output in (profile_output, compare_output):
            seen.append(texts(output(wh, "/kaart/gemeente/NL01", search, Gate())[0]))
        seen.append(texts(gemeente_page(wh, routes.MapState(page="gemeente", parent=gemeente, lang=lang), everything)))
        assert len(seen) > 40 and sum(bool(re.search(r"\d[.,]\d", s)) for s in seen) > 30
        assert [s for s in seen if wrong.search(s)] == [], lang
