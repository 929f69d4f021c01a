"""The application factory: wires settings, store, services and the routers together.

Routers (routes/*.py) only translate HTTP to calls on the services and back; each exposes
``routes(state) -> list`` and may expose async ``startup(state)`` / ``shutdown(state)``.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..build import MARKER
from ..config import Settings
from ..store import GraphStore
from .config import ServerConfig

SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"strict-origin-when-cross-origin"),
    (b"x-frame-options", b"SAMEORIGIN"),
    # Scripts and styles only from this server; map tiles are never fetched (offline basemap).
    (b"content-security-policy",
     b"default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
     b"img-src 'self' data:; connect-src 'self'; font-src 'self' data:; "
     b"frame-ancestors 'self'; base-uri 'self'; form-action 'self'"),
]


@dataclass
class AppState:
    settings: Settings
    config: ServerConfig
    store: GraphStore
    dist: Path
    build_info: dict = field(default_factory=dict)
    extras: dict[str, Any] = field(default_factory=dict)  # services the routers set up

    @property
    def base(self) -> str:
        return self.settings.base


class HeadersMiddleware:
    """Security headers on every response, and CORS for anonymous use (no credentials)."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["method"] == "OPTIONS":
            headers = dict(scope.get("headers") or [])
            if b"access-control-request-method" in headers:
                await send({"type": "http.response.start", "status": 204, "headers": [
                    (b"access-control-allow-origin", b"*"),
                    (b"access-control-allow-methods", b"GET, HEAD, POST, OPTIONS"),
                    (b"access-control-allow-headers", b"Accept, Content-Type, Accept-Encoding, Range"),
                    (b"access-control-max-age", b"86400"), *SECURITY_HEADERS]})
                await send({"type": "http.response.body", "body": b""})
                return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                existing = {k.lower() for k, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in SECURITY_HEADERS if k not in existing]
                if b"access-control-allow-origin" not in existing:
                    extra.append((b"access-control-allow-origin", b"*"))
                    extra.append((b"access-control-expose-headers",
                                  b"Content-Location, Link, ETag, Content-Range, Vary, Retry-After, "
                                  b"X-SPARQL-Truncated"))
                message["headers"] = list(message.get("headers", [])) + extra
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _router_modules():
    from .routes import dumps, entity, ontology, pages, reconcile, sparql

    # Order matters: fixed paths before the catch-all entity routes.
    return [sparql, reconcile, dumps, ontology, pages, entity]


async def _maybe_await(value):
    import inspect

    return await value if inspect.isawaitable(value) else value


def load_state(settings: Settings, config: ServerConfig) -> AppState:
    """The built graph, opened once for the server's life: the persistent store dist/store
    pinned (hard links beside dist/, see store/pin.py), so that a rebuild swapping dist/ under
    the running server leaves it serving the graph it started with until it is restarted; or,
    for a build without a store, the dumps loaded into memory."""
    dist: Path = settings.out_dir  # type: ignore[assignment]
    info = {}
    marker = dist / MARKER
    if marker.is_file():
        info = json.loads(marker.read_text())
    return AppState(settings=settings, config=config, store=GraphStore.from_dist(dist, pin=True),
                    dist=dist, build_info=info)


def create_app(settings: Settings, config: ServerConfig | None = None,
               state: AppState | None = None) -> Starlette:
    config = config or ServerConfig.from_env()
    state = state or load_state(settings, config)
    modules = _router_modules()
    routes = []
    for module in modules:
        routes.extend(module.routes(state))

    @contextlib.asynccontextmanager
    async def lifespan(app):
        for module in modules:
            if hasattr(module, "startup"):
                await module.startup(state)
        try:
            yield
        finally:
            try:
                for module in reversed(modules):
                    if hasattr(module, "shutdown"):
                        await module.shutdown(state)
            finally:
                state.store.close()  # after the SPARQL workers, which read the pinned store

    from .routes import pages

    async def not_found(request, exc):
        # Paths that match no route get the same 404 page as unknown entities (text for programs).
        from starlette.responses import PlainTextResponse

        from .conneg import choose

        if choose(request.headers.get("accept"), ["text/html", "text/plain"], "text/plain") == "text/html":
            return await _maybe_await(pages.not_found_page(state, request))
        return PlainTextResponse(f"404 Not Found: {request.url.path}\n", status_code=404)

    app = Starlette(routes=routes, lifespan=lifespan, middleware=[Middleware(HeadersMiddleware)],
                    exception_handlers={404: not_found})
    # Starlette's trailing-slash redirect writes an absolute Location from the Host header;
    # addresses come from configuration only, so a path with a stray slash is simply not found.
    app.router.redirect_slashes = False
    app.state.kg = state
    return app
