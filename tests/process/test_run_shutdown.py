"""`dosmotr run` stops cleanly: SIGTERM or SIGINT ends the API (an open board stream
included), the worker and the embedded PostgreSQL within 15 s, and nothing survives. A run
killed outright leaves its PID in the embedded server's handle file; the next clean stop still
stops the server."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from tests.process.procs import (
    STOP_LIMIT_S,
    Dosmotr,
    alive,
    family,
    handle_pids,
    open_stream,
    postmaster,
    stream_ended,
    survivors,
)

# What uvicorn logs when it has to cancel responses still open after its graceful timeout.
CUT_BY_TIMEOUT = "timeout graceful shutdown exceeded"


def _start_run(root: Path) -> Dosmotr:
    run = Dosmotr(root, "run").start()
    run.wait_serving()
    run.wait_for_log("worker connected to the queue")
    return run


def _worker_of(processes: list) -> list:  # type: ignore[type-arg]
    return [p for p in processes if "worker" in " ".join(p.cmdline())]


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_run_stops_api_worker_and_database(root: Path, sig: signal.Signals) -> None:
    pgdata = root / "var" / "pg"
    run = _start_run(root)
    try:
        stream = open_stream(run.url, run.login("head.altynkol"))
        assert run.proc is not None
        processes = family(run.proc.pid, pgdata)
        assert postmaster(pgdata) is not None
        assert len(_worker_of(processes)) == 1

        took = run.stop(sig)

        assert took < STOP_LIMIT_S
        assert run.proc.returncode == 0, run.log()[-2000:]
        assert stream_ended(stream), "the board stream was left open"
        assert survivors(processes) == []
        assert not alive(postmaster(pgdata))
        log = run.log()
        assert "worker stopped" in log
        assert "Application shutdown complete" in log
        assert CUT_BY_TIMEOUT not in log  # the stream ended itself, not uvicorn's backstop
    finally:
        run.kill_all()


def test_a_killed_run_does_not_keep_postgres_alive_on_the_next_stop(root: Path) -> None:
    pgdata = root / "var" / "pg"
    first = _start_run(root)
    try:
        assert first.proc is not None
        worker = _worker_of(family(first.proc.pid))
        first.proc.kill()  # no cleanup at all: its PID stays in pgserver's handle file
        first.proc.wait()
        assert first.proc.pid in handle_pids(pgdata)
        assert survivors(worker, wait_s=STOP_LIMIT_S) == [], "the worker outlived its parent"
        server = postmaster(pgdata)
        assert alive(server)  # nobody has stopped it yet

        second = _start_run(root)
        try:
            assert second.proc is not None
            assert first.proc.pid not in handle_pids(pgdata)
            processes = family(second.proc.pid, pgdata)
            assert second.stop(signal.SIGTERM) < STOP_LIMIT_S
            assert survivors(processes) == []
            assert not alive(server)
        finally:
            second.kill_all()
    finally:
        first.kill_all()


def test_serve_ends_open_board_streams_at_shutdown(root: Path, db_url: str) -> None:
    """`dosmotr serve` (no worker, DATABASE_URL given): a stream that would last 300 s more
    ends as soon as SIGTERM arrives, and the server exits well inside the limit."""
    from tests.conftest import TEST_PEPPER

    serve = Dosmotr(root, "serve", DATABASE_URL=db_url, DOSMOTR_TOKEN_PEPPER=TEST_PEPPER).start()
    try:
        serve.wait_serving()
        streams = [open_stream(serve.url, f"test-token-{login}", query)
                   for login, query in (("head.altynkol", ""), ("head.alakol", ""),
                                        ("auditor", "?post_code=ALAKOL"))]
        assert serve.proc is not None
        processes = family(serve.proc.pid)
        took = serve.stop(signal.SIGTERM)
        assert took < STOP_LIMIT_S
        assert serve.proc.returncode == 0
        assert all(stream_ended(s) for s in streams)
        assert survivors(processes) == []
        assert CUT_BY_TIMEOUT not in serve.log()  # the streams ended themselves
    finally:
        serve.kill_all()
