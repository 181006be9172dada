"""The X-ray void detector on plain homogeneous loads of the independent generator
(models/eval/xray_b.py), per export and scan height, with concealment recall beside it.

    .venv/bin/python bench/xray_voids.py [--n 36]

Baseline (issue 12): a "void" of 0.87 on plain loads; reproduced here by reading the inverted
copies as raw, as the model did before exports were told apart ("as before" line).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from media_pipeline.vision import xray
from media_pipeline.vision.registry import ModelRegistry
from models.eval.xray_b import EXPORTS, export, scan

HEIGHTS = (300, 450, 600, 800)


def _hit(r: xray.Region, box: tuple[int, int, int, int]) -> bool:
    x, y, w, h = box
    return r.x < x + w and x < r.x + r.w and r.y < y + h and y < r.y + r.h


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n", type=int, default=36, help="plain loads per export (and as many hidden)")
    args = ap.parse_args()
    model = xray.XrayAssistModel(ModelRegistry(threads=2))
    plain = [scan(41000 + i, False, HEIGHTS[i % len(HEIGHTS)]) for i in range(args.n)]
    hidden = [scan(42000 + i, True, HEIGHTS[i % len(HEIGHTS)]) for i in range(args.n)]
    print(f"plain loads {len(plain)}, hidden dense blocks {len(hidden)}, heights {HEIGHTS}")
    for kind in EXPORTS:
        voids = [max([r.score for r in model.assess(export(s.transmission, kind)).regions
                      if r.kind == "void"] or [0.0]) for s in plain]
        found = sum(any(_hit(r, s.concealed) for r in model.assess(export(s.transmission, kind)).regions
                        if r.kind != "void") for s in hidden if s.concealed is not None)
        print(f"  {kind:8s}: plain loads with a void {sum(v > 0 for v in voids)}/{len(plain)} "
              f"(max score {max(voids):.2f}); concealment recall {found / len(hidden):.2f}")
    told = xray.export_kind
    xray.export_kind = lambda gray: "raw"  # type: ignore[assignment]
    try:
        before = [max([r.score for r in model.assess(export(s.transmission, "inverted")).regions
                       if r.kind == "void"] or [0.0]) for s in plain]
    finally:
        xray.export_kind = told
    print(f"  as before (inverted read as raw): plain loads with a void "
          f"{sum(v > 0 for v in before)}/{len(plain)} (max score {max(before):.2f})")


if __name__ == "__main__":
    main()
