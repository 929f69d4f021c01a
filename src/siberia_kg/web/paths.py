"""The server's own paths <-> the public IRIs under the configured base.

The base comes from configuration, never from the Host header: the server answers for
``{base}id/camp/taishet`` at the local path ``/id/camp/taishet``, whatever host it runs on.
"""

from __future__ import annotations

from urllib.parse import quote, unquote


def iri_for_path(base: str, path: str) -> str:
    """'/id/camp/taishet' -> 'https://w3id.org/siberia-kg/id/camp/taishet'."""
    return base + unquote(path).lstrip("/")


def path_for_iri(base: str, iri: str) -> str | None:
    """The local path of one of our IRIs (percent-encoded, ASCII only), or None for others."""
    if not iri.startswith(base):
        return None
    return "/" + quote(iri[len(base):], safe="/:@!$&'()*+,;=-._~")


def ascii_location(path: str) -> str:
    """A Location header value: never raw non-ASCII, whatever the path holds."""
    return quote(path, safe="/:@!$&'()*+,;=-._~?#%")
