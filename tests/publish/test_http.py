"""The publish command's own HTTP client (standard library only) against small loopback servers:
Basic and Digest chosen from the 401 challenge and then sent up front, Bearer tokens, kept-alive
connections the server closed, answers sent before the body was read, redirects not followed,
timeouts and retries; and bad input refused before anything is sent.

Functional only: nothing here is timed."""

from __future__ import annotations

import base64
import threading
import time
from http.server import ThreadingHTTPServer

import pytest
from click.testing import CliRunner

import siberia_kg.publish as publish_module
from siberia_kg.publish import (AuthError, DigestState, HTTPFailure, PublishError, PublishOptions,
                                StoreClient, parse_challenges, publish)
from siberia_kg.publish_cli import publish as publish_command

from .conftest import write_synthetic
from .loopback import Handler, serve, stop


class Stub:
    """A loopback HTTP/1.1 server; `answer(handler, body)` returns (status, headers, body) or
    None to close the connection without answering. Every request is recorded."""

    def __init__(self, answer):
        self.answer = answer
        self.seen: list[dict] = []
        stub = self

        class StubHandler(Handler):
            def handle_request(self):
                body = self.read_body()
                stub.seen.append({"method": self.command, "path": self.path, "body": body,
                                  "authorization": self.headers.get("Authorization"),
                                  "peer": self.client_address})
                result = stub.answer(self, body)
                if result is None:
                    self.cut()
                else:
                    self.answer(*result)

        class Server(ThreadingHTTPServer):
            def shutdown_request(self, request):
                super().shutdown_request(request)
                stub.closed.release()  # one more connection closed on the server's side

        self.closed = threading.Semaphore(0)
        self.server = serve(StubHandler, Server)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self):
        stop(self.server)


@pytest.fixture
def stub():
    made = []

    def make(answer):
        s = Stub(answer)
        made.append(s)
        return s

    yield make
    for s in made:
        s.close()


OK = (200, {"Content-Type": "application/sparql-results+json"}, b'{"boolean": true}')


def test_basic_auth_is_chosen_from_the_challenge_then_sent_up_front(stub):
    good = "Basic " + base64.b64encode(b"alice:s3cret").decode()

    def answer(handler, body):
        if handler.headers.get("Authorization") != good:
            return 401, {"WWW-Authenticate": 'Basic realm="store"'}, b""
        return OK

    s = stub(answer)
    client = StoreClient(user="alice", password="s3cret", retries=0)
    for _ in range(3):
        client.request("POST", s.url + "/update", what="t", content=b"x" * 10)
    client.close()
    assert [r["authorization"] is None for r in s.seen] == [True, False, False, False]


def test_wrong_basic_password_is_an_auth_error(stub):
    s = stub(lambda h, b: (401, {"WWW-Authenticate": 'Basic realm="store"'}, b""))
    client = StoreClient(user="alice", password="wrong", retries=3)
    with pytest.raises(AuthError, match="check --user/--password"):
        client.request("GET", s.url + "/sparql", what="t")
    assert len(s.seen) == 2  # unauthenticated, then once with the password; never retried


def test_bearer_token_goes_with_every_request(stub):
    s = stub(lambda h, b: OK)
    client = StoreClient(token="tok-123", retries=0)
    client.request("GET", s.url + "/sparql", what="t")
    client.request("POST", s.url + "/sparql", what="t", data={"query": "ASK {}"})
    assert {r["authorization"] for r in s.seen} == {"Bearer tok-123"}
    assert s.seen[1]["body"] == b"query=ASK+%7B%7D"


def test_refused_token_is_an_auth_error(stub):
    s = stub(lambda h, b: (401, {"WWW-Authenticate": 'Bearer realm="store"'}, b""))
    with pytest.raises(AuthError, match="check --token"):
        StoreClient(token="expired", retries=2).request("GET", s.url, what="t")
    assert len(s.seen) == 1


@pytest.mark.parametrize("algorithm, expected", [
    ("MD5", "8ca523f5e9506fed4657c9700eebdbec"),
    ("SHA-256", "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"),
])
def test_digest_response_matches_rfc_7616(monkeypatch, algorithm, expected):
    """The example of RFC 7616 section 3.9.1."""
    challenge = parse_challenges([
        f'Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm={algorithm}, '
        f'nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", '
        f'opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"'])["digest"]
    monkeypatch.setattr(publish_module.secrets, "token_hex",
                        lambda n: "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ")
    header = DigestState(challenge).header("Mufasa", "Circle of Life", "GET", "/dir/index.html",
                                           b"")
    assert f'response="{expected}"' in header
    assert "nc=00000001" in header and "qop=auth," in header
    assert 'opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"' in header


def test_idle_connection_closed_by_the_server_is_replaced_without_a_retry(stub):
    """A kept-alive connection the server has since closed is noticed before it is used."""
    def answer(handler, body):
        handler.close_connection = True  # closes after answering, without saying so
        return OK

    s = stub(answer)
    client = StoreClient(retries=0)
    for _ in range(3):
        client.request("PUT", s.url + "/store", what="t", content=b"chunk")
        assert s.closed.acquire(timeout=60)  # the server has closed it (a bound, not a timing)
    client.close()
    assert len(s.seen) == 3 and client.retried == 0
    assert len({r["peer"] for r in s.seen}) == 3  # three connections


