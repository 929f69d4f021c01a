"""The loopback HTTP/1.1 server under the publish tests' stub store and fault proxy: a handler
base that reads a request's body, answers or cuts the connection, and a server on a free port
in a daemon thread."""

from __future__ import annotations

import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Handler(BaseHTTPRequestHandler):
    """Subclasses define handle_request(); every method goes there."""

    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def cut(self) -> None:
        """Close the connection without answering."""
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def answer(self, status: int, headers: dict, data: bytes) -> None:
        try:
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except OSError:  # the client has given up (the timeout tests)
            self.close_connection = True

    def handle_request(self) -> None:
        raise NotImplementedError

    def do_GET(self):
        self.handle_request()

    do_POST = do_PUT = do_DELETE = do_HEAD = do_GET


def serve(handler: type[Handler], server_class: type[ThreadingHTTPServer] = ThreadingHTTPServer
          ) -> ThreadingHTTPServer:
    """A server on 127.0.0.1 (a free port), serving in a daemon thread; shut it down with
    stop()."""
    server = server_class(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def stop(server: ThreadingHTTPServer | None) -> None:
    if server is not None:
        server.shutdown()
        server.server_close()
