"""Re-issues a model directory's manifest sha256 after its model file was replaced on purpose.

    .venv/bin/python -m models.training.rehash models/<name> [--check]

The pipeline refuses a model whose bytes differ from its manifest; this is the deliberate,
reviewed way to accept new bytes (the change to manifest.json then shows in the diff).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("model_dir", type=Path)
    ap.add_argument("--check", action="store_true", help="only report; exit 1 on a mismatch")
    args = ap.parse_args()
    manifest_path = args.model_dir / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    actual = hashlib.sha256((args.model_dir / manifest["file"]).read_bytes()).hexdigest()
    if actual == manifest.get("sha256"):
        print(f"{manifest_path}: sha256 matches ({actual})")
        return 0
    if args.check:
        print(f"{manifest_path}: sha256 {manifest.get('sha256')} but file is {actual}")
        return 1
    manifest["sha256"] = actual
    manifest_path.write_text(json.dumps(manifest, indent=2) + "\n")
    print(f"{manifest_path}: sha256 set to {actual}; update CARD.md's metrics if they changed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
