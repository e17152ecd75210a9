"""Run the emulator in-process: uvicorn over HTTPS on a daemon thread."""

from __future__ import annotations

import dataclasses
import ipaddress
import logging
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

import uvicorn

from reconciler.emulator.errors import EmulatorError
from reconciler.emulator.identity import TOKEN_LIFETIME_S
from reconciler.emulator.limits import Limits
from reconciler.emulator.seeding import (
    demo_seed,
    generate_seed,
    load_seed_file,
    parse_seed,
)
from reconciler.emulator.server import Emulator
from reconciler.emulator.store import SeedData, Store
from reconciler.emulator.tls import TlsFiles, create_tls_files

logger = logging.getLogger(__name__)

_START_TIMEOUT_S = 15.0
_UNSET: Any = object()


class EmulatorServer:
    """A running emulator; stop it (or leave the `with` block) when done."""

    def __init__(
        self,
        emulator: Emulator,
        server: uvicorn.Server,
        thread: threading.Thread,
        url: str,
        tls: TlsFiles,
        scratch: Path | None,
    ) -> None:
        self._emulator = emulator
        self._server = server
        self._thread = thread
        self._scratch = scratch
        self.url = url
        self.ca_bundle = tls.ca_bundle
        self.tls = tls

    @property
    def store(self) -> Store:
        """The live data, for tests that play an analyst editing in the portal."""
        return self._emulator.store

    @property
    def app(self) -> Emulator:
        """The ASGI application itself, for in-process transports."""
        return self._emulator

    @property
    def limits(self) -> Limits:
        return self._emulator.limits

    def description(self) -> dict[str, Any]:
        """Where the emulator is and what it knows: apps, secrets and tenants."""
        with self.store.lock:
            return {
                "url": self.url,
                "ca_bundle": str(self.ca_bundle),
                "apps": [
                    {"client_id": app.client_id, "client_secret": app.client_secret}
                    for app in self.store.apps.values()
                ],
                "tenants": [
                    {"name": tenant.name, "tenant_id": tenant.tenant_id}
                    for tenant in self.store.tenants.values()
                ],
            }

    def stats(self) -> dict[str, Any]:
        return self.store.stats()

    def writes(self) -> list[dict[str, Any]]:
        return self.store.writes()

    def reset(self) -> None:
        """Data back to the seed, counters and writes cleared, limits as started."""
        self._emulator.reset()

    def configure(
        self,
        *,
        latency_ms: float = _UNSET,
        quota_per_minute: int = _UNSET,
        quota_window_s: float = _UNSET,
        fault_rate: float = _UNSET,
        fault_seed: int = _UNSET,
        slow_response_s: float = _UNSET,
    ) -> Limits:
        """Change limits while running; unnamed limits keep their values."""
        given = {
            "latency_ms": latency_ms,
            "quota_per_minute": quota_per_minute,
            "quota_window_s": quota_window_s,
            "fault_rate": fault_rate,
            "fault_seed": fault_seed,
            "slow_response_s": slow_response_s,
        }
        changes: dict[str, Any] = {k: v for k, v in given.items() if v is not _UNSET}
        with self.store.lock:
            self._emulator.limits = dataclasses.replace(
                self._emulator.limits, **changes
            )
            if "fault_seed" in changes or "fault_rate" in changes:
                self._emulator.faults.clear()
            return self._emulator.limits

    def issue_token(
        self, tenant_id: str, client_id: str, *, lifetime_s: int = TOKEN_LIFETIME_S
    ) -> str:
        """A Graph access token as the token endpoint would issue it (tests)."""
        with self.store.lock:
            app = self.store.apps[client_id]
        return self._emulator.tokens.issue(tenant_id, app, lifetime_s=lifetime_s)

    def stop(self) -> None:
        # Idle keep-alive TLS connections would hold a graceful shutdown open
        # until its timeout; an emulator has nothing worth finishing.
        self._server.should_exit = True
        self._server.force_exit = True
        self._thread.join(timeout=10)
        if self._scratch is not None:
            shutil.rmtree(self._scratch, ignore_errors=True)
            self._scratch = None
        logger.info("emulator at %s stopped", self.url)

    def __enter__(self) -> EmulatorServer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def start_emulator(
    *,
    seed: Path | Mapping[str, Any] | None = None,
    generate: tuple[int, int] | None = None,
    host: str = "127.0.0.1",
    port: int = 0,
    latency_ms: float = 0,
    quota_per_minute: int = 150,
    fault_rate: float = 0.0,
    fault_seed: int = 0,
    state_dir: Path | None = None,
    tls: TlsFiles | None = None,
) -> EmulatorServer:
    """Start an emulator and return once it accepts HTTPS connections.

    `seed` is a seed file or mapping, `generate` is (tenants, incidents each);
    with neither, the demo seed. Certificates go to `state_dir` (default: a
    temporary directory removed on stop) unless `tls` gives ready files.
    """
    data = _seed_data(seed, generate)
    limits = Limits(
        latency_ms=latency_ms,
        quota_per_minute=quota_per_minute,
        fault_rate=fault_rate,
        fault_seed=fault_seed,
    )
    emulator = Emulator(Store(data), limits)

    scratch = None
    if tls is None:
        if state_dir is None:
            scratch = Path(tempfile.mkdtemp(prefix="reconciler-emulator-"))
        tls = create_tls_files(state_dir or scratch or Path("."), (host,))

    sock = _bind(host, port)
    config = uvicorn.Config(
        emulator,
        loop="uvloop",
        http="httptools",
        ws="none",
        lifespan="off",
        ssl_certfile=str(tls.certfile),
        ssl_keyfile=str(tls.keyfile),
        log_config=None,
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=1,
        timeout_keep_alive=30,
        backlog=1024,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="emulator", daemon=True
    )
    thread.start()
    _wait_until_started(server, thread)

    bound_port = sock.getsockname()[1]
    url_host = f"[{host}]" if ":" in host else host
    if _is_unspecified(host):
        url_host = "127.0.0.1"
    url = f"https://{url_host}:{bound_port}"
    logger.info("emulator listening at %s (CA bundle %s)", url, tls.ca_bundle)
    return EmulatorServer(emulator, server, thread, url, tls, scratch)


def _seed_data(
    seed: Path | Mapping[str, Any] | None, generate: tuple[int, int] | None
) -> SeedData:
    if seed is not None and generate is not None:
        raise EmulatorError("give a seed or a generate size, not both")
    if generate is not None:
        return generate_seed(*generate)
    if seed is None:
        return demo_seed()
    if isinstance(seed, Path):
        return load_seed_file(seed)
    return parse_seed(seed)


def _is_unspecified(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_unspecified
    except ValueError:
        return False


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as error:
        sock.close()
        raise EmulatorError(
            f"cannot listen on {host}:{port}: {error.strerror}; choose another "
            "--port (0 picks a free one)"
        ) from error
    sock.set_inheritable(True)
    return sock


def _wait_until_started(server: uvicorn.Server, thread: threading.Thread) -> None:
    deadline = time.monotonic() + _START_TIMEOUT_S
    while not server.started:
        if not thread.is_alive():
            raise EmulatorError("the emulator's server thread ended while starting")
        if time.monotonic() > deadline:
            server.should_exit = True
            raise EmulatorError(
                f"the emulator did not start within {_START_TIMEOUT_S:.0f} s"
            )
        time.sleep(0.005)
