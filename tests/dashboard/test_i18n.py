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
    literal = set(re.findall(r"""\b(?:t|text|_control)\(\s*["']([\w.]+)["']""", code))
    literal |= set(re.findall(r"""\bnote=["']([\w.]+)["']""", code))   # a server's access banner
    prefixes = set(re.findall(r"""\bt\(\s*f["']([\w.]+)\{""", code))
    prefixes |= {p + "." for p in re.findall(r"""choice_options\(\s*["'](\w+)["']""", code)}
    keys = set(strings("nl"))
    assert literal <= keys, literal - keys
    assert all(any(k.startswith(p) for k in keys) for p in prefixes), prefixes
    unused = {k for k in keys - literal if not any(k.startswith(p) for p in prefixes)}
    assert not unused
