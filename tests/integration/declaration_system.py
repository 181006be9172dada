"""A stand-in of the declaration system on 127.0.0.1: a real HTTP server that checks each
webhook delivery's signature with the shared secret, records it, and answers as scripted
(e.g. 500, then 429, then 200) to exercise the retries."""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from backend.integration import signing


@dataclass
class Delivery:
    headers: dict[str, str]
    body: bytes
    signed: bool
    answered: int

    def json(self) -> dict[str, Any]:
        return dict(json.loads(self.body))


class DeclarationSystem:
    def __init__(self, secret: str, answers: tuple[int, ...] = ()) -> None:
        self.secret = secret
        self.answers: deque[int] = deque(answers)
        self.otherwise = 200
        self.received: list[Delivery] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}/hooks/dosmotr"

    def accepted(self) -> list[Delivery]:
        return [d for d in self.received if d.signed and 200 <= d.answered < 300]

    def start(self) -> DeclarationSystem:
        system = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                signed = signing.verify(system.secret, self.headers.get(signing.HEADER, ""),
                                        body, int(time.time()))
                with system._lock:
                    status = (system.answers.popleft() if system.answers else system.otherwise)
                    if not signed:
                        status = 401
                    system.received.append(Delivery(dict(self.headers.items()), body, signed,
                                                    status))
                self.send_response(status)
                if status == 429:
                    self.send_header("Retry-After", "0")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