def test_an_answer_before_the_body_was_read_is_still_read(stub):
    """Like Virtuoso's 401 to a large unauthenticated upload: answer, close, never read."""
    big = b"<http://a> <http://p> \"x\" .\n" * 400_000  # ~10 MB, more than socket buffers hold

    class Early(Handler):
        def handle_request(self):  # answers without reading the body
            self.send_response(413)
            self.send_header("Content-Length", "0")
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.flush()
            self.close_connection = True

    server = serve(Early)
    try:
        with pytest.raises(HTTPFailure) as e:
            StoreClient(retries=0).request(
                "PUT", f"http://127.0.0.1:{server.server_address[1]}/store", what="uploading",
                content=big)
        assert e.value.status == 413
    finally:
        stop(server)


def test_redirects_are_not_followed(stub):
    s = stub(lambda h, b: (302, {"Location": "http://127.0.0.1:9/elsewhere"}, b""))
    with pytest.raises(HTTPFailure, match="HTTP 302") as e:
        StoreClient(retries=2).request("POST", s.url + "/update", what="t", data={"update": "x"})
    assert len(s.seen) == 1 and not e.value.transient


def test_retry_after_is_honoured_and_transient_failures_are_retried(stub):
    answers = [(503, {"Retry-After": "0"}, b"busy"), None, (429, {"Retry-After": "0"}, b""),
               (408, {}, b""), OK]
    s = stub(lambda h, b: answers[len(s.seen) - 1])
    logs = []
    client = StoreClient(retries=4, backoff=0.01, log=logs.append)
    assert client.request("GET", s.url + "/sparql", what="asking").json() == {"boolean": True}
    assert client.retried == 4 and len(s.seen) == 5
    assert "HTTP 503" in logs[0] and "busy" in logs[0] and "attempt 2 of 5" in logs[0]
    assert "RemoteDisconnected" in logs[1] or "Connection" in logs[1]


@pytest.fixture
def silent_stub(stub):
    """A stub that holds every request without answering until the test is over."""
    release = threading.Event()

    def answer(handler, body):
        release.wait(60)  # bound for a failing test only
        return OK

    yield stub(answer)
    release.set()


def test_a_store_that_does_not_answer_in_time(silent_stub):
    with pytest.raises(HTTPFailure, match="timed out .* a larger --timeout may help") as e:
        StoreClient(retries=0, timeout=1).request("GET", silent_stub.url + "/sparql",
                                                  what="asking")
    assert e.value.transient and e.value.sent


def test_max_time_ends_the_retries(stub):
    """A store that keeps answering 503: without --max-time all 1 + 10 attempts would be made
    over 20 s of Retry-After waits; with a 3 s limit the wait that would pass it is not begun."""
    s = stub(lambda h, b: (503, {"Retry-After": "2"}, b"busy"))
    client = StoreClient(retries=10, backoff=0.01, max_time=3)
    with pytest.raises(HTTPFailure, match="HTTP 503.*not retried: --max-time 3 s would be over"):
        client.request("GET", s.url + "/sparql", what="asking")
    assert 1 <= len(s.seen) < 11


def test_max_time_cuts_the_wait_for_an_answer(silent_stub):
    with pytest.raises(HTTPFailure, match="no answer before --max-time 1 s was over") as e:
        StoreClient(retries=3, timeout=600, max_time=1).request(
            "GET", silent_stub.url + "/sparql", what="asking")
    # the request may have reached the store (a swap of unknown outcome), and its limit is
    # spent: not retried
    assert e.value.sent and not e.value.transient
    assert len(silent_stub.seen) == 1


def test_past_max_time_nothing_is_sent_but_grace_allows_one_request(stub):
    s = stub(lambda h, b: (503, {}, b"busy") if len(s.seen) == 1 else OK)
    client = StoreClient(retries=3, backoff=0.01, max_time=0.001)
    time.sleep(0.01)
    with pytest.raises(HTTPFailure, match="asking: not tried, --max-time 0.001 s is over") as e:
        client.request("GET", s.url + "/sparql", what="asking")
    assert not e.value.sent and s.seen == []
    with client.grace():  # one request, no retry: the 503 stands
        with pytest.raises(HTTPFailure, match="HTTP 503"):
            client.request("GET", s.url + "/sparql", what="dropping")
    assert len(s.seen) == 1
    with pytest.raises(HTTPFailure, match="not tried"):  # the deadline is back
        client.request("GET", s.url + "/sparql", what="asking")
    assert len(s.seen) == 1


def test_grace_without_a_deadline_keeps_the_retries(stub):
    s = stub(lambda h, b: (503, {}, b"busy") if len(s.seen) == 1 else OK)
    client = StoreClient(retries=2, backoff=0.01)
    with client.grace():
        assert client.request("GET", s.url + "/sparql", what="asking").json() == {"boolean": True}
    assert len(s.seen) == 2


