"""Server settings: limits and timeouts, from flags first, then SIBERIA_KG_* environment variables."""

from __future__ import annotations

import os
from dataclasses import dataclass


def _env(name: str, default, cast):
    value = os.environ.get(name)
    return cast(value) if value not in (None, "") else default


@dataclass(frozen=True)
class ServerConfig:
    host: str = "127.0.0.1"
    port: int = 8000
    sparql_timeout: float = 10.0      # seconds a query may run before it is stopped (503)
    max_rows: int = 10_000            # result rows returned at most; more are cut and said so
    max_body: int = 1_000_000         # bytes of request body accepted (413 above)
    max_query_length: int = 100_000   # characters of SPARQL accepted (413 above)
    sparql_workers: int = 2           # processes running queries, each killable on timeout
    sparql_memory_mb: int = 2048      # address space a query worker may use (503 above)
    page_size: int = 200              # inbound links shown per page of an entity
    header_timeout: float = 10.0      # seconds a client may take to send a request head
    body_timeout: float = 30.0        # and then its body; the connection is closed past them

    @classmethod
    def from_env(cls, **overrides) -> "ServerConfig":
        base = cls(
            sparql_timeout=_env("SIBERIA_KG_SPARQL_TIMEOUT", cls.sparql_timeout, float),
            max_rows=_env("SIBERIA_KG_MAX_ROWS", cls.max_rows, int),
            max_body=_env("SIBERIA_KG_MAX_BODY", cls.max_body, int),
            max_query_length=_env("SIBERIA_KG_MAX_QUERY_LENGTH", cls.max_query_length, int),
            sparql_workers=_env("SIBERIA_KG_SPARQL_WORKERS", cls.sparql_workers, int),
            sparql_memory_mb=_env("SIBERIA_KG_SPARQL_MEMORY_MB", cls.sparql_memory_mb, int),
            page_size=_env("SIBERIA_KG_PAGE_SIZE", cls.page_size, int),
            header_timeout=_env("SIBERIA_KG_HEADER_TIMEOUT", cls.header_timeout, float),
            body_timeout=_env("SIBERIA_KG_BODY_TIMEOUT", cls.body_timeout, float),
        )
        values = {k: v for k, v in overrides.items() if v is not None}
        return cls(**{**base.__dict__, **values})
