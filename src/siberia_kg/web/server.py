"""Running the app under uvicorn with limits that keep one bad client from hurting the rest."""

from __future__ import annotations

from ..config import Settings
from .config import ServerConfig


def run(settings: Settings, config: ServerConfig) -> None:
    import uvicorn

    from .app import create_app

    app = create_app(settings, config)
    uvicorn.run(
        app, host=config.host, port=config.port, log_level="info",
        timeout_keep_alive=5,
        h11_max_incomplete_event_size=64 * 1024,  # request line + headers above this: 400
        limit_concurrency=256,
        server_header=False,
    )
