"""Why a model is absent travels as a code (`reason` of `model_unavailable`), which every
screen language names; the worker's English text stays in Models.missing and the detail."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from contract.report import result
from media_pipeline.availability import MISSING_REASONS, mark_unavailable, missing_reason
from media_pipeline.context import Models
from media_pipeline.validate import models_from_registry
from media_pipeline.vision.registry import ModelRegistry

ROOT = Path(__file__).resolve().parents[2]
LATIN = re.compile("[a-z]", re.IGNORECASE)


def test_a_broken_and_an_absent_model_get_their_codes(tmp_path: Path) -> None:
    models_dir = tmp_path / "models"
    shutil.copytree(ROOT / "models" / "bay_occupancy", models_dir / "bay_occupancy")
    manifest = json.loads((models_dir / "bay_occupancy" / "manifest.json").read_text())
    onnx = models_dir / "bay_occupancy" / manifest["file"]
    onnx.write_bytes(onnx.read_bytes() + b"\0")  # one byte more: the sha256 no longer matches
    # no cargo_counter, no nanodet under this models dir
    models = models_from_registry(ModelRegistry(models_dir), with_ocr=False)
    assert models.occupancy is None and models.counter is None
    assert models.missing_codes == {
        "occupancy": "model_sha256_mismatch", "counter": "model_missing",
        "detector": "model_missing", "ocr": "not_loaded",
    }
    assert "sha256" in models.missing["occupancy"]  # the free text is kept for logs and health

    check = result("completeness", "pass", 1.0, 0.5, "bay full at the end")
    [c] = mark_unavailable([check], "unloading", models)
    assert c.verdict == "unavailable" and c.code == "model_unavailable"
    assert c.params == {"model": "occupancy", "reason": "model_sha256_mismatch"}
    assert models.missing["occupancy"] in c.detail


def test_ocr_not_installed_and_unknown_failures() -> None:
    assert missing_reason(ImportError("No module named 'rapidocr_onnxruntime'"), "ocr") == (
        "ocr_not_installed"
    )
    assert missing_reason(RuntimeError("onnxruntime: bad graph"), "counter") == "model_load_failed"
    # a hand-built Models without codes (tests, bench) still gives a code, never English
    [c] = mark_unavailable([result("recount", "pass", 1.0, 0.5, "ok")], "recount",
                           Models(missing={"counter": "gone"}))
    assert c.params["reason"] == "not_loaded"


def test_every_reason_is_named_in_every_language_and_kk_ru_carry_no_english() -> None:
    for lang in ("ru", "kk", "en"):
        catalogue = json.loads((ROOT / "pwa" / "i18n" / f"{lang}.json").read_text())
        for code in MISSING_REASONS:
            text = catalogue.get(f"model_reason.{code}")
            assert text, (lang, code)
            if lang != "en":
                assert not LATIN.search(text), (lang, code, text)
