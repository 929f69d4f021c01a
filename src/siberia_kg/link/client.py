"""A polite SPARQL 1.1 client for Wikidata and its mirrors, on SPARQLWrapper.

Polite, in the sense of the Wikimedia policies for the query service:

- a descriptive User-Agent (``siberia-kg/<version> (<contact>) SPARQLWrapper/<v> Python/<v>``),
  with the contact configurable (``--contact`` or ``SIBERIA_KG_CONTACT``);
- one request at a time, at least ``min_interval`` seconds apart (throttling);
- batching of many values into one query with ``VALUES`` (the callers do that);
- on 429 and 503, and on 502/504 from a gateway, a wait that honours ``Retry-After`` (seconds or
  an HTTP date) and otherwise grows exponentially, up to ``max_retries`` attempts and never
  longer than ``max_wait`` seconds at a time;
- a socket timeout on every request;
- an on-disk cache of responses keyed by endpoint and query text, so that a rerun makes no
  request at all and gives the same answer (``offline=True`` refuses to ask the network).
"""

from __future__ import annotations

import email.utils
import hashlib
import json
import os
import platform
import socket
import tempfile
import time
import urllib.error
import urllib.parse
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from .. import __version__

DEFAULT_ENDPOINT = "https://query.wikidata.org/sparql"
DEFAULT_CONTACT = "https://w3id.org/siberia-kg/"
RETRY_STATUSES = frozenset({429, 502, 503, 504})
# Long queries go by POST (the SPARQL 1.1 protocol allows both); short ones by GET, which the
# Wikidata query service can cache on its side. Measured on the URL-encoded query.
MAX_GET_LENGTH = 2000


class SparqlError(Exception):
    """The endpoint could not answer a query; the message says why and what to do."""


class QueryTimeout(SparqlError):
    """The endpoint gave up on a query (too heavy): callers may split the batch and retry."""


class CacheMiss(SparqlError):
    """Offline mode, and the answer to a query is not in the cache."""


def default_cache_dir() -> Path:
    env = os.environ.get("SIBERIA_KG_CACHE")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "siberia-kg" / "sparql"


def user_agent(contact: str | None = None) -> str:
    """A User-Agent in the form the Wikimedia User-Agent policy asks for:
    ``<client>/<version> (<contact information>) <library>/<version>``."""
    import SPARQLWrapper

    contact = contact or os.environ.get("SIBERIA_KG_CONTACT") or DEFAULT_CONTACT
    contact = " ".join(contact.split())  # no line breaks or tabs in a header
    return (f"siberia-kg/{__version__} ({contact}; Wikidata linker) "
            f"SPARQLWrapper/{SPARQLWrapper.__version__} Python/{platform.python_version()}")


