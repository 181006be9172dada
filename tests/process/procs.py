"""Real `dosmotr` processes for the shutdown tests: start, wait until they serve, signal, and
list every process that belongs to them (children and the embedded PostgreSQL, which pg_ctl
starts outside our process tree)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterable
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parents[2]
DOSMOTR = REPO / ".venv" / "bin" / "dosmotr"
STOP_LIMIT_S = 15.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def environment(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL" and not k.startswith("DOSMOTR_")}
    env.update({"PYTHONPATH": str(REPO), "DOSMOTR_DATA_DIR": str(data_dir), **extra})
    return env


class Dosmotr:
    """One `dosmotr <command>` process with its output in a log file under `root`."""

    def __init__(self, root: Path, *args: str, prefix: tuple[str, ...] = (), **env: str) -> None:
        self.root, self.args, self.prefix = root, args, prefix
        self.port = int(env.pop("DOSMOTR_PORT", 0)) or free_port()
        self.env = environment(root / "var", DOSMOTR_PORT=str(self.port), **env)
        self.log_path = root / f"{args[0]}-{time.monotonic_ns()}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Dosmotr:
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen([*self.prefix, str(DOSMOTR), *self.args], env=self.env, cwd=self.root,
                                         stdout=log, stderr=subprocess.STDOUT)
        return self

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_serving(self, timeout: float = 240) -> None:
        assert self.proc is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"dosmotr exited {self.proc.returncode}:\n{self.log()[-3000:]}")
            try:
                with urllib.request.urlopen(self.url + "/", timeout=2) as r:
                    if r.status == 200:
                        return
            except (OSError, urllib.error.URLError):
                time.sleep(0.3)
        raise AssertionError(f"dosmotr did not serve within {timeout}s:\n{self.log()[-3000:]}")

    def wait_for_log(self, text: str, timeout: float = 240) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.log():
                return
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise AssertionError(f"dosmotr exited {self.proc.returncode}:\n{self.log()[-3000:]}")
            time.sleep(0.2)
        raise AssertionError(f"{text!r} not logged within {timeout}s:\n{self.log()[-3000:]}")

    def login(self, login: str, password: str = "demo-only") -> str:
        request = urllib.request.Request(
            self.url + "/api/auth/login", method="POST",
            data=json.dumps({"login": login, "password": password}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as r:
            return str(json.load(r)["token"])

    def stop(self, sig: signal.Signals, limit: float = STOP_LIMIT_S) -> float:
        """Send `sig`; the seconds until the process exited (fails past `limit`)."""
        assert self.proc is not None
        started = time.monotonic()
        self.proc.send_signal(sig)
        try:
            self.proc.wait(limit)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"still running {limit}s after {sig.name}:\n{self.log()[-3000:]}") from None
        return time.monotonic() - started

    def kill_all(self) -> None:
        """Test teardown: leave nothing behind, whatever happened."""
        if self.proc is not None:
            for p in family(self.proc.pid, self.root / "var" / "pg"):
                with _gone():
                    p.kill()
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()


def postmaster(pgdata: Path) -> psutil.Process | None:
    try:
        pid = int((pgdata / "postmaster.pid").read_text().split()[0])
        return psutil.Process(pid)
    except (OSError, ValueError, IndexError, psutil.Error):
        return None


def alive(p: psutil.Process | None) -> bool:
    """Running and not a zombie (a zombie holds nothing; its reaper may be slow in a container)."""
    if p is None:
        return False
    try:
        return p.is_running() and p.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def family(pid: int, pgdata: Path | None = None) -> list[psutil.Process]:
    """The process, its descendants, and the embedded PostgreSQL with its backends."""
    found: list[psutil.Process] = []
    with _gone():
        root = psutil.Process(pid)
        found += [root, *root.children(recursive=True)]
    if pgdata is not None and (pm := postmaster(pgdata)) is not None:
        with _gone():
            found += [pm, *pm.children(recursive=True)]
    return found


def survivors(processes: Iterable[psutil.Process], wait_s: float = 2.0) -> list[str]:
    """Those still alive (zombies count as gone: they hold nothing) after up to `wait_s`."""
    deadline = time.monotonic() + wait_s
    while True:
        left = []
        for p in processes:
            with _gone():
                if alive(p):
                    left.append(f"{p.pid} {' '.join(p.cmdline())[:120]}")
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.1)


class _gone:
    """Ignore a process that vanished meanwhile."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type: object, exc: object, tb: object) -> bool:
        return isinstance(exc, psutil.Error)


def open_stream(url: str, token: str, query: str = "") -> socket.socket:
    """Open the board's event stream and read until its `ready` event: a live SSE response."""
    host, port = url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=20)
    sock.sendall(
        f"GET /api/board/stream{query} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n"
        "Accept: text/event-stream\r\n\r\n".encode()
    )
    received = b""
    while b"event: ready" not in received:
        chunk = sock.recv(4096)
        assert chunk, f"stream closed before ready: {received!r}"
        received += chunk
    assert received.startswith(b"HTTP/1.1 200"), received[:200]
    return sock


def stream_ended(sock: socket.socket, timeout: float = 5.0) -> bool:
    """True once the server closed the stream (EOF), not merely went quiet."""
    sock.settimeout(timeout)
    try:
        while sock.recv(4096):
            pass
    except TimeoutError:
        return False
    except OSError:
        return True
    return True


def dead_pid() -> int:
    """The PID of a process that has exited (and been reaped)."""
    p = subprocess.Popen(["true"])
    p.wait()
    return p.pid


def wait_until(predicate, timeout: float = 60, every: float = 0.05) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(every)
    return False


def handle_pids(pgdata: Path) -> list[int]:
    path = pgdata / ".handle_pids.json"
    return list(json.loads(path.read_text())) if path.exists() else []

