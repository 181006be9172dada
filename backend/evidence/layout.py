"""The package's layout and formats, shared by the server that writes it and `dosmotr verify`
(which reads it with no database and no network).

    SHA256SUMS                          sha256 of every other member (first in the zip)
    README.txt                          what is inside and how to check it
    package.json                        index: declaration, who made the package, when, members
    declaration.json                    the declaration as the API shows it
    decision.json                       the release/refusal, its official and the gate snapshot
    devices/<device id>.json            public keys (JWK) of the tablets that signed recordings
    recordings/<dir>/video.<ext>        the original bytes, as uploaded
    recordings/<dir>/manifest.json      the manifest as the tablet signed it
    recordings/<dir>/signature.txt      base64 of r||s (ECDSA P-256 / SHA-256 over JCS(manifest))
    recordings/<dir>/chunks.json        the chunk chain: h_i = sha256(h_{i-1} || sha256(chunk_i))
    recordings/<dir>/recording.json     intake record (received, integrity checks)
    recordings/<dir>/validation.json    the pipeline's validation report (null before it ran)
    idk/<scan id>/scan.json             the X-ray scan, operator verdict, risk areas, model opinion
    idk/<scan id>/image.<ext>           the X-ray image
    audit/events.jsonl                  the audit events of all the above, each with prev_hash,
                                        hash and its canonical (JCS) form
"""

from __future__ import annotations

from typing import Any

import msgspec

FORMAT = "dosmotr-evidence/1"
SUMS = "SHA256SUMS"
README = "README.txt"
INDEX = "package.json"
DECLARATION = "declaration.json"
DECISION = "decision.json"
EVENTS = "audit/events.jsonl"

VIDEO_EXT = {"video/webm": "webm", "video/mp4": "mp4", "video/quicktime": "mov",
             "video/x-matroska": "mkv"}
IMAGE_EXT = {"image/png": "png", "image/jpeg": "jpg", "image/tiff": "tif"}

# Audit actions that carry what the package's members claim.
RELEASE_ACTIONS = ("declaration.released", "declaration.released_by_override",
                   "declaration.refused")


def device_member(device_id: str) -> str:
    return f"devices/{device_id}.json"


def recording_dir(phase: str, version: int, recording_id: str) -> str:
    return f"recordings/{phase}-v{version}-{recording_id}"


def scan_dir(scan_id: str) -> str:
    return f"idk/{scan_id}"


def json_bytes(value: Any) -> bytes:
    """Readable JSON (members are read by people too); verify parses, never compares bytes."""
    return msgspec.json.format(msgspec.json.encode(value), indent=2) + b"\n"


def sums_text(hashes: list[tuple[str, str]]) -> bytes:
    """`sha256sum` format: '<hex>  <name>' per line, so `sha256sum -c SHA256SUMS` works too."""
    return "".join(f"{digest}  {name}\n" for name, digest in hashes).encode()


def parse_sums(text: str) -> list[tuple[str, str]]:
    """[(name, hex)]; raises ValueError naming the first malformed line."""
    out = []
    for n, line in enumerate(text.splitlines(), 1):
        digest, sep, name = line.partition("  ")
        if not sep or len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest) or not name:
            raise ValueError(f"line {n} is not '<sha256>  <name>'")
        out.append((name, digest))
    return out


README_TEXT = """Dosmotr evidence package ({format})

Declaration {number} at post {post_code}; made {generated_at} for {login}.

Check it offline:   dosmotr verify {filename}
It recomputes the sha256 of every member against SHA256SUMS; the video's bytes against the
manifest, the manifest's chunk chain and the tablet's signature under its registered key; the
key's thumbprint, the manifests, the X-ray images, the verdicts and the release decision against
the audit events; and every audit event's hash from its prev_hash and canonical form.

`sha256sum -c SHA256SUMS` checks the member hashes alone. The sha256 of SHA256SUMS itself is
recorded in the live audit log (event evidence_package.downloaded), as are the hashes of the
audit events here: compare them there to tie this copy to the system's own chain.
"""
