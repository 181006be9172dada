"""Writes models/xray_assist/CARD.md from its manifest, so a retrain keeps the card truthful."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def _row(kind: str, m: dict[str, Any]) -> str:
    return (f"| {kind} | {m['precision']} | {m['recall']} | {m['tp']} | {m['fp']} | {m['fn']} |")


def write_card(model_dir: Path, m: dict[str, Any]) -> None:
    met, prov = m["metrics"], m["provenance"]
    regions = met["regions"]
    rows = "\n".join(_row(k, v) for k, v in regions.items())
    size_kb = m["size_bytes"] / 1024
    text = f"""# xray_assist

A second opinion on IDK (X-ray) scans of rail wagons and containers, for the operator and the
post head. It never decides: the operator's verdict does. A `clear` verdict over an image this
model flags sends the linked declarations to inspection (`idk_model_disagreement`).

## Model
- Fully convolutional net (7 conv blocks, stride 8, dilations 2/4/8, 1x1 head), {size_kb:.0f} KB.
- Input: {m['input']['preprocess']}; height {m['input']['height']}, scale {m['input']['scale']}.
  Any width: images longer than 1536 input pixels run in overlapping tiles.
- Outputs per cell of {m['output']['stride']} input pixels: probability of each anomaly kind
  {m['labels']}, the load's mean attenuation (the vehicle's own steel removed) and whether the
  cell is inside the loadable bay.
- `media_pipeline/vision/xray.py` turns them into regions (cells at or over
  {m['thresholds']['anomaly']}, connected, at least {m['output']['min_cells']} cells unless one
  reaches {m['output']['lone_cell_score']}; where regions of two kinds cover one place the
  surer kind is kept; the threshold was chosen on the validation draw), in image pixels, and
  load figures: fill of the bay
  along its length, and the mass the attenuation implies with the calibration
  {m['calibration']} (the scan's width spans `scan_length_m`, square pixels, μ/ρ of MeV
  beams). `backend/idk/assessment.py` compares them with the linked declarations' lines
  (packaging, places, gross kg): consistency under {m['thresholds']['consistency']} flags.

## Held-out metrics (synthetic, {met['holdout_n']} images, master seed {met['holdout_seed']})
Regions match a concealment of the same kind at IoU ≥ 0.1; only visible concealments count
(a void cut where there was no cargo is not expected to be seen).

| kind | precision | recall | found | false regions | missed |
| --- | --- | --- | --- | --- | --- |
{rows}

- Plain loads with no concealment ({met['clean_images']} images): share with any region flagged
  **{met['clean_false_alarm_rate']}**.
- Empty vehicle declared as 20 places / 18 t: flagged **{met['empty_declared_loaded_flagged']}**.
- Plain load declared truthfully (its generated mass): not flagged
  **{met['truthful_plain_load_not_flagged']}**.
- Mass from the image within 2x of the truth: {met['mass_within_2x']} (median |ln ratio|
  {met['mass_median_abs_log_ratio']}). The truth follows the generator's own physics and
  calibration: this shows the net separates the load from the vehicle's steel, not that a real
  scanner's kilograms come out right.
- Median time per image (400..1000 px high, 2 threads): {met['seconds_per_image_median']} s.

## Provenance
- Generator `{prov['generator']}` (cargo by packaging and goods density, voids, hidden dense
  blocks, organic masses, empty containers, container flats and covered wagons); data
  `{prov['data']}`; trainer `{prov['script']}`; scoring `{prov['evaluation']}`.
- Training: {prov['train_images']} images (master seed {prov['train_seeds']}, image seeds
  {prov['image_seed_ranges']['train']}), {prov['train_steps']} steps of batch {prov['batch']},
  torch {prov['torch_version']}, {prov['date']}. Held-out: master seed {prov['holdout_seed']},
  image seeds {prov['image_seed_ranges']['holdout']}, never used in training. The test suite
  draws its own fresh images from {prov['image_seed_ranges']['test']}.
- Between training runs the one kept was chosen on a validation draw from the training seed
  range (`xray_eval --validation`), never on the held-out set above.
- Real images used: {prov.get('real_images') or 'none'}.
- File `{m['file']}`, sha256 `{m['sha256']}`. Licence: {m['licence']}.

## Limits
- Trained on synthetic images only. Real scanners differ in geometry, energy, dual-energy
  channels, detector artefacts and pixel pitch: score it on a post's own labelled scans and
  recalibrate `calibration` (pixel pitch from the scanner, μ/ρ) before trusting mass figures.
- Kinds are what the generator makes: a dense compact block, a void in a stack, an organic
  lump. Contraband shaped like the declared goods (drugs in bags of flour) is not visible to
  a single-energy image, nor to this model.
- Never the sole ground for a decision: it assists the operator, whose verdict is final.
"""
    (model_dir / "CARD.md").write_text(text)
