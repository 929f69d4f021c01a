"""The polite client against a real HTTP endpoint on loopback: User-Agent, GET and POST,
throttling, backoff on 429/503 honouring Retry-After, the cache, timeouts and batch splitting."""

from __future__ import annotations

import email.utils
import re
import time

import pytest

from siberia_kg.link.candidates import SearchKey, WikidataReader
from siberia_kg.link.client import (CacheMiss, SparqlClient, SparqlError, cache_key,
                                    parse_retry_after, user_agent)

ASK = "ASK { ?s ?p ?o }"
LABEL_Q = 'SELECT ?item WHERE { ?item <http://www.w3.org/2000/01/rdf-schema#label> "Kwantung Army"@en }'


def test_user_agent_follows_the_wikimedia_policy(endpoint, make_client):
    client = make_client(endpoint, contact="linker@example.org")
    assert client.ask(ASK) is True
    ua = endpoint.requests[-1].user_agent
    # <client>/<version> (<contact information>) <library>/<version> ...
    assert re.match(r"^siberia-kg/\d+\.\d+\.\d+ \([^)]*linker@example\.org[^)]*\) "
                    r"SPARQLWrapper/\S+ Python/\S+$", ua), ua
    assert user_agent(None).startswith("siberia-kg/")
    assert "https://w3id.org/siberia-kg/" in user_agent(None)


def test_short_queries_go_by_get_long_ones_by_post(endpoint, make_client):
    client = make_client(endpoint, use_cache=False)
    rows = client.select(LABEL_Q)
    assert [r["item"]["value"] for r in rows] == ["http://www.wikidata.org/entity/Q900000413"]
    assert endpoint.requests[-1].method == "GET"
    long_query = LABEL_Q.replace("SELECT", "SELECT " + "#" * 10 + "\n") + "\n#" + "x" * 3000
    assert client.select(long_query) == rows
    assert endpoint.requests[-1].method == "POST"
    assert endpoint.requests[-1].headers["Content-Type"].startswith("application/x-www-form-urlencoded")


def test_429_is_retried_after_the_time_retry_after_asks(endpoint, make_client):
    waits = []

    def sleep(s):
        waits.append(s)
        time.sleep(s)

    client = make_client(endpoint, use_cache=False, sleep=sleep, max_retries=3)
    endpoint.fail_next(2, status=429, retry_after="1")
    started = time.monotonic()
    assert client.ask(ASK) is True
    elapsed = time.monotonic() - started
    assert endpoint.count == 3                       # two refused, then answered
    assert [r.status for r in endpoint.requests] == [429, 429, 200]
    assert client.stats.waits == [1.0, 1.0] and waits == [1.0, 1.0]
    gaps = [b.at - a.at for a, b in zip(endpoint.requests, endpoint.requests[1:])]
    assert all(g >= 0.95 for g in gaps), gaps        # the server saw the client wait
    assert elapsed >= 2.0


def test_503_with_an_http_date_retry_after(endpoint, make_client):
    waits = []
    client = make_client(endpoint, use_cache=False, sleep=waits.append)
    when = email.utils.formatdate(time.time() + 30, usegmt=True)
    endpoint.fail_next(1, status=503, retry_after=when)
    assert client.ask(ASK) is True
    assert endpoint.count == 2
    assert len(waits) == 1 and 25 <= waits[0] <= 31


def test_without_retry_after_the_backoff_grows(endpoint, make_client):
    waits = []
    client = make_client(endpoint, use_cache=False, sleep=waits.append, backoff=2.0, max_retries=4)
    endpoint.fail_next(3, status=429, retry_after=None)
    assert client.ask(ASK) is True
    assert waits == [2.0, 4.0, 8.0]


def test_gives_up_after_max_retries_and_on_too_long_waits(endpoint, make_client):
    client = make_client(endpoint, use_cache=False, sleep=lambda s: None, max_retries=2)
    endpoint.fail_next(3, status=429, retry_after="1")
    with pytest.raises(SparqlError, match="after 2 retries"):
        client.ask(ASK)
    assert endpoint.count == 3
    endpoint.failures.clear()
    client = make_client(endpoint, use_cache=False, sleep=lambda s: None, max_wait=60)
    endpoint.fail_next(1, status=429, retry_after="3600")
    with pytest.raises(SparqlError, match="asks to wait 3600 s"):
        client.ask(ASK)


