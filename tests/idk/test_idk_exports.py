"""X-ray exports and scanner calibration in the model's second opinion.

A display-LUT 8-bit export is accepted but everything the model says about it is advisory,
with `xray_display_export` asking for the raw export (or refused with 422 when the scanner's
settings require raw); an inverted export is turned back and recorded as such. The scanner's
calibration (pixel pitch both ways, air and dark levels) drives the mass estimate; until the
scanner is calibrated the mass check is advisory, so a `clear` over a mass disagreement alone
does not force an inspection, while it does from a calibrated scanner (anomalies count always).
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import numpy as np
from PIL import Image

from backend.idk.assessment import DeclaredGoods, judge
from backend.idk.schemas import Anomaly, ImageFigures, ModelRef
from backend.idk.xray import XraySpec, encode, mass_kg, render_layers, to_pixels
from media_pipeline.vision.registry import ModelRegistry
from media_pipeline.vision.xray import ScannerCalibration, XrayAssistModel
from tests.idk.test_idk_assist import FRESH, boxes_line, declare, drain, scan_of, scanned
from tests.idk.test_idk_scans import upload, uploaded

REF = ModelRef("xray_assist", "0" * 64)
TH = {"anomaly": 0.7, "consistency": 0.5}
NOW = dt.datetime(2026, 12, 4, tzinfo=dt.UTC)
BOXES = DeclaredGoods(["d1"], 20000.0, 40.0, ["boxes"])
BLOCK = Anomaly(100, 100, 40, 40, 0.95, "dense_block")


def figures(**over: Any) -> ImageFigures:
    base = {"fill": 0.9, "mass_kg": 20000.0, "bay_fraction": 0.5, "mean_attenuation": 0.4,
            "export": "raw", "calibrated": True}
    return ImageFigures(**{**base, **over})


def test_display_export_makes_everything_advisory() -> None:
    a = judge(REF, [BLOCK], figures(export="display"), BOXES, TH, NOW)
    assert not a.flagged and a.reasons == []
    assert "anomaly:dense_block" in a.advisory and a.export == "display"
    assert "xray_display_export" in a.warnings
    raw = judge(REF, [BLOCK], figures(), BOXES, TH, NOW)
    assert raw.flagged and "anomaly:dense_block" in raw.reasons and raw.warnings == []


def test_uncalibrated_mass_is_advisory_but_anomalies_and_fill_count() -> None:
    off = figures(mass_kg=1500.0, calibrated=False)
    a = judge(REF, [], off, BOXES, TH, NOW)
    assert not a.flagged and a.advisory == ["consistency:mass"] and not a.calibrated
    assert "xray_uncalibrated" in a.warnings and a.consistency.score is not None
    assert judge(REF, [], figures(mass_kg=1500.0), BOXES, TH, NOW).reasons == ["consistency:mass"]
    assert judge(REF, [BLOCK], off, BOXES, TH, NOW).flagged
    empty = judge(REF, [], figures(fill=0.02, mass_kg=50.0, calibrated=False), BOXES, TH, NOW)
    assert "consistency:loaded" in empty.reasons and empty.flagged
    inverted = judge(REF, [], figures(export="inverted"), BOXES, TH, NOW)
    assert inverted.export == "inverted" and "xray_inverted_export" in inverted.warnings


def test_calibration_drives_the_mass_estimate() -> None:
    model = XrayAssistModel(ModelRegistry())
    spec = XraySpec(seed=FRESH + 71, width=1200, height=420, packaging="bags", fill=0.9)
    layers = render_layers(spec)
    pixels = to_pixels(layers.trans, 16)
    plain = model.assess(pixels).figures
    pitch = 15000.0 / spec.width  # the generator's own geometry: square pixels over 15 m
    same = model.assess(pixels, calibration=ScannerCalibration(pitch, pitch, 60000.0, 0.0))
    assert same.figures.calibrated and not plain.calibrated
    assert abs(np.log(same.figures.mass_kg / plain.mass_kg)) < 0.15
    wide = model.assess(pixels, calibration=ScannerCalibration(2 * pitch, 1.5 * pitch, 60000.0, 0.0))
    assert abs(wide.figures.mass_kg / same.figures.mass_kg - 3.0) < 0.05
    # the levels reach the transmission: a lower air level reads everything as thinner
    dim = model.assess(pixels, calibration=ScannerCalibration(pitch, pitch, 50000.0, 0.0))
    assert dim.figures.mean_attenuation < same.figures.mean_attenuation - 0.1
    assert dim.figures.mass_kg < same.figures.mass_kg
    truth = mass_kg(float(layers.contents.sum()), spec.width)
    assert abs(np.log(same.figures.mass_kg / truth)) < np.log(2)


def inverted_png(spec: XraySpec) -> bytes:
    counts = 65535 - to_pixels(render_layers(spec).trans, 16).astype(np.int32)
    out = io.BytesIO()
    Image.fromarray(counts.astype(np.uint16)).save(out, "PNG")
    return out.getvalue()


async def calibrate(client: Any, auth: Any, scanner: str, **body: Any) -> None:
    resp = await client.put(f"/api/idk/scanners/{scanner}", headers=await auth("admin"),
                            json={"post_code": "ALTYNKOL", **body})
    assert resp.status_code == 200, resp.text


async def test_raw_export_required_refuses_an_8_bit_copy(client, auth) -> None:  # type: ignore[no-untyped-def]
    operator = await auth("idk.altynkol")
    await calibrate(client, auth, "ALT-RAW-ONLY", raw_export_required=True)
    refused = await upload(client, operator, scanner="ALT-RAW-ONLY")  # the default 8-bit PNG
    assert refused.status_code == 422 and refused.json()["code"] == "raw_export_required"
    png16, _, _ = scanned(XraySpec(seed=FRESH + 72, width=160, height=64))
    assert (await upload(client, operator, image=png16, scanner="ALT-RAW-ONLY")).status_code == 201
    # another scanner without the setting still takes display copies
    assert (await upload(client, operator, scanner="ALT-ANY")).status_code == 201


async def test_exports_and_calibration_through_the_worker(
    client, auth, db, app, db_url, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    operator, head = await auth("idk.altynkol"), await auth("head.altynkol")
    size = {"width": 1800, "height": 600, "vehicle": "container"}
    pitch = 15000.0 / size["width"]
    await calibrate(client, auth, "ALT-CAL", pitch_x_mm=pitch, pitch_y_mm=pitch,
                    air_level=60000.0, dark_level=0.0)
    block = render_layers(XraySpec(seed=FRESH + 1, packaging="boxes", fill=0.9,
                                   hidden_block=True, **size))
    plain_spec = XraySpec(seed=FRESH + 3, packaging="boxes", fill=0.9, **size)
    plain_png, plain_kg, _ = scanned(plain_spec)
    cases = {  # name: (image, scanner, wagon, declared kg)
        "display": (encode(block.trans, "png", 8), "ALT-UNCAL", "58740101", plain_kg),
        "inverted": (inverted_png(plain_spec), "ALT-CAL", "58740192", plain_kg),
        "mass_uncal": (plain_png, "ALT-UNCAL", "58740283", plain_kg * 12),
        "mass_cal": (plain_png, "ALT-CAL", "58740374", plain_kg * 12),
    }
    decls, scans = {}, {}
    for name, (png, scanner, wagon, kg) in cases.items():
        decls[name] = await declare(client, auth, [wagon], lines=[boxes_line(40, kg)])
        scans[name] = await uploaded(client, operator, image=png, wagon_number=wagon,
                                     container_numbers="", scanner=scanner)
    await drain(app, db_url, tmp_path)
    got = {k: (await scan_of(client, auth, s["id"]))["assessment"] for k, s in scans.items()}

    display = got["display"]
    assert display["export"] == "display" and "xray_display_export" in display["warnings"]
    assert not display["flagged"] and display["reasons"] == []
    inverted = got["inverted"]
    assert inverted["export"] == "inverted" and "xray_inverted_export" in inverted["warnings"]
    assert inverted["calibrated"] and not inverted["flagged"], inverted
    uncal, cal = got["mass_uncal"], got["mass_cal"]
    assert not uncal["calibrated"] and "xray_uncalibrated" in uncal["warnings"]
    assert uncal["advisory"] == ["consistency:mass"] and not uncal["flagged"], uncal
    assert cal["calibrated"] and cal["image"]["scanner_version"] == 1
    assert cal["reasons"] == ["consistency:mass"] and cal["flagged"], cal

    for name in cases:
        resp = await client.post(f"/api/idk/scans/{scans[name]['id']}/verdict",
                                 headers=operator, json={"verdict": "clear"})
        assert resp.status_code == 200, resp.text
    forced = {name: (await client.get(f"/api/declarations/{d['id']}", headers=head)).json()
              for name, d in decls.items()}
    assert {n for n, d in forced.items() if d["inspection_required"]} == {"mass_cal"}
    alerts = [a for a in (await client.get("/api/alerts", headers=head)).json()
              if a["kind"] == "xray_display_export"]
    assert [a["object_id"] for a in alerts] == [scans["display"]["id"]]
    # the issued conclusion says the model read a display copy, and what it saw only advises
    html = (await client.get(f"/api/idk/scans/{scans['display']['id']}/conclusion.html",
                             headers=operator)).text
    assert "8-битная копия" in html and "Справочно" in html and "anomaly:dense_block" in html


async def test_a_new_calibration_reads_pending_scans_again(
    client, auth, db, app, db_url, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    operator = await auth("idk.altynkol")
    spec = XraySpec(seed=FRESH + 73, packaging="bags", fill=0.9, width=1500, height=500)
    png, kg, _ = scanned(spec)
    await declare(client, auth, ["58740465"], lines=[boxes_line(40, kg * 12, "мешки")])
    scan = await uploaded(client, operator, image=png, wagon_number="58740465",
                          container_numbers="", scanner="ALT-LATE")
    await drain(app, db_url, tmp_path)
    before = (await scan_of(client, auth, scan["id"]))["assessment"]
    assert not before["calibrated"] and before["advisory"] == ["consistency:mass"]
    assert not before["flagged"], before
    pitch = 15000.0 / spec.width
    await calibrate(client, auth, "ALT-LATE", pitch_x_mm=pitch, pitch_y_mm=pitch,
                    air_level=60000.0, dark_level=0.0)
    await drain(app, db_url, tmp_path)
    after = await scan_of(client, auth, scan["id"])
    assert after["assessment_version"] == 2
    a = after["assessment"]
    assert a["calibrated"] and a["image"]["scanner_version"] == 1 and a["flagged"], a
    assert a["reasons"] == ["consistency:mass"] and "xray_uncalibrated" not in a["warnings"]
    history = (await client.get(f"/api/idk/scans/{scan['id']}/assessments",
                                headers=operator)).json()
    assert [v["why"] for v in history] == ["registered", "recalibrated"]


async def test_a_batch_row_from_a_raw_only_scanner_is_refused_alone(client, auth) -> None:  # type: ignore[no-untyped-def]
    from tests.idk.test_idk_batches import image, row, send

    operator = await auth("idk.altynkol")
    await calibrate(client, auth, "ALT-RAW-BATCH", raw_export_required=True)
    rows = [row("RAWB-0", "58200031", scanner="ALT-RAW-BATCH"),
            row("RAWB-1", "58200072", scanner="ALT-RAW-BATCH")]
    images = {0: ("a.png", image(1, bits=8), "image/png"),
              1: ("b.png", image(2, bits=16), "image/png")}
    resp = await send(client, operator, rows, images)
    assert resp.status_code == 200, resp.text
    results = resp.json()["results"]
    assert [r["status"] for r in results] == ["error", "created"]
    assert results[0]["error"]["code"] == "raw_export_required", results[0]
