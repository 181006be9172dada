"""The PWA's files on their own: the three catalogues have the same keys, every key the code asks
for exists, no view hard-codes UI text, the service worker precaches every shell file, the web
app manifest and its icons are right, and no JS file outgrows its concept."""

from __future__ import annotations

import json
import re
from pathlib import Path

from PIL import Image

PWA = Path(__file__).resolve().parents[2] / "pwa"
LANGS = ("ru", "kk", "en")
CYRILLIC = re.compile(r"[\u0400-\u04FF]")
T_LITERAL = re.compile(r"""\bt\(\s*(['"])([a-z0-9_.]+)\1""")
T_TEMPLATE = re.compile(r"""\bt\(\s*`([a-z0-9_.]*)\$\{""")
# Another way text reaches the screen: a key from a ternary, e.g. t(x ? 'a.b' : 'a.c').
KEY_LITERAL = re.compile(r"""(['"])((?:[a-z_]+\.)+[a-z_]+)\1""")
# Sentence-like literals ("Start recording", "No data") in view code are hard-coded UI text.
SENTENCE = re.compile(r"""(['"`])[A-Z][a-z]+(?: [a-z]+)+[.!?]?\1""")


def catalogues() -> dict[str, dict[str, str]]:
    return {lang: json.loads((PWA / "i18n" / f"{lang}.json").read_text()) for lang in LANGS}


def js_files() -> list[Path]:
    return sorted(PWA.rglob("*.js"))


def code(path: Path) -> str:
    """The file without its comments (which may quote UI text or name example keys)."""
    src = re.sub(r"/\*.*?\*/", "", path.read_text(), flags=re.S)
    return re.sub(r"(^|\s)//.*$", "", src, flags=re.M)


def test_catalogues_have_the_same_keys_and_no_blank_text() -> None:
    cats = catalogues()
    keys = set(cats["ru"])
    for lang, cat in cats.items():
        assert set(cat) == keys, (lang, sorted(set(cat) ^ keys))
        blank = [k for k, v in cat.items() if not v.strip() and not k.endswith(".hint")]
        assert not blank, (lang, blank)
        for key, text in cat.items():  # the same {placeholders} in every language
            assert set(re.findall(r"\{(\w+)\}", text)) == set(re.findall(r"\{(\w+)\}", cats["ru"][key])), (lang, key)


def test_every_key_the_code_asks_for_exists() -> None:
    keys = set(catalogues()["ru"])
    missing, prefixes = [], []
    for path in js_files():
        src = code(path)
        for _, key in T_LITERAL.findall(src):
            if key not in keys:
                missing.append((path.name, key))
        for prefix in T_TEMPLATE.findall(src):
            if not any(k.startswith(prefix) for k in keys):
                prefixes.append((path.name, prefix))
    for html in PWA.glob("*.html"):
        for key in re.findall(r'data-i18n="([^"]+)"', html.read_text()):
            if key not in keys:
                missing.append((html.name, key))
    assert not missing and not prefixes, (missing, prefixes)


def test_views_hard_code_no_ui_text() -> None:
    keys = set(catalogues()["ru"])
    for path in [*js_files(), *PWA.glob("*.html")]:
        src = code(path) if path.suffix == ".js" else path.read_text()
        assert not CYRILLIC.search(src), f"{path.name} holds Russian/Kazakh text; use the catalogues"
    for path in [*(PWA / "js" / "views").glob("*.js"), PWA / "js" / "app.js"]:
        src = code(path)
        assert not SENTENCE.search(src), f"{path.name}: {SENTENCE.search(src).group(0)}"  # type: ignore[union-attr]
        for _, key in KEY_LITERAL.findall(src):
            # a dotted literal in a view that is not a key is most likely a typo'd key
            if key.split(".")[0] in {k.split(".")[0] for k in keys} and not key.endswith(".js"):
                assert key in keys, (path.name, key)


def test_every_catalogue_key_is_used() -> None:
    src = "\n".join([*(code(p) for p in js_files()), *(p.read_text() for p in PWA.glob("*.html"))])
    literal = set(T_LITERAL.findall(src)) | set(KEY_LITERAL.findall(src))
    used = {k for _, k in literal} | set(re.findall(r'data-i18n="([^"]+)"', src))
    dynamic = set(T_TEMPLATE.findall(src)) | {"phase.", "check.", "role.", "refusal.", "error."}
    unused = [k for k in catalogues()["ru"] if k not in used and not any(k.startswith(p) for p in dynamic)]
    assert not unused, unused


def test_the_service_worker_precaches_the_whole_shell() -> None:
    listed = set(re.findall(r"'(/[^']+)'", (PWA / "js" / "sw" / "shell.js").read_text()))
    files = {
        "/" + p.relative_to(PWA).as_posix() for p in PWA.rglob("*")
        if p.is_file() and p.suffix not in (".py", ".md") and p.name != "sw.js"
        and "js/sw/" not in p.as_posix()
    }
    assert listed == files, (sorted(files - listed), sorted(listed - files))
    sw = (PWA / "sw.js").read_text()
    assert re.search(r"const VERSION = '[^']+'", sw)


def test_web_app_manifest_and_icons() -> None:
    manifest = json.loads((PWA / "manifest.webmanifest").read_text())
    assert manifest["display"] == "standalone" and manifest["start_url"].startswith("/")
    assert manifest["theme_color"] and manifest["background_color"] and manifest["lang"] == "ru"
    purposes = set()
    for icon in manifest["icons"]:
        with Image.open(PWA / icon["src"].lstrip("/")) as img:
            assert f"{img.width}x{img.height}" == icon["sizes"] and img.format == "PNG"
        purposes.add(icon["purpose"])
    assert {"any", "maskable"} <= purposes
    assert {i["sizes"] for i in manifest["icons"]} >= {"192x192", "512x512"}
    index = (PWA / "index.html").read_text()
    assert 'rel="manifest"' in index and 'name="viewport"' in index


def test_js_files_stay_small() -> None:
    big = [(p.name, n) for p in js_files() if (n := len(p.read_text().splitlines())) > 400]
    assert not big, big
