"""Run a sandbox app with uvicorn in a background thread (tests, demos, the CLI).

``start_server(app)`` binds 127.0.0.1 on a free port by default and returns once it listens;
``SandboxServer.url`` is the API endpoint (``http://127.0.0.1:PORT/api``), ``admin_url`` the
``/_sandbox`` base. Use it as a context manager or call ``stop()``.
"""

from __future__ import annotations

import threading
import time
from types import TracebackType

import uvicorn
from starlette.applications import Starlette


class SandboxServer:
    def __init__(self, server: uvicorn.Server, thread: threading.Thread, host: str,
                 port: int) -> None:
        self._server = server
        self._thread = thread
        self.host = host
        self.port = port

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def url(self) -> str:
        return f"{self.base_url}/api"

    @property
    def admin_url(self) -> str:
        return f"{self.base_url}/_sandbox"

    @property
    def app(self) -> Starlette:
        return self._server.config.app

    def stop(self, timeout: float = 10.0) -> None:
        self._server.should_exit = True
        self._thread.join(timeout)

    def wait(self) -> None:
        """Block until the server stops (e.g. from a signal handler calling ``stop``)."""
        while self._thread.is_alive():
            self._thread.join(0.5)

    def __enter__(self) -> SandboxServer:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()


def start_server(app: Starlette, host: str = "127.0.0.1", port: int = 0,
                 startup_timeout: float = 30.0) -> SandboxServer:
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False,
                            lifespan="off", timeout_keep_alive=30)
    server = uvicorn.Server(config)
    server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
    thread = threading.Thread(target=server.run, name="shipping-sandbox", daemon=True)
    thread.start()
    deadline = time.monotonic() + startup_timeout
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError(f"sandbox server failed to start on {host}:{port}")
        if time.monotonic() > deadline:
            server.should_exit = True
            raise RuntimeError(f"sandbox server did not start within {startup_timeout} s")
        time.sleep(0.01)
    bound = port
    for s in server.servers:
        for sock in s.sockets:
            bound = sock.getsockname()[1]
            break
    return SandboxServer(server, thread, host, bound)
