"""`kill -9` of a running `siberia-kg publish`, against a real Virtuoso on loopback.

The publish runs as its own process through the fault proxy, which holds one request (so the
process is known to be mid-request: no guessing at timing) while the test kills the process with
SIGKILL, which no cleanup code can catch. Afterwards the graph published before is intact, the
temporary graph of the killed run is left, and the next run with --clean-stale drops it and
replaces the graph. Killed after the store ran the swap, the new graph is there, whole.

Functional only: nothing here is timed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest
from click.testing import CliRunner

from siberia_kg.publish import publish
from siberia_kg.publish_cli import publish as publish_command

from .conftest import CREDENTIALS, SKOS, write_synthetic
from .test_publish import options
from .virtuoso import PASSWORD, USER

PERSON = "https://w3id.org/siberia-kg/id/person/register-synthetic-{version}-{i}"
SAMPLE = (0, 1, 777, 1_499)  # persons whose statements are checked


def has_statements(reader, graph: str, version: str) -> list[bool]:
    """For each sampled person: are its type and English label, as `version` wrote them, in the
    graph?"""
    return [reader.ask(f'ASK {{ GRAPH <{graph}> {{ <{PERSON.format(version=version, i=i)}> '
                       f'<{SKOS}prefLabel> "SYNTHETIC person {i} ({version})"@en ; '
                       f'a <https://schema.org/Person> }} }}') for i in SAMPLE]


def is_swap(seen) -> bool:
    return seen.method == "POST" and seen.path.startswith("/sparql-auth") and b"MOVE" in seen.body


@pytest.mark.parametrize("moment", [
    "upload-sent",       # chunk 4 is on its way: the store never gets it
    "upload-answered",   # the store has stored chunk 4, its answer is on its way
    "swap-sent",         # the swap request is on its way: the store never gets it
    "swap-answered",     # the store has swapped, its answer is on its way
])
def test_kill_9_mid_publish_leaves_the_published_graph_intact(virtuoso, reader, proxy, tmp_path,
                                                              moment):
    graph = f"http://example.org/publish-test/killed-{moment}"
    old, new = tmp_path / "old.nq", tmp_path / "new.nq"
    n_old = write_synthetic(old, 1_500, "v1")
    n_new = write_synthetic(new, 2_000, "v2")
    publish([old], options(virtuoso, graph))
    assert reader.count(graph) == n_old and all(has_statements(reader, graph, "v1"))

    if moment.startswith("swap"):
        hold = "hold" if moment == "swap-sent" else "hold-after"
        proxy.rule = lambda seen, n: hold if is_swap(seen) else None
    else:
        hold = "hold" if moment == "upload-sent" else "hold-after"
        proxy.rule = lambda seen, n: hold if seen.is_upload and seen.authenticated and n == 4 \
            else None
    env = {**os.environ, "SIBERIA_KG_PUBLISH_PASSWORD": PASSWORD}
    process = subprocess.Popen(
        [sys.executable, "-m", "siberia_kg.cli", "publish", "--endpoint", f"{proxy.base}/sparql",
         "--graph", graph, "--dump", str(new), "--user", USER, "--chunk-triples", "1000",
         "--retries", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
    try:
        # a bound for a run that never gets there, not a measurement
        held = proxy.held.wait(300)
        assert held and process.poll() is None, (process.poll(), process.stdout.read().decode()
                                                 if process.poll() is not None else "")
        uploaded = {"upload-sent": 3_000, "upload-answered": 4_000, "swap-sent": n_new,
                    "swap-answered": 0}[moment]
        tmps = reader.temporary_graphs(graph)
        assert [reader.count(t) for t in tmps] == ([uploaded] if uploaded else [])
        process.send_signal(signal.SIGKILL)
        process.wait()
    finally:
        proxy.release.set()
        if process.poll() is None:
            process.kill()
            process.wait()
        process.stdout.close()
    assert process.returncode == -signal.SIGKILL

    if moment == "swap-answered":
        # the swap ran: the new graph, whole, and nothing left over
        assert reader.count(graph) == n_new and reader.temporary_graphs(graph) == []
        assert all(has_statements(reader, graph, "v2"))
        assert not any(has_statements(reader, graph, "v1"))
        r = CliRunner().invoke(publish_command, [
            "--endpoint", virtuoso.sparql, "--graph", graph, "--dump", str(old), "--user",
            CREDENTIALS["user"], "--password", CREDENTIALS["password"], "--clean-stale"],
            catch_exceptions=False)
        assert r.exit_code == 0, r.output
        assert "stale" not in r.output
        assert reader.count(graph) == n_old and all(has_statements(reader, graph, "v1"))
        return

    # the graph published before is intact, with nothing of the killed run in it
    assert reader.count(graph) == n_old
    assert all(has_statements(reader, graph, "v1"))
    assert not any(has_statements(reader, graph, "v2"))
    # the killed run could not clean up: its temporary graph is left
    [tmp] = tmps
    assert reader.temporary_graphs(graph) == [tmp] and reader.count(tmp) == uploaded

    # the next run drops the leftover and replaces the graph
    proxy.rule = None
    r = CliRunner().invoke(publish_command, [
        "--endpoint", virtuoso.sparql, "--graph", graph, "--dump", str(new), "--user",
        CREDENTIALS["user"], "--password", CREDENTIALS["password"], "--chunk-triples", "1000",
        "--clean-stale"], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    assert f"dropped stale temporary graph <{tmp}>" in r.output
    assert f"published {n_new} triples into <{graph}>, replacing {n_old}" in r.output
    assert reader.count(graph) == n_new
    assert all(has_statements(reader, graph, "v2"))
    assert not any(has_statements(reader, graph, "v1"))
    assert reader.temporary_graphs(graph) == []