def cache_key(endpoint: str, query: str) -> str:
    return hashlib.sha256(f"{endpoint}\n{query}".encode("utf-8")).hexdigest()


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header: delta-seconds or an HTTP date."""
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    now = time.time() if now is None else now
    return max(0.0, when.timestamp() - now)


@dataclass
class ClientStats:
    requests: int = 0          # HTTP requests sent (including retried ones)
    cache_hits: int = 0
    retries: int = 0
    waits: list[float] = field(default_factory=list)  # seconds waited because of 429/503


class SparqlClient:
    """SELECT/ASK queries with JSON results, cached on disk.

    ``sleep`` and ``clock`` are injectable so that tests can observe the waits; by default they
    are ``time.sleep`` and ``time.monotonic``.
    """

    def __init__(self, endpoint: str = DEFAULT_ENDPOINT, *, cache_dir: Path | str | None = None,
                 use_cache: bool = True, offline: bool = False, refresh: bool = False,
                 max_age: float | None = None, min_interval: float = 1.0,
                 timeout: float = 60.0, max_retries: int = 5, max_wait: float = 300.0,
                 backoff: float = 2.0, contact: str | None = None,
                 sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.monotonic):
        if not endpoint.startswith(("http://", "https://")):
            raise SparqlError(f"endpoint {endpoint!r} is not an http(s) URL")
        self.endpoint = endpoint
        self.cache_dir = Path(cache_dir) if cache_dir is not None else default_cache_dir()
        self.use_cache = use_cache
        self.offline = offline
        self.refresh = refresh
        self.max_age = max_age  # seconds; None = cached answers never expire
        self.min_interval = min_interval
        self.timeout = timeout
        self.max_retries = max_retries
        self.max_wait = max_wait
        self.backoff = backoff
        self.agent = user_agent(contact)
        self.stats = ClientStats()
        self._sleep = sleep
        self._clock = clock
        self._last_request: float | None = None
        if offline and not use_cache:
            raise SparqlError("offline mode needs the cache")

    # -------------------------------------------------------------- cache

    def _cache_path(self, query: str) -> Path:
        key = cache_key(self.endpoint, query)
        return self.cache_dir / key[:2] / f"{key}.json"

    def _cache_get(self, query: str) -> dict | None:
        if not self.use_cache or self.refresh:
            return None
        path = self._cache_path(query)
        try:
            entry = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError):
            return None  # a damaged entry is refetched and overwritten
        if entry.get("endpoint") != self.endpoint or entry.get("query") != query:
            return None
        if self.max_age is not None and not self.offline:
            try:
                fetched = datetime.fromisoformat(entry["fetched"]).timestamp()
            except (KeyError, ValueError):
                return None
            if time.time() - fetched > self.max_age:
                return None
        return entry.get("response")

    def _cache_put(self, query: str, response: dict) -> None:
        if not self.use_cache:
            return
        path = self._cache_path(query)
        path.parent.mkdir(parents=True, exist_ok=True)
        entry = {"endpoint": self.endpoint, "query": query,
                 "fetched": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                 "response": response}
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(entry, f, ensure_ascii=False, sort_keys=True)
            os.replace(tmp, path)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise

    # -------------------------------------------------------------- HTTP

    def _throttle(self) -> None:
        if self._last_request is not None and self.min_interval > 0:
            gap = self._clock() - self._last_request
            if gap < self.min_interval:
                self._sleep(self.min_interval - gap)

    def _wait(self, seconds: float) -> None:
        self.stats.waits.append(seconds)
        self._sleep(seconds)

    def _request(self, query: str) -> dict:
        from SPARQLWrapper import GET, JSON, POST, SPARQLWrapper
        from SPARQLWrapper.SPARQLExceptions import (EndPointInternalError, EndPointNotFound,
                                                    QueryBadFormed, SPARQLWrapperException,
                                                    Unauthorized, URITooLong)

        attempt = 0
        while True:
            self._throttle()
            wrapper = SPARQLWrapper(self.endpoint, agent=self.agent)
            wrapper.setOnlyConneg(True)
            wrapper.setTimeout(max(1, int(round(self.timeout))))
            wrapper.setReturnFormat(JSON)
            wrapper.setQuery(query)
            encoded = len(urllib.parse.quote_plus(query.encode("utf-8")))
            wrapper.setMethod(POST if encoded > MAX_GET_LENGTH else GET)
            self.stats.requests += 1
            self._last_request = self._clock()
            try:
                result = wrapper.query()
                body = result.response.read()
                self._last_request = self._clock()
                try:
                    return json.loads(body.decode("utf-8"))
                except (UnicodeDecodeError, ValueError) as e:
                    raise SparqlError(f"{self.endpoint} did not answer with SPARQL JSON results: "
                                      f"{e}") from e
            except urllib.error.HTTPError as e:
                self._last_request = self._clock()
                if e.code not in RETRY_STATUSES:
                    if e.code == 403:
                        raise SparqlError(
                            f"{self.endpoint} refused the request (HTTP 403). The Wikidata query "
                            f"service blocks clients without a descriptive User-Agent or that "
                            f"sent too many requests; this client sends {self.agent!r}.") from e
                    raise SparqlError(f"{self.endpoint} answered HTTP {e.code} {e.reason}") from e
                attempt += 1
                if attempt > self.max_retries:
                    raise SparqlError(
                        f"{self.endpoint} still answers HTTP {e.code} after {self.max_retries} "
                        f"retries; try again later or raise --max-retries") from e
                wait = parse_retry_after(e.headers.get("Retry-After") if e.headers else None)
                if wait is None:
                    wait = min(self.max_wait, self.backoff * (2 ** (attempt - 1)))
                elif wait > self.max_wait:
                    raise SparqlError(
                        f"{self.endpoint} asks to wait {wait:.0f} s (HTTP {e.code} Retry-After), "
                        f"more than the allowed {self.max_wait:.0f} s; try again later") from e
                self.stats.retries += 1
                self._wait(wait)
            except QueryBadFormed as e:
                raise SparqlError(f"{self.endpoint} rejected a query as malformed: {e}\n{query}") from e
            except EndPointInternalError as e:
                self._last_request = self._clock()
                text = str(e)
                if "timeout" in text.lower() or "TimeoutException" in text:
                    raise QueryTimeout(f"{self.endpoint} timed out on a query") from e
                raise SparqlError(f"{self.endpoint} failed on a query (HTTP 500): {text[:300]}") from e
            except (EndPointNotFound, Unauthorized, URITooLong) as e:
                raise SparqlError(f"{self.endpoint}: {type(e).__name__}: {str(e)[:300]}") from e
            except SPARQLWrapperException as e:
                raise SparqlError(f"{self.endpoint}: {e}") from e
            except (socket.timeout, TimeoutError) as e:
                self._last_request = self._clock()
                raise QueryTimeout(f"{self.endpoint} did not answer within {self.timeout:.0f} s") from e
            except urllib.error.URLError as e:
                reason = e.reason
                if isinstance(reason, (socket.timeout, TimeoutError)):
                    raise QueryTimeout(
                        f"{self.endpoint} did not answer within {self.timeout:.0f} s") from e
                raise SparqlError(f"cannot reach {self.endpoint}: {reason}") from e
            except (ConnectionError, OSError) as e:
                raise SparqlError(f"cannot reach {self.endpoint}: {e}") from e

    # -------------------------------------------------------------- API

    def select(self, query: str) -> list[dict[str, dict]]:
        """Run a SELECT query; returns its bindings (variable -> SPARQL JSON term)."""
        response = self.query_json(query)
        try:
            return response["results"]["bindings"]
        except (KeyError, TypeError) as e:
            raise SparqlError(f"{self.endpoint} answered without results.bindings") from e

    def ask(self, query: str) -> bool:
        response = self.query_json(query)
        if not isinstance(response.get("boolean"), bool):
            raise SparqlError(f"{self.endpoint} answered an ASK query without a boolean")
        return response["boolean"]

    def query_json(self, query: str) -> dict:
        cached = self._cache_get(query)
        if cached is not None:
            self.stats.cache_hits += 1
            return cached
        if self.offline:
            raise CacheMiss("offline, and the answer to a query is not in the cache "
                            f"{self.cache_dir} (run once with the network, or without --offline)")
        response = self._request(query)
        self._cache_put(query, response)
        return response