def test_other_errors_are_not_retried(endpoint, make_client):
    client = make_client(endpoint, use_cache=False)
    endpoint.fail_next(1, status=403, retry_after=None)
    with pytest.raises(SparqlError, match="403"):
        client.ask(ASK)
    assert endpoint.count == 1
    with pytest.raises(SparqlError, match="malformed"):
        client.select("SELECT WHERE {")


def test_throttling_spaces_requests(endpoint, make_client):
    client = make_client(endpoint, use_cache=False, min_interval=0.3)
    for i in range(4):
        client.select(LABEL_Q + f" LIMIT {i + 1}")
    gaps = [b.at - a.at for a, b in zip(endpoint.requests, endpoint.requests[1:])]
    assert len(gaps) == 3 and all(g >= 0.28 for g in gaps), gaps


def test_cache_answers_a_rerun_without_requests(endpoint, make_client, tmp_path):
    client = make_client(endpoint)
    first = client.select(LABEL_Q)
    assert endpoint.count == 1
    again = make_client(endpoint).select(LABEL_Q)      # a new client, the same cache folder
    assert again == first and endpoint.count == 1
    key = cache_key(endpoint.url, LABEL_Q)
    assert (tmp_path / "cache" / key[:2] / f"{key}.json").is_file()
    # offline: answers from the cache, refuses anything else
    offline = make_client(endpoint, offline=True)
    assert offline.select(LABEL_Q) == first
    with pytest.raises(CacheMiss):
        offline.select(LABEL_Q + " LIMIT 1")
    assert endpoint.count == 1
    # refresh asks again; an expired entry too
    make_client(endpoint, refresh=True).select(LABEL_Q)
    assert endpoint.count == 2
    make_client(endpoint, max_age=0.0).select(LABEL_Q)
    assert endpoint.count == 3
    # the cache is keyed by endpoint too
    other = SparqlClient(endpoint.url.replace("127.0.0.1", "localhost"), cache_dir=tmp_path / "cache",
                         min_interval=0)
    other.select(LABEL_Q)
    assert endpoint.count == 4


def test_unreachable_endpoint_is_a_clear_error(tmp_path, refused_port):
    client = SparqlClient(f"http://127.0.0.1:{refused_port}/sparql", cache_dir=tmp_path, min_interval=0)
    with pytest.raises(SparqlError, match="cannot reach"):
        client.ask(ASK)


def test_parse_retry_after():
    assert parse_retry_after("120") == 120.0
    assert parse_retry_after(None) is None and parse_retry_after("soon") is None
    now = time.time()
    assert parse_retry_after(email.utils.formatdate(now + 10, usegmt=True), now=now) == pytest.approx(10, abs=1)
    assert parse_retry_after(email.utils.formatdate(now - 10, usegmt=True), now=now) == 0.0


def test_a_batch_the_endpoint_gives_up_on_is_split(endpoint, make_client):
    # The endpoint "times out" on any label query with more than two values.
    endpoint.timeout_when = lambda q: "VALUES ?text" in q and q.count('"@') > 2
    reader = WikidataReader(make_client(endpoint), batch_size=8)
    keys = [SearchKey(t, "en") for t in ("Kwantung Army", "Unit 731", "Red Army", "NKVD",
                                         "Kyodo News")]
    hits = reader.search(keys)
    found = {k.text: sorted(h.qid for h in v) for k, v in hits.items()}
    assert found["Kwantung Army"] == ["Q900000413"]
    assert found["Unit 731"] == ["Q900000415"]
    assert found["Red Army"] == ["Q900000406", "Q900000754", "Q900000755"]
    statuses = [r.status for r in endpoint.requests]
    assert 500 in statuses and statuses[-1] == 200
    assert all(r.query.count('"@') <= 2 for r in endpoint.requests if r.status == 200)
