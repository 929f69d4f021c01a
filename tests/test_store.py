"""The persistent store dist/store/: opened without parsing, read-only by several processes at
once, and held by a running server (its pin) while a rebuild replaces dist/ underneath."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pyoxigraph as ox
import pytest

from siberia_kg.build import MARKER, build
from siberia_kg.config import Settings
from siberia_kg.store import GraphStore, store_path
from siberia_kg.store import oxigraph as store_mod
from siberia_kg.store.pin import pin_prefix, pin_store, pinned_for

ROOT = Path(__file__).resolve().parents[1]
CAMP = "https://w3id.org/siberia-kg/id/camp/taishet"
LABEL_QUERY = (f"SELECT ?l WHERE {{ <{CAMP}> <http://www.w3.org/2004/02/skos/core#prefLabel> ?l "
               "FILTER(LANG(?l) = 'en') }")


@pytest.fixture
def project(tmp_path, minidata) -> Settings:
    onto = tmp_path / "ontology"
    onto.mkdir()
    for name in ("siberia-kg.ttl", "shapes.ttl"):
        shutil.copy(ROOT / "ontology" / name, onto / name)
    return Settings(root=tmp_path, out_dir=tmp_path / "dist", registers_dir=tmp_path / "registers",
                    store=True)


def relabel(settings: Settings, label: str) -> None:
    places = settings.data_dir / "places.trig"
    text = places.read_text()
    places.write_text(text.replace('camp:taishet skos:prefLabel "Camp at Taishet"@en',
                                   f'camp:taishet skos:prefLabel "{label}"@en'))


def camp_label(store: GraphStore) -> str:
    return [r["l"].value for r in store.query(LABEL_QUERY)][0]


def assert_statistics_hold(store: GraphStore, stats: dict) -> None:
    """What the build counted, beside the store, is what counting on the store gives."""
    keys = ("quads", "union_triples", "default_graph", "named_graphs")
    assert {k: store.statistics[k] for k in keys} == {k: stats[k] for k in keys}
    raw = store.raw
    assert len(raw) == stats["quads"] == len(store)
    union = raw.query("SELECT (COUNT(*) AS ?n) { SELECT DISTINCT ?s ?p ?o { ?s ?p ?o } }",
                      use_default_graph_as_union=True)
    assert int(next(iter(union))["n"].value) == stats["union_triples"]
    named = {r["g"].value: int(r["n"].value) for r in raw.query(
        "SELECT ?g (COUNT(*) AS ?n) { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")}
    assert named == stats["named_graphs"]
    default = raw.query("SELECT (COUNT(*) AS ?n) { ?s ?p ?o }")
    assert int(next(iter(default))["n"].value) == stats["default_graph"]
    # entities per class as the class index counts them (web/services.py classes())
    from types import SimpleNamespace

    from siberia_kg.web import services

    state = SimpleNamespace(store=store, base="https://w3id.org/siberia-kg/")
    assert {c.iri: c.count for c in services.classes(state)} == stats["classes"]


def test_the_build_writes_a_store_that_opens_without_parsing(project, monkeypatch):
    result = build(project)
    out = project.out_dir
    assert result.store == out / "store" and store_path(out) == out / "store"
    marker = json.loads((out / MARKER).read_text())
    assert_statistics_hold(GraphStore.from_dist(out), marker["store"])
    # the store is not a dump: not listed, not served
    assert not [name for name in marker["files"] if name.startswith("store")]

    def no_parsing(*a, **kw):
        raise AssertionError("the store was opened by parsing a dump")

    monkeypatch.setattr(store_mod.GraphStore, "load_file", no_parsing)
    monkeypatch.setattr(ox, "parse", no_parsing)
    (out / "siberia-kg.nq").rename(out / "moved-away.nq")  # nothing to parse even if it tried
    store = GraphStore.from_dist(out)
    assert store.path == out / "store" and store.read_only
    assert camp_label(store) == "Camp at Taishet"
    assert store.query("ASK { GRAPH <https://w3id.org/siberia-kg/ontology> "
                       "{ ?c a <http://www.w3.org/2002/07/owl#Class> } }")
    with pytest.raises((OSError, RuntimeError)):  # read-only: no update goes through
        store.raw.update(f'INSERT DATA {{ <{CAMP}> <urn:x> "y" }}')


def test_a_build_without_a_store_is_loaded_into_memory(project):
    settings = Settings(root=project.root, out_dir=project.out_dir)
    build(settings)
    assert not (project.out_dir / "store").exists() and store_path(project.out_dir) is None
    store = GraphStore.from_dist(project.out_dir)
    assert store.path is None and camp_label(store) == "Camp at Taishet"


HOLDER = """
import sys
from pathlib import Path
from siberia_kg.store import GraphStore
s = GraphStore.open(Path(sys.argv[1]))
print("open", flush=True)
sys.stdin.readline()  # hold it open until told
print(len(list(s.query(sys.argv[2]))), flush=True)
"""


def test_two_processes_and_this_one_read_the_store_at_once(project):
    build(project)
    path = project.out_dir / "store"
    mine = GraphStore.open(path)
    procs = [subprocess.Popen([sys.executable, "-c", HOLDER, str(path), LABEL_QUERY],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
             for _ in range(2)]
    try:
        for p in procs:
            assert p.stdout.readline().strip() == "open"
        # all three hold it open now; each one queries
        assert camp_label(mine) == "Camp at Taishet"
        for p in procs:
            out, _ = p.communicate("go\n", timeout=30)
            assert out.strip() == "1" and p.returncode == 0
    finally:
        for p in procs:
            p.kill()
            p.wait()


def test_a_pinned_store_survives_a_rebuild(project):
    build(project)
    pinned = GraphStore.from_dist(project.out_dir, pin=True)
    folder = pinned.pinned_path.parent
    assert folder.parent == project.out_dir.parent and folder.name.startswith(".dist.serving-")
    assert pinned_for(project.out_dir) == pinned.pinned_path
    relabel(project, "Camp at Taishet, rebuilt")
    build(project)  # dist/ swapped, the old build deleted
    assert camp_label(pinned) == "Camp at Taishet"  # still reading the files it started with
    assert sum(1 for _ in pinned.raw.quads_for_pattern(None, None, None, None)) > 10
    assert camp_label(GraphStore.from_dist(project.out_dir)) == "Camp at Taishet, rebuilt"
    pinned.close()
    assert not folder.exists() and pinned_for(project.out_dir) is None


PINNER = """
import sys, time
from pathlib import Path
from siberia_kg.store import GraphStore
s = GraphStore.from_dist(Path(sys.argv[1]), pin=True)
print(s.pinned_path, flush=True)
time.sleep(600)
"""


def test_the_pin_of_a_killed_server_is_swept(project):
    build(project)
    proc = subprocess.Popen([sys.executable, "-c", PINNER, str(project.out_dir)],
                            stdout=subprocess.PIPE, text=True)
    try:
        left = Path(proc.stdout.readline().strip()).parent
        assert left.is_dir()
        # while it lives, its pin is left alone
        other = pin_store(project.out_dir, project.out_dir / "store")
        assert left.is_dir()
        other.release()
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        assert left.is_dir()  # nobody tidied after the killed process...
        again = pin_store(project.out_dir, project.out_dir / "store")
        assert not left.exists()  # ...until the next pin
        again.release()
        assert not list(project.out_dir.parent.glob(pin_prefix(project.out_dir) + "*"))
    finally:
        proc.kill()
        proc.wait()


# --- a running server and a rebuild --------------------------------------------------------------

def _get(server, path: str, accept: str) -> tuple[int, str]:
    req = urllib.request.Request(server.url + path, headers={"Accept": accept})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?o ?p }"


def _sparql(server, query: str) -> tuple[int, str]:
    return _get(server, "/sparql?" + urllib.parse.urlencode({"query": query}),
                "application/sparql-results+json")


def test_a_rebuild_under_a_running_server_does_not_disturb_it(project, tmp_path):
    from web.conftest import start_server, stop_server

    build(project)
    env = {"SIBERIA_KG_ROOT": str(project.root), "SIBERIA_KG_STORE": "1"}
    server = start_server(project.out_dir, tmp_path / "server.log", "--workers", "1",
                          "--sparql-timeout", "2", env=env)
    try:
        status, body = _sparql(server, LABEL_QUERY)
        assert status == 200 and "Camp at Taishet" in body
        pins = list(project.out_dir.parent.glob(pin_prefix(project.out_dir) + "*"))
        assert len(pins) == 1

        relabel(project, "Camp at Taishet, rebuilt")
        build(project)  # swaps dist/ and deletes the old one
        # the server goes on serving the graph it started with, pages and SPARQL alike, also
        # from a worker started after the rebuild (the first one is killed by a slow query)
        status, body = _get(server, "/id/camp/taishet", "text/turtle")
        assert status == 200 and "Camp at Taishet" in body and "rebuilt" not in body
        status, body = _sparql(server, LABEL_QUERY)
        assert status == 200 and "rebuilt" not in json.dumps(json.loads(body))
        status, body = _sparql(server, SLOW)
        assert status == 503  # the worker was killed; its successor opens the same pinned files
        status, body = _sparql(server, LABEL_QUERY)
        assert status == 200 and "Camp at Taishet" in body and "rebuilt" not in body
        status, body = _get(server, "/id/camp/taishet", "text/html")
        assert status == 200
    finally:
        stop_server(server)
    assert "Traceback" not in (tmp_path / "server.log").read_text()
    deadline = time.monotonic() + 10
    while list(project.out_dir.parent.glob(pin_prefix(project.out_dir) + "*")) \
            and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not list(project.out_dir.parent.glob(pin_prefix(project.out_dir) + "*"))

    # a restart serves the new build
    server = start_server(project.out_dir, tmp_path / "server2.log", "--workers", "1", env=env)
    try:
        status, body = _sparql(server, LABEL_QUERY)
        assert status == 200 and "Camp at Taishet, rebuilt" in body
    finally:
        stop_server(server)
