"""Routes: dumps (being written)."""


def routes(state):
    return []
