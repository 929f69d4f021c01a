"""A live server for the reliability tests: the session's real build on loopback, with short
limits so that the tests see them act (the SPARQL time limit, and how long a client may take to
send its request head and body)."""

from __future__ import annotations

import pytest

from web.conftest import ROOT, LiveServer, start_server, stop_server  # tests/ is on sys.path

SPARQL_TIMEOUT = 1.0   # --sparql-timeout: slow fuzzed queries are stopped quickly
HEADER_TIMEOUT = 5.0   # SIBERIA_KG_HEADER_TIMEOUT: a request head must arrive within this
BODY_TIMEOUT = 5.0     # SIBERIA_KG_BODY_TIMEOUT: and its body within this after the head
ARTIFACTS = ROOT / "test-artifacts"

__all__ = ["ARTIFACTS", "BODY_TIMEOUT", "HEADER_TIMEOUT", "LiveServer", "ROOT",
           "SPARQL_TIMEOUT", "start_server", "stop_server"]


@pytest.fixture(scope="module")
def server(built, tmp_path_factory) -> LiveServer:
    """The real build served with the short limits above (one server per test module)."""
    log = tmp_path_factory.mktemp("reliability") / "server.log"
    live = start_server(built.out_dir, log, "--sparql-timeout", str(SPARQL_TIMEOUT),
                        env={"SIBERIA_KG_HEADER_TIMEOUT": str(HEADER_TIMEOUT),
                             "SIBERIA_KG_BODY_TIMEOUT": str(BODY_TIMEOUT)})
    yield live
    stop_server(live)
