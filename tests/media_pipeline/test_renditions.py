import json

import cv2
import pytest

from contract.report import build_report, result
from media_pipeline import renditions
from media_pipeline.ffmpeg import run
from media_pipeline.probe import probe
from tests import media


def _moov_before_mdat(path: str) -> bool:
    with open(path, "rb") as f:
        data = f.read(1 << 20)
    return 0 <= data.find(b"moov") < data.find(b"mdat")


def _copy(name: str, tmp_path):  # type: ignore[no-untyped-def]
    src = tmp_path / name
    src.write_bytes(media.recording(name).read_bytes())
    return src


def test_h264_is_remuxed_faststart_beside_the_original(tmp_path) -> None:  # type: ignore[no-untyped-def]
    src = _copy("unloading.mp4", tmp_path)
    before = src.read_bytes()
    out = renditions.faststart_mp4(src)
    assert out.parent == src.parent and out != src and src.read_bytes() == before
    assert _moov_before_mdat(str(out))
    info = probe(str(out))
    assert info.codec == "h264" and info.header_duration == pytest.approx(30.0, abs=0.1)
    # remuxed, not re-encoded: the very same video packets
    sizes = [
        json.loads(run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
                        "packet=size", "-of", "json", str(p)], timeout=30).stdout)["packets"]
        for p in (src, out)
    ]  # fmt: skip
    assert sizes[0] == sizes[1]


def test_vp8_webm_is_transcoded_to_h264(tmp_path) -> None:  # type: ignore[no-untyped-def]
    src = _copy("unloading_vp9.webm", tmp_path)
    out = renditions.faststart_mp4(src)
    info = probe(str(out))
    assert info.codec == "h264" and info.header_duration == pytest.approx(12.0, abs=0.3)
    assert _moov_before_mdat(str(out))


def test_poster_and_contact_sheet_with_check_marks(tmp_path) -> None:  # type: ignore[no-untyped-def]
    src = _copy("black.mp4", tmp_path)
    report = build_report([
        result("probe", "pass", 1, 1, "ok"),
        result("continuity", "fail", 0.75, 0.9, "black 10 s", [(16.0, 26.0)]),
    ])  # fmt: skip
    poster = renditions.poster(src)
    img = cv2.imread(str(poster))
    assert img is not None and img.shape[1] == 640
    sheet_path = renditions.contact_sheet(src, report, cols=4, rows=2)
    sheet = cv2.imread(str(sheet_path))
    tile_w, tile_h = renditions.TILE_SIDE, renditions.TILE_SIDE * 3 // 4  # 4:3 source
    assert sheet is not None and sheet.shape[:2] == (34 + 2 * tile_h, 4 * tile_w)
    # tiles from 15 s to 25 s carry the failed check's red frame
    marked = sheet[34 + tile_h : 34 + 2 * tile_h, 0:tile_w]  # second row, first tile: 22.5 s
    b, g, r = (int(v) for v in marked[2, tile_w // 2])
    assert r > 150 and g < 90 and b < 90
    plain = sheet[34 : 34 + tile_h, 0:tile_w]  # 2.5 s: no mark
    b, g, r = (int(v) for v in plain[2, tile_w // 2])
    assert not (r > 150 and g < 90)


def test_the_original_is_never_overwritten(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match="overwrite"):
        renditions._beside(tmp_path / "take.mp4", ".mp4", None)


def test_contact_sheet_draws_a_check_that_could_not_run(tmp_path) -> None:  # type: ignore[no-untyped-def]
    src = _copy("unloading.mp4", tmp_path)
    report = build_report([
        result("probe", "pass", 1, 1, "ok"),
        result("completeness", "unavailable", 0, 0.5, "model missing", code="model_unavailable"),
    ])  # fmt: skip
    assert report.verdict == "unavailable"
    sheet = cv2.imread(str(renditions.contact_sheet(src, report, cols=2, rows=1)))
    assert sheet is not None
    header = sheet[:34].reshape(-1, 3)  # BGR; the grey label of the unavailable check
    assert ((header == (120, 120, 120)).all(axis=1)).sum() > 20
