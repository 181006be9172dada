"""Transient is not evidence: a timeout or a killed decoder raises (the worker retries), and
the decode budget counts decoding alone, not the time the consumer spends on each frame."""

from __future__ import annotations

import time

import pytest

from media_pipeline import ffmpeg
from media_pipeline import frames as fr
from media_pipeline import validate as validate_module
from media_pipeline.ffmpeg import (
    FfmpegKilled,
    FfmpegTimeout,
    FfmpegTransient,
    Stopwatch,
    run,
    stream,
)
from media_pipeline.packets import read_packets
from media_pipeline.validate import validate
from tests import media


def _plan() -> fr.FramePlan:
    return fr.FramePlan("fps", 160, 120, 5.0)


def test_a_slow_consumer_does_not_spend_the_decode_budget() -> None:
    path = str(media.recording("unloading.mp4"))
    budget = 1.0
    held = 0.0
    n = 0
    for _sample in fr.sample(path, _plan(), 0.0, budget):
        time.sleep(0.03)  # what OCR or a model would take per frame
        held += 0.03
        n += 1
    assert n >= 140 and held > 2 * budget  # far longer than the budget, yet no timeout


def test_decoding_past_its_budget_raises_a_transient_timeout() -> None:
    path = str(media.recording("unloading.mp4"))
    with pytest.raises(FfmpegTimeout):
        for _sample in fr.sample(path, fr.FramePlan("fps", 1280, 960, 30.0), 0.0, 0.001):
            pass


def test_validate_raises_on_a_timeout_instead_of_failing_the_evidence(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    name = "unloading.mp4"
    monkeypatch.setattr(validate_module, "decode_timeout", lambda _d: 0.001)  # a starved machine
    with pytest.raises(FfmpegTransient):
        validate(str(media.recording(name)), media.context_for(name))


def test_a_process_killed_by_a_signal_is_transient() -> None:
    with pytest.raises(FfmpegKilled):
        run(["sh", "-c", "kill -9 $$"], timeout=10)
    with pytest.raises(FfmpegKilled), stream(["sh", "-c", "echo x; kill -9 $$"], timeout=10) as proc:
        proc.stdout.read()
        proc.proc.wait()
        proc.raise_if_killed()


def test_a_killed_packet_lister_is_not_a_short_take(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    script = tmp_path / "ffprobe"
    # lists two packets, then dies the way the OOM killer ends a process
    script.write_text("#!/bin/sh\necho '0.0,0.0,0.04,100,K__'\necho '0.04,0.04,0.04,90,___'\n"
                      "kill -9 $$\n")
    script.chmod(0o755)
    monkeypatch.setenv("DOSMOTR_FFPROBE", str(script))
    ffmpeg.ffprobe_path.cache_clear()
    try:
        with pytest.raises(FfmpegKilled):
            read_packets(str(media.recording("short.mp4")))
    finally:
        monkeypatch.delenv("DOSMOTR_FFPROBE")
        ffmpeg.ffprobe_path.cache_clear()


def test_stopwatch_counts_only_while_running() -> None:
    w = Stopwatch()
    w.start()
    time.sleep(0.05)
    w.pause()
    paused_at = w.elapsed()
    time.sleep(0.1)
    assert w.elapsed() == paused_at and 0.04 < paused_at < 0.1
    w.start()
    time.sleep(0.02)
    assert w.elapsed() > paused_at
