"""Evaluation figures as a model's manifest states them, and the card section that shows them.

A manifest's `evaluations` list says where the model was scored:
`{dataset, kind: synthetic|real, post_code?, metric, value, n}`. The pipeline reads it to decide
whether a check driven by the model may be binding at a post (media_pipeline.vision.registry).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

CARD_START = "<!-- evaluation: written by bench/vision.py --write-manifests -->"
CARD_END = "<!-- /evaluation -->"


@dataclass(frozen=True)
class Figure:
    model: str
    dataset: str
    kind: str  # "synthetic" | "real"
    metric: str
    value: float
    n: int
    post_code: str | None = None


def write_manifests(figs: list[Figure], models_dir: Path, quick: bool = False) -> list[Path]:
    """Replace each model's `evaluations` with these figures and rewrite its card's section."""
    written: list[Path] = []
    when = datetime.now(UTC).date().isoformat()
    for model in sorted({f.model for f in figs}):
        mdir = models_dir / model
        manifest_path = mdir / "manifest.json"
        if not manifest_path.is_file():
            continue
        manifest = json.loads(manifest_path.read_text())
        own = [f for f in figs if f.model == model]
        manifest["evaluations"] = [
            {k: v for k, v in asdict(f).items() if k != "model" and v is not None}
            | {
                "value": round(f.value, 4),
                "date": when,
                "script": "bench/vision.py" + (" --quick" if quick else ""),
            }
            for f in own
        ]
        manifest_path.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
        written.append(manifest_path)
        card = mdir / "CARD.md"
        if card.is_file():
            card.write_text(_with_section(card.read_text(), own, when, quick, _trained_on(manifest)))
            written.append(card)
    return written


def _trained_on(manifest: dict) -> str:
    prov = manifest.get("provenance", {})
    real = prov.get("real_frames") or prov.get("real_images") or "none"
    return (f"synthetic scenes from `{prov.get('generator', '?')}` only; real frames: {real}"
            if real == "none" or not real else f"`{prov.get('generator', '?')}` plus real: {real}")


def _with_section(text: str, figs: list[Figure], when: str, quick: bool, trained_on: str) -> str:
    rows = "\n".join(
        f"| {f.dataset} | {f.kind} | {f.metric} | {f.value:.3f} | {f.n} |" for f in figs
    )
    real = any(f.kind == "real" and f.post_code for f in figs)
    section = (
        f"{CARD_START}\n## Evaluation on data it was not trained on ({when})\n\n"
        f"Measured by `bench/vision.py{' --quick' if quick else ''}`; rerun it to check. "
        "Bad figures are kept here on purpose.\n\n"
        f"Trained on: {trained_on}. Evaluated on data from other sources (below).\n\n"
        "| dataset | kind | metric | value | n |\n| --- | --- | --- | --- | --- |\n"
        f"{rows}\n\n"
        + (
            "Held-out figures on a post's real footage exist: the post's policy may make the "
            "check binding if they meet its bar.\n"
            if real
            else "No held-out figure on any post's real footage: every check this model drives "
            "is **advisory** (it asks a person to confirm) until such figures exist and meet the "
            "post policy's `binding_bar`.\n"
        )
        + CARD_END
    )
    if CARD_START in text and CARD_END in text:
        head, rest = text.split(CARD_START, 1)
        tail = rest.split(CARD_END, 1)[1]
        return head + section + tail
    return text.rstrip("\n") + "\n\n" + section + "\n"
