"""Routes: pages (being written)."""


def routes(state):
    return []
