"""Running the app under uvicorn with limits that keep one bad client from hurting the rest."""

from __future__ import annotations

import h11
from uvicorn.protocols.http.h11_impl import STATUS_PHRASES, H11Protocol

from ..config import Settings
from .app import SECURITY_HEADERS
from .config import ServerConfig

HEAD_PIECE = 4096  # bytes handed to h11 at a time while it waits for a request head


class TimedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with time limits on reading a request, which uvicorn lacks: its
    timeout_keep_alive only runs between requests, so a client that opens a connection and
    sends nothing, or trickles its request head or body a byte at a time (slowloris), holds the
    connection for ever, and 256 of them (limit_concurrency) shut everyone else out.

    Here a request head must be complete within ``header_timeout`` seconds of the connection
    (or of the first byte of a later request on it), and a body within ``body_timeout`` seconds
    of its head; otherwise the connection is closed. Time the application takes to answer is
    not limited here (the SPARQL endpoint has its own limit). Two more gaps are closed: the head
    size limit holds however the bytes arrive, and uvicorn's own 400 for a request it cannot
    parse carries the security headers."""

    header_timeout = 10.0
    body_timeout = 30.0

    def connection_made(self, transport) -> None:  # type: ignore[override]
        self._read_phase: str | None = None
        self._read_timer = None
        super().connection_made(transport)
        self._arm("head", self.header_timeout)

    def connection_lost(self, exc) -> None:
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        # h11 enforces h11_max_incomplete_event_size only on a head still incomplete after a
        # read: a 200 KB head arriving in one read (asyncio reads up to 256 KiB) would pass. Fed
        # to it in small pieces while a head is awaited, the limit holds whatever the reads.
        while (len(data) > HEAD_PIECE and self.conn.their_state is h11.IDLE
               and not self.transport.is_closing()):
            super().data_received(data[:HEAD_PIECE])
            data = data[HEAD_PIECE:]
        if data and not self.transport.is_closing():
            super().data_received(data)

    def handle_events(self) -> None:
        super().handle_events()
        self._watch()

    def _watch(self) -> None:
        state = self.conn.their_state
        if state is h11.IDLE:
            # Bytes of a next request are buffered: its head is on its way. No bytes: an idle
            # keep-alive connection, which uvicorn's own keep-alive timeout closes.
            if self._read_phase != "head" and self.conn.trailing_data[0]:
                self._arm("head", self.header_timeout)
            elif self._read_phase == "body":
                self._disarm()
        elif state is h11.SEND_BODY:
            if self._read_phase != "body":
                self._arm("body", self.body_timeout)
        else:  # the request is all here (or the connection is done with)
            self._disarm()

    def _arm(self, phase: str, seconds: float) -> None:
        self._disarm()
        self._read_phase = phase
        self._read_timer = self.loop.call_later(seconds, self._expired, phase, seconds)

    def _disarm(self) -> None:
        if self._read_timer is not None:
            self._read_timer.cancel()
        self._read_timer, self._read_phase = None, None

    def _expired(self, phase: str, seconds: float) -> None:
        self._read_timer, self._read_phase = None, None
        if self.transport.is_closing():
            return
        self.logger.info("closing a connection from %s: its request %s did not arrive within "
                         "%g s", "%s:%d" % self.client if self.client else "?", phase, seconds)
        self.transport.close()

    def send_400_response(self, msg: str) -> None:
        # uvicorn answers requests h11 cannot parse itself, bypassing the app and so its
        # security headers, which every response is to carry (README): the same answer, with them.
        headers = [(b"content-type", b"text/plain; charset=utf-8"), (b"connection", b"close"),
                   *SECURITY_HEADERS]
        for event in (h11.Response(status_code=400, headers=headers, reason=STATUS_PHRASES[400]),
                      h11.Data(data=msg.encode("ascii")), h11.EndOfMessage()):
            self.transport.write(self.conn.send(event))
        self.transport.close()


def protocol(config: ServerConfig) -> type[TimedH11Protocol]:
    """The protocol class with this configuration's read time limits."""
    return type("ConfiguredH11Protocol", (TimedH11Protocol,),
                {"header_timeout": config.header_timeout, "body_timeout": config.body_timeout})


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
        http=protocol(config),  # h11 with time limits on reading requests (slow clients)
    )
