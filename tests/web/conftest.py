"""A real server on loopback, started once per session from the real build."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    def __init__(self, url: str, proc: subprocess.Popen, log: Path, base: str):
        self.url = url
        self.proc = proc
        self.log = log
        self.base = base

    def __call__(self, path: str) -> str:
        return self.url + path


def start_server(dist: Path, log: Path, *extra: str, env: dict | None = None,
                 base: str = "https://w3id.org/siberia-kg/", timeout: float = 30.0) -> LiveServer:
    port = free_port()
    cmd = [sys.executable, "-m", "siberia_kg.cli", "serve", "--host", "127.0.0.1",
           "--port", str(port), "--out", str(dist), "--base", base, *extra]
    out = open(log, "wb")
    proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT,
                            env={**os.environ, **(env or {})})
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url + "/.well-known/void", timeout=2) as r:
                if r.status == 200:
                    return LiveServer(url, proc, log, base)
        except Exception:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"server not ready in {timeout}s:\n{log.read_text()}")


def stop_server(server: LiveServer) -> None:
    server.proc.terminate()
    try:
        server.proc.wait(10)
    except subprocess.TimeoutExpired:
        server.proc.kill()


@pytest.fixture(scope="session")
def live(built, tmp_path_factory):
    """The server on a free loopback port, serving the session's build."""
    log = tmp_path_factory.mktemp("server") / "server.log"
    server = start_server(built.out_dir, log)
    yield server
    stop_server(server)
