"""The tablet's canonical JSON, hashes and signatures against the server's Python, in Chromium.

The app's modules are served straight from pwa/ on a localhost origin (a secure context, so
WebCrypto works) by Playwright's router; no server or database is needed.
"""

from __future__ import annotations

import hashlib
import json
import mimetypes
import random
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest_asyncio
import rfc8785

from backend.recordings.manifest import chain_head, verify_signature

PWA = Path(__file__).resolve().parents[2] / "pwa"
ORIGIN = "http://localhost:9"

TRICKY: list[Any] = [
    {"b": 1, "a": 2, "aa": [], "A": {}, "": "empty key"},
    # UTF-16 code-unit order differs from code-point order: U+1F600 (D83D DE00) sorts before U+FF46
    {"\u20ac": 1, "\U0001F600": 2, "\uff46": 3, "\r": 4, "1": 5, "\u00e9": 6, "\u0080": 7},
    [0, -0.0, 1.0, 1.5, -1.5, 0.1, 0.30000000000000004, 1e21, 1e22, 1e-7, 1e-6, 0.000001,
     123456789012345680000.0, 5e-324, 1.7976931348623157e308, 9007199254740991,
     -9007199254740991, 333333333.3333333, 4.35, 100, 1e2, 2 ** 31, -(2 ** 31) - 1],
    ["\u0000\u0007\b\t\n\f\r\u001f", "\"\\/", "\u007f\u2028\u2029", "Досмотр ✓ 😀", "</script>", ""],
    {"nested": {"z": [True, False, None], "y": {"x": "deep", "w": [[], {}]}}},
    {"t": 12.345, "lat": 46.1650001, "lon": 81.6289999, "acc": 8.5, "kind": "place"},
]


async def _serve(route: Any) -> None:
    path = route.request.url.removeprefix(ORIGIN).split("?")[0]
    if path == "/blank":
        await route.fulfill(body="<!doctype html><title>t</title>", content_type="text/html")
        return
    file = (PWA / path.lstrip("/")).resolve()
    if PWA not in file.parents or not file.is_file():
        await route.fulfill(status=404, body="")
        return
    ctype = "text/javascript" if file.suffix == ".js" else mimetypes.guess_type(file.name)[0]
    await route.fulfill(body=file.read_bytes(), content_type=ctype or "application/octet-stream")


@pytest_asyncio.fixture
async def page(browser: Any) -> AsyncIterator[Any]:
    ctx = await browser.new_context(service_workers="block")
    await ctx.route(f"{ORIGIN}/**", _serve)
    p = await ctx.new_page()
    await p.goto(f"{ORIGIN}/blank")
    yield p
    await ctx.close()


async def test_jcs_matches_python_rfc8785(page: Any) -> None:
    got = await page.evaluate(
        "async (values) => { const { canonicalize } = await import('/js/jcs.js');"
        " return values.map(canonicalize); }", TRICKY)
    for value, text in zip(TRICKY, got, strict=True):
        assert text.encode() == rfc8785.dumps(value), value


async def test_hashes_chain_and_signature_match_the_server(page: Any) -> None:
    rng = random.Random(7)
    sizes = [0, 1, 55, 56, 63, 64, 65, 1000, 70_001, 300_000]
    chunks = [bytes(rng.getrandbits(8) for _ in range(n)) for n in sizes if n]
    out = await page.evaluate(
        """async (hexChunks) => {
          const { RollingChain, hex, fromHex, sign } = await import('/js/chain.js');
          const { Sha256 } = await import('/js/sha256.js');
          const single = [0, 1, 55, 56, 63, 64, 65, 1000].map((n) => {
            const b = new Uint8Array(n).map((_, i) => (i * 7 + n) & 255);
            return hex(new Sha256().update(b).digest());
          });
          const chain = new RollingChain();
          for (const h of hexChunks) await chain.add(fromHex(h).buffer);
          const fin = chain.finish();
          const pair = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify']);
          const jwk = await crypto.subtle.exportKey('jwk', pair.publicKey);
          const manifest = { chunks: fin.chunks, chain_head: fin.chain_head, sha256: fin.sha256,
                             track: [{ t: 0.5, lat: 46.165, lon: 81.629, acc: 8.5 }], label: 'Досмотр 😀' };
          return { single, fin, manifest, jwk, signature: await sign(pair.privateKey, manifest) };
        }""", [c.hex() for c in chunks])
    for n, digest in zip([0, 1, 55, 56, 63, 64, 65, 1000], out["single"], strict=True):
        data = bytes((i * 7 + n) & 255 for i in range(n))
        assert digest == hashlib.sha256(data).hexdigest(), n
    fin = out["fin"]
    assert fin["sha256"] == hashlib.sha256(b"".join(chunks)).hexdigest()
    assert fin["size"] == sum(map(len, chunks))
    assert [c["sha256"] for c in fin["chunks"]] == [hashlib.sha256(c).hexdigest() for c in chunks]
    assert fin["chain_head"] == chain_head([hashlib.sha256(c).hexdigest() for c in chunks])
    jwk = {k: out["jwk"][k] for k in ("kty", "crv", "x", "y")}
    manifest = json.loads(json.dumps(out["manifest"]))  # as the server would decode it
    assert verify_signature(jwk, manifest, out["signature"])
    assert not verify_signature(jwk, {**manifest, "label": "tampered"}, out["signature"])
