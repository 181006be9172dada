"""Writes CARD.md beside each model from its manifest, so a retrain keeps the card truthful."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

_LIMITS = """\
## Limits
- Trained on synthetic frames only (`models/training/scenes.py`): flat-shaded vehicles, cargo
  and stick figures. Real footage differs; before relying on this model at a post, retrain or
  fine-tune on that post's own labelled frames (`models/training/README.md`) and score it on a
  held-out set of real frames (`--holdout-frames`).
- Whole frames are squashed to a square input, so the camera must show the open bay; a frame
  of a wall, the sky or the inspector's feet has no meaningful answer.
- Never the sole ground for a decision: it feeds a check whose verdict a person reviews.
"""


def _provenance(m: dict[str, Any]) -> str:
    p = m["provenance"]
    ranges = p.get("scene_seed_ranges", {})
    return (
        f"- Script: `{p['script']}`; torch {p['torch_version']}; trained {p['date']}.\n"
        f"- Generator: `{p['generator']}`. Training set drawn with master seed(s) "
        f"{p['train_seeds']} (scene seeds {ranges.get('train')}); held-out set drawn with "
        f"master seed {p['holdout_seed']} (scene seeds {ranges.get('holdout')}), never used in "
        f"training.\n"
        f"- Real frames used: {p.get('real_frames') or 'none'}.\n"
        f"- File: `{m['file']}`, sha256 `{m['sha256']}`.\n"
        f"- Licence: {m['licence']}.\n"
    )


def _training(model_dir: Path, m: dict[str, Any]) -> str:
    met, p = m["metrics"], m["provenance"]
    size_mb = (model_dir / m["file"]).stat().st_size / 1e6
    return (f"- File size {size_mb:.2f} MB. Trained for {met.get('train_steps')} steps of "
            f"{met.get('batch')} frames drawn from {p.get('train_frames')} rendered frames, on one "
            f"CPU thread within a 10-minute budget.\n")


def _input(m: dict[str, Any]) -> str:
    i = m["input"]
    return (f"RGB frame resized ({i['resize']}) to {i['size'][0]}x{i['size'][1]}, scaled to "
            f"0..1, normalised with mean {i['mean']} and std {i['std']}, {i['layout']} float32.")


def write_bay_card(model_dir: Path, m: dict[str, Any]) -> None:
    met = m["metrics"]
    th = m["provenance"].get("thresholds", {})
    ranges = m["provenance"].get("train_fill_ranges", {})
    rows = "\n".join(f"| {t} | " + " | ".join(str(v) for v in row) + " |"
                     for t, row in zip(m["labels"], met["confusion"], strict=True))
    real = met.get("real_holdout")
    text = f"""# bay_occupancy

Is the vehicle's bay (trailer, container, rail wagon) `empty`, `partial` or `loaded`? The
`completeness` check of the unloading phase uses it to find an empty bay at the end of the take.

## Model
- Small CNN (8 conv blocks, 4x4 grid flattened, linear head), softmax inside the graph.
{_training(model_dir, m)}- Input: {_input(m)}
- Output `probs` [N, 3] in the order {m['labels']}.
- Labels come from the generator's `fill_fraction`: empty below {th.get('empty_below')},
  loaded from {th.get('loaded_from')}; training and held-out scenes sample fill per class from
  {json.dumps(ranges)}, a margin around each threshold so no label is ambiguous.

## Held-out metrics (synthetic, {met['holdout_n']} frames, balanced)
- Accuracy: **{met['holdout_accuracy']}**; empty vs not-empty: **{met['holdout_empty_vs_not_accuracy']}**
- By vehicle kind: {json.dumps(met['holdout_accuracy_by_kind'])}
- Real held-out frames: {json.dumps(real) if real else 'none scored yet'}

Confusion (rows true, columns predicted):

| true \\ pred | {' | '.join(m['labels'])} |
| --- | --- | --- | --- |
{rows}

## Provenance
{_provenance(m)}
{_LIMITS}"""
    (model_dir / "CARD.md").write_text(text)


def write_counter_card(model_dir: Path, m: dict[str, Any]) -> None:
    met = m["metrics"]
    real = met.get("real_holdout")
    bins = "\n".join(f"| {k} | {v['n']} | {v['mae']} | {v['bias']} |"
                     for k, v in met["by_true_count"].items())
    text = f"""# cargo_counter

How many separate cargo places (boxes, sacks, pallets, drums) stand in view, for the
`recount` check: places laid out in front of the vehicle, not the units inside a stacked load
and not a box a person is carrying.

## Model
- Fully convolutional density network: the output map sums to the count (trained on
  Gaussian blobs at each place's centre plus an L1 loss on the total).
{_training(model_dir, m)}- Input: {_input(m)}
- Outputs `count` [N] (float, 0..~30) and `density` [N, 1, S, S] with
  S = {m['output']['density_size']}, one cell per {m['output']['density_stride']} input pixels
  (where the places are).

## Held-out metrics (synthetic, {met['holdout_n']} frames, 0..30 places)
- MAE: **{met['holdout_mae']}** places; rounded count exactly right: {met['holdout_exact']};
  within ±1: {met['holdout_within_1']}; mean bias {met['holdout_bias']}.
- By vehicle kind (MAE): {json.dumps(met['holdout_mae_by_kind'])}
- Real held-out frames: {json.dumps(real) if real else 'none scored yet'}

| true count | frames | MAE | bias |
| --- | --- | --- | --- |
{bins}

## Provenance
{_provenance(m)}
{_LIMITS}"""
    (model_dir / "CARD.md").write_text(text)
