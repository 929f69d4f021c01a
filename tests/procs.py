"""Processes as /proc shows them, for tests that watch the server's SPARQL workers come, go and
get replaced (the workers are the server's children started by multiprocessing's spawn)."""

from __future__ import annotations

import time
from pathlib import Path


def stat(pid: int) -> list[str] | None:
    """/proc/PID/stat after the command name: [state, ppid, ...], or None if it is gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return None


def state(pid: int) -> str | None:
    fields = stat(pid)
    return fields[0] if fields else None


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()[:200]
    except OSError:
        return "?"


def worker_pids(server_pid: int) -> list[int]:
    """The server's SPARQL worker processes."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = stat(int(entry.name))
            if fields and int(fields[1]) == server_pid and "spawn_main" in cmdline(int(entry.name)):
                pids.append(int(entry.name))
    return sorted(pids)


def wait_for_workers(server, n: int = 2, timeout: float = 20) -> list[int]:
    """The pids once exactly ``n`` workers of ``server`` (with .proc) are up."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pids = worker_pids(server.proc.pid)
        if len(pids) == n:
            return pids
        time.sleep(0.1)
    raise AssertionError(f"expected {n} worker(s), found {worker_pids(server.proc.pid)}")