def test_swap_is_retried_only_when_it_certainly_did_not_run():
    over = publish_module.request_over
    assert over(publish_module.Unreachable("no connection"))
    assert over(HTTPFailure("busy", status=503, transient=True))
    assert not over(HTTPFailure("timed out", transient=True))
    assert not over(HTTPFailure("gateway timeout", status=504, transient=True))
    assert not over(HTTPFailure("reset after sending", transient=True))


# --- bad input: a clear error, what and where, and exit code 1, before anything is sent -------


def run_cli(*args):
    return CliRunner().invoke(publish_command, list(args), catch_exceptions=False)


@pytest.mark.parametrize("args, message", [
    (["--endpoint", "localhost:8890/sparql"],
     "--endpoint must be an http(s) URL such as http://localhost:8890/sparql: "
     "'localhost:8890/sparql'"),
    (["--endpoint", "http://127.0.0.1:9/sparql", "--graph", "not an iri"],
     "--graph must be an absolute IRI"),
    (["--endpoint", "http://127.0.0.1:9/sparql", "--gsp-endpoint", "/store"],
     "--gsp-endpoint must be an http(s) URL"),
    (["--endpoint", "http://127.0.0.1:9/sparql", "--user", "dba"],
     "give both --user and --password"),
    (["--endpoint", "http://127.0.0.1:9/sparql", "--token", "t", "--user", "u", "--password", "p"],
     "give either --user/--password or --token, not both"),
])
def test_bad_options_are_clear_errors(tmp_path, args, message):
    f = tmp_path / "d.nq"
    write_synthetic(f, 3, "v1")
    r = run_cli(*args, "--dump", str(f))
    assert r.exit_code == 1, r.output
    assert message in r.output and "Traceback" not in r.output


def test_unknown_dump_format_is_a_clear_error(tmp_path):
    f = tmp_path / "d.rdf"
    f.write_text("<rdf:RDF/>")
    r = run_cli("--endpoint", "http://127.0.0.1:9/sparql", "--dump", str(f))
    assert r.exit_code == 1 and f"{f}: unknown RDF format (use .nq, .nt, .ttl or .trig)" in r.output


def test_broken_dump_names_file_line_and_column(virtuoso, tmp_path):
    f = tmp_path / "broken.nq"
    write_synthetic(f, 2, "v1")
    with f.open("a") as out:
        out.write("<http://example.org/s> <http://example.org/p> oops .\n")
    r = run_cli("--endpoint", virtuoso.sparql, "--user", "dba", "--password", "dba",
                "--graph", "http://example.org/publish-test/broken", "--dump", str(f))
    assert r.exit_code == 1
    assert f"error: {f}: " in r.output and "line 13" in r.output and "column" in r.output


def test_chunk_size_below_one_is_refused():
    with pytest.raises(PublishError, match="--chunk-triples must be at least 1"):
        publish([], PublishOptions(endpoint="http://127.0.0.1:9/sparql",
                                   graph="http://example.org/g", chunk_triples=0))
    r = run_cli("--endpoint", "http://127.0.0.1:9/sparql", "--chunk-triples", "0")
    assert r.exit_code == 2 and "--chunk-triples" in r.output


def test_http_proxy_from_the_environment(stub, monkeypatch):
    """HTTP_PROXY is honoured as with other HTTP clients: the request goes to the proxy with the
    absolute URL (the store's host is never looked up here)."""
    s = stub(lambda h, b: OK)
    for name in ("no_proxy", "NO_PROXY", "all_proxy", "ALL_PROXY", "http_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", s.url)
    StoreClient(retries=0).request("GET", "http://store.invalid:8890/sparql", what="t",
                                   params={"query": "ASK {}"})
    assert s.seen[0]["path"] == "http://store.invalid:8890/sparql?query=ASK+%7B%7D"


def test_a_401_without_a_challenge_gets_basic_once(stub):
    good = "Basic " + base64.b64encode(b"alice:s3cret").decode()
    s = stub(lambda h, b: OK if h.headers.get("Authorization") == good else (401, {}, b""))
    client = StoreClient(user="alice", password="s3cret", retries=0)
    client.request("GET", s.url + "/sparql", what="t")
    assert [r["authorization"] for r in s.seen] == [None, good]


@pytest.mark.parametrize("isolation, warned", [("2", True), ("4", True), ("8", False)])
def test_virtuoso_below_serializable_is_warned_about(stub, isolation, warned):
    body = ('{"results": {"bindings": [{"i": {"type": "literal", "value": "%s"}}]}}'
            % isolation).encode()
    s = stub(lambda h, b: (200, {"Content-Type": "application/sparql-results+json"}, body))
    endpoints = publish_module.derive_endpoints(s.url + "/sparql", "Virtuoso/07.20",
                                                credentials=True)
    warning = publish_module.virtuoso_isolation_warning(StoreClient(retries=0), endpoints)
    assert (warning is not None) == warned
    if warned:
        assert f"DefaultIsolation = {isolation}" in warning and "= 8 (SERIALIZABLE)" in warning
