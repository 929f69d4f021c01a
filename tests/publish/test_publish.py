"""`siberia-kg publish` against a real Virtuoso on loopback: loading, querying, atomic
replacement under a concurrent reader, failures injected mid-upload, retries, credentials.

Functional only: nothing here is timed (the machine is shared)."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner

from siberia_kg.publish import (AuthError, CountMismatch, PublishError, PublishOptions,
                                StoreClient, SwapUncertain, UnreachableError, build_dumps,
                                derive_endpoints, parse_retry_after, publish, stage)
from siberia_kg.publish_cli import publish as publish_command

from .conftest import CREDENTIALS, write_synthetic

DATASET = "https://w3id.org/siberia-kg/id/dataset/siberia-kg"


def options(v, graph, **kw) -> PublishOptions:
    # timeout: a bound on a request to the loopback store (so a store that stops answering fails
    # the test instead of hanging it), not a measurement
    base = dict(endpoint=v.sparql, graph=graph, backoff=0.01, timeout=120, **CREDENTIALS)
    base.update(kw)
    return PublishOptions(**base)


def distinct_triples(*files: Path) -> int:
    triples = set()
    for f in files:
        for q in ox.parse(path=str(f), format=ox.RdfFormat.N_QUADS):
            triples.add(q.triple)
    return len(triples)


def run_cli(*args):
    return CliRunner().invoke(publish_command, list(args), catch_exceptions=False)


# --- without a store ------------------------------------------------------------------------


def test_endpoints_are_derived_from_the_query_endpoint():
    v = derive_endpoints("http://h:8890/sparql", "Virtuoso/07.20.3229 (Linux)", credentials=True)
    assert (v.kind, v.update, v.gsp) == ("virtuoso", "http://h:8890/sparql-auth",
                                         "http://h:8890/sparql-graph-crud-auth")
    g = derive_endpoints("http://h:7200/repositories/skg", "")
    assert (g.kind, g.update, g.gsp) == ("graphdb", "http://h:7200/repositories/skg/statements",
                                         "http://h:7200/repositories/skg/rdf-graphs/service")
    f = derive_endpoints("http://h:3030/skg/query", "Apache Jena Fuseki (5.1.0)")
    assert (f.kind, f.update, f.gsp) == ("fuseki", "http://h:3030/skg/update",
                                         "http://h:3030/skg/data")
    o = derive_endpoints("http://h:7878/query", "")
    assert (o.update, o.gsp) == ("http://h:7878/update", "http://h:7878/store")
    x = derive_endpoints("http://h/sparql", "", update="http://h/u", gsp="http://h/g")
    assert (x.kind, x.update, x.gsp) == ("generic", "http://h/u", "http://h/g")


def test_retry_after_in_seconds_or_as_a_date():
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after(None) is None
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0


def test_build_dumps_come_from_the_build_marker(tmp_path):
    for name in ("siberia-kg.nq", "siberia-kg-register-a.nq", "siberia-kg.nt"):
        (tmp_path / name).write_text("")
    (tmp_path / ".siberia-kg-build").write_text(json.dumps({"files": {
        "siberia-kg-register-a.nq": {}, "siberia-kg.nt": {}, "siberia-kg.nq": {}}}))
    assert [p.name for p in build_dumps(tmp_path)] == ["siberia-kg.nq", "siberia-kg-register-a.nq"]
    with pytest.raises(PublishError, match="siberia-kg build"):
        build_dumps(tmp_path / "nothing")


def test_staging_counts_each_triple_once_across_graphs(tmp_path):
    f = tmp_path / "d.nq"
    f.write_text('<http://a> <http://p> "x" <http://g1> .\n'
                 '<http://a> <http://p> "x" <http://g2> .\n'
                 '<http://a> <http://p> "y" .\n'
                 '_:b <http://p> "z" <http://g1> .\n')
    s = stage([f], "http://example.org/pub")
    try:
        assert s.total == 3 and [g.target for g in s.graphs] == ["http://example.org/pub"]
        [chunk] = list(s.chunks(s.graphs[0], 1000))
        assert chunk[1] == 3 and b"_:" in chunk[0]
    finally:
        s.close()
    s = stage([f], "http://example.org/pub", keep_graphs=True)
    try:
        counts = {g.target: g.count for g in s.graphs}
        # the publication record names both citation graphs, next to the default-graph triple
        assert counts == {"http://example.org/pub": 3, "http://g1": 2, "http://g2": 1}
    finally:
        s.close()


# --- against Virtuoso -----------------------------------------------------------------------


def test_publish_the_build_then_query_it(virtuoso, reader, built):
    """The CLI publishes the real build; Virtuoso answers with the same data, over plain HTTP
    and through SPARQLWrapper."""
    from SPARQLWrapper import JSON, SPARQLWrapper

    dumps = build_dumps(built.out_dir)
    expected = distinct_triples(*dumps)
    r = run_cli("--endpoint", virtuoso.sparql, "--user", "dba", "--password", "dba",
                "--out", str(built.out_dir))
    assert r.exit_code == 0, r.output
    assert f"published {expected} triples into <{DATASET}>" in r.output
    assert "triples/s" in r.output
    assert reader.count(DATASET) == expected
    assert reader.temporary_graphs(DATASET) == []

    # the same persons and camps as the local build
    local = ox.Store()
    for f in dumps:
        local.load(path=str(f), format=ox.RdfFormat.N_QUADS)
    q = ("SELECT (COUNT(DISTINCT ?x) AS ?n) WHERE { GRAPH ?g { ?x a <https://schema.org/Person> } }")
    want_persons = int(next(iter(local.query(q)))["n"].value)
    sw = SPARQLWrapper(virtuoso.sparql)
    sw.setQuery(f"SELECT (COUNT(DISTINCT ?x) AS ?n) WHERE {{ GRAPH <{DATASET}> "
                f"{{ ?x a <https://schema.org/Person> }} }}")
    sw.setReturnFormat(JSON)
    got = sw.query().convert()["results"]["bindings"][0]["n"]["value"]
    assert int(got) == want_persons > 0

    sw.setQuery(f"SELECT ?label WHERE {{ GRAPH <{DATASET}> {{ "
                f"<https://w3id.org/siberia-kg/id/org/gupvi> "
                f"<http://www.w3.org/2004/02/skos/core#prefLabel> ?label "
                f"FILTER(LANG(?label) = 'en') }} }}")
    labels = [b["label"]["value"] for b in sw.query().convert()["results"]["bindings"]]
    assert labels and all(labels)


def test_republish_replaces_atomically_under_a_concurrent_reader(virtuoso, reader, tmp_path):
    """A reader polling the graph's size during a republish sees the old count, then the new
    one, and nothing in between."""
    graph = "http://example.org/publish-test/atomic"
    old, new = tmp_path / "old.nq", tmp_path / "new.nq"
    # Small graphs (12,000 and 18,000 triples): every lock a count or the MOVE holds is held
    # for a shorter time. With 72,000 and 120,000 the swap starved under CPU load. The price:
    # against READ COMMITTED this test caught a partial view in 1 of 4 runs; the isolation
    # warning asserted below catches that store setting every time.
    n_old = write_synthetic(old, 2_000, "v1")
    n_new = write_synthetic(new, 3_000, "v2")
    publish([old], options(virtuoso, graph))
    assert reader.count(graph) == n_old

    seen, errors, stop = [], [], threading.Event()

    def poll():
        from .conftest import Reader
        r = Reader(virtuoso)
        while not stop.is_set():
            try:
                seen.append(r.count(graph))
            except Exception as e:  # a reader may be chosen as a deadlock victim: not a view
                errors.append(repr(e))
            # Pacing: a SERIALIZABLE count under way when the MOVE starts can deadlock with it,
            # and Virtuoso stalls both up to its 60 s MaxQueryExecutionTime; with 0.02 s pauses
            # this test failed in CI after six swap attempts (docs/publishing.md has the
            # measurements). A count that starts during the MOVE waits for its commit: the view
            # under test.
            stop.wait(0.5)
        r.http.close()

    thread = threading.Thread(target=poll)
    thread.start()
    try:
        deadline = time.monotonic() + 120  # a bound for a reader that never reads, not a timing
        while len(seen) < 3 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert len(seen) >= 3, errors[:3]
        # backoff as in production (1 s, doubling): a swap that lost a lock conflict is
        # retried after the reader has moved on; max_time: a starved swap fails the test in
        # minutes instead of hanging it (a bound, not a timing)
        result = publish([new], options(virtuoso, graph, chunk_triples=5_000, backoff=1.0,
                                        max_time=300))
        deadline = time.monotonic() + 30
        while (not seen or seen[-1] != n_new) and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
        thread.join(60)
    assert result.triples == n_new and result.previous == n_old
    assert result.warnings == []  # the test store reads SERIALIZABLE (conftest)
    assert set(seen) <= {n_old, n_new}, sorted(set(seen))
    first_new = seen.index(n_new)
    assert set(seen[:first_new]) == {n_old} and set(seen[first_new:]) == {n_new}
    assert len(errors) < max(5, len(seen) // 10), errors[:3]
    assert reader.temporary_graphs(graph) == []
    # dropped, so that later tests scan a smaller store
    client = StoreClient(**CREDENTIALS, retries=0, timeout=120)
    client.update(virtuoso.sparql_auth, f"DROP SILENT GRAPH <{graph}>", what="cleaning up")
    client.close()


def test_connection_cut_mid_upload_keeps_the_old_graph(virtuoso, reader, proxy, tmp_path):
    """The proxy cuts every upload after the third: retries run out, the publish fails, the old
    graph is untouched, the temporary graph is dropped, and the next run succeeds."""
    graph = "http://example.org/publish-test/cut"
    old, new = tmp_path / "old.nq", tmp_path / "new.nq"
    n_old = write_synthetic(old, 3_000, "v1")
    n_new = write_synthetic(new, 5_000, "v2")
    publish([old], options(virtuoso, graph))

    proxy.rule = lambda seen, n: "cut" if seen.is_upload and seen.authenticated and n > 3 else None
    with pytest.raises(PublishError, match="uploading chunk 4"):
        publish([new], options(virtuoso, graph, endpoint=f"{proxy.base}/sparql",
                               chunk_triples=2_000, retries=2))
    assert proxy.uploads == 3 + 3  # three chunks, then the fourth tried three times
    assert reader.count(graph) == n_old
    label = reader.select(f'SELECT ?l WHERE {{ GRAPH <{graph}> {{ ?s <http://www.w3.org/2004/02/'
                          f'skos/core#prefLabel> ?l FILTER(LANG(?l) = "en") }} }} LIMIT 1')
    assert "(v1)" in label[0]["l"]["value"]
    assert reader.temporary_graphs(graph) == []

    proxy.rule = None
    result = publish([new], options(virtuoso, graph, endpoint=f"{proxy.base}/sparql",
                                    chunk_triples=2_000))
    assert result.triples == n_new == reader.count(graph)
    assert reader.temporary_graphs(graph) == []


def test_interrupted_run_drops_its_temporary_graph(virtuoso, reader, tmp_path):
    """Ctrl-C (or any exception) after two chunks: the temporary graph goes, the old stays."""
    graph = "http://example.org/publish-test/interrupt"
    old, new = tmp_path / "old.nq", tmp_path / "new.nq"
    n_old = write_synthetic(old, 1_000, "v1")
    write_synthetic(new, 2_000, "v2")
    publish([old], options(virtuoso, graph))
    chunks = []

    def progress(n):
        chunks.append(n)
        if len(chunks) == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        publish([new], options(virtuoso, graph, chunk_triples=1_000), progress=progress)
    assert reader.count(graph) == n_old
    assert reader.temporary_graphs(graph) == []


def test_lost_chunk_is_caught_by_the_count(virtuoso, reader, proxy, tmp_path):
    """A chunk the store acknowledged but never stored: the count check refuses the swap."""
    graph = "http://example.org/publish-test/lost"
    old, new = tmp_path / "old.nq", tmp_path / "new.nq"
    n_old = write_synthetic(old, 500, "v1")
    n_new = write_synthetic(new, 1_000, "v2")
    publish([old], options(virtuoso, graph))
    proxy.rule = lambda seen, n: "swallow" if seen.is_upload and seen.authenticated and n == 2 \
        else None
    with pytest.raises(CountMismatch, match=f"but {n_new} were sent"):
        publish([new], options(virtuoso, graph, endpoint=f"{proxy.base}/sparql",
                               chunk_triples=2_000))
    assert reader.count(graph) == n_old
    assert reader.temporary_graphs(graph) == []


def test_retries_on_503_and_connection_reset(virtuoso, reader, proxy, tmp_path):
    """A flaky proxy: 503 with Retry-After, then a cut connection, then 429; all retried."""
    graph = "http://example.org/publish-test/flaky"
    new = tmp_path / "new.nq"
    n_new = write_synthetic(new, 2_000, "v1")
    faults = {2: (503, {"Retry-After": "0"}), 3: "cut", 5: (429, {"Retry-After": "0"}),
              6: (503, {})}
    proxy.rule = lambda seen, n: faults.get(n) if seen.is_upload and seen.authenticated else None
    logs = []
    result = publish([new], options(virtuoso, graph, endpoint=f"{proxy.base}/sparql",
                                    chunk_triples=3_000), log=logs.append)
    assert result.retries == 4
    assert any("HTTP 503" in m and "retrying" in m for m in logs)
    assert any("HTTP 429" in m for m in logs)
    assert reader.count(graph) == n_new
    assert reader.temporary_graphs(graph) == []


def test_max_time_gives_up_and_still_drops_the_temporary_graph(virtuoso, reader, proxy,
                                                               tmp_path):
    """--max-time ends a run that retries (a store answering 503 with Retry-After: 2 to every
    upload after the first, where 20 retries would take over 40 s) and a run that waits for an
    answer (an upload held by the proxy, where --timeout is 120 s). Each time one more request,
    made after the limit, drops the temporary graph; the old graph stays; the CLI exits 1."""
    graph = "http://example.org/publish-test/max-time"
    old, new = tmp_path / "old.nq", tmp_path / "new.nq"
    n_old = write_synthetic(old, 500, "v1")
    write_synthetic(new, 1_000, "v2")
    publish([old], options(virtuoso, graph))
    via_proxy = dict(endpoint=f"{proxy.base}/sparql", chunk_triples=1_000, retries=20)

    proxy.rule = lambda seen, n: (503, {"Retry-After": "2"}) \
        if seen.is_upload and seen.authenticated and n > 1 else None
    with pytest.raises(PublishError, match="not retried: --max-time 4 s would be over"):
        publish([new], options(virtuoso, graph, max_time=4, **via_proxy))
    assert 2 <= proxy.uploads < 21
    assert reader.count(graph) == n_old
    assert reader.temporary_graphs(graph) == []

    proxy.uploads = 0
    proxy.rule = lambda seen, n: "hold" if seen.is_upload and seen.authenticated and n == 2 \
        else None
    try:
        with pytest.raises(PublishError, match="no answer before --max-time 3 s was over") as e:
            publish([new], options(virtuoso, graph, max_time=3, **via_proxy))
        assert "could not drop" not in str(e.value)  # the drop came after the limit, and worked
        assert proxy.held.is_set()
    finally:
        proxy.release.set()
    assert reader.count(graph) == n_old
    assert reader.temporary_graphs(graph) == []

    proxy.rule = lambda seen, n: (503, {"Retry-After": "2"}) if seen.is_upload else None
    r = run_cli("--endpoint", f"{proxy.base}/sparql", "--graph", graph, "--dump", str(new),
                "--retries", "20", "--max-time", "4",
                "--user", CREDENTIALS["user"], "--password", CREDENTIALS["password"])
    assert r.exit_code == 1 and "not retried: --max-time 4 s would be over" in r.output
    assert reader.count(graph) == n_old
    assert reader.temporary_graphs(graph) == []


def test_max_time_during_the_swap_keeps_the_temporary_graph(virtuoso, reader, proxy, tmp_path):
    """The swap request is held by the proxy past --max-time: whether the store ran it cannot be
    known, so the temporary graph is kept (never dropped under a swap that may be running), the
    error says how to clean up, and --clean-stale does."""
    graph = "http://example.org/publish-test/max-time-swap"
    old, new = tmp_path / "old.nq", tmp_path / "new.nq"
    n_old = write_synthetic(old, 300, "v1")
    n_new = write_synthetic(new, 400, "v2")
    publish([old], options(virtuoso, graph))
    proxy.rule = lambda seen, n: "hold" if seen.method == "POST" and \
        seen.path.startswith("/sparql-auth") and b"MOVE" in seen.body else None
    try:
        with pytest.raises(SwapUncertain, match="no answer before --max-time 5 s was over"
                           "(.|\n)*were kept(.|\n)*--clean-stale"):
            publish([new], options(virtuoso, graph, endpoint=f"{proxy.base}/sparql",
                                   max_time=5))
        assert proxy.held.is_set()
    finally:
        proxy.release.set()  # the held swap never reaches the store
    assert reader.count(graph) == n_old
    [tmp] = reader.temporary_graphs(graph)
    assert reader.count(tmp) == n_new
    proxy.rule = None
    result = publish([new], options(virtuoso, graph, clean_stale=True))
    assert result.stale_dropped == [tmp]
    assert reader.count(graph) == n_new and reader.temporary_graphs(graph) == []


def test_wrong_password_is_a_clear_error(virtuoso, reader, tmp_path):
    graph = "http://example.org/publish-test/auth"
    f = tmp_path / "d.nq"
    n = write_synthetic(f, 100, "v1")
    publish([f], options(virtuoso, graph))
    r = run_cli("--endpoint", virtuoso.sparql, "--user", "dba", "--password", "not-the-password",
                "--graph", graph, "--dump", str(f))
    assert r.exit_code == 1
    assert "HTTP 401" in r.output and "check --user/--password" in r.output
    with pytest.raises(AuthError):
        publish([f], options(virtuoso, graph, password="wrong"))
    r = run_cli("--endpoint", virtuoso.sparql, "--graph", graph, "--dump", str(f))
    assert r.exit_code == 1 and "--user and --password" in r.output
    assert reader.count(graph) == n
    assert reader.temporary_graphs(graph) == []


def test_unreachable_endpoint_is_a_clear_error(tmp_path, refused_port):
    f = tmp_path / "d.nq"
    write_synthetic(f, 10, "v1")
    url = f"http://127.0.0.1:{refused_port}/sparql"
    r = run_cli("--endpoint", url, "--dump", str(f), "--retries", "0")
    assert r.exit_code == 1
    assert f"cannot reach the store at {url}" in r.output
    with pytest.raises(UnreachableError):
        publish([f], PublishOptions(endpoint=url, graph="http://example.org/x", retries=0))


def test_sparql_update_protocol(virtuoso, reader, tmp_path):
    """Where a store offers only SPARQL Update: INSERT DATA chunks, same swap."""
    graph = "http://example.org/publish-test/update"
    f = tmp_path / "d.nq"
    n = write_synthetic(f, 1_500, "v1")
    # chunks larger than one INSERT DATA operation (Virtuoso's parser stops at about 5,000)
    result = publish([f], options(virtuoso, graph, protocol="update", chunk_triples=6_000))
    assert result.chunks == 2 and result.triples == n == reader.count(graph)
    assert reader.temporary_graphs(graph) == []
    # literals arrive with their language tags and datatypes
    person = "https://w3id.org/siberia-kg/id/person/register-synthetic-v1-7"
    rows = reader.select(f"SELECT ?l ?d WHERE {{ GRAPH <{graph}> {{ <{person}> "
                         f"<http://www.w3.org/2004/02/skos/core#prefLabel> ?l ; "
                         f"<https://schema.org/birthDate> ?d FILTER(LANG(?l) = 'ja') }} }}")
    assert [(r["l"]["value"], r["l"].get("xml:lang"), r["d"]["value"], r["d"].get("datatype"))
            for r in rows] == [("合成 7", "ja", "1917-08-17", "http://www.w3.org/2001/XMLSchema#date")]


def test_blank_nodes_stay_one_node_across_chunks(virtuoso, reader, tmp_path):
    graph = "http://example.org/publish-test/bnodes"
    f = tmp_path / "d.nq"
    write_synthetic(f, 200, "v1")
    with f.open("a") as out:
        for i in range(50):
            out.write(f'<http://example.org/s{i}> <http://example.org/p> _:b{i} .\n'
                      f'_:b{i} <http://example.org/v> "{i}" .\n')
    publish([f], options(virtuoso, graph, chunk_triples=100))
    rows = reader.select(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s "
                         f"<http://example.org/p> ?b . ?b <http://example.org/v> ?v }} }}")
    assert int(rows[0]["n"]["value"]) == 50


def test_keep_graphs_publishes_each_citation_graph(virtuoso, reader, tmp_path):
    record = "http://example.org/publish-test/record"
    f = tmp_path / "d.nq"
    n_a = write_synthetic(f, 300, "a", graph="http://example.org/publish-test/cit-a")
    g = tmp_path / "g.nq"
    n_b = write_synthetic(g, 200, "b", graph="http://example.org/publish-test/cit-b")
    result = publish([f, g], options(virtuoso, record, keep_graphs=True))
    assert result.graphs == 3
    counts = reader.graphs("http://example.org/publish-test/cit-")
    assert counts == {"http://example.org/publish-test/cit-a": n_a,
                      "http://example.org/publish-test/cit-b": n_b}
    assert reader.count(record) == 2  # the publication record: dcterms:hasPart each graph
    # republished without cit-b: that graph goes
    publish([f], options(virtuoso, record, keep_graphs=True))
    assert reader.graphs("http://example.org/publish-test/cit-") == {
        "http://example.org/publish-test/cit-a": n_a}
    assert reader.count(record) == 1
    assert not reader.temporary_graphs("http://example.org/publish-test/")


def test_dry_run_writes_nothing(virtuoso, reader, tmp_path):
    graph = "http://example.org/publish-test/dry"
    f = tmp_path / "d.nq"
    n = write_synthetic(f, 100, "v1")
    r = run_cli("--endpoint", virtuoso.sparql, "--user", "dba", "--password", "dba",
                "--graph", graph, "--dump", str(f), "--dry-run")
    assert r.exit_code == 0, r.output
    assert f"would publish {n} triples" in r.output
    assert reader.count(graph) == 0


def test_clean_stale_drops_leftovers_of_killed_runs(virtuoso, reader, tmp_path):
    graph = "http://example.org/publish-test/stale"
    f = tmp_path / "d.nq"
    n = write_synthetic(f, 100, "v1")
    leftover = f"{graph}-tmp-0123456789abcdef"
    # a temporary graph as a killed run leaves it
    publish([f], options(virtuoso, leftover))
    assert reader.count(leftover) == n
    result = publish([f], options(virtuoso, graph, clean_stale=True))
    assert result.stale_dropped == [leftover]
    assert reader.temporary_graphs(graph) == [] and reader.count(graph) == n

