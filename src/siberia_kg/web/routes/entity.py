"""Routes: entity (being written)."""


def routes(state):
    return []
