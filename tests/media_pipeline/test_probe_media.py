"""Probe, packet signals and frame sampling on real generated files."""

import subprocess
import time

import numpy as np
import pytest

from media_pipeline import frames
from media_pipeline.ffmpeg import FfmpegTimeout, ffmpeg_path, run
from media_pipeline.packets import read_packets
from media_pipeline.probe import ProbeError, parse, probe
from tests import media


def test_mp4_facts() -> None:
    info = probe(str(media.recording("unloading.mp4")))
    assert (info.codec, info.width, info.height, info.fps) == ("h264", 320, 240, 5.0)
    assert info.container.startswith("mov,mp4") and info.header_duration == pytest.approx(30.0)


@pytest.mark.parametrize(
    ("name", "codec"), [("unloading.webm", "vp8"), ("unloading_vp9.webm", "vp9")]
)
def test_mediarecorder_style_webm_takes_duration_from_the_stream(name: str, codec: str) -> None:
    path = str(media.recording(name))
    info = probe(path)
    assert info.codec == codec and info.header_duration is None  # as MediaRecorder writes it
    packets = read_packets(path)
    expected = 30.0 if name == "unloading.webm" else 12.0
    assert packets.duration() == pytest.approx(expected, abs=0.25)
    assert packets.keyframes.size == 1  # only the first frame is a keyframe


@pytest.mark.parametrize("name", ["not_video.mp4", "truncated.mp4"])
def test_non_video_and_truncated_mp4_are_refused_with_a_reason(name: str) -> None:
    with pytest.raises(ProbeError, match="not a readable media file") as err:
        probe(str(media.recording(name)))
    assert str(media.recording(name)) not in str(err.value)  # no server paths in reports


def test_audio_only_and_still_images_are_not_recordings() -> None:
    audio = {"format": {"format_name": "ogg"}, "streams": [{"codec_type": "audio"}]}
    with pytest.raises(ProbeError, match="no video stream"):
        parse(audio)
    jpeg = {
        "format": {"format_name": "jpeg_pipe"},
        "streams": [{"codec_type": "video", "codec_name": "mjpeg", "width": 9, "height": 9}],
    }
    with pytest.raises(ProbeError, match="still image"):
        parse(jpeg)


def test_rotation_swaps_the_displayed_size() -> None:
    data = {
        "format": {"format_name": "mov,mp4", "tags": {"creation_time": "2025-03-01T10:00:00Z"}},
        "streams": [{
            "codec_type": "video", "codec_name": "h264", "width": 1280, "height": 720,
            "avg_frame_rate": "30000/1001", "side_data_list": [{"rotation": -90}],
        }],
    }  # fmt: skip
    info = parse(data)
    assert (info.width, info.height, info.rotation) == (720, 1280, 270)
    assert info.fps == pytest.approx(29.97, abs=0.01)
    assert info.creation_time == "2025-03-01T10:00:00Z"


def test_packets_show_gap_splice_and_freeze_without_decoding() -> None:
    gap = read_packets(str(media.recording("gap.mp4")))
    assert [(round(a), round(b)) for a, b in gap.gaps(1.0)] == [(12, 17)]
    spliced = read_packets(str(media.recording("spliced.mp4")))
    assert spliced.irregular_keyframes() == [pytest.approx(13.2, abs=0.11)]
    frozen = read_packets(str(media.recording("frozen.mp4")))
    assert any(a < 21 and b > 29 for a, b in frozen.tiny_runs(5.0))


def test_sparse_keyframes_fall_back_to_a_fixed_rate() -> None:
    assert frames.choose_plan(2.0, 1280, 720).mode == "keyframes"
    sparse = frames.choose_plan(30.0, 1280, 720)
    assert (sparse.mode, sparse.fps, sparse.width, sparse.height) == ("fps", 1.0, 320, 180)
    assert frames.choose_plan(2.0, 320, 240, min_fps=2.0).mode == "fps"


def test_keyframe_sampling_yields_timed_rgb_frames() -> None:
    path = str(media.recording("unloading.mp4"))
    plan = frames.choose_plan(2.0, 320, 240)
    got = frames.read_all(path, plan)
    assert [s.t for s in got] == pytest.approx([2.0 * i for i in range(15)])
    assert got[0].rgb.shape == (240, 320, 3) and got[0].rgb.dtype == np.uint8


def test_fixed_rate_sampling_of_vp8_covers_the_take() -> None:
    path = str(media.recording("unloading.webm"))
    got = frames.read_all(path, frames.choose_plan(30.0, 320, 240))
    assert len(got) == 30 and got[-1].t == pytest.approx(29.0)


def test_stopping_early_stops_ffmpeg() -> None:
    path = str(media.recording("unloading.webm"))
    gen = frames.sample(path, frames.choose_plan(30.0, 320, 240), 0.0, 60.0)
    next(gen)
    gen.close()  # the consumer breaks out: the decoder must not linger
    out = subprocess.run(
        ["pgrep", "-f", f"ffmpeg.*{path}"], check=False, capture_output=True, text=True
    )
    assert out.stdout.strip() == ""


def test_runaway_process_is_stopped_at_the_deadline() -> None:
    t0 = time.monotonic()
    with pytest.raises(FfmpegTimeout):
        run([ffmpeg_path(), "-f", "lavfi", "-i", "testsrc2=r=5", "-f", "null", "-"], timeout=0.5)
    assert time.monotonic() - t0 < 5.0
